"""Self-made attacks on our own issued transcripts: every one is FAILED, with the right sub-indication.

Outsider attacks (no keys) are built with pyHanko's IncrementalPdfFileWriter on an issued PDF;
insider attacks (a real signing key used on a forged document) render and sign a new PDF with the
dev PKI, so every signature verifies and only the register, the ledger and the QR can catch them.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from verification_fixtures import Issued

from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.transcripts.render import render_transcript
from credential_service.transcripts.workflow import Step
from credential_service.verification.service import VerificationService
from signing.fields import FieldSpec, prepare_signature_fields
from signing.qr_payload import load_qr_signing_key, payload_for_record

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def svc(issued: Issued) -> VerificationService:
    c = issued.container
    return VerificationService.from_settings(c.db, c.settings)


def _verdict(svc: VerificationService, data: bytes) -> tuple[str, str | None, dict[str, Any]]:
    r = svc.verify_pdf(data)
    return r.indication, r.sub_indication, r.to_dict()


def _writer(data: bytes) -> Any:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    return IncrementalPdfFileWriter(io.BytesIO(data), strict=False)


def _out(w: Any) -> bytes:
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_the_untouched_transcript_passes(svc: VerificationService, issued: Issued) -> None:
    ind, sub, d = _verdict(svc, issued.pdfs[issued.ids[0]])
    assert (ind, sub) == ("PASSED", None), d["checks"]


def test_a_flipped_byte_in_signed_content(svc: VerificationService, issued: Issued) -> None:
    data = bytearray(issued.pdfs[issued.ids[0]])
    i = data.index(b"ReportLab Generated PDF document")
    data[i] ^= 0x01
    assert _verdict(svc, bytes(data))[:2] == ("FAILED", "HASH_FAILURE")


def test_an_incremental_update_that_changes_a_score_on_the_page(svc: VerificationService, issued: Issued) -> None:
    from pyhanko.pdf_utils import generic

    w = _writer(issued.pdfs[issued.ids[0]])
    page = w.root["/Pages"]["/Kids"][0].get_object()
    overlay = w.add_object(
        generic.StreamObject(stream_data=b"q 1 1 1 rg 300 400 40 14 re f Q BT /F1 9 Tf 302 403 Td (10.0) Tj ET")
    )
    old = page.raw_get("/Contents")
    page["/Contents"] = generic.ArrayObject([*(old if isinstance(old, generic.ArrayObject) else [old]), overlay])
    w.update_container(page)
    assert _verdict(svc, _out(w))[:2] == ("FAILED", "FORMAT_FAILURE")


def test_an_incremental_update_that_changes_the_name_in_the_embedded_record(
    svc: VerificationService, issued: Issued
) -> None:
    from pyhanko.pdf_utils import generic

    cid = issued.ids[0]
    w = _writer(issued.pdfs[cid])
    names = w.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = names[1].get_object()
    record = json.loads(issued.records[cid])
    record["student"]["full_name"] = "Kẻ Mạo Danh"
    stream = generic.StreamObject(
        {generic.NameObject("/Type"): generic.NameObject("/EmbeddedFile")}, stream_data=canonical_json(record)
    )
    spec["/EF"] = generic.DictionaryObject({generic.NameObject("/F"): w.add_object(stream)})
    w.update_container(spec)
    assert _verdict(svc, _out(w))[:2] == ("FAILED", "FORMAT_FAILURE")


def test_an_overlay_annotation_hiding_a_field(svc: VerificationService, issued: Issued) -> None:
    from pyhanko.pdf_utils import generic

    w = _writer(issued.pdfs[issued.ids[0]])
    page = w.root["/Pages"]["/Kids"][0].get_object()
    n = generic.NameObject
    ap = w.add_object(
        generic.StreamObject(
            {
                n("/Type"): n("/XObject"),
                n("/Subtype"): n("/Form"),
                n("/BBox"): generic.ArrayObject(
                    [
                        generic.NumberObject(0),
                        generic.NumberObject(0),
                        generic.NumberObject(200),
                        generic.NumberObject(20),
                    ]
                ),
            },
            stream_data=b"1 1 1 rg 0 0 200 20 re f",
        )
    )
    annot = w.add_object(
        generic.DictionaryObject(
            {
                n("/Type"): n("/Annot"),
                n("/Subtype"): n("/Square"),
                n("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (100, 700, 300, 720)]),
                n("/AP"): generic.DictionaryObject({n("/N"): ap}),
                n("/F"): generic.NumberObject(4),
            }
        )
    )
    annots = page.get("/Annots")
    page["/Annots"] = generic.ArrayObject([*(list(annots) if annots else []), annot])
    w.update_container(page)
    ind, sub, d = _verdict(svc, _out(w))
    assert (ind, sub) == ("FAILED", "FORMAT_FAILURE"), d["signatures"]


def test_a_signature_copied_from_another_transcript(svc: VerificationService, issued: Issued) -> None:
    a, b = issued.pdfs[issued.ids[0]], issued.pdfs[issued.ids[1]]
    contents = re.compile(rb"/Contents\s*<([0-9a-fA-F]+)>")
    ma, mb = list(contents.finditer(a)), list(contents.finditer(b))
    assert len(ma) == len(mb) == 3
    sa, sb = ma[2].span(1), mb[2].span(1)  # the seal
    blob = b[sb[0] : sb[1]]
    assert len(blob) == sa[1] - sa[0]
    forged = a[: sa[0]] + blob + a[sa[1] :]
    # (a FORMAT_FAILURE seen here once, on a loaded machine, was the verifier's time guard counting wall-clock
    # time; it now counts the worker's CPU time: verifier/pdf_guards.py)
    assert _verdict(svc, forged)[:2] == ("FAILED", "HASH_FAILURE")


def test_an_appended_page(svc: VerificationService, issued: Issued) -> None:
    from pyhanko.pdf_utils import generic

    w = _writer(issued.pdfs[issued.ids[0]])
    n = generic.NameObject
    pages = w.root["/Pages"]
    content = w.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 720 Td (Phu luc) Tj ET"))
    page = w.add_object(
        generic.DictionaryObject(
            {
                n("/Type"): n("/Page"),
                n("/Parent"): w.root.raw_get("/Pages"),
                n("/MediaBox"): generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)]),
                n("/Contents"): content,
            }
        )
    )
    pages["/Kids"].append(page)
    pages["/Count"] = generic.NumberObject(int(pages["/Count"]) + 1)
    w.update_container(pages)
    assert _verdict(svc, _out(w))[:2] == ("FAILED", "FORMAT_FAILURE")


def test_an_extra_signature_by_an_untrusted_certificate(
    svc: VerificationService, issued: Issued, tmp_path: Any
) -> None:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Trường THPT Demo Hải Phòng")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signer = signers.SimpleSigner.load(str(tmp_path / "k.pem"), str(tmp_path / "c.pem"))
    assert signer is not None
    out = signers.sign_pdf(
        _writer(issued.pdfs[issued.ids[0]]), signers.PdfSignatureMetadata(field_name="Extra"), signer=signer
    )
    ind, sub, d = _verdict(svc, out.getvalue())
    assert (ind, sub) == ("FAILED", "SIG_CONSTRAINTS_FAILURE"), (d["pdf"], d["checks"])


def test_a_stripped_embedded_record(svc: VerificationService, issued: Issued) -> None:
    w = _writer(issued.pdfs[issued.ids[0]])
    del w.root["/Names"]
    w.update_root()
    ind, sub, _ = _verdict(svc, _out(w))
    assert ind == "FAILED" and sub in ("FORMAT_FAILURE", "RECORD_MISMATCH")


# -- insider attacks: real keys, forged content --------------------------------------------------


def _sign_all(issued: Issued, pdf: bytes) -> bytes:
    docs = issued.container.documents
    pdf = docs.sign_many(Step.GVCN, "gvcn-10a1", [pdf])[0].pdf
    pdf = docs.sign_many(Step.PRINCIPAL, "principal", [pdf])[0].pdf
    return docs.sign_many(Step.SEAL, "seal-thpt-demo", [pdf], earlier_key_labels=["gvcn-10a1", "principal"])[0].pdf


def _forge(
    issued: Issued, record: dict[str, Any], *, qr_record: dict[str, Any] | None = None, embedded: bytes | None = None
) -> bytes:
    s = issued.container.settings
    qr_record = qr_record or record
    qr_json = canonical_json(qr_record)
    payload = payload_for_record(qr_record, sha256_hex(qr_json), load_qr_signing_key(s.qr_key_path))  # type: ignore[arg-type]
    url = f"{s.verify_url(qr_record['credential_id'])}#{payload}"
    rendered = render_transcript(record, verify_url=url, record_json=embedded or canonical_json(record))
    fields = [
        FieldSpec(name=k, page=p, box=(x1, y1, x2, y2)) for k, (p, x1, y1, x2, y2) in rendered.signature_boxes.items()
    ]
    return _sign_all(issued, prepare_signature_fields(rendered.pdf, fields))


def test_insider_forgery_with_an_edited_record_reusing_a_real_id(svc: VerificationService, issued: Issued) -> None:
    record = json.loads(issued.records[issued.ids[0]])
    record["results"]["learning_result"]["year"] = (
        "Tốt" if record["results"]["learning_result"]["year"] != "Tốt" else "Khá"
    )
    ind, sub, d = _verdict(svc, _forge(issued, record))
    assert d["pdf"]["indication"] == "PASSED"  # every signature is genuine
    assert (ind, sub) == ("FAILED", "RECORD_MISMATCH"), d["checks"]


def test_insider_forgery_with_a_swapped_embedded_record(svc: VerificationService, issued: Issued) -> None:
    shown = json.loads(issued.records[issued.ids[0]])
    other = issued.records[issued.ids[1]].encode()
    ind, sub, d = _verdict(svc, _forge(issued, shown, embedded=other))
    assert d["pdf"]["indication"] == "PASSED"
    assert (ind, sub) == ("FAILED", "QR_MISMATCH"), d["checks"]


def test_a_qr_from_another_credential(svc: VerificationService, issued: Issued) -> None:
    record = json.loads(issued.records[issued.ids[0]])
    other = json.loads(issued.records[issued.ids[1]])
    ind, sub, d = _verdict(svc, _forge(issued, record, qr_record=other))
    assert d["pdf"]["indication"] == "PASSED"
    assert (ind, sub) == ("FAILED", "QR_MISMATCH"), d["checks"]


def test_a_forged_transcript_with_an_unknown_id(svc: VerificationService, issued: Issued) -> None:
    record = json.loads(issued.records[issued.ids[0]])
    record["credential_id"] = "11111111-2222-4333-8444-555555555555"
    ind, sub, d = _verdict(svc, _forge(issued, record))
    assert (ind, sub) == ("FAILED", "NOT_IN_LEDGER"), d["checks"]
