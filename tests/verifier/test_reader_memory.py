"""A verification's parsed PDF objects are freed when its report is returned: the report holds none of them, and
the reader's caches are emptied, so reference counting frees them rather than the garbage collector."""

from __future__ import annotations

import gc
from types import ModuleType
from typing import Any

import pytest
from asn1crypto import x509
from verification_reports import DEMO_TRANSCRIPT, dev_root

from verifier.pdf import verify_pdf


@pytest.fixture
def root() -> x509.Certificate:
    return dev_root()


def _library_objects_in(value: Any) -> list[str]:
    """Every pyHanko or asn1crypto object reachable from ``value``, by its path."""
    found, seen, stack = [], set(), [(value, type(value).__name__)]
    while stack:
        obj, path = stack.pop()
        if id(obj) in seen or isinstance(obj, type | ModuleType):  # classes lead everywhere
            continue
        seen.add(id(obj))
        if str(type(obj).__module__).split(".")[0] in {"pyhanko", "pyhanko_certvalidator", "asn1crypto"}:
            found.append(f"{path}: {type(obj).__qualname__}")
            continue
        stack.extend((child, f"{path}/{type(child).__name__}") for child in gc.get_referents(obj))
    return found


def test_a_report_holds_no_pdf_or_asn1_objects(root: x509.Certificate) -> None:
    report = verify_pdf(DEMO_TRANSCRIPT.read_bytes(), trust=[root])
    assert report.signatures and report.signatures[-1].changed_form_fields == []
    assert any(s.changed_form_fields for s in report.signatures)  # the later signatures' fields, as plain str
    assert _library_objects_in(report) == []  # a PDF string, say, would keep its whole reader alive


def test_a_verification_leaves_few_objects_in_reference_cycles(root: x509.Certificate) -> None:
    data = DEMO_TRANSCRIPT.read_bytes()
    verify_pdf(data, trust=[root])  # imports, kept certificates and memos: not this verification's garbage
    gc.collect()
    gc.disable()
    try:
        report = verify_pdf(data, trust=[root])
        left = gc.collect()
    finally:
        gc.enable()
    assert len(report.signatures) >= 3
    # about 360: pyHanko's reader and its revisions point at each other. 1,800 while the usage walk's inner
    # functions kept themselves (tests/signing/test_usage_walk.py), 7,650 while the reader kept its parsed objects
    assert left < 1500, left
