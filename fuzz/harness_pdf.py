#!/usr/bin/env python3
"""Fuzz :func:`verifier.pdf.verify_pdf`, as ``sogoc-verify`` and the verify page call it.

The input is a whole file. It is verified with the default policy (size, object-count, decode and
wall-clock guards) against the dev root, so that sound signatures reach chain and revocation checks.

Fine: any report (PASSED, FAILED, INDETERMINATE, not_pdf, unsigned) and :class:`VerifierError`,
which is how ``verify_pdf`` documents "could not process" (:class:`PdfTooLargeError` included).
A finding: any other exception, and a :class:`VerifierError` with code ``internal_error``, which
is the guard wrapping an unexpected exception of the parsing or validation code (the cause is
re-raised so its stack trace shows); a report that does not serialise to JSON or has no exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # `python fuzz/harness_X.py`: make the `fuzz` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asn1crypto import pem, x509

from fuzz.common import DEV_KEYS, Finding, run_as_script
from verifier.errors import VerifierError
from verifier.pdf import verify_pdf
from verifier.pdf_signatures import preload

preload()  # import pyHanko now: under the fuzzer, inside the instrumented import

ROOT_CERT = DEV_KEYS / "out" / "root.cert.pem"


def _root() -> x509.Certificate:
    data = ROOT_CERT.read_bytes()
    if pem.detect(data):
        data = pem.unarmor(data)[2]
    return x509.Certificate.load(data)


TRUST = [_root()]


def test_one_input(data: bytes) -> None:
    try:
        report = verify_pdf(data, trust=TRUST)
    except VerifierError as e:
        if e.code == "internal_error":
            cause = e.__cause__ or e
            raise Finding(f"verify_pdf: internal error: {cause!r}") from cause
        return
    if report.exit_code not in (0, 1, 2, 3):
        raise Finding(f"verify_pdf: exit code {report.exit_code}")
    json.dumps(report.to_dict(), ensure_ascii=False)


if __name__ == "__main__":
    run_as_script("pdf")
