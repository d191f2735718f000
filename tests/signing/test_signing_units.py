"""Smaller pieces: certificate checks, cached-key signer, dev PKI server, field preparation."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO

import pytest
from asn1crypto import crl as asn1_crl
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from signing_fixtures import FIELDS, make_pdf

from signing.checks import check_signer_certificate
from signing.context import SigningContext
from signing.devpki import DEV_CERT_DIR, DEV_CONFIG_PATH, DevPkiServer, ensure_dev_pki_server
from signing.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    SigningError,
)
from signing.fields import FieldSpec, FieldState, field_state, prepare_signature_fields
from signing.keys import CachedKeySigner, SignerPort


def _cert(label: str):  # type: ignore[no-untyped-def]
    return load_cert_from_pemder(str(DEV_CERT_DIR / f"{label}.cert.pem"))


def test_good_certificate_passes_all_checks(signing_ctx: SigningContext) -> None:
    check = signing_ctx.check_signer(_cert("principal"))
    assert check.ok
    assert [i.name for i in check.items] == ["validity", "key_usage", "chain", "revocation"]
    assert check.subject == "Ngô Quang Trưởng"
    assert check.revocation_policy == "hard-fail"
    record = check.to_dict()
    json.dumps(record, ensure_ascii=False)
    assert record["ok"] is True and len(record["checks"]) == 4
    assert check.require_ok() is check


def test_expired_certificate(signing_ctx: SigningContext) -> None:
    check = signing_ctx.check_signer(_cert("gvcn-expired"))
    assert not check.ok
    assert check.items[0].reason == "certificate_expired"
    with pytest.raises(CertificateExpiredError) as exc_info:
        check.require_ok()
    assert "hết hạn" in exc_info.value.vi and "expired" in exc_info.value.en


def test_revoked_certificate_soft_fail_still_refused(signing_ctx: SigningContext) -> None:
    check = signing_ctx.check_signer(_cert("gvcn-revoked"), revocation_policy="soft-fail")
    assert check.revocation_policy == "soft-fail"
    assert [i.ok for i in check.items] == [True, True, True, False]
    with pytest.raises(CertificateRevokedError) as exc_info:
        check.require_ok()
    assert exc_info.value.to_dict()["check"]["checks"][3]["reason"] == "certificate_revoked"


def test_not_yet_valid_at_a_past_date(signing_ctx: SigningContext) -> None:
    at = datetime(2025, 6, 1, tzinfo=UTC)
    check = signing_ctx.check_signer(_cert("gvcn-10a1"), at=at)
    with pytest.raises(CertificateNotYetValidError):
        check.require_ok()


def test_untrusted_chain_when_root_not_configured(signing_ctx: SigningContext) -> None:
    from pyhanko_certvalidator import ValidationContext

    vc = ValidationContext(trust_roots=[_cert("tsa")], allow_fetching=True)
    check = check_signer_certificate(_cert("gvcn-10a1"), validation_context=vc)
    assert check.first_failure is not None and check.first_failure.reason == "untrusted_chain"


def test_cached_key_signer(dev_signer: Callable[[str], CachedKeySigner]) -> None:
    signer = dev_signer("gvcn-10a2")
    assert isinstance(signer, SignerPort)
    assert signer.pyhanko_signer() is signer
    sig = signer.sign_raw(b"hello", "sha256")
    assert len(sig) == 256
    dry = asyncio.run(signer.async_sign_raw(b"hello", "sha256", dry_run=True))
    assert dry == bytes(256)
    # signature verifies with the certificate's public key
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.x509 import load_der_x509_certificate

    assert signer.signing_cert is not None
    pub = load_der_x509_certificate(signer.signing_cert.dump()).public_key()
    pub.verify(sig, b"hello", PKCS1v15(), hashes.SHA256())  # type: ignore[call-arg, union-attr]


def test_dev_server_serves_crl_tsa_and_reuses_singleton(dev_pki: DevPkiServer) -> None:
    assert dev_pki.base_url == "http://127.0.0.1:9771"
    assert ensure_dev_pki_server() is dev_pki
    with urllib.request.urlopen(dev_pki.crl_url(), timeout=5) as resp:
        crl = asn1_crl.CertificateList.load(resp.read())
    revoked = {int(e["user_certificate"].native) for e in crl["tbs_cert_list"]["revoked_certificates"]}
    assert _cert("gvcn-revoked").serial_number in revoked
    assert _cert("gvcn-10a1").serial_number not in revoked


def test_ephemeral_server_as_context_manager() -> None:
    with DevPkiServer(DEV_CONFIG_PATH, port=0) as srv:
        assert srv.port != 0 and srv.owns_server
        assert srv.is_serving()
    assert not srv.running


def test_prepare_fields_adds_empty_visible_fields(prepared_pdf: bytes) -> None:
    reader = PdfFileReader(BytesIO(prepared_pdf))
    for f in FIELDS:
        assert field_state(reader, f.name) is FieldState.EMPTY
    assert field_state(reader, "Khac") is FieldState.MISSING
    fields = reader.root["/AcroForm"]["/Fields"]
    rects = {str(fld.get_object()["/T"]): [float(v) for v in fld.get_object()["/Rect"]] for fld in fields}
    assert rects["GVCN"] == [40.0, 80.0, 210.0, 140.0]


@pytest.mark.parametrize(
    "bad",
    [
        [FieldSpec("A", 3, (0, 0, 10, 10))],
        [FieldSpec("A", 0, (10, 10, 5, 20))],
        [FieldSpec("A", 0, (0, 0, 10, 10)), FieldSpec("A", 0, (20, 0, 30, 10))],
    ],
)
def test_prepare_fields_rejects_bad_specs(bad: list[FieldSpec]) -> None:
    with pytest.raises(SigningError) as exc_info:
        prepare_signature_fields(make_pdf(), bad)
    assert exc_info.value.reason == "field_invalid"


def test_prepare_fields_rejects_existing_name(prepared_pdf: bytes) -> None:
    with pytest.raises(SigningError) as exc_info:
        prepare_signature_fields(prepared_pdf, FIELDS[:1])
    assert exc_info.value.reason == "field_exists"


def test_a_cached_stamp_signs_each_document_with_references_to_its_own_objects_only(
    dev_signer: Callable[[str], CachedKeySigner], signing_ctx: SigningContext
) -> None:
    # One stamp drawn for a batch, used on documents numbered differently (an unsigned one, and one already
    # certified): each appearance holds exactly one imported stamp, an object of that same document.
    from signing_fixtures import FONT_PATH

    from signing.appearance import CachedStampAppearance
    from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL
    from signing.pades import sign_approve, sign_certify

    stamp = CachedStampAppearance(FONT_PATH)
    plain = prepare_signature_fields(make_pdf(), FIELDS)
    vc = signing_ctx.validation_context
    certified = sign_certify(plain, FIELD_GVCN, dev_signer("gvcn-10a1"), appearance=stamp, validation_context=vc())
    for pdf in (plain, certified, plain):
        signed = sign_approve(pdf, FIELD_PRINCIPAL, dev_signer("principal"), appearance=stamp, validation_context=vc())
        reader = PdfFileReader(BytesIO(signed))
        (sig,) = [s for s in reader.embedded_signatures if s.field_name == FIELD_PRINCIPAL]
        xobjects = sig.sig_field["/AP"]["/N"]["/Resources"]["/XObject"]
        assert len(xobjects) == 1
        (ref,) = [xobjects.raw_get(name) for name in xobjects]
        assert reader.xrefs.get_introducing_revision(ref.reference) == reader.xrefs.total_revisions - 1
