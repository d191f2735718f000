"""Drawing kit shared by the transcript and diploma PDFs (see :mod:`credential_service.transcripts.render`).

Fonts (DejaVu Sans / Sans Bold, registered once per process), A4 page geometry and colours, helpers that
format record values and fit text into a width, the :class:`_Pen` with the few drawing moves the layouts
need, and the block pagination used by the transcript layout.

Speed (issue #17): the fonts' per-subset PDF objects (subset font program, compressed; widths; ToUnicode map)
are made once per distinct subset and process, and :data:`FONT_SEED` makes subset 0 the same in every
transcript; text is written without reportlab's per-string text object (:func:`_draw_string`). The bytes
are those reportlab writes for the same subsets (tests/transcripts/test_render_speedups.py).
"""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import escapePDF, fp_str
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, SUBSETN, TTFont, TTFontFace, makeToUnicodeCMap
from reportlab.pdfgen.canvas import Canvas

from credential_service.platform.qr_code import QUIET_ZONE, QrImage

FONT = "SogocDejaVuSans"
FONT_BOLD = "SogocDejaVuSans-Bold"
_FONT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"

PAGE_W, PAGE_H = A4
MARGIN_X = 36.0
TOP = PAGE_H - 30.0
BOTTOM = 34.0  # the footer sits below this line
CONTENT_W = PAGE_W - 2 * MARGIN_X
VN_TZ = dt.timezone(dt.timedelta(hours=7))

BLACK = (0.0, 0.0, 0.0)
GREY = (0.38, 0.38, 0.38)
RULE = (0.62, 0.62, 0.62)
HEAD_FILL = (0.92, 0.93, 0.95)
FRAME = (0.7, 0.7, 0.7)
WHITE = (1.0, 1.0, 1.0)

DASH = "—"


# --------------------------------------------------------------------------- fonts (process-wide cache)

_font_lock = threading.Lock()
_fonts_ready = False


def _vietnamese_letters() -> str:
    """The 134 non-ASCII letters of Vietnamese: 12 vowels x 6 tones, and đ, lower and upper case."""
    out: list[str] = []
    for vowel in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"):
            letter = unicodedata.normalize("NFC", vowel + tone)
            out.extend(ch for ch in (letter, letter.upper()) if ord(ch) > 127)
    out.extend("đĐ")
    return "".join(out)


# Characters given codes in font subset 0 before anything is drawn, in this order: every Vietnamese
# letter and the punctuation the layouts print (ASCII is always there). A document written only with
# these characters and ASCII then has the same subset 0 as every other such document, so the embedded
# font file is built and compressed once per process (see _CachingTTFont). 134 + 10 of subset 0's 159
# free codes; any other character still works: it takes one of the codes left (that document's subset 0
# is then built for it) or a code in a further subset, as with reportlab alone.
FONT_SEED = _vietnamese_letters() + "—–·’‘“”…°×"


class _CachingFace(TTFontFace):
    """A TrueType face whose embedded subsets (font program, compressed) are made once per distinct subset."""

    def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:
        """As reportlab's, with the font file taken from :func:`_font_file` (same bytes, compressed once)."""
        if not doc.compression:
            return super().addSubsetObjects(doc, fontname, subset)
        content, length1 = _font_file(self, tuple(subset))
        font_file = pdfdoc.PDFStream(
            pdfdoc.PDFDictionary({"Length1": length1, "Filter": pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])}),
            content=content,
        )
        font_file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": font_file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


@lru_cache(maxsize=64)
def _font_file(face: TTFontFace, subset: tuple[int, ...]) -> tuple[bytes, int]:
    """(Flate-compressed subset font program, its uncompressed length) for ``subset`` of ``face``."""
    program = face.makeSubset(list(subset))
    return zlib.compress(program), len(program)


class _Formatted(pdfdoc.PDFObject):
    """A direct PDF object whose serialisation is already known."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


@lru_cache(maxsize=64)
def _subset_parts(face: TTFontFace, base_font_name: str, subset: tuple[int, ...]) -> tuple[_Formatted, bytes]:
    """(the ``/Widths`` array, the Flate-compressed ``/ToUnicode`` CMap) of one subset, as reportlab writes them."""
    widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(None)
    return _Formatted(widths), zlib.compress(makeToUnicodeCMap(base_font_name, list(subset)).encode("utf-8"))


class _CachingTTFont(TTFont):
    """reportlab's TTFont whose per-subset PDF objects (font file, widths, ToUnicode map) are made once per
    distinct subset and process; the objects written are those of reportlab 5.1's ``TTFont.addObjects``."""

    def __init__(self, name: str, path: Path) -> None:
        super().__init__(name, str(path))
        self.face.__class__ = _CachingFace  # the same face object, with the caching addSubsetObjects

    def addObjects(self, doc: Any) -> None:
        if not doc.compression:
            super().addObjects(doc)
            return
        state = self._assignState(doc)
        state.frozen = 1
        face = self.face
        for n, subset in enumerate(state.subsets):
            internal_name = self.getSubsetInternalName(n, doc)[1:]
            base_font_name = b"".join((SUBSETN(n), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            widths, cmap = _subset_parts(face, base_font_name, tuple(subset))
            pdf_font = pdfdoc.PDFTrueTypeFont()
            pdf_font.__Comment__ = f"Font {self.fontName} subset {n}"
            pdf_font.Name = internal_name
            pdf_font.BaseFont = base_font_name
            pdf_font.FirstChar = 0
            pdf_font.LastChar = len(subset) - 1
            pdf_font.Widths = widths
            cmap_stream = pdfdoc.PDFStream(
                pdfdoc.PDFDictionary({"Filter": pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])}), content=cmap
            )
            pdf_font.ToUnicode = doc.Reference(cmap_stream, "toUnicodeCMap:" + base_font_name)
            pdf_font.FontDescriptor = face.addSubsetObjects(doc, base_font_name, subset)
            doc.Reference(pdf_font, internal_name)
            doc.idToObject["BasicFonts"].dict[internal_name] = pdf_font
        del self.state[doc]


def _ensure_fonts() -> None:
    """Register the two DejaVu faces once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _font_lock:
        if not _fonts_ready:
            pdfmetrics.registerFont(_CachingTTFont(FONT, _FONT_DIR / "DejaVuSans.ttf"))
            pdfmetrics.registerFont(_CachingTTFont(FONT_BOLD, _FONT_DIR / "DejaVuSans-Bold.ttf"))
            _fonts_ready = True


def _seed_fonts(canvas: Canvas) -> None:
    """Give :data:`FONT_SEED` its codes in both faces' subset 0 of ``canvas``'s document; call before drawing."""
    doc = canvas._doc  # reportlab keeps the document model here
    for name in (FONT, FONT_BOLD):
        pdfmetrics.getFont(name).splitString(FONT_SEED, doc)


# --------------------------------------------------------------------------- small helpers


def _s(value: Any) -> str:
    if value is None:
        return DASH
    text = str(value).strip()
    return text or DASH


def _date_vn(value: Any) -> str:
    """ISO date -> dd/mm/yyyy; anything else is shown as given."""
    if not value:
        return DASH
    try:
        d = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _issue_moment(record: Mapping[str, Any]) -> dt.datetime:
    raw = record.get("issued_at")
    try:
        d = dt.date.fromisoformat(str(raw)[:10])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"record.issued_at must be an ISO date, got {raw!r}") from exc
    return dt.datetime(d.year, d.month, d.day, tzinfo=VN_TZ)


def _place_name(province: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh ", "TP. ", "TP "):
        if province.startswith(prefix):
            return province[len(prefix) :]
    return province


def _width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines.extend(simpleSplit(para, font, size, width) or [""])
    return lines


def _fit(
    text: str, font: str, size: float, width: float, *, max_lines: int = 1, min_size: float = 6.5
) -> tuple[float, list[str]]:
    """The largest size (from ``size`` down, in 0.5 pt steps) at which ``text`` wraps to at most
    ``max_lines`` lines of ``width``. Below ``min_size`` it keeps shrinking to a 5 pt floor; at
    the floor it returns however many lines are needed, so no text is ever dropped."""
    s = size
    while True:
        if _width(text, font, s) <= width:
            return s, [text]
        if s >= min_size and max_lines > 1:
            lines = _wrap(text, font, s, width)
            if len(lines) <= max_lines:
                return s, lines
        if s <= 5.0:
            return s, _wrap(text, font, s, width)
        s -= 0.5


def _draw_string(c: Canvas, x: float, y: float, s: str) -> None:
    """``c.drawString(x, y, s)`` in the canvas's current TrueType font: the same operators, byte for byte.

    reportlab builds a text object per string (a third of a transcript's drawing time); for plain
    left-to-right text in a subsetted TrueType font what it writes is one ``BT ... ET`` line, made here
    directly (tests/transcripts/test_render_speedups.py compares both).
    """
    cv: Any = c  # reportlab's canvas state is untyped
    font = pdfmetrics.getFont(cv._fontname)
    if not font._dynamicFont or not cv.bottomup:  # pragma: no cover - only DejaVu TrueType faces are used
        c.drawString(x, y, s)
        return
    doc = cv._doc
    tail = f"{fp_str(cv._fontsize)} Tf {fp_str(cv._leading)} TL"
    code = [f"BT 1 0 0 1 {fp_str(x, y)} Tm"]
    state = font.state.get(doc)
    if s and state is not None:
        try:  # every character already has its code in subset 0 (the usual case, after FONT_SEED)
            chunk = bytes(map(state.assignments.__getitem__, map(ord, s)))
        except (KeyError, ValueError):  # a new character, or a code past subset 0: reportlab's way
            pass
        else:
            code.append(f"{font.getSubsetInternalName(0, doc)} {tail} ({escapePDF(chunk)}) Tj T* ET")
            cv._code.append(" ".join(code))
            return
    for subset, chunk in font.splitString(s, doc):  # consecutive chunks are in different subsets
        code.append(f"{font.getSubsetInternalName(subset, doc)} {tail}")
        code.append(f"({escapePDF(chunk)}) Tj")
    if not s:
        code.append("")  # as reportlab: an empty string leaves an empty operand list
    code.append("T* ET")
    cv._code.append(" ".join(code))


class _Pen:
    """Thin wrapper over the canvas with the few drawing moves the layout needs."""

    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float = 9,
        bold: bool = False,
        color: tuple[float, float, float] = BLACK,
        align: str = "left",
    ) -> float:
        font = FONT_BOLD if bold else FONT
        w = _width(s, font, size)
        if align == "center":
            x -= w / 2
        elif align == "right":
            x -= w
        c = self.c
        c.setFillColorRGB(*color)
        c.setFont(font, size)
        _draw_string(c, x, y, s)
        return w

    def bilingual(self, x: float, y: float, vi: str, en: str, *, size: float = 7.5, bold: bool = True) -> None:
        """'Vietnamese / English' on one line, English smaller and grey."""
        w = self.text(x, y, vi, size=size, bold=bold)
        self.text(x + w, y, f" / {en}", size=size - 1, color=GREY)

    def label(self, x: float, y: float, vi: str, en: str, *, align: str = "left", size: float = 6.5) -> None:
        full_vi, full_en = vi, f" / {en}"
        wv = _width(full_vi, FONT, size)
        we = _width(full_en, FONT, size - 0.5)
        if align == "center":
            x -= (wv + we) / 2
        self.text(x, y, full_vi, size=size, color=GREY)
        self.text(x + wv, y, full_en, size=size - 0.5, color=GREY)

    def rule(self, x1: float, y: float, x2: float, *, color: tuple[float, float, float] = RULE, w: float = 0.5) -> None:
        c = self.c
        c.setStrokeColorRGB(*color)
        c.setLineWidth(w)
        c.line(x1, y, x2, y)

    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        stroke: tuple[float, float, float] | None = RULE,
        fill: tuple[float, float, float] | None = None,
        lw: float = 0.5,
        dash: tuple[float, float] | None = None,
    ) -> None:
        c = self.c
        if fill is not None:
            c.setFillColorRGB(*fill)
        if stroke is not None:
            c.setStrokeColorRGB(*stroke)
            c.setLineWidth(lw)
        if dash:
            c.setDash(*dash)
        c.rect(x, y, w, h, stroke=1 if stroke is not None else 0, fill=1 if fill is not None else 0)
        if dash:
            c.setDash()

    def qr(self, qr: QrImage, x: float, y: float, side: float) -> None:
        """Draw ``qr`` with its quiet zone as a ``side`` x ``side`` square, bottom-left at (x, y).

        The modules are one filled path of integer rectangles in a module-sized coordinate system,
        written as literal operators (reportlab's per-number formatting is the slow part here).
        """
        c = self.c
        n = qr.size + 2 * QUIET_ZONE
        m = side / n
        c.setFillColorRGB(*WHITE)
        c.rect(x, y, side, side, stroke=0, fill=1)
        left = x + QUIET_ZONE * m
        top = y + side - QUIET_ZONE * m
        ops = [f"{c0} {r} {length} 1 re" for r, c0, length in qr.dark_runs()]
        ops.insert(0, f"q 1 0 0 1 {left:.4f} {top:.4f} cm {m:.5f} 0 0 {-m:.5f} 0 0 cm 0 0 0 rg")
        ops.append("f Q")
        c.addLiteral("\n".join(ops))


# --------------------------------------------------------------------------- block layout


@dataclass
class _Block:
    height: float
    draw: Callable[[_Pen, float, int], None]  # (pen, y_top, page_index)
    keep_with_next: bool = False
    repeat_header: _Block | None = None  # drawn first when this block starts a new page
    gap_after: float = 0.0
    new_page: bool = False  # starts a page (a học bạ book's next year)


def _paginate(blocks: list[_Block]) -> list[list[tuple[_Block, float]]]:
    pages: list[list[tuple[_Block, float]]] = [[]]
    y = TOP
    for i, block in enumerate(blocks):
        need = block.height
        if block.keep_with_next and i + 1 < len(blocks):
            need += block.gap_after + blocks[i + 1].height
        if (y - need < BOTTOM or block.new_page) and pages[-1]:
            pages.append([])
            y = TOP
            if block.repeat_header is not None:
                pages[-1].append((block.repeat_header, y))
                y -= block.repeat_header.height
        pages[-1].append((block, y))
        y -= block.height + block.gap_after
    return pages
