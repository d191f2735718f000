"""Generate the Sổ Gốc Số DEV/TEST QR payload key and its published key list. DEV/TEST ONLY.

Usage (from the repository root)::

    .venv/bin/python keys/dev/qr/generate.py

Writes, only if missing (an existing key is kept, so re-running is safe):

* ``qr.key``    the Ed25519 private key, PKCS#8 PEM, that signs the offline QR payloads (``HB1:``);
* ``keys.json`` (rewritten each run) the key list in the ``sogoc-qr-keys/1`` format served at
  ``/.well-known/sogoc-keys.json``: key id, algorithm, public key, the period it may sign in.

The private key is committed to git and therefore public: production refuses it (settings.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from signing.qr_payload import QrSigningKey, generate_qr_key
from verifier.qr import QrKey, QrKeyList

DIR = Path(__file__).resolve().parent
ISSUER = "Sở GDĐT Hải Phòng — KHÓA THỬ NGHIỆM / DEV KEY, NOT FOR PRODUCTION"
NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2040, 12, 31, 23, 59, 59, tzinfo=UTC)


def main() -> int:
    key_path, list_path = DIR / "qr.key", DIR / "keys.json"
    if key_path.exists():
        key = QrSigningKey.from_pem(key_path.read_bytes())
        print(f"kept existing {key_path}")
    else:
        key, pem = generate_qr_key()
        key_path.write_bytes(pem)
        print(f"wrote {key_path}")
    entry = QrKey.from_public_key(
        key.private_key.public_key(), not_before=NOT_BEFORE, not_after=NOT_AFTER, issuer=ISSUER
    )
    doc = QrKeyList((entry,), issuer=ISSUER).to_dict()
    list_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {list_path} (kid {key.kid.hex()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
