"""Operator commands that sign or change what cannot be undone work only in development.

Whoever runs ``sogoc`` on the server holds the database and the configuration, not the signer's own
confirmation nor a second person's approval. In production these acts go through the web or the API, with
the person's own account: signing with their fresh confirmation, irreversible changes with four eyes.
"""

from __future__ import annotations

from credential_service.platform.errors import Message, NotAuthorised
from credential_service.platform.settings import Settings


def require_dev(command: str, env: str | None = None) -> None:
    """Refuse ``command`` outside dev/test (``env``: the environment; by default the settings', SOGOC_ENV)."""
    env = env if env is not None else Settings().env
    if env not in ("dev", "test"):
        raise NotAuthorised(
            Message(
                f"Lệnh «sogoc {command}» chỉ dùng khi phát triển. Trong vận hành, hãy làm trên trang web hoặc API "
                "bằng tài khoản của chính mình (ký số cần xác nhận của người ký; việc không hoàn tác được cần người "
                "thứ hai phê duyệt).",
                f"«sogoc {command}» is for development only. In production, use the web pages or the API with your "
                "own account (signing needs the signer's own confirmation; what cannot be undone needs a second "
                "person's approval).",
            ),
            reason="operator_command_refused",
        )
