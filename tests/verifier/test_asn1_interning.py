"""Parsed certificates, CRLs and OCSP answers are kept by type and DER (:func:`verifier.asn1_speedups.interned`), and
verification gives the same reports with kept objects as without them, in one thread or several."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core, x509
from verification_reports import CORPUS, DEMO_TRANSCRIPT, REPO, comparable_reports, dev_root, dev_root_der

from verifier import asn1_speedups

REGRESSIONS = sorted((REPO / "fuzz" / "regressions" / "pdf").glob("*.pdf"))


@pytest.fixture(autouse=True)
def _quiet_pyhanko() -> None:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@pytest.fixture
def root() -> x509.Certificate:
    return dev_root()


@pytest.fixture
def nothing_kept(monkeypatch: pytest.MonkeyPatch) -> dict[Any, Any]:
    """The kept objects (a fresh, empty store for the test)."""
    kept = asn1_speedups._Store()
    monkeypatch.setattr(asn1_speedups, "_KEPT", kept)
    monkeypatch.setattr(asn1_speedups, "_SEEN", asn1_speedups._Store())
    return kept.entries


def _twice(value: Any) -> Any:
    """``interned(value)`` in one verification, then in the next."""
    asn1_speedups.new_verification()
    asn1_speedups.interned(value)
    asn1_speedups.new_verification()
    return asn1_speedups.interned(value)


def test_a_der_seen_by_a_second_verification_gives_one_fully_parsed_object(nothing_kept: dict[Any, Any]) -> None:
    first, second, third = (x509.Certificate.load(dev_root_der()) for _ in range(3))
    asn1_speedups.new_verification()
    assert asn1_speedups.interned(first) is first and nothing_kept == {}  # the first time: only noted ...
    assert asn1_speedups.interned(first) is first and nothing_kept == {}  # ... also when seen again in it
    asn1_speedups.new_verification()
    kept = asn1_speedups.interned(second)
    assert kept is not second and kept is not first  # the second time: a twin, parsed in full, kept
    assert asn1_speedups.interned(third) is kept
    assert kept.dump() == first.dump() and kept.subject == first.subject
    assert kept._native is not None
    two = core.Integer(2)
    version = x509.Version.load(two.dump())  # the same DER as another type
    kept_two, kept_version = _twice(two), _twice(version)
    assert kept_two is not kept_version and type(kept_version) is x509.Version
    assert len(nothing_kept) == 3


def test_the_names_inside_a_kept_object_keep_their_der_and_compare_as_asn1crypto_does(
    nothing_kept: dict[Any, Any],
) -> None:
    loaded = x509.Certificate.load(dev_root_der())
    assert "_sogoc_der" not in loaded.subject.__dict__  # a Name outside the kept objects: dumped when compared
    kept = _twice(x509.Certificate.load(dev_root_der()))
    for name in (kept.subject, kept.issuer):
        assert name.__dict__["_sogoc_der"] == loaded.subject.dump()  # a self-signed root: both are its subject
        assert asn1_speedups._memoised_name_hashable(name) == asn1_speedups._ORIGINAL_NAME_HASHABLE.fget(loaded.subject)
        assert asn1_speedups.memoised_name_eq(name, loaded.subject) and not asn1_speedups.memoised_name_eq(name, 1)
    other = x509.Name.build({"common_name": "Trường THPT Khác"})
    assert not asn1_speedups.memoised_name_eq(kept.subject, other)
    assert asn1_speedups.memoised_name_eq(other, x509.Name.build({"common_name": "trường  thpt khác"}))


def test_a_full_store_is_not_emptied_for_a_key_it_already_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asn1_speedups, "_KEPT_MAX", 2)
    store = asn1_speedups._Store()
    one, two = (core.Integer, b"\x02\x01\x01"), (core.Integer, b"\x02\x01\x02")
    store.put(one, 1)
    store.put(two, 2)
    store.put(one, 3)  # as a verification notes a DER it has seen before: the store is full, the key is there
    assert store.entries == {one: 3, two: 2} and store.der_bytes == 6
    store.put((core.Integer, b"\x02\x01\x03"), 4)  # a new key in a full store: emptied first, as before
    assert len(store.entries) == 1 and store.der_bytes == 3


def test_a_value_that_does_not_parse_in_full_is_returned_as_it_is_and_not_kept(nothing_kept: dict[Any, Any]) -> None:
    broken = x509.Certificate.load(b"\x30\x03\x02\x01\x01")  # a SEQUENCE holding an INTEGER, not a certificate
    assert _twice(broken) is broken
    assert nothing_kept == {}


def test_large_values_are_not_kept_and_the_store_is_bounded(
    nothing_kept: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(asn1_speedups, "_KEPT_MAX_DER", 100)
    cert = x509.Certificate.load(dev_root_der())
    assert _twice(cert) is cert and nothing_kept == {}
    monkeypatch.setattr(asn1_speedups, "_KEPT_MAX_DER", 1 << 20)
    monkeypatch.setattr(asn1_speedups, "_KEPT_MAX", 2)
    for value in (1, 2, 3):
        _twice(core.Integer(value))
    assert len(nothing_kept) == 1  # cleared when full, then the third kept
    monkeypatch.setattr(asn1_speedups, "_KEPT_MAX", 512)
    monkeypatch.setattr(asn1_speedups, "_KEPT_MAX_BYTES", len(cert.dump()) + 4)  # room for one INTEGER more
    nothing_kept.clear()
    asn1_speedups._KEPT.der_bytes = 0
    _twice(cert)
    assert asn1_speedups._KEPT.der_bytes == len(cert.dump())
    _twice(core.Integer(7))
    _twice(core.Integer(8))  # over the byte budget: the store empties itself first
    assert len(nothing_kept) == 1 and asn1_speedups._KEPT.der_bytes == len(core.Integer(8).dump())


def _files() -> list[Path]:
    corpus = sorted(CORPUS.rglob("*.pdf"))[:12] if CORPUS.is_dir() else []
    return [DEMO_TRANSCRIPT, *REGRESSIONS, *corpus]


def test_reports_are_the_same_with_kept_objects_and_without(
    root: x509.Certificate, nothing_kept: dict[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files()
    kept_filled = comparable_reports(files, root)  # each DER noted by the first verification that sees it
    assert (
        comparable_reports(files, root) == kept_filled
    )  # and kept by the next: every certificate, CRL and OCSP answer ...
    assert len(nothing_kept) >= 11
    assert comparable_reports(files, root) == kept_filled  # ... and reading them back changes nothing
    monkeypatch.setattr(asn1_speedups, "interned", lambda value: value)
    assert comparable_reports(files, root) == kept_filled  # nor does keeping nothing
    assert kept_filled[0]["indication"] == "PASSED"


def test_threads_share_the_kept_objects_and_get_the_samecomparable_reports(
    root: x509.Certificate, nothing_kept: dict[Any, Any]
) -> None:
    expected = comparable_reports([DEMO_TRANSCRIPT], root)
    nothing_kept.clear()  # the threads note, parse and keep concurrently
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: comparable_reports([DEMO_TRANSCRIPT], root), range(8)))
    assert all(r == expected for r in results)


def test_the_certificates_for_validation_are_extracted_once_per_signed_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.errors import SignatureValidationError

    calls: list[object] = []

    def counted(signed_data: Any) -> Any:
        calls.append(signed_data)
        return original(signed_data)

    original = asn1_speedups._ORIGINAL_EXTRACT_FOR_VALIDATION
    monkeypatch.setattr(asn1_speedups, "_ORIGINAL_EXTRACT_FOR_VALIDATION", counted)
    extract = asn1_speedups.once_per_signed_data_extract_certs_for_validation
    first, second = PdfFileReader(BytesIO(DEMO_TRANSCRIPT.read_bytes())).embedded_signatures[:2]
    info = extract(first.signed_data)
    assert extract(first.signed_data) is info and info.signer_cert is not None
    assert extract(second.signed_data) is not info  # another signature, its own answer
    assert len(calls) == 2
    without_certificates = first.signed_data.copy()
    without_certificates["certificates"] = []
    for _ in range(2):  # an error is raised each time, never kept
        with pytest.raises(SignatureValidationError):
            extract(without_certificates)
    assert len(calls) == 4
