"""Generate the Sổ Gốc Số DEV/TEST verification-receipt key and its JWK Set. DEV/TEST ONLY.

Usage (from the repository root)::

    .venv/bin/python keys/dev/receipt/generate.py

Writes, only if missing (an existing key is kept, so re-running is safe):

* ``receipt.key`` the Ed25519 private key, PKCS#8 PEM, that signs verification receipts (JWS, EdDSA);
* ``keys.json``   (rewritten each run) the JWK Set served at ``/.well-known/sogoc-receipt-keys.json``.

The private key is committed to git and therefore public: production refuses it (settings.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.receipt import ReceiptKey, ReceiptKeys, kid_of

DIR = Path(__file__).resolve().parent
NOT_BEFORE = int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())
NOT_AFTER = int(datetime(2040, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


def main() -> int:
    key_path, list_path = DIR / "receipt.key", DIR / "keys.json"
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        print(f"kept existing {key_path}")
    else:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        key_path.write_bytes(pem)
        print(f"wrote {key_path}")
    public = key.public_key()
    entry = ReceiptKey(kid_of(public), public, NOT_BEFORE, NOT_AFTER)
    doc = ReceiptKeys((entry,)).to_dict()
    doc["issuer"] = "Sở GDĐT Hải Phòng — KHÓA THỬ NGHIỆM / DEV KEY, NOT FOR PRODUCTION"
    list_path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {list_path} (kid {entry.kid})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
