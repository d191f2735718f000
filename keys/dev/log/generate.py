"""Generate the Sổ Gốc Số DEV/TEST ledger (transparency log) key. DEV/TEST ONLY.

Usage (from the repository root)::

    .venv/bin/python keys/dev/log/generate.py [--origin sogoc.haiphong.edu.vn/ledger/v1]

Writes, only if missing (an existing key is kept, so re-running is safe):

* ``log.key``  the signer key in golang.org/x/mod/sumdb/note format
  ``PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>``;
* ``log.vkey`` the public verifier key ``<name>+<key id>+<base64(0x01 || public key)>``.

The key name is the log origin (C2SP tlog-checkpoint: the log's key name SHOULD equal the origin).
The private key is committed to git and therefore public: production refuses it (settings.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from verifier.note import Ed25519Signer, generate_ed25519_key

DIR = Path(__file__).resolve().parent
DEFAULT_ORIGIN = "sogoc.haiphong.edu.vn/ledger/v1"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--origin", default=DEFAULT_ORIGIN)
    args = p.parse_args()
    key_path, vkey_path = DIR / "log.key", DIR / "log.vkey"
    if key_path.exists():
        signer = Ed25519Signer.from_skey(key_path.read_text().strip())
        print(f"kept existing {key_path}")
    else:
        skey, _ = generate_ed25519_key(args.origin)
        key_path.write_text(skey + "\n")
        signer = Ed25519Signer.from_skey(skey)
        print(f"wrote {key_path}")
    vkey_path.write_text(signer.vkey + "\n")
    print(signer.vkey)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
