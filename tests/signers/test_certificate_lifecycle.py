"""Dev CA lifecycle (issue, renew, revoke) and any-document signing: a revoked certificate cannot sign
from the moment of revocation; what it signed before, with a timestamp, still verifies; a signature
made after the revocation does not."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from io import BytesIO

import pytest
from asn1crypto import crl
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.timestamps import HTTPTimeStamper
from signers_fixtures import add_staff, make_pdf, seed_class

from credential_service.app.bootstrap import Container
from credential_service.documents.service import AnyDocumentService
from credential_service.ledger.service import LedgerService
from credential_service.platform.errors import InvalidInput, NotAuthorised, SigningRefused
from credential_service.signers.service import SignerRegistry
from signing.devpki import DEV_PKI_URL
from verifier.pdf import VerificationPolicy, verify_pdf

ONLINE = VerificationPolicy(allow_fetching=True)


def _crl_serials() -> set[int]:
    with urllib.request.urlopen(f"{DEV_PKI_URL}/sogoc-dev/crls/issuing/latest.crl", timeout=5) as r:
        data = r.read()
    entries = crl.CertificateList.load(data)["tbs_cert_list"]["revoked_certificates"]
    return {int(e["user_certificate"].native) for e in entries}


def test_any_document_is_signed_ledgered_audited_and_verifies(any_container: Container) -> None:
    c = any_container
    seed_class(c)
    principal = add_staff(c, "principal", role="principal", name="Hiệu Trưởng Thử")
    svc = AnyDocumentService(c.db, c.documents)
    view = svc.sign_upload(make_pdf(), title="Sổ điểm lớp 10A1 HK1", kind="grade-book", staff_id=principal,
                           school_code="THPT-DEMO", client="pytest")  # fmt: skip
    row = svc.revision_row(view["document_id"])
    assert row.field_name == "SoGocSo1" and row.ledger_seq == 0
    pdf_report = verify_pdf(row.pdf, trust=c.documents.context.trust_roots)
    assert pdf_report.indication == "PASSED", pdf_report.to_dict()
    assert pdf_report.signatures[0].signing_time_source == "timestamp"
    assert pdf_report.signatures[0].pades_level in ("B-LT", "B-LTA")
    led = LedgerService.from_settings(c.db, c.settings)
    result = svc.verify(row.pdf, led)
    assert result["indication"] == "PASSED", result["checks"]
    assert svc.verify(row.original_pdf, led)["indication"] != "PASSED"
    audit = SignerRegistry(c.db, c.settings).audit_trail(document_id=view["document_id"])
    assert [(a["outcome"], a["backend"], a["client"], a["revision"]) for a in audit] == [
        ("signed", "file", "pytest", 1)
    ]


def test_any_document_refusals_are_audited(container: Container) -> None:
    c = container
    seed_class(c)
    outsider = add_staff(c, "principal", role=None)
    svc = AnyDocumentService(c.db, c.documents)
    with pytest.raises(NotAuthorised):
        svc.sign_upload(make_pdf(), title="Quyết định", kind="decision", staff_id=outsider)
    teacher = add_staff(c, "gvcn-10a1")
    with pytest.raises(InvalidInput):
        svc.sign_upload(b"not a pdf", title="Báo cáo", kind="report", staff_id=teacher)
    audit = SignerRegistry(c.db, c.settings).audit_trail()
    assert sorted(a["reason"] for a in audit) == ["invalid-input", "not-authorised"]
    assert svc.list_documents() == []


def test_issue_renew_revoke_on_the_dev_ca(container: Container) -> None:
    c = container
    seed_class(c)
    seal = add_staff(c, "seal-thpt-demo", role="seal", name="Trường THPT Demo Hải Phòng")
    reg = SignerRegistry(c.db, c.settings)
    svc = AnyDocumentService(c.db, c.documents)
    first = reg.issue(seal)
    assert first["backend"] == "devca" and first["status"] == "active"
    renewed = reg.renew(seal)
    certs = {x["certificate_id"]: x for x in reg.certificates(seal)}
    assert certs[first["certificate_id"]]["status"] == "superseded"
    assert certs[first["certificate_id"]]["replaced_by_id"] == renewed["certificate_id"]
    assert reg.signer(seal)["key_label"] == renewed["key_label"]

    # signed before the revocation, with a timestamp
    before = svc.sign_upload(make_pdf("Quyet dinh 12/QD"), title="Quyết định 12", kind="decision", staff_id=seal)
    signed_before = svc.revision_row(before["document_id"]).pdf
    time.sleep(1.1)  # the revocation time is in whole seconds: strictly after the timestamp
    out = reg.revoke(renewed["serial_hex"], reason="key_compromise")
    assert out["published_to_dev_ocsp_crl"] and out["status"] == "revoked"
    assert int(renewed["serial_hex"], 16) in _crl_serials()  # the CRL says so at once
    signer = c.documents.signer(renewed["key_label"])
    ocsp_check = c.documents.context.check_signer(signer.signing_cert)  # and the OCSP responder
    assert ocsp_check.first_failure is not None and ocsp_check.first_failure.reason == "certificate_revoked"

    # from the moment of revocation it cannot sign through the service
    with pytest.raises(SigningRefused) as info:
        svc.sign_upload(make_pdf("Bao cao"), title="Báo cáo", kind="report", staff_id=seal)
    assert "revoked" in info.value.message.en

    # the document signed before still verifies, offline (its DSS) and online (OCSP now says revoked)
    assert verify_pdf(signed_before, trust=c.documents.context.trust_roots).indication == "PASSED"
    online = verify_pdf(signed_before, trust=c.documents.context.trust_roots, policy=ONLINE)
    assert online.indication == "PASSED", online.to_dict()

    # whoever holds the key and signs anyway, after the revocation, with a timestamp: not valid
    writer = IncrementalPdfFileWriter(BytesIO(make_pdf("Forged after revocation")))
    out_buf = BytesIO()
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=SigSeedSubFilter.PADES)
    stamper = HTTPTimeStamper(f"{DEV_PKI_URL}/sogoc-dev/tsa/tsa")
    asyncio.run(signers.PdfSigner(meta, signer, timestamper=stamper).async_sign_pdf(writer, output=out_buf))
    after = verify_pdf(out_buf.getvalue(), trust=c.documents.context.trust_roots, policy=ONLINE)
    assert after.indication != "PASSED"
    assert after.signatures[0].revoked or after.sub_indication == "REVOKED", after.to_dict()
