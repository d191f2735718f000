"""Milliseconds per signing step (certify, approve, seal) over N documents in one process.

    .venv/bin/python benchmarks/signing_steps.py [--docs 30]

Compares the project's cached-key signer (key parsed once, fixed ``bytes_reserved``) with
pyHanko's stock ``SimpleSigner`` (key re-parsed on every signature), and the fully stock
setup (stock signer, no ``bytes_reserved`` → dry-run size estimate).  The dev PKI (TSA, OCSP,
CRL) runs on 127.0.0.1:9771 in this process.  Certificate pre-checks use one shared
validation context per run (OCSP/CRL answers cached for the batch).
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder, load_private_key_from_pemder
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.pdfgen import canvas

from signing.context import SigningContext
from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR, ensure_dev_pki_server
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, FieldSpec, prepare_signature_fields
from signing.keys import load_file_signer
from signing.pades import sign_approve, sign_certify, sign_seal

REPO = Path(__file__).resolve().parent.parent
FONT = REPO / "credential_service" / "assets" / "fonts" / "DejaVuSans.ttf"
CHAIN = [DEV_CERT_DIR / "issuing.cert.pem", DEV_CERT_DIR / "root.cert.pem"]
LABELS = ("gvcn-10a1", "principal", "seal-thpt-demo")


def cached_signer(label: str) -> Signer:
    return load_file_signer(DEV_PKI_DIR / "keys" / f"{label}.key.pem", DEV_CERT_DIR / f"{label}.cert.pem", CHAIN)


def stock_signer(label: str) -> Signer:
    cert = load_cert_from_pemder(str(DEV_CERT_DIR / f"{label}.cert.pem"))
    key = load_private_key_from_pemder(str(DEV_PKI_DIR / "keys" / f"{label}.key.pem"), passphrase=None)
    chain = list(load_certs_from_pemder([str(p) for p in CHAIN]))
    return SimpleSigner(
        signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert, *chain])
    )


def make_pdf(i: int) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 780, f"Hoc ba so {i}")
    c.showPage()
    c.save()
    return prepare_signature_fields(
        buf.getvalue(),
        [
            FieldSpec(FIELD_GVCN, 0, (40, 80, 210, 140)),
            FieldSpec(FIELD_PRINCIPAL, 0, (215, 80, 385, 140)),
            FieldSpec(FIELD_SEAL, 0, (390, 80, 560, 140)),
        ],
    )


def run(
    name: str, ctx: SigningContext, make_signer: Callable[[str], Signer], docs: list[bytes], reserved: bool
) -> None:
    gvcn, principal, seal = (make_signer(lbl) for lbl in LABELS)
    vc = ctx.shared_validation_context()
    assert ctx.timestamper is not None
    extra: dict[str, None] = {} if reserved else {"bytes_reserved": None}
    times: dict[str, list[float]] = {"certify": [], "approve": [], "seal": []}
    for pdf in docs:
        t0 = time.perf_counter()
        a = sign_certify(pdf, FIELD_GVCN, gvcn, appearance=ctx.appearance, validation_context=vc, **extra)
        t1 = time.perf_counter()
        b = sign_approve(a, FIELD_PRINCIPAL, principal, appearance=ctx.appearance, validation_context=vc, **extra)
        t2 = time.perf_counter()
        sign_seal(
            b, FIELD_SEAL, seal, timestamper=ctx.timestamper, validation_context=vc,
            appearance=ctx.appearance, **extra,
        )  # fmt: skip
        t3 = time.perf_counter()
        times["certify"].append((t1 - t0) * 1000)
        times["approve"].append((t2 - t1) * 1000)
        times["seal"].append((t3 - t2) * 1000)
    warm = {k: v[1:] for k, v in times.items()}  # first document pays OCSP/CRL fetches and warm-up
    cells = "  ".join(f"{k} {statistics.median(v):7.1f}" for k, v in warm.items())
    total = sum(statistics.median(v) for v in warm.values())
    first = sum(v[0] for v in times.values())
    print(f"{name:<34} {cells}  total {total:7.1f}  ({1000 / total:5.1f} docs/s; first doc {first:6.0f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=30)
    args = parser.parse_args()
    ensure_dev_pki_server()
    t = time.perf_counter()
    ctx = SigningContext.for_dev(FONT)
    print(f"SigningContext setup: {(time.perf_counter() - t) * 1000:.0f} ms (font prepared once)")
    docs = [make_pdf(i) for i in range(args.docs)]
    print(f"median ms per step over {args.docs} docs (first excluded)")
    run("cached key + bytes_reserved", ctx, cached_signer, docs, reserved=True)
    ctx.reset_shared_validation_context()
    run("stock SimpleSigner + bytes_reserved", ctx, stock_signer, docs, reserved=True)
    ctx.reset_shared_validation_context()
    run("stock SimpleSigner, size estimate", ctx, stock_signer, docs, reserved=False)


if __name__ == "__main__":
    main()
