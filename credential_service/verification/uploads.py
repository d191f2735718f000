"""An uploaded credential PDF beyond its signatures, read inside the verifier's guards.

The upload is parsed once, by :func:`verifier.pdf.examine_pdf`: the same parse that checks the
signatures, in the same worker thread, with the same limits (file size, object count, decode
budget) and the same deadline, also returns the embedded record and page 1's geometry
(:data:`RECORD_REQUEST`). The record is decoded with a cap of :data:`MAX_RECORD_BYTES`, so a
compressed bomb stops there. :func:`embedded_record` then parses it; any decoder error (invalid
UTF-8 or JSON, nesting too deep, numbers RFC 8785 cannot represent) makes it "not readable", a
verdict, never an exception. The printed QR on page 1 is read by
:func:`verifier.qr_image.read_qr_from_pdf` with the geometry collected here, before the upload's
deadline: the parse's deadline extended by :attr:`verifier.qr_image.RenderLimits.time_limit`, so
one upload costs at most ``VerificationPolicy.time_limit + RenderLimits.time_limit`` seconds
(2.5 + 2 by default) of parsing and rendering, and a legitimate page 1 still has its full render
time when the parse was slow (a busy server).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from credential_service.platform.canonical import canonical_json
from verifier.errors import VerifierError
from verifier.pdf import ContentRequest, Deadline, PdfContents, VerificationPolicy, read_pdf_contents
from verifier.pdf_contents import PageInfo
from verifier.qr_image import QrRenderTimeError, RenderLimits, read_qr_from_pdf
from verifier.report import FAILED, INDETERMINATE, Indication, Message

__all__ = [
    "ATTACHMENT_NAME",
    "DIPLOMA_ATTACHMENT_NAME",
    "MAX_CREDENTIAL_ID",
    "MAX_RECORD_BYTES",
    "MAX_UPLOAD",
    "RECORD_ATTACHMENTS",
    "RECORD_REQUEST",
    "EmbeddedRecord",
    "PrintedQr",
    "embedded_record",
    "embedded_records",
    "printed_qr_texts",
]

ATTACHMENT_NAME = "hocba-record.json"
DIPLOMA_ATTACHMENT_NAME = "vanbang-record.json"
RECORD_ATTACHMENTS = (ATTACHMENT_NAME, DIPLOMA_ATTACHMENT_NAME)
MAX_RECORD_BYTES = 256 * 1024
MAX_UPLOAD = 10 * 1024 * 1024
MAX_CREDENTIAL_ID = 64
"""Our ids are 36-character UUIDs; a longer ``credential_id`` is not looked up in the register."""

RECORD_REQUEST = ContentRequest(
    attachments=RECORD_ATTACHMENTS, max_attachment_size=MAX_RECORD_BYTES, max_attachments=4, first_page=True
)


@dataclass(frozen=True)
class EmbeddedRecord:
    """The one embedded record, parsed; ``record`` is ``None`` when there is not exactly one readable."""

    record: dict[str, Any] | None
    raw: bytes | None = None
    canonical: bytes | None = None
    """The record's RFC 8785 bytes (what the register's ``record_sha256`` is computed over)."""
    detail: str | None = None

    @property
    def digest(self) -> str | None:
        return hashlib.sha256(self.canonical).hexdigest() if self.canonical is not None else None


def embedded_record(contents: PdfContents | None) -> EmbeddedRecord:
    """Parse the record collected by :func:`verifier.pdf.examine_pdf` (``contents`` of :data:`RECORD_REQUEST`)."""
    found = contents.attachments if contents is not None else []
    if len(found) != 1 or found[0].data is None:
        problems = "; ".join(a.problem for a in found if a.problem)
        detail = f"{len(found)} embedded {ATTACHMENT_NAME} found" + (f" ({problems})" if problems else "")
        return EmbeddedRecord(None, detail=detail)
    raw = found[0].data
    try:
        parsed = json.loads(raw)
        if not isinstance(parsed, dict):
            return EmbeddedRecord(None, raw, detail="the embedded record is not a JSON object")
        canonical = canonical_json(parsed)
    except (ValueError, RecursionError, TypeError, OverflowError) as e:  # UnicodeDecodeError, JSON, RFC 8785
        return EmbeddedRecord(None, raw, detail=f"the embedded record cannot be read ({type(e).__name__})")
    cid = parsed.get("credential_id")
    if not isinstance(cid, str) or not 0 < len(cid) <= MAX_CREDENTIAL_ID or not cid.isprintable():
        return EmbeddedRecord(None, raw, detail="the embedded record has no valid credential_id")
    return EmbeddedRecord(parsed, raw, canonical)


def embedded_records(data: bytes, *, policy: VerificationPolicy | None = None) -> list[bytes]:
    """The readable attachments named ``hocba-record.json`` or ``vanbang-record.json`` (at most five),
    read by the verifier's guarded parser (size, objects, decode budget, deadline) without checking
    signatures. Empty when the file is not a PDF or cannot be parsed within the limits."""
    request = ContentRequest(attachments=RECORD_ATTACHMENTS, max_attachment_size=MAX_RECORD_BYTES)
    contents = read_pdf_contents(data, request, policy=policy or VerificationPolicy(max_file_size=MAX_UPLOAD))
    return [a.data for a in contents.attachments if a.data is not None] if contents is not None else []


@dataclass(frozen=True)
class PrintedQr:
    """What reading the QR printed on page 1 gave: its texts, or why there are none."""

    texts: list[str] | None
    warning: Message | None = None
    indication: Indication | None = None
    """``FAILED`` for a page that must not be rendered or cannot be decoded, ``INDETERMINATE`` when
    the time ran out; ``None`` when the check was skipped (no QR reader installed) or read."""
    sub_indication: str | None = None
    detail: str | None = None


def printed_qr_texts(data: bytes, page: PageInfo | None, deadline: Deadline, limits: RenderLimits) -> PrintedQr:
    """The QR texts printed on page 1, rendered with page 1's geometry from the guarded parse
    (``page``) in the time left before ``deadline``. Never raises for a hostile file."""
    try:
        texts = read_qr_from_pdf(
            data,
            pages=(1,),
            page_info={1: page} if page is not None else None,
            limits=limits,
            timeout=deadline.remaining(),
        )
    except QrRenderTimeError as e:
        # Out of time proves nothing about the file (the server may be busy): not a pass, not a failure.
        warning = Message(
            "Không kịp đọc mã QR in trên trang 1 trong thời gian cho phép (máy chủ bận, hoặc tệp được tạo ra để "
            "gây treo). Hãy thử lại sau.",
            "The QR code printed on page 1 could not be read in the time allowed (the server is busy, or the "
            "file is crafted to hang verifiers). Try again later.",
            "time_limit",
        )
        return PrintedQr(None, warning, INDETERMINATE, "GENERIC", e.en)
    except VerifierError as e:
        if e.code == "qr_reader_missing":
            return PrintedQr(None, Message(f"Không kiểm tra mã QR in trên trang: {e.vi}", f"QR not checked: {e.en}"))
        # a page too large or too heavy to render, or an image no decoder can read
        warning = Message(f"Không đọc được mã QR in trên trang 1: {e.vi}", f"The QR on page 1 cannot be read: {e.en}")
        return PrintedQr(None, warning, FAILED, "FORMAT_FAILURE", e.en)
    return PrintedQr(texts)
