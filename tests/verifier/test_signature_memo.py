"""Successful raw signature checks and signing-certificate checks are remembered (:mod:`verifier.signature_memo`):
the same inputs are not checked again, any other input is, a failure is never remembered, and verification reports
are the same with the memos and without them."""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

import pytest
from asn1crypto import algos, keys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import sig_validate
from pyhanko_certvalidator.sig_validate import SignatureValidationContext
from verification_reports import CORPUS, DEMO_TRANSCRIPT, comparable_reports, dev_root

from verifier import signature_memo
from verifier.pdf import verify_pdf

DATA = b"tbsCertificate of a teacher's certificate"


@pytest.fixture(autouse=True)
def _quiet_pyhanko() -> None:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The signatures pyhanko-certvalidator's own check was asked about, with an empty memo."""
    original = signature_memo._ORIGINAL_VALIDATE_RAW
    asked: list[bytes] = []

    def counted(signature: bytes, *args: Any) -> None:
        asked.append(signature)
        original(signature, *args)

    monkeypatch.setattr(signature_memo, "_ORIGINAL_VALIDATE_RAW", counted)
    monkeypatch.setattr(signature_memo, "_CHECKED", set())
    return asked


@pytest.fixture
def certificate_checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The certificates pyHanko's own signing-certificate check was asked about, with an empty memo."""
    original = signature_memo._ORIGINAL_CHECK_SIGNING_CERTIFICATE
    asked: list[Any] = []

    def counted(cert: Any, signed_attrs: Any) -> None:
        asked.append(cert)
        original(cert, signed_attrs)

    monkeypatch.setattr(signature_memo, "_ORIGINAL_CHECK_SIGNING_CERTIFICATE", counted)
    monkeypatch.setattr(signature_memo, "_SIGNING_CERTIFICATES", set())
    return asked


def _signers() -> list[tuple[Any, Any]]:
    """(signer's certificate, signed attributes) of each signature of the demo transcript."""
    reader = PdfFileReader(BytesIO(DEMO_TRANSCRIPT.read_bytes()))
    # pyHanko's own extraction: the signature's signer_cert property would run (and remember) the check
    return [
        (extract_certificate_info(s.signed_data).signer_cert, s.signer_info["signed_attrs"])
        for s in reader.embedded_signatures
    ]


def _rsa_case() -> tuple[bytes, keys.PublicKeyInfo, algos.SignedDigestAlgorithm]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    spki = keys.PublicKeyInfo.load(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signature = key.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    return signature, spki, algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})


def test_a_good_signature_is_checked_once_and_accepted_again(checks: list[bytes]) -> None:
    signature, spki, algorithm = _rsa_case()
    for _ in range(3):
        assert signature_memo.remembered_validate_raw(signature, DATA, spki, algorithm) is None
    assert checks == [signature]


def test_a_bad_signature_fails_every_time_with_the_original_error(checks: list[bytes]) -> None:
    signature, spki, algorithm = _rsa_case()
    bad = bytes([signature[0] ^ 1]) + signature[1:]
    for _ in range(2):
        with pytest.raises(InvalidSignature):
            signature_memo.remembered_validate_raw(bad, DATA, spki, algorithm)
    assert checks == [bad, bad]


def test_any_other_input_is_checked_again(checks: list[bytes]) -> None:
    signature, spki, algorithm = _rsa_case()
    signature_memo.remembered_validate_raw(signature, DATA, spki, algorithm)
    other_key = _rsa_case()[1]
    sha512 = algos.SignedDigestAlgorithm({"algorithm": "sha512_rsa"})
    prehashed = SignatureValidationContext(prehashed=True)
    for args in (
        (bytes([signature[0] ^ 1]) + signature[1:], DATA, spki, algorithm),  # the signature
        (signature, DATA + b"!", spki, algorithm),  # the signed bytes
        (signature, DATA, other_key, algorithm),  # the key
        (signature, DATA, spki, sha512),  # the algorithm
        (signature, DATA, spki, algorithm, prehashed),  # the context
    ):
        checks.clear()
        with pytest.raises((InvalidSignature, ValueError)):
            signature_memo.remembered_validate_raw(*args)
        assert checks == [args[0]]


def test_an_ecdsa_signature_is_remembered_too(checks: list[bytes]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    spki = keys.PublicKeyInfo.load(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signature = key.sign(DATA, ec.ECDSA(hashes.SHA256()))
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})
    signature_memo.remembered_validate_raw(signature, DATA, spki, algorithm)
    signature_memo.remembered_validate_raw(signature, DATA, spki, algorithm)
    assert checks == [signature]


def test_the_memo_is_bounded(checks: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signature_memo, "_MEMO_MAX", 2)
    signature, spki, algorithm = _rsa_case()
    for data in (b"one", b"two", b"three"):
        with pytest.raises(InvalidSignature):  # wrong data for this signature: never kept
            signature_memo.remembered_validate_raw(signature, data, spki, algorithm)
    assert not signature_memo._CHECKED
    others = [_rsa_case() for _ in range(3)]
    for sig, key, alg in others:
        signature_memo.remembered_validate_raw(sig, DATA, key, alg)
    assert len(signature_memo._CHECKED) <= 2


def test_pyhanko_certvalidator_uses_the_memo() -> None:
    verify_pdf(DEMO_TRANSCRIPT.read_bytes(), trust=[dev_root()])  # installs the speed-ups
    assert sig_validate._validate_raw is signature_memo.remembered_validate_raw
    assert generic_cms._check_signing_certificate is signature_memo.remembered_check_signing_certificate


def test_a_signing_certificate_attribute_is_checked_once_for_the_attributes_and_their_untagged_copy(
    certificate_checks: list[Any],
) -> None:
    (cert, attrs), *_ = _signers()
    for signed_attrs in (attrs, attrs.untag(), attrs):  # pyHanko's integrity check reads an untagged copy
        assert signature_memo.remembered_check_signing_certificate(cert, signed_attrs) is None
    assert certificate_checks == [cert]


def test_an_attribute_that_names_another_certificate_fails_every_time(certificate_checks: list[Any]) -> None:
    (gvcn, gvcn_attrs), (principal, principal_attrs), *_ = _signers()
    signature_memo.remembered_check_signing_certificate(gvcn, gvcn_attrs)  # remembered: does not excuse the others
    for cert, attrs in ((principal, gvcn_attrs), (gvcn, principal_attrs)):  # another certificate, other attributes
        for _ in range(2):
            with pytest.raises(SignatureValidationError, match="does not match"):
                signature_memo.remembered_check_signing_certificate(cert, attrs)
    assert certificate_checks == [gvcn, principal, principal, gvcn, gvcn]


def test_no_signed_attributes_go_to_pyhankos_check_every_time(certificate_checks: list[Any]) -> None:
    (cert, _), *_ = _signers()
    for _ in range(2):
        signature_memo.remembered_check_signing_certificate(cert, None)
    assert certificate_checks == [cert, cert]


class _Forgetful(set[bytes]):
    """A memo that remembers nothing."""

    def __contains__(self, key: object) -> bool:
        return False

    def add(self, key: bytes) -> None:
        pass


def test_reports_are_the_same_with_the_memo_and_without(
    checks: list[bytes], certificate_checks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    files, root = [DEMO_TRANSCRIPT, *(sorted(CORPUS.rglob("*.pdf")) if CORPUS.is_dir() else [])], dev_root()
    first = comparable_reports(files, root)  # fills the memo (and answers a check repeated within one file)
    asked_first = len(checks)
    checks.clear()
    assert comparable_reports(files, root) == first  # answered from it: only the failed checks are done again
    asked_again = len(checks)
    certificates_again = len(certificate_checks)
    monkeypatch.setattr(signature_memo, "_CHECKED", _Forgetful())
    monkeypatch.setattr(signature_memo, "_SIGNING_CERTIFICATES", _Forgetful())
    checks.clear()
    certificate_checks.clear()
    assert comparable_reports(files, root) == first  # checking every signature every time: the same reports
    assert asked_again < asked_first < len(checks)
    assert certificates_again < len(certificate_checks)
    assert first[0]["indication"] == "PASSED"
