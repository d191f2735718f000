"""Generate the Sổ Gốc Số DEV/TEST PKI (keys + certificates).

DEV/TEST ONLY.  Usage (from the repository root)::

    .venv/bin/python keys/dev/generate.py

* Private keys are created with ``cryptography`` under ``keys/dev/keys/`` **only if
  missing** (existing keys are kept, so re-running is safe and reproducible).
* Certificates are (re)issued by certomancer from ``keys/dev/certomancer.yml`` and
  written as PEM to ``keys/dev/out/<label>.cert.pem``.  Certomancer uses sequential
  serial numbers and RSA PKCS#1 v1.5 signatures, so with unchanged keys and config the
  output is byte-identical.
* The SPKI SHA-256 fingerprints of every dev public key (these certificates, ``log/log.key``,
  ``qr/qr.key``, ``receipt/receipt.key``) are written to ``signing/dev_fingerprints.py``: production
  refuses these keys by fingerprint wherever the files are (``signing/dev_keys.py``).  Re-run this
  script after rotating any of them (also the log, QR or receipt key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from certomancer.registry import ArchLabel, CertomancerConfig
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DEV_DIR = Path(__file__).resolve().parent
CONFIG_PATH = DEV_DIR / "certomancer.yml"
KEY_DIR = DEV_DIR / "keys"
OUT_DIR = DEV_DIR / "out"
ARCH = "sogoc-dev"
FINGERPRINTS_PATH = DEV_DIR.parent.parent / "signing" / "dev_fingerprints.py"

# label -> RSA modulus size.  People and the school seal: RSA-2048 (Circular 15/2025 minimum);
# the CAs get RSA-3072.
KEY_SIZES: dict[str, int] = {
    "root": 3072,
    "issuing": 3072,
    "tsa": 2048,
    "ocsp": 2048,
    "gvcn-10a1": 2048,
    "gvcn-10a2": 2048,
    "principal": 2048,
    "seal-thpt-demo": 2048,
    "gvcn-expired": 2048,
    "gvcn-revoked": 2048,
    "gvcn-notyet": 2048,
    "gvcn-wrongku": 2048,
}


def ensure_keys(key_dir: Path = KEY_DIR) -> list[str]:
    """Create missing private keys; return the labels that were created."""
    key_dir.mkdir(parents=True, exist_ok=True)
    created: list[str] = []
    for label, bits in KEY_SIZES.items():
        path = key_dir / f"{label}.key.pem"
        if path.exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
        pem = key.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        path.write_bytes(pem)
        created.append(label)
    return created


def write_certs(config_path: Path = CONFIG_PATH, out_dir: Path = OUT_DIR) -> list[Path]:
    """Issue all certificates of the dev architecture and write them as flat PEM files."""
    cfg = CertomancerConfig.from_file(str(config_path), key_search_dir=str(config_path.parent))
    arch = cfg.get_pki_arch(ArchLabel(ARCH))
    out_dir.mkdir(parents=True, exist_ok=True)
    arch.dump_certs(str(out_dir), use_pem=True, flat=True)
    return sorted(out_dir.glob("*.cert.pem"))


def write_fingerprints(dev_dir: Path = DEV_DIR, path: Path = FINGERPRINTS_PATH) -> int:
    """Write the SPKI SHA-256 fingerprints of the dev keys to ``signing/dev_fingerprints.py``; return how many."""
    from signing.dev_keys import compute_dev_fingerprints, render_fingerprints_module

    fingerprints = compute_dev_fingerprints(dev_dir)
    path.write_text(render_fingerprints_module(fingerprints), encoding="utf-8")
    return len(fingerprints)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory for certificates")
    args = parser.parse_args(argv)
    created = ensure_keys()
    if created:
        print(f"generated keys: {', '.join(created)}")
    else:
        print("all keys present, kept")
    for path in write_certs(out_dir=args.out):
        print(f"wrote {path.relative_to(DEV_DIR) if path.is_relative_to(DEV_DIR) else path}")
    print(f"wrote {FINGERPRINTS_PATH} ({write_fingerprints()} dev key fingerprints)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
