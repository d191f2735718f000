"""Render a học bạ (school transcript) record as a PDF aiming at PDF/A-3b.

API::

    rendered = render_transcript(record, verify_url="https://.../v/<id>", record_json=canonical_bytes)
    rendered.pdf               # bytes, ready for the signing library
    rendered.signature_boxes   # {"GVCN" | "HieuTruong" | "DauTruong": (page_index, x1, y1, x2, y2)}

The signature boxes are in PDF points (origin bottom-left, 0-based page index); the page shows a
light frame and a bilingual caption at each, and the signing library adds the signature fields
there (GVCN, then the principal, then the school seal).

How it is built
---------------
* One reportlab ``Canvas`` pass, no platypus: a tiny block layout (header, identity + QR, subject
  table, year summary, GVCN comment, THCS completion, signatures) paginated in advance, so the
  signature box coordinates are known exactly and the footer can say "page i/n". Fifteen subjects
  fit on one A4 page; longer records flow to a second page (the subject-table header repeats, the
  signature area is kept together).
* Fonts: DejaVu Sans / Sans Bold, registered once per process (module cache), embedded as subsets
  with ToUnicode maps, so ``pdftotext`` gives back the Vietnamese text. ``initialFontName`` is set,
  so no base-14 font (Helvetica) is referenced anywhere. Every Vietnamese letter is given its code in
  subset 0 before drawing (``pdf_drawing.FONT_SEED``), so subset 0 is the same in every transcript and
  its font file is built and compressed once per process (~1 KB more per face than a minimal subset).
* The QR code (``adapters.qr``) is drawn as vector rectangles on an opaque white quiet zone: no
  image, no alpha, no transparency groups.
* The canonical record (``record_json`` bytes, exactly as given) is attached inside the same pass
  (reportlab's object model, no re-parse): an ``/EmbeddedFile`` stream (``/Subtype
  /application#2Fjson``, ``/Params`` with ``/Size``, ``/ModDate``, ``/CheckSum``), a ``/Filespec``
  named ``hocba-record.json`` with ``/F``, ``/UF``, ``/Desc`` and ``/AFRelationship /Data``, listed in
  the ``/Names /EmbeddedFiles`` tree and in the catalog's ``/AF`` array (PDF/A-3 associated file).
* Deterministic: reportlab ``invariant=1``; ``/CreationDate``, ``/ModDate`` and the XMP dates are
  the record's ``issued_at`` (00:00 Vietnam time, +07:00); the trailer ``/ID`` and the XMP document id
  are derived from SHA-256 of (record_json, verify_url). Same inputs -> same bytes, in any process.

PDF/A-3b status: see :mod:`credential_service.transcripts.pdfa_metadata` (a checklist, not a claim).

Modules: ``pdf_drawing`` (fonts, geometry, text fitting, pen, pagination), ``transcript_layout`` (the
blocks of a transcript), ``pdfa_metadata`` (XMP, output intent, attachment, dates); this module runs the
one canvas pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

from credential_service.platform.qr_code import make_qr
from credential_service.transcripts.pdf_drawing import (
    BOTTOM,
    CONTENT_W,
    FONT,
    GREY,
    MARGIN_X,
    _ensure_fonts,
    _issue_moment,
    _paginate,
    _Pen,
    _s,
    _seed_fonts,
)
from credential_service.transcripts.pdfa_metadata import ATTACHMENT_NAME, _attach_pdfa_objects, _fixed_timestamp, _xmp
from credential_service.transcripts.signing_profile import TRANSCRIPT_FIELDS
from credential_service.transcripts.transcript_layout import _TranscriptLayout
from credential_service.transcripts.transcript_layout_book import BookLayout
from credential_service.transcripts.transcript_layout_primary import PrimaryLayout

__all__ = ["ATTACHMENT_NAME", "SIGNATURE_FIELDS", "RenderedPdf", "render_transcript"]

SIGNATURE_FIELDS = TRANSCRIPT_FIELDS


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    # field name -> (page_index, x1, y1, x2, y2) in PDF points, origin bottom-left
    signature_boxes: dict[str, tuple[int, float, float, float, float]]


# --------------------------------------------------------------------------- entry point


def render_transcript(record: Mapping[str, Any], *, verify_url: str, record_json: bytes) -> RenderedPdf:
    """Render one học bạ record; see the module docstring for layout and PDF/A details."""
    _ensure_fonts()
    moment = _issue_moment(record)
    qr = make_qr(verify_url)
    layout: _TranscriptLayout | BookLayout
    if record.get("earlier_years"):  # a book that carries earlier years (one học bạ per level)
        layout = BookLayout(record, qr)
    else:
        layout = PrimaryLayout(record, qr) if record.get("level") == "primary" else _TranscriptLayout(record, qr)
    pages = _paginate(layout.blocks())

    student = record.get("student") or {}
    school = record.get("school") or {}
    full_name = _s(student.get("full_name"))
    year = _s(record.get("school_year"))
    cid = _s(record.get("credential_id"))
    version = record.get("version")
    title = f"Học bạ {full_name} - năm học {year}"
    if record.get("earlier_years"):
        first = (record["earlier_years"][0] or {}).get("school_year") if record["earlier_years"] else None
        title = f"Học bạ {full_name} - năm học {_s(first)} đến {year}"
    author = _s(school.get("name"))
    subject = f"Học bạ số / Digital school transcript, mã hồ sơ / credential {cid}"
    keywords = f"học bạ; transcript; {record.get('schema') or 'hocba'}; {cid}"
    creator = "Sổ Gốc Số - credential_service"
    producer = f"ReportLab PDF Library {reportlab.Version} (Sổ Gốc Số PDF/A-3 writer)"

    digest = hashlib.sha256(b"sogoc-pdf-id\x00" + record_json + b"\x00" + verify_url.encode("utf-8")).digest()
    file_id = digest[:16]
    u = digest[16:32].hex()
    doc_uuid = f"{u[:8]}-{u[8:12]}-{u[12:16]}-{u[16:20]}-{u[20:32]}"

    buf = BytesIO()
    canvas = Canvas(
        buf,
        pagesize=A4,
        invariant=1,
        pageCompression=1,
        pdfVersion=(1, 7),
        initialFontName=FONT,
        initialFontSize=9,
        lang="vi-VN",
    )
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
    total = len(pages)
    footer_left = f"{record.get('schema') or 'hocba'} · Mã hồ sơ / Credential ID {cid}"
    if version is not None:
        footer_left += f" · Phiên bản / Version {version}"
    for index, placed in enumerate(pages):
        for block, y_top in placed:
            block.draw(pen, y_top, index)
        pen.rule(MARGIN_X, BOTTOM - 12, MARGIN_X + CONTENT_W, w=0.3)
        pen.text(MARGIN_X, BOTTOM - 21, footer_left, size=6.5, color=GREY)
        pen.text(
            MARGIN_X + CONTENT_W,
            BOTTOM - 21,
            f"Trang / Page {index + 1}/{total}",
            size=6.5,
            color=GREY,
            align="right",
        )
        canvas.showPage()

    # Flate only: reportlab would also ASCII85-encode page streams (rl_config.useA85), which
    # costs time and 25% size for nothing; set per document instead of flipping the global.
    for page in doc.Pages.pages:
        if not page.Contents:
            contents = pdfdoc.PDFStream(content=page.stream, filters=[pdfdoc.PDFZCompress])
            page.Contents = contents

    xmp = _xmp(
        title=title,
        author=author,
        subject=subject,
        keywords=keywords,
        producer=producer,
        creator=creator,
        moment=moment,
        doc_uuid=doc_uuid,
    )
    _attach_pdfa_objects(canvas, record_json=record_json, moment=moment, xmp=xmp, file_id=file_id)
    canvas.save()
    missing = [f for f in SIGNATURE_FIELDS if f not in layout.boxes]
    if missing:  # pragma: no cover - the signature block is always laid out
        raise RuntimeError(f"signature boxes not placed: {missing}")
    return RenderedPdf(pdf=buf.getvalue(), signature_boxes=dict(layout.boxes))
