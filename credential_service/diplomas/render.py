"""Render a ``vanbang/1`` diploma record as a one-page PDF (same machinery as the transcript).

API::

    rendered = render_diploma(record, verify_url="https://.../v/<id>", record_json=canonical_bytes)
    rendered.pdf               # bytes, ready for the signing library
    rendered.signature_boxes   # {"HieuTruong" | "DauTruong": (page_index, x1, y1, x2, y2)}

Fonts, the QR drawing, the XMP/PDF-A-3 plumbing and determinism are those of
:mod:`credential_service.transcripts.render` (imported, not copied). The canonical record is
attached as ``vanbang-record.json``. The signing order is the issuer (field ``HieuTruong``: the
principal, or the Sở director on pre-2026 diplomas), then the organisation seal (``DauTruong``),
which adds the RFC 3161 timestamp and the validation data (PAdES B-LT).

The layout follows the fields of the THPT diploma template (Circular 21/2019 Art. 7; the 2026
template is to be confirmed [B]): national motto, issuer title, diploma title, holder, graduation,
register number and serial, place and date, signature and seal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from io import BytesIO
from typing import Any

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from credential_service.platform.qr_code import make_qr
from credential_service.platform.view_keys import key_in_url
from credential_service.transcripts.pdf_drawing import (
    BOTTOM,
    CONTENT_W,
    FONT,
    FONT_BOLD,
    FRAME,
    GREY,
    HEAD_FILL,
    MARGIN_X,
    TOP,
    _date_vn,
    _ensure_fonts,
    _fit,
    _issue_moment,
    _Pen,
    _place_name,
    _s,
    _seed_fonts,
)
from credential_service.transcripts.pdfa_metadata import _attach_pdfa_objects, _fixed_timestamp, _xmp
from credential_service.transcripts.render import RenderedPdf
from credential_service.transcripts.signing_profile import DIPLOMA_FIELDS, PROFILES
from credential_service.transcripts.workflow import Step

__all__ = ["DIPLOMA_ATTACHMENT_NAME", "DIPLOMA_SIGNATURE_FIELDS", "render_diploma"]

DIPLOMA_ATTACHMENT_NAME = "vanbang-record.json"
DIPLOMA_SIGNATURE_FIELDS = DIPLOMA_FIELDS
_SEX_EN = {"Nam": "Male", "Nữ": "Female"}


def _rename_attachment(canvas: Canvas) -> None:
    """The shared PDF/A helper names the attachment for transcripts; give ours its own name."""
    doc: Any = canvas._doc
    cat = doc.Catalog
    fs_ref = cat.AF.sequence[0]
    filespec = doc.idToObject[fs_ref.name]
    name = pdfdoc.PDFString(DIPLOMA_ATTACHMENT_NAME)
    filespec.dict["F"] = name
    filespec.dict["UF"] = name
    filespec.dict["Desc"] = pdfdoc.PDFString(
        "Canonical record (RFC 8785 JSON, schema vanbang/1) / Hồ sơ gốc văn bằng dạng JSON chuẩn hoá"
    )
    cat.Names = pdfdoc.PDFDictionary(
        {"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": pdfdoc.PDFArray([name, fs_ref])})}
    )


def _draw(pen: _Pen, record: Mapping[str, Any], verify_url: str) -> dict[str, tuple[int, float, float, float, float]]:
    holder = record.get("holder") or {}
    grad = record.get("graduation") or {}
    school = record.get("school") or {}
    issuer = record.get("issuer") or {}
    kind = record.get("type") or {}
    cx = MARGIN_X + CONTENT_W / 2
    y = TOP - 10
    pen.text(cx, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=11, bold=True, align="center")
    y -= 15
    pen.text(cx, y, "Độc lập - Tự do - Hạnh phúc", size=10.5, bold=True, align="center")
    pen.rule(cx - 80, y - 4, cx + 80, w=0.6)
    y -= 38
    org = _s(issuer.get("organisation"))
    pen.text(cx, y, f"{_s(issuer.get('title_vi'))} {org.upper()}", size=10, bold=True, align="center")
    y -= 34
    pen.text(cx, y, _s(kind.get("title_vi")).upper(), size=17, bold=True, align="center")
    y -= 15
    pen.text(cx, y, _s(kind.get("title_en")), size=9, color=GREY, align="center")
    y -= 34

    qr_side = 96.0
    qr_x = MARGIN_X + CONTENT_W - qr_side
    pen.qr(make_qr(verify_url), qr_x, y - qr_side + 10, qr_side)
    pen.text(qr_x + qr_side / 2, y - qr_side, "Quét để xác minh / Scan to verify", size=6.5, color=GREY,
             align="center")  # fmt: skip
    view_key = key_in_url(verify_url)
    if view_key:  # printed too: whoever holds the paper can type it on /v/<id>
        pen.text(qr_x + qr_side / 2, y - qr_side - 8, f"khóa xem / view key {view_key}", size=5.5, color=GREY,
                 align="center")  # fmt: skip

    label_w = 170.0
    value_w = CONTENT_W - label_w - qr_side - 12
    sex = _s(holder.get("sex"))
    rows = [
        ("Cấp cho", "Awarded to", _s(holder.get("full_name")), True),
        ("Ngày sinh", "Date of birth", _date_vn(holder.get("date_of_birth")), False),
        ("Nơi sinh", "Place of birth", _s(holder.get("place_of_birth")), False),
        ("Giới tính", "Sex", f"{sex} / {_SEX_EN.get(sex, sex)}", False),
        ("Dân tộc", "Ethnicity", _s(holder.get("ethnicity")), False),
        ("Học sinh trường", "School", _s(school.get("name")), False),
        ("Năm tốt nghiệp", "Year of graduation", _s(grad.get("year")), False),
        ("Khóa thi", "Exam session", _s(grad.get("exam_session")), False),
        ("Hình thức đào tạo", "Mode of study", _s(grad.get("training_mode")), False),
        ("Quyết định công nhận tốt nghiệp", "Graduation decision",
         f"{_s(grad.get('decision_no'))} ngày {_date_vn(grad.get('decision_date'))}", False),
    ]  # fmt: skip
    if grad.get("classification"):
        rows.append(("Xếp loại tốt nghiệp", "Classification", _s(grad.get("classification")), False))
    for vi, en, value, strong in rows:
        pen.label(MARGIN_X, y, vi, en, size=8)
        size, lines = _fit(value, FONT_BOLD if strong else FONT, 13 if strong else 10, value_w, max_lines=2)
        for j, line in enumerate(lines):
            pen.text(MARGIN_X + label_w, y - j * (size + 1.5), line, size=size, bold=strong)
        y -= 19 + (len(lines) - 1) * (size + 1.5)

    decision = record.get("decision")
    if decision:
        y -= 4
        pen.box(MARGIN_X, y - 22, CONTENT_W, 26, fill=HEAD_FILL)
        text = (
            f"{_s(decision.get('label_vi'))}: quyết định số {_s(decision.get('decision_no'))} ngày "
            f"{_date_vn(decision.get('decision_date'))}; thay thế phiên bản "
            f"{_s((record.get('replaces') or {}).get('credential_id'))}"
        )
        size, lines = _fit(text, FONT, 8, CONTENT_W - 10, max_lines=2)
        for j, line in enumerate(lines):
            pen.text(MARGIN_X + 5, y - 7 - j * (size + 1), line, size=size)
        y -= 32

    y -= 8
    issued = _issue_moment(record)
    place = _place_name(_s(school.get("province")))
    pen.text(MARGIN_X + CONTENT_W, y, f"{place}, ngày {issued.day} tháng {issued.month} năm {issued.year}",
             size=9.5, align="right")  # fmt: skip
    y -= 16
    pen.label(MARGIN_X, y, "Số hiệu", "Serial no.", size=8)
    pen.text(MARGIN_X + 80, y, _s(record.get("serial_no")), size=9, bold=True)
    pen.label(MARGIN_X, y - 14, "Số vào sổ gốc cấp văn bằng", "Register no.", size=8)
    pen.text(MARGIN_X + 170, y - 14, _s(record.get("register_no")), size=9, bold=True)

    boxes: dict[str, tuple[int, float, float, float, float]] = {}
    gap = 16.0
    w = (CONTENT_W - gap) / 2
    box_h = 62.0
    top = y - 36
    specs = [
        (PROFILES[Step.PRINCIPAL].field, _s(issuer.get("title_vi")), "Issuer", _s(issuer.get("signer_name"))),
        (PROFILES[Step.SEAL].field, "Dấu của cơ quan cấp", "Organisation seal", org),
    ]
    for k, (field, vi, en, name) in enumerate(specs):
        x = MARGIN_X + k * (w + gap)
        mid = x + w / 2
        size, lines = _fit(vi, FONT_BOLD, 8.5, w, max_lines=2, min_size=6.5)
        for j, line in enumerate(lines):
            pen.text(mid, top - j * (size + 1), line, size=size, bold=True, align="center")
        pen.text(mid, top - 10 - (len(lines) - 1) * (size + 1), en, size=7, color=GREY, align="center")
        by = top - 18 - (len(lines) - 1) * (size + 1) - box_h
        pen.box(x, by, w, box_h, stroke=FRAME, lw=0.5, dash=(2, 2))
        pen.text(mid, by - 11, name, size=9, bold=True, align="center")
        boxes[field] = (0, round(x, 2), round(by, 2), round(x + w, 2), round(by + box_h, 2))
    if by - 20 < BOTTOM:  # pragma: no cover - the fixed layout fits one page
        raise RuntimeError("diploma layout overflowed the page")
    return boxes


def render_diploma(record: Mapping[str, Any], *, verify_url: str, record_json: bytes) -> RenderedPdf:
    """Render one ``vanbang/1`` record; deterministic for the same inputs."""
    _ensure_fonts()
    moment = _issue_moment(record)
    holder = record.get("holder") or {}
    cid = _s(record.get("credential_id"))
    title = f"Văn bằng {_s(holder.get('full_name'))} - {_s((record.get('type') or {}).get('title_vi'))}"
    author = _s((record.get("issuer") or {}).get("organisation"))
    subject = f"Văn bằng số / Digital diploma, mã hồ sơ / credential {cid}"
    keywords = f"văn bằng; diploma; {record.get('schema') or 'vanbang'}; {cid}"
    creator = "Sổ Gốc Số - credential_service"
    producer = f"ReportLab PDF Library {reportlab.Version} (Sổ Gốc Số PDF/A-3 writer)"
    digest = hashlib.sha256(b"sogoc-diploma-pdf-id\x00" + record_json + b"\x00" + verify_url.encode()).digest()
    u = digest[16:32].hex()
    doc_uuid = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}"

    buf = BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=1, pageCompression=1, pdfVersion=(1, 7), initialFontName=FONT,
                    initialFontSize=9, lang="vi-VN")  # fmt: skip
    _seed_fonts(canvas)
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setSubject(subject)
    canvas.setKeywords(keywords)
    canvas.setCreator(creator)
    canvas.setProducer(producer)
    doc: Any = canvas._doc
    doc._timeStamp = _fixed_timestamp(moment)
    pen = _Pen(canvas)
    boxes = _draw(pen, record, verify_url)
    footer = (
        f"{record.get('schema') or 'vanbang'} · Mã hồ sơ / Credential ID {cid} · "
        f"Phiên bản / Version {record.get('version')}"
    )
    pen.rule(MARGIN_X, BOTTOM - 12, MARGIN_X + CONTENT_W, w=0.3)
    pen.text(MARGIN_X, BOTTOM - 21, footer, size=6.5, color=GREY)
    canvas.showPage()
    for page in doc.Pages.pages:
        if not page.Contents:
            page.Contents = pdfdoc.PDFStream(content=page.stream, filters=[pdfdoc.PDFZCompress])
    xmp = _xmp(title=title, author=author, subject=subject, keywords=keywords, producer=producer, creator=creator,
               moment=moment, doc_uuid=doc_uuid)  # fmt: skip
    _attach_pdfa_objects(canvas, record_json=record_json, moment=moment, xmp=xmp, file_id=digest[:16])
    _rename_attachment(canvas)
    canvas.save()
    return RenderedPdf(pdf=buf.getvalue(), signature_boxes=boxes)
