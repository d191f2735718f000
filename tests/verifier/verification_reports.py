"""Shared by the verifier's equivalence tests: the demo transcript, the dev root, and reports comparable run to run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asn1crypto import pem, x509

from verifier.pdf import verify_pdf

REPO = Path(__file__).resolve().parents[2]
DEMO_TRANSCRIPT = REPO / "fuzz" / "corpus" / "pdf" / "demo-transcript.pdf"
CORPUS = REPO.parent / "shared" / "corpora" / "pdf-signatures"
DEV_ROOT = REPO / "keys" / "dev" / "out" / "root.cert.pem"


def dev_root_der() -> bytes:
    return pem.unarmor(DEV_ROOT.read_bytes())[2]


def dev_root() -> x509.Certificate:
    return x509.Certificate.load(dev_root_der())


def comparable_reports(paths: list[Path], root: x509.Certificate) -> list[dict[str, Any]]:
    """Each file's report as a dict, without what differs from run to run (the time taken, "now")."""
    out = []
    for path in paths:
        report = verify_pdf(path.read_bytes(), trust=[root]).to_dict()
        report.pop("elapsed_ms")
        for signature in report["signatures"]:
            signature.pop("validation_time")  # "now" for a signature without a timestamp
        out.append(report)
    return out
