"""Visible signature appearance with Vietnamese text (OpenType font via HarfBuzz).

pyHanko's default stamp font is Latin-only; Vietnamese needs an embedded OpenType font
(issue #459).  The font file is read once and kept in memory; each stamp only subsets it.
The caller passes the font path (e.g. the service's bundled DejaVuSans.ttf).
"""

from __future__ import annotations

import binascii
import logging
import os
import tempfile
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.content import ImportedPdfPage
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import StaticStampStyle, TextStampStyle

from verifier.clock import SystemClock

__all__ = [
    "VIETNAMESE_REPERTOIRE",
    "VN_TZ",
    "CachedGlyphAccumulatorFactory",
    "CachedStampAppearance",
    "SignatureAppearance",
    "prepare_font",
]

VN_TZ = timezone(timedelta(hours=7), "GMT+7")

STAMP_TEXT = "%(role)s\n%(signer)s\nKý lúc: %(signed_at)s"

# Characters the stamps may use: Latin incl. every precomposed Vietnamese letter (stamp text is
# NFC-normalised first), digits, punctuation, ₫.  The font is cut down to these once, without
# OpenType layout tables (precomposed glyphs need no mark positioning), so the per-stamp subset
# works on a few hundred glyphs instead of the full 6k-glyph font.
VIETNAMESE_REPERTOIRE: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A (Ă ă Đ đ Ĩ ĩ Ũ ũ …)
    (0x01A0, 0x01A1),  # Ơ ơ
    (0x01AF, 0x01B0),  # Ư ư
    (0x1EA0, 0x1EF9),  # Vietnamese precomposed letters (ạ ả ấ … ỹ)
    (0x2013, 0x2014),  # – —
    (0x2018, 0x201D),  # ‘ ’ ‚ ‛ “ ”
    (0x2026, 0x2026),  # …
    (0x20AB, 0x20AB),  # ₫
)


class _DropFftmWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "FFTM NOT subset" not in record.getMessage()


logging.getLogger("fontTools.subset").addFilter(_DropFftmWarning())


def prepare_font(
    font_path: str | os.PathLike[str],
    repertoire: tuple[tuple[int, int], ...] | None = VIETNAMESE_REPERTOIRE,
) -> bytes:
    """Load a TrueType/OpenType font for stamps: optionally cut down to ``repertoire`` (no
    OpenType layout features), and rescaled to 1000 units per em.

    The rescaling works around pyHanko 0.38 writing the CIDFont ``/W`` widths in raw font
    units: PDF expects 1/1000 em, so a 2048-upem font such as DejaVu Sans otherwise renders
    with letters spread about twice too far apart.
    """
    font = TTFont(str(font_path))
    if repertoire is not None:
        options = ft_subset.Options()
        options.layout_features = []
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.drop_tables = [*options.drop_tables, "FFTM"]
        subsetter = ft_subset.Subsetter(options=options)
        subsetter.populate(unicodes=[cp for lo, hi in repertoire for cp in range(lo, hi + 1)])
        subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class CachedGlyphAccumulatorFactory(GlyphAccumulatorFactory):
    """``GlyphAccumulatorFactory`` that loads the font once (not once per stamp).

    With ``presubset`` (default) the kept font is cut down to :data:`VIETNAMESE_REPERTOIRE`.
    """

    _font_bytes: bytes = field(default=b"", repr=False, compare=False)
    presubset: bool = True

    def __post_init__(self) -> None:
        if not self._font_bytes:
            data = prepare_font(self.font_file, VIETNAMESE_REPERTOIRE if self.presubset else None)
            object.__setattr__(self, "_font_bytes", data)

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(self._font_bytes),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


class SignatureAppearance:
    """Builds the stamp style once; per signature only the text parameters change."""

    def __init__(self, font_path: str | os.PathLike[str], *, font_size: int = 9, presubset: bool = True) -> None:
        self.font_path = Path(font_path)
        self.font_factory = CachedGlyphAccumulatorFactory(str(self.font_path), font_size=font_size, presubset=presubset)
        self.stamp_style = TextStampStyle(
            stamp_text=STAMP_TEXT,
            # same size on the style and the engine (pyHanko issue #733), a little extra leading
            text_box_style=TextBoxStyle(font=self.font_factory, font_size=font_size, leading=round(font_size * 1.3)),
            border_width=1,
        )

    @staticmethod
    def text_params(*, signer_name: str, role: str, when: datetime | None = None) -> dict[str, str]:
        when = (when or SystemClock().now()).astimezone(VN_TZ)
        return {
            "signer": unicodedata.normalize("NFC", signer_name),
            "role": unicodedata.normalize("NFC", role),
            "signed_at": when.strftime("%d/%m/%Y %H:%M:%S (GMT+7)"),
        }


class _ParsedStampPage(ImportedPdfPage):
    """pyHanko's :class:`ImportedPdfPage` (page 0 imported as a form XObject), from a stamp file parsed once.

    pyHanko opens and parses the stamp file again for every signature (about 1.5 ms: the font's widths array,
    its descriptor, the font program). Here one reader, on the stamp's bytes, serves every document; importing
    copies its objects into the document being signed and never changes them (pyHanko's ``_ObjectImporter``
    builds new containers), so each document gets the same objects as from a fresh reader. The lock keeps two
    threads from reading the shared stream at once.
    """

    def __init__(self, reader: PdfFileReader, lock: threading.Lock) -> None:
        super().__init__(file_name="", page_ix=0)
        self._reader = reader
        self._lock = lock

    def render(self) -> bytes:
        with self._lock:
            xobj = self._ensure_writer.import_page_as_xobject(self._reader, page_ix=self.page_ix)
        # as ImportedPdfPage.render (pyHanko 0.38)
        resource_name = b"/Import" + binascii.hexlify(uuid.uuid4().bytes)
        self.resources.xobject[resource_name.decode("ascii")] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x2), height=abs(y1 - y2))
        return resource_name + b" Do"


class CachedStampAppearance(SignatureAppearance):
    """The same stamp, drawn once per signer, role and minute and reused for a whole batch.

    Laying out the text and subsetting the font for every signature costs ~10 ms, a third of a
    signing step. Here the stamp is drawn once (a one-page PDF in an embedded, subset DejaVu
    font) and each signature imports it as its appearance. The stamp shows the signing time to
    the minute; the exact time is in the signature itself.

    What is cached is the drawn stamp file (and a reader parsed from it, see :class:`_ParsedStampPage`), never
    the pyHanko style object: a style's content keeps the XObject references of every document it was rendered
    into, so one style shared by a batch left each signed document with references into the other documents'
    object numbers (dangling in a document numbered differently, such as a summer amendment; pyHanko's check
    then failed).
    """

    STAMP_SIZE = (166.0, 54.0)  # points; pyHanko scales it into the field's box
    PARSED_STAMPS = 32  # parsed stamp files kept (the stamps of the current minute or so)

    def __init__(self, font_path: str | os.PathLike[str], *, font_size: int = 9) -> None:
        super().__init__(font_path, font_size=font_size)
        self._font_size = font_size
        self._dir = tempfile.TemporaryDirectory(prefix="sogoc-stamps-")
        self._stamps: dict[tuple[str, str, str], Path] = {}
        self._readers: dict[Path, tuple[PdfFileReader, threading.Lock]] = {}
        self._lock = threading.Lock()

    def style_for(self, *, signer_name: str, role: str, when: datetime | None = None) -> StaticStampStyle:
        params = self.text_params(signer_name=signer_name, role=role, when=when)
        minute = params["signed_at"][:16]  # dd/mm/yyyy HH:MM
        key = (params["signer"], params["role"], minute)
        with self._lock:
            path = self._stamps.get(key)
            if path is None:
                path = Path(self._dir.name) / f"stamp-{len(self._stamps)}.pdf"
                path.write_bytes(self._draw(params["role"], params["signer"], f"Ký lúc: {minute} (GMT+7)"))
                self._stamps[key] = path
            reader, lock = self._parsed(path)
        # a fresh style for each document (as StaticStampStyle.from_pdf_file), on the stamp's shared reader
        return StaticStampStyle(background=_ParsedStampPage(reader, lock), border_width=0)

    def _parsed(self, path: Path) -> tuple[PdfFileReader, threading.Lock]:
        """The shared reader of one stamp file (the caller holds ``self._lock``); the oldest ones are dropped."""
        entry = self._readers.pop(path, None)
        if entry is None:
            entry = (PdfFileReader(BytesIO(path.read_bytes())), threading.Lock())
            while len(self._readers) >= self.PARSED_STAMPS:
                del self._readers[next(iter(self._readers))]
        self._readers[path] = entry  # most recently used last
        return entry

    def _draw(self, *lines: str) -> bytes:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont as RLTTFont
        from reportlab.pdfgen import canvas

        name = "SogocStampFont"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(RLTTFont(name, str(self.font_path)))
        width, height = self.STAMP_SIZE
        buf = BytesIO()
        c = canvas.Canvas(buf, pagesize=(width, height), invariant=1, initialFontName=name)
        c.setLineWidth(1)
        c.rect(0.5, 0.5, width - 1, height - 1)
        size = self._font_size
        leading = round(size * 1.3)
        y = height - 6 - size
        for line in lines:
            text = unicodedata.normalize("NFC", line)
            fitted: float = size
            while fitted > 5 and pdfmetrics.stringWidth(text, name, fitted) > width - 10:
                fitted -= 0.5
            c.setFont(name, fitted)
            c.drawString(5, y, text)
            y -= leading
        c.showPage()
        c.save()
        return buf.getvalue()
