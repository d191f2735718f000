"""Signatures per second per signer backend, with 1 and 2 processes (issue 5, part 9).

    .venv/bin/python benchmarks/signers.py [--docs 200] [--procs 1 2]

Document type: the three-field test transcript page (one A4 page, ~3 KB), principal's approval
signature (PAdES B-B, visible stamp, ``bytes_reserved`` fixed, certificate checked once per
process as the service does per batch). Backends, all RSA-2048 with the same dev certificate
chain:

* ``file``   — :class:`signing.keys.CachedKeySigner` (key parsed once);
* ``pkcs11`` — :mod:`signing.pkcs11` on SoftHSM2 (key generated in a throwaway token, one
  session per process);
* ``stock``  — pyHanko's ``SimpleSigner`` (re-parses the key for every signature).

Also raw RSA-2048 PKCS#1 v1.5 signatures per second: ``cryptography`` in memory and ``C_Sign``
on the SoftHSM key. Workers are spawned processes; the rate is total signatures over the wall
time from the moment every worker is ready.  The dev PKI (OCSP/CRL for the one check per
process) runs on 127.0.0.1:9771 in the parent.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15  # noqa: E402
from cryptography.hazmat.primitives.hashes import SHA256  # noqa: E402
from pyhanko.sign.signers import Signer, SimpleSigner  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from signing.context import SigningContext  # noqa: E402
from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR, ensure_dev_pki_server  # noqa: E402
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, FieldSpec, prepare_signature_fields  # noqa: E402
from signing.keys import load_file_signer, load_private_key  # noqa: E402
from signing.pades import async_sign_approve  # noqa: E402

FONT = REPO / "credential_service" / "assets" / "fonts" / "DejaVuSans.ttf"
CHAIN = [DEV_CERT_DIR / "issuing.cert.pem", DEV_CERT_DIR / "root.cert.pem"]
TOKEN, PIN, SO_PIN, KEY_LABEL = "bench", "246810", "13579111", "principal-token"


def make_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(72, 780, "Hoc ba - THPT Demo - benchmark")
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


def build_signer(backend: str, token_cert: str | None) -> Signer:
    key = DEV_PKI_DIR / "keys" / "principal.key.pem"
    cert = DEV_CERT_DIR / "principal.cert.pem"
    if backend == "file":
        return load_file_signer(key, cert, CHAIN)
    if backend == "stock":
        signer = SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(p) for p in CHAIN])
        assert signer is not None
        return signer
    from signing.pkcs11 import Pkcs11Config, find_softhsm_module, get_pkcs11_signer

    module = find_softhsm_module()
    assert module is not None
    cfg = Pkcs11Config(module, TOKEN, key_label=KEY_LABEL, pin=PIN, chain_paths=tuple(str(p) for p in CHAIN))
    return get_pkcs11_signer(cfg).pyhanko_signer()


def worker(backend: str, n: int, token_cert: str | None, ready: Any, go: Any, out: Any) -> None:
    pdf = make_pdf()
    signer = build_signer(backend, token_cert)
    ctx = SigningContext.for_dev(FONT, cached_stamps=True)
    check = ctx.check_signer(signer.signing_cert).require_ok()

    async def run(count: int) -> None:
        for _ in range(count):
            await async_sign_approve(pdf, FIELD_PRINCIPAL, signer, appearance=ctx.appearance, precheck=check)

    asyncio.run(run(3))  # warm-up: stamp cached, code paths loaded
    ready.put(os.getpid())
    go.wait()
    t0 = time.perf_counter()
    asyncio.run(run(n))
    out.put(time.perf_counter() - t0)


def measure(backend: str, procs: int, n: int, token_cert: str | None) -> float:
    ctx = mp.get_context("spawn")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    ps = [ctx.Process(target=worker, args=(backend, n, token_cert, ready, go, out)) for _ in range(procs)]
    for p in ps:
        p.start()
    for _ in ps:
        ready.get(timeout=300)
    t0 = time.perf_counter()
    go.set()
    for _ in ps:
        out.get(timeout=600)
    wall = time.perf_counter() - t0
    for p in ps:
        p.join()
    return procs * n / wall


def raw_rsa_per_s(seconds: float = 1.0) -> float:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    key = load_private_key(DEV_PKI_DIR / "keys" / "principal.key.pem")
    assert isinstance(key, RSAPrivateKey)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        key.sign(b"x" * 100, PKCS1v15(), SHA256())
        n += 1
    return n / (time.perf_counter() - t0)


def raw_pkcs11_per_s(seconds: float = 1.0) -> float:
    from signing.pkcs11 import Pkcs11Config, find_softhsm_module, get_pkcs11_signer

    module = find_softhsm_module()
    assert module is not None
    s = get_pkcs11_signer(Pkcs11Config(module, TOKEN, key_label=KEY_LABEL, pin=PIN))
    digest = hashlib.sha256(b"x").digest()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        s.sign_digest(digest)
        n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--docs", type=int, default=200, help="signatures per process and run")
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--backends", nargs="+", default=["file", "pkcs11", "stock"])
    args = ap.parse_args()

    ensure_dev_pki_server()
    tmp = Path(tempfile.mkdtemp(prefix="sogoc-bench-softhsm-"))
    token_cert: str | None = None
    backends = list(args.backends)
    try:
        from signing.pkcs11 import find_softhsm_module, init_softhsm_token, provision_token_key

        module = find_softhsm_module()
        if "pkcs11" in backends:
            if module is None or shutil.which("softhsm2-util") is None:
                print("SoftHSM2 missing: skipping the pkcs11 backend")
                backends.remove("pkcs11")
            else:
                os.environ.update(init_softhsm_token(tmp / "tokens", TOKEN, PIN, SO_PIN))
                prov = provision_token_key(
                    module_path=module,
                    token_label=TOKEN,
                    pin=PIN,
                    label=KEY_LABEL,
                    common_name="Ngô Quang Trưởng (token)",
                    organizational_unit="Hiệu trưởng",
                    cert_dir=tmp,
                )
                token_cert = str(prov.cert_path)

        print(f"{os.cpu_count()} CPUs, {args.docs} approval signatures (PAdES B-B) per process\n")
        print(f"{'backend':<28}" + "".join(f"{f'{p} proc sig/s':>16}" for p in args.procs))
        for b in backends:
            n = args.docs if b != "stock" else max(20, args.docs // 5)  # stock is ~10x slower
            rates = [measure(b, p, n, token_cert) for p in args.procs]
            print(f"{b:<28}" + "".join(f"{r:>16.1f}" for r in rates), flush=True)
        print(f"{'raw RSA-2048 (cryptography)':<28}{raw_rsa_per_s():>16.0f}")
        if "pkcs11" in backends:
            print(f"{'raw RSA-2048 (SoftHSM C_Sign)':<28}{raw_pkcs11_per_s():>16.0f}")
    finally:
        from signing.pkcs11 import close_all

        close_all()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
