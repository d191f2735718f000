"""One process of a fault drill: seal a class or issue from a graduation decision, through the services.

    python drill_child.py DB_URL seal|issue [--decision ID] [--pause sign|record] [--barrier FILE]

``--pause sign`` stops (prints ``PHASE sign``) when signing starts, ``--pause record`` once the rows and
the ledger entries are written inside the recording transaction, not yet committed: the test kills the
process there with SIGKILL. ``--barrier FILE`` prints ``READY`` at the point where two processes must
meet and waits until FILE exists. The outcome is printed as one JSON line (``RESULT {...}``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _say(line: str) -> None:
    print(line, flush=True)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("db_url")
    ap.add_argument("action", choices=("seal", "issue"))
    ap.add_argument("--decision")
    ap.add_argument("--pause", choices=("sign", "record"))
    ap.add_argument("--barrier", type=Path)
    args = ap.parse_args()

    from credential_service.app.bootstrap import build
    from credential_service.app.demo import class_id, staff_id
    from credential_service.app.problem import http_status
    from credential_service.diplomas import service as diploma_service
    from credential_service.ledger import storage
    from credential_service.platform.errors import SogocError
    from credential_service.platform.settings import Settings
    from credential_service.transcripts.workflow import Step

    c = build(Settings(env="test", database_url=args.db_url))
    c.start_dev_services()
    documents = c.documents
    sign_many: Callable[..., Any] = documents.sign_many

    def pausing_sign_many(*a: Any, **kw: Any) -> Any:
        if args.pause == "sign":
            _say("PHASE sign")
            time.sleep(600)
        if args.barrier and args.action == "seal":
            _say("READY")
            _wait_for(args.barrier)
        return sign_many(*a, **kw)

    documents.sign_many = pausing_sign_many  # type: ignore[method-assign]

    append_many = storage.append_many

    def pausing_append_many(*a: Any, **kw: Any) -> Any:
        entries = append_many(*a, **kw)
        if args.pause == "record":
            a[0].flush()
            _say("PHASE record")
            time.sleep(600)
        return entries

    storage.append_many = pausing_append_many  # type: ignore[assignment]

    register_lock = diploma_service.register_lock

    @contextmanager
    def meeting_register_lock(*a: Any, **kw: Any) -> Iterator[None]:
        if args.barrier:  # both processes have planned the same work; now they race for it
            _say("READY")
            _wait_for(args.barrier)
        with register_lock(*a, **kw):
            yield

    diploma_service.register_lock = meeting_register_lock  # type: ignore[assignment]

    try:
        if args.action == "seal":
            report = c.transcripts.sign_class(class_id("10A1"), Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
            out: dict[str, Any] = {"ok": True, "status": report.status, "transcripts": report.transcripts}
        else:
            issued = c.diplomas.issue_from_decision(
                args.decision, issuer_staff_id=staff_id("principal"), seal_staff_id=staff_id("seal-thpt-demo")
            )
            out = {"ok": True, "issued": len(issued.issued), "skipped": issued.skipped}
    except SogocError as e:
        out = {"ok": False, "code": e.code, "http": http_status(e), "vi": e.message.vi, "en": e.message.en}
    _say("RESULT " + json.dumps(out, ensure_ascii=False))
    c.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
