#!/usr/bin/env python3
"""Fuzz the offline QR payload: :func:`verifier.qr.verify_qr` and :mod:`verifier.qr_codec` behind it.

The input is the text after ``#HB1:`` in a transcript's QR code (invalid UTF-8 is kept as lone
surrogates, as ``sys.argv`` does, so every byte string is some text). Each input is checked three
ways:

1. ``HB1:<input>`` (the bare payload) against the dev key list;
2. ``https://…/v/<id>#HB1:<input>`` (the verify URL the QR really holds) against the dev key list;
3. the input as the COSE payload itself (the CBOR array of claims), signed here with a harness key
   that a second key list trusts, so that any claims, however odd, reach the key-period checks and
   the comparisons with a record and with what someone typed from the paper.

Fine: any :class:`QrReport`, and :class:`VerifierError` (``QrPayloadError`` is how the codec
refuses a payload; ``verify_qr`` turns it into FAILED/FORMAT_FAILURE). A finding: any other
exception, and a report that does not serialise to JSON.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python fuzz/harness_X.py`: make the `fuzz` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fuzz.common import DEV_KEYS, Finding, run_as_script
from verifier.errors import VerifierError
from verifier.qr import (
    ALG_EDDSA,
    QrKey,
    QrKeyList,
    QrReport,
    compare_with_printed,
    compare_with_record,
    encode_cose_sign1,
    protected_header,
    sig_structure,
    verify_qr,
    wrap,
)

DEV_KEY_LIST = QrKeyList.load(DEV_KEYS / "qr" / "keys.json")
VERIFY_URL = "https://verify.sogoc.haiphong.edu.vn/v/8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11"
AT = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
MAX_SIGNED_BYTES = 2600
"""Largest input signed as raw claims: its Base45 still fits the decoder's 4096-character limit."""

HARNESS_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"sogoc fuzz harness qr key").digest())
HARNESS_KEY_LIST = QrKeyList(
    (
        QrKey.from_public_key(
            HARNESS_KEY.public_key(),
            not_before=datetime(2020, 1, 1, tzinfo=UTC),
            not_after=datetime(2040, 12, 31, tzinfo=UTC),
            issuer="fuzz harness",
        ),
    ),
    issuer="fuzz harness",
)
HARNESS_KID = HARNESS_KEY_LIST.keys[0].kid

RECORD: dict[str, Any] = {
    "schema": "hocba/1",
    "credential_id": "8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11",
    "version": 1,
    "issued_at": "2026-05-30",
    "student": {"full_name": "Nguyễn Thị Hương", "date_of_birth": "2010-03-14"},
    "school": {"name": "Trường THPT Demo Hải Phòng"},
    "school_year": "2025-2026",
    "class": {"name": "10A1", "grade": 10},
    "results": {"learning_result": {"year": "Tốt"}, "conduct": {"year": "Tốt"}},
}
PRINTED = {
    "full_name": "Nguyễn Thị Hương",
    "date_of_birth": "14/03/2010",
    "school": "Trường THPT Demo Hải Phòng",
    "class": "10A1",
    "school_year": "2025-2026",
    "learning_result": "Tốt",
}


def _check(report: QrReport) -> None:
    try:
        json.dumps(report.to_dict(), ensure_ascii=False)
        _ = report.message, report.matches
    except Exception as e:
        raise Finding(f"QrReport does not serialise: {e!r}") from e


def _verify(text: str, keys: QrKeyList) -> QrReport | None:
    try:
        report = verify_qr(text, keys, at=AT)
    except VerifierError:
        return None
    _check(report)
    return report


def _signed(payload: bytes) -> str:
    protected = protected_header(ALG_EDDSA, HARNESS_KID)
    signature = HARNESS_KEY.sign(sig_structure(protected, payload))
    return wrap(encode_cose_sign1(protected, payload, signature))


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    _verify("HB1:" + text, DEV_KEY_LIST)
    _verify(f"{VERIFY_URL}#HB1:{text}", DEV_KEY_LIST)

    if len(data) > MAX_SIGNED_BYTES:
        return
    report = _verify(f"{VERIFY_URL}#{_signed(data)}", HARNESS_KEY_LIST)
    if report is None or report.claims is None:
        return
    for compare in (lambda r: compare_with_record(r, RECORD), lambda r: compare_with_printed(r, PRINTED)):
        try:
            compared = compare(report)
        except VerifierError:
            continue
        _check(compared)


if __name__ == "__main__":
    run_as_script("qr")
