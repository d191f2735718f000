"""The log's keys: the signer key, the witnesses' verifier keys, and the log keys' history.

The history (``log-keys.json`` next to the key) is written by :mod:`credential_service.ledger.key_rotation`
when the log key is rotated; each checkpoint is checked against the key(s) valid when it was made.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from credential_service.platform.errors import ConfigurationError, Message
from credential_service.platform.settings import Settings
from verifier.checkpoint import Ed25519CosignatureVerifier
from verifier.errors import VerifierError
from verifier.note import Ed25519Signer, Ed25519Verifier


def load_log_signer(path: Path) -> Ed25519Signer:
    """Read the log's ``PRIVATE+KEY+…`` signer key; a clear bilingual error if it is missing or bad."""
    try:
        raw = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigurationError(
            Message(
                f"Không đọc được khóa ký sổ cái {path}: {e.strerror or e}.",
                f"Cannot read the ledger signing key {path}: {e.strerror or e}.",
            ),
            hint=Message(
                "Đặt SOGOC_LEDGER_KEY_PATH; môi trường dev: chạy .venv/bin/python keys/dev/log/generate.py.",
                "Set SOGOC_LEDGER_KEY_PATH; in dev run .venv/bin/python keys/dev/log/generate.py.",
            ),
        ) from e
    try:
        return Ed25519Signer.from_skey(raw)
    except VerifierError as e:
        raise ConfigurationError(
            Message(f"Khóa ký sổ cái {path} không hợp lệ: {e.vi}", f"Invalid ledger signing key {path}: {e.en}")
        ) from e


def parse_witness_vkeys(vkeys: Sequence[str]) -> list[Ed25519CosignatureVerifier]:
    out = []
    for vkey in vkeys:
        try:
            out.append(cast(Ed25519CosignatureVerifier, Ed25519CosignatureVerifier.from_vkey(vkey.strip())))
        except VerifierError as e:
            raise ConfigurationError(
                Message(
                    f"Khóa nhân chứng không hợp lệ trong SOGOC_LEDGER_WITNESS_VKEYS: {vkey!r} ({e.vi})",
                    f"Invalid witness key in SOGOC_LEDGER_WITNESS_VKEYS: {vkey!r} ({e.en})",
                )
            ) from e
    return out


# The log keys' history (written by ledger.key_rotation when the log key is rotated).
def log_keys_path(settings: Settings) -> Path:
    return settings.ledger_key_path.parent / "log-keys.json"


def read_log_keys(settings: Settings) -> list[dict[str, Any]]:
    """The log keys' history, oldest first; without a history file, the current key alone."""
    path = log_keys_path(settings)
    if path.exists():
        doc = json.loads(path.read_text(encoding="utf-8"))
        return list(doc["keys"])
    signer = load_log_signer(settings.ledger_key_path)
    return [{"vkey": signer.vkey, "key_id": f"{signer.key_id:08x}", "not_before": None, "not_after": None,
             "status": "active"}]  # fmt: skip


def log_verifiers(settings: Settings) -> list[tuple[Ed25519Verifier, datetime | None, datetime | None]]:
    out = []
    for k in read_log_keys(settings):
        nb = datetime.fromisoformat(k["not_before"].replace("Z", "+00:00")) if k.get("not_before") else None
        na = datetime.fromisoformat(k["not_after"].replace("Z", "+00:00")) if k.get("not_after") else None
        out.append((Ed25519Verifier.from_vkey(k["vkey"]), nb, na))
    return out
