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
  so no base-14 font (Helvetica) is referenced anywhere.
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

PDF/A-3b status (not validated: veraPDF is not available here, so this is a checklist, not a claim)
-------------------------------------------------------------------------------------------------
Done:
* header ``%PDF-1.7`` followed by a binary comment line; no encryption; trailer ``/ID``;
* XMP metadata stream (uncompressed, UTF-8, xpacket wrapper) on the catalog with
  ``pdfaid:part=3``, ``pdfaid:conformance=B``, ``dc:title``/``dc:creator``/``dc:description``,
  ``pdf:Producer``/``pdf:Keywords``/``pdf:Trapped``, ``xmp:CreatorTool``/``CreateDate``/``ModifyDate``/
  ``MetadataDate``, ``xmpMM:DocumentID``/``InstanceID``; the Info dictionary carries the same values;
* ``/OutputIntents`` with one ``/GTS_PDFA1`` intent whose ``/DestOutputProfile`` is an sRGB ICC
  profile from LittleCMS via Pillow (``ImageCms.createProfile("sRGB")``, ICC v4.4, 588 bytes,
  ``/N 3``; built once and cached); all colours are DeviceRGB;
* every font embedded (TrueType subsets with ``/FontFile2``, ToUnicode maps);
* no transparency, no images, no annotations, no JavaScript, no external content;
* the embedded file meets the PDF/A-3 associated-file rules (MIME ``/Subtype``, ``/Params
  /ModDate``, ``/F`` + ``/UF``, ``/AFRelationship``, referenced from ``/AF``).

Not done / unverified:
* no veraPDF run, so no conformance claim. Checked by hand instead: the fonts are reportlab
  TrueType subsets flagged symbolic (``/Flags 4``) with no ``/Encoding`` and a single (1,0) cmap
  subtable, which is what rule 6.2.11.6 asks of symbolic TrueType fonts; ``/Widths`` come from the
  font's hmtx. Open risks a validator could still raise: glyph-width rounding (6.2.11.5), and the
  lcms "sRGB built-in" profile being ICC v4.4 (allowed in PDF/A-2/3, but some older tools expect v2);
* the ``/AF`` array is on the catalog only (no page- or annotation-level associations);
* no PDF/A extension schema is declared (none is needed for the properties used);
* signing later adds incremental updates (fields, widgets, DSS); pyHanko must keep the Info and
  XMP dates in sync and give widgets the print flag for the final file to remain PDF/A-3b.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import TimeStamp, simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from credential_service.platform.qr_code import QUIET_ZONE, QrImage, make_qr

__all__ = ["ATTACHMENT_NAME", "SIGNATURE_FIELDS", "RenderedPdf", "render_transcript"]

ATTACHMENT_NAME = "hocba-record.json"
SIGNATURE_FIELDS = ("GVCN", "HieuTruong", "DauTruong")

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
_SEX_EN = {"Nam": "Male", "Nữ": "Female"}


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    # field name -> (page_index, x1, y1, x2, y2) in PDF points, origin bottom-left
    signature_boxes: dict[str, tuple[int, float, float, float, float]]


# --------------------------------------------------------------------------- process-wide caches

_font_lock = threading.Lock()
_fonts_ready = False


def _ensure_fonts() -> None:
    """Register the two DejaVu faces once per process."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _font_lock:
        if not _fonts_ready:
            pdfmetrics.registerFont(TTFont(FONT, str(_FONT_DIR / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONT_DIR / "DejaVuSans-Bold.ttf")))
            _fonts_ready = True


@lru_cache(maxsize=1)
def _srgb_icc() -> bytes:
    from PIL import ImageCms

    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    # LittleCMS stamps the creation time into the header (bytes 24-35, ICC dateTimeNumber);
    # pin it so the PDF stays byte-for-byte reproducible. The header's profile ID is left zero.
    struct.pack_into(">6H", icc, 24, 2024, 1, 1, 0, 0, 0)
    return bytes(icc)


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
        c.drawString(x, y, s)
        return w

    def bilingual(
        self, x: float, y: float, vi: str, en: str, *, size: float = 7.5, bold: bool = True
    ) -> None:
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

    def rule(
        self, x1: float, y: float, x2: float, *, color: tuple[float, float, float] = RULE, w: float = 0.5
    ) -> None:
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
        ops = [f"q 1 0 0 1 {left:.4f} {top:.4f} cm {m:.5f} 0 0 {-m:.5f} 0 0 cm 0 0 0 rg"]
        ops.extend(f"{c0} {r} {length} 1 re" for r, c0, length in qr.dark_runs())
        ops.append("f Q")
        c.addLiteral("\n".join(ops))


# --------------------------------------------------------------------------- layout


@dataclass
class _Block:
    height: float
    draw: Callable[[_Pen, float, int], None]  # (pen, y_top, page_index)
    keep_with_next: bool = False
    repeat_header: _Block | None = None  # drawn first when this block starts a new page
    gap_after: float = 0.0


def _paginate(blocks: list[_Block]) -> list[list[tuple[_Block, float]]]:
    pages: list[list[tuple[_Block, float]]] = [[]]
    y = TOP
    for i, block in enumerate(blocks):
        need = block.height
        if block.keep_with_next and i + 1 < len(blocks):
            need += block.gap_after + blocks[i + 1].height
        if y - need < BOTTOM and pages[-1]:
            pages.append([])
            y = TOP
            if block.repeat_header is not None:
                pages[-1].append((block.repeat_header, y))
                y -= block.repeat_header.height
        pages[-1].append((block, y))
        y -= block.height + block.gap_after
    return pages


class _TranscriptLayout:
    """Builds the blocks of one transcript."""

    def __init__(self, record: Mapping[str, Any], qr: QrImage) -> None:
        self.r = record
        self.qr = qr
        self.student: Mapping[str, Any] = record.get("student") or {}
        self.school: Mapping[str, Any] = record.get("school") or {}
        self.klass: Mapping[str, Any] = record.get("class") or {}
        self.results: Mapping[str, Any] = record.get("results") or {}
        self.boxes: dict[str, tuple[int, float, float, float, float]] = {}

    # -- blocks ---------------------------------------------------------------------------

    def blocks(self) -> list[_Block]:
        out = [
            self._header(),
            self._heading("I. THÔNG TIN HỌC SINH", "Student information"),
            self._identity(),
        ]
        out.append(self._heading("II. KẾT QUẢ HỌC TẬP CÁC MÔN HỌC", "Subject results"))
        out.extend(self._subject_table())
        out.append(self._heading("III. TỔNG HỢP KẾT QUẢ NĂM HỌC", "Year summary"))
        out.append(self._summary())
        out.append(self._teacher_comment())
        completion = self.results.get("completion")
        if completion:
            out.append(self._completion(completion))
        out.append(self._signatures())
        return out

    def _header(self) -> _Block:
        province = _s(self.school.get("province"))
        authority = f"SỞ GIÁO DỤC VÀ ĐÀO TẠO {_place_name(province).upper()}"
        school_name = _s(self.school.get("name")).upper()
        grade = self.klass.get("grade")
        level_vi, level_en = "", ""
        if isinstance(grade, int):
            if grade >= 10:
                level_vi, level_en = "TRUNG HỌC PHỔ THÔNG", "Upper-secondary school"
            elif grade >= 6:
                level_vi, level_en = "TRUNG HỌC CƠ SỞ", "Lower-secondary school"
        left_cx = MARGIN_X + 115
        right_cx = PAGE_W - MARGIN_X - 130
        school_size, school_lines = _fit(school_name, FONT_BOLD, 8.5, 235, max_lines=2, min_size=7)

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.text(left_cx, y - 9, authority, size=8, align="center")
            yy = y - 20
            for line in school_lines:
                p.text(left_cx, yy, line, size=school_size, bold=True, align="center")
                yy -= school_size + 2
            p.rule(left_cx - 30, yy + school_size - 2.5, left_cx + 30, color=BLACK)
            p.text(right_cx, y - 9, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=8.5, bold=True, align="center")
            w = p.text(right_cx, y - 20, "Độc lập - Tự do - Hạnh phúc", size=8.5, bold=True, align="center")
            p.rule(right_cx - w / 2, y - 23, right_cx + w / 2, color=BLACK)
            p.text(PAGE_W / 2, y - 50, "HỌC BẠ", size=20, bold=True, align="center")
            sub = "Transcript" + (f" · {level_en}" if level_en else "")
            if level_vi:
                p.text(PAGE_W / 2, y - 66, level_vi, size=10, bold=True, align="center")
                p.text(PAGE_W / 2, y - 76.5, sub, size=8, color=GREY, align="center")
            else:
                p.text(PAGE_W / 2, y - 66, sub, size=9, color=GREY, align="center")

        return _Block(height=80 if level_vi else 72, draw=draw, gap_after=4)

    def _heading(self, vi: str, en: str) -> _Block:
        def draw(p: _Pen, y: float, _page: int) -> None:
            p.bilingual(MARGIN_X, y - 10, vi, en, size=9)
            p.rule(MARGIN_X, y - 13.5, MARGIN_X + CONTENT_W, color=BLACK, w=0.6)

        return _Block(height=17, draw=draw, keep_with_next=True, gap_after=2)

    def _identity(self) -> _Block:
        st, sc, kl = self.student, self.school, self.klass
        sex = _s(st.get("sex"))
        sex_text = f"{sex} ({_SEX_EN[sex]})" if sex in _SEX_EN else sex
        qr_area = 124.0
        col_gap = 10.0
        area_w = CONTENT_W - qr_area - 14
        col_w = (area_w - col_gap) / 2
        half_w = (col_w - col_gap) / 2
        xa, xb = MARGIN_X, MARGIN_X + col_w + col_gap
        # (row, x, width, label vi, label en, value, emphasised)
        cells: list[tuple[int, float, float, str, str, str, bool]] = [
            (0, xa, col_w, "Họ và tên", "Full name", _s(st.get("full_name")), True),
            (0, xb, col_w, "Giới tính", "Sex", sex_text, False),
            (1, xa, col_w, "Ngày sinh", "Date of birth", _date_vn(st.get("date_of_birth")), False),
            (1, xb, col_w, "Nơi sinh", "Place of birth", _s(st.get("place_of_birth")), False),
            (2, xa, col_w, "Dân tộc", "Ethnicity", _s(st.get("ethnicity")), False),
            (2, xb, col_w, "Số định danh cá nhân", "Personal ID number", _s(st.get("personal_id")), False),
            (3, xa, col_w, "Mã học sinh", "Student code", _s(st.get("student_code")), False),
            (3, xb, half_w, "Lớp", "Class", _s(kl.get("name")), False),
            (
                3,
                xb + half_w + col_gap,
                half_w,
                "Năm học",
                "School year",
                _s(self.r.get("school_year")),
                False,
            ),
            (4, xa, area_w, "Trường", "School", _s(sc.get("name")), False),
        ]
        row_h = 23.0
        qr_side = 92.0
        cid = _s(self.r.get("credential_id"))
        height = max(5 * row_h, qr_side + 26) + 2
        laid = [
            (
                row,
                x,
                w,
                vi,
                en,
                strong,
                *_fit(
                    value, FONT_BOLD if strong else FONT, 10.5 if strong else 9, w, max_lines=2, min_size=7
                ),
            )
            for row, x, w, vi, en, value, strong in cells
        ]
        cid_size, cid_lines = _fit(cid, FONT, 5.6, qr_area, max_lines=2, min_size=5)

        def draw(p: _Pen, y: float, _page: int) -> None:
            for row, x, w, vi, en, strong, size, lines in laid:
                top = y - row * row_h
                p.label(x, top - 7.5, vi, en)
                if len(lines) == 1:
                    p.text(x, top - 18.5, lines[0], size=size, bold=strong)
                else:
                    for j, line in enumerate(lines):
                        p.text(x, top - 13.5 - j * (size + 0.3), line, size=size, bold=strong)
                p.rule(x, top - row_h + 1.5, x + w, w=0.3)
            qx = MARGIN_X + CONTENT_W - qr_area
            cx = qx + qr_area / 2
            p.qr(self.qr, cx - qr_side / 2, y - qr_side, qr_side)
            p.text(cx, y - qr_side - 6, "Quét mã QR để kiểm tra", size=6.5, align="center")
            p.text(cx, y - qr_side - 13.5, "Scan to verify", size=6, color=GREY, align="center")
            for j, line in enumerate(cid_lines):
                p.text(
                    cx,
                    y - qr_side - 21.5 - j * (cid_size + 1),
                    line,
                    size=cid_size,
                    color=GREY,
                    align="center",
                )

        return _Block(height=height, draw=draw, gap_after=6)

    # subject table ---------------------------------------------------------------------

    _SUBJ_COLS: tuple[tuple[str, str, float], ...] = (
        ("TT", "No.", 20),
        ("Môn học", "Subject", 172),
        ("HK I", "Sem. 1", 44),
        ("HK II", "Sem. 2", 44),
        ("Cả năm", "Year", 46),
        ("Sau KT lại", "Re-assessed", 54),
        ("Nhận xét", "Comment", 0),  # the rest
    )

    def _col_x(self, cols: tuple[tuple[str, str, float], ...]) -> list[tuple[float, float]]:
        xs: list[tuple[float, float]] = []
        x = MARGIN_X
        fixed = sum(w for _, _, w in cols)
        for _, _, w in cols:
            width = w or (CONTENT_W - fixed)
            xs.append((x, width))
            x += width
        return xs

    def _table_header(self, cols: tuple[tuple[str, str, float], ...], height: float = 22) -> _Block:
        xs = self._col_x(cols)

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.box(MARGIN_X, y - height, CONTENT_W, height, fill=HEAD_FILL)
            for (vi, en, _), (x, w) in zip(cols, xs, strict=True):
                if x > MARGIN_X:
                    p.c.setStrokeColorRGB(*RULE)
                    p.c.setLineWidth(0.5)
                    p.c.line(x, y, x, y - height)
                cx = x + w / 2
                p.text(cx, y - 9.5, vi, size=7.5, bold=True, align="center")
                p.text(cx, y - 18, en, size=6.5, color=GREY, align="center")

        return _Block(height=height, draw=draw)

    def _subject_table(self) -> list[_Block]:
        cols = self._SUBJ_COLS
        xs = self._col_x(cols)
        header = self._table_header(cols)
        header.keep_with_next = True
        blocks: list[_Block] = [header]
        subjects = list(self.results.get("subjects") or [])
        size = 8.5
        lead = 10.0
        for idx, subj in enumerate(subjects, start=1):
            name_lines = _wrap(_s(subj.get("name")), FONT, size, xs[1][1] - 8)
            comment = subj.get("comment")
            comment_lines = _wrap(str(comment), FONT, 7.5, xs[6][1] - 8) if comment else []
            n = max(len(name_lines), len(comment_lines), 1)
            row_h = max(14.0, n * lead + 4.5)
            cells = [
                str(idx),
                None,
                _s(subj.get("hk1")),
                _s(subj.get("hk2")),
                _s(subj.get("year")),
                "" if subj.get("reassessed") in (None, "") else _s(subj.get("reassessed")),
            ]
            last = idx == len(subjects)

            def draw(
                p: _Pen,
                y: float,
                _page: int,
                cells: list[str | None] = cells,
                name_lines: list[str] = name_lines,
                comment_lines: list[str] = comment_lines,
                row_h: float = row_h,
                last: bool = last,
            ) -> None:
                c = p.c
                c.setStrokeColorRGB(*RULE)
                c.setLineWidth(0.5)
                for x, _w in xs:
                    c.line(x, y, x, y - row_h)
                c.line(MARGIN_X + CONTENT_W, y, MARGIN_X + CONTENT_W, y - row_h)
                c.setLineWidth(0.5 if last else 0.3)
                c.line(MARGIN_X, y - row_h, MARGIN_X + CONTENT_W, y - row_h)
                base = y - 10
                for col, value in enumerate(cells):
                    x, w = xs[col]
                    if col == 1:
                        for j, line in enumerate(name_lines):
                            p.text(x + 4, base - j * lead, line, size=size)
                    elif value:
                        p.text(x + w / 2, base, value, size=size, align="center", bold=col == 4)
                x, _w = xs[6]
                for j, line in enumerate(comment_lines):
                    p.text(x + 4, base - j * lead, line, size=7.5)

            blocks.append(_Block(height=row_h, draw=draw, repeat_header=header))
        blocks[-1].gap_after = 6
        return blocks

    # summary ----------------------------------------------------------------------------

    def _summary(self) -> _Block:
        res = self.results
        conduct: Mapping[str, Any] = res.get("conduct") or {}
        learning: Mapping[str, Any] = res.get("learning_result") or {}
        label_w, val_w = 170.0, 72.0
        last_w = CONTENT_W - label_w - 3 * val_w
        col_heads = [("HK I", "Sem. 1"), ("HK II", "Sem. 2"), ("Cả năm", "Year")]
        rows = [
            (
                "Kết quả rèn luyện",
                "Conduct",
                [
                    conduct.get("hk1"),
                    conduct.get("hk2"),
                    conduct.get("year"),
                    conduct.get("after_summer_training"),
                ],
            ),
            (
                "Kết quả học tập",
                "Learning result",
                [
                    learning.get("hk1"),
                    learning.get("hk2"),
                    learning.get("year"),
                    learning.get("after_reassessment"),
                ],
            ),
        ]
        promo: Mapping[str, Any] = res.get("promotion") or {}
        award: Mapping[str, Any] | None = res.get("award")
        promo_text = _s(promo.get("label_vi"))
        if promo.get("label_en"):
            promo_text += f" ({promo['label_en']})"
        award_text = DASH
        if award:
            award_text = _s(award.get("label_vi"))
            if award.get("label_en"):
                award_text += f" ({award['label_en']})"
        facts = [
            ("Số buổi nghỉ học", "Sessions absent", _s(res.get("absences")), 120.0),
            ("Quyết định", "Decision", promo_text, 200.0),
            ("Khen thưởng", "Award", award_text, CONTENT_W - 320.0),
        ]
        head_h, row_h, fact_h = 22.0, 15.0, 27.0
        height = head_h + 2 * row_h + fact_h

        def draw(p: _Pen, y: float, _page: int) -> None:
            c = p.c
            p.box(MARGIN_X, y - head_h, CONTENT_W, head_h, fill=HEAD_FILL)
            p.box(MARGIN_X, y - height, CONTENT_W, height)
            xs = [MARGIN_X + label_w + i * val_w for i in range(4)]
            c.setStrokeColorRGB(*RULE)
            c.setLineWidth(0.5)
            for x in xs:
                c.line(x, y, x, y - head_h - 2 * row_h)
            for k, (vi, en) in enumerate(col_heads):
                cx = xs[k] + val_w / 2
                p.text(cx, y - 9.5, vi, size=7.5, bold=True, align="center")
                p.text(cx, y - 18, en, size=6.5, color=GREY, align="center")
            cx = xs[3] + last_w / 2
            p.text(cx, y - 9.5, "Sau rèn luyện hè / KT lại", size=7.5, bold=True, align="center")
            p.text(cx, y - 18, "After summer training / re-assessment", size=6, color=GREY, align="center")
            yy = y - head_h
            for vi, en, values in rows:
                c.setStrokeColorRGB(*RULE)
                c.setLineWidth(0.3)
                c.line(MARGIN_X, yy - row_h, MARGIN_X + CONTENT_W, yy - row_h)
                p.bilingual(MARGIN_X + 4, yy - 10.5, vi, en, size=8, bold=False)
                for k, v in enumerate(values):
                    w = val_w if k < 3 else last_w
                    text = _s(v) if k < 3 else ("" if v in (None, "") else _s(v))
                    if text:
                        p.text(xs[k] + w / 2, yy - 10.5, text, size=8.5, bold=k == 2, align="center")
                yy -= row_h
            x = MARGIN_X
            for k, (vi, en, value, w) in enumerate(facts):
                if k:
                    c.setStrokeColorRGB(*RULE)
                    c.setLineWidth(0.3)
                    c.line(x, yy, x, yy - fact_h)
                p.label(x + 4, yy - 8.5, vi, en)
                size, lines = _fit(value, FONT_BOLD, 8.5, w - 8, max_lines=2, min_size=6.5)
                if len(lines) == 1:
                    p.text(x + 4, yy - 20.5, lines[0], size=size, bold=True)
                else:
                    for j, line in enumerate(lines):
                        p.text(x + 4, yy - 16.5 - j * (size + 0.5), line, size=size, bold=True)
                x += w

        return _Block(height=height, draw=draw, gap_after=6)

    def _teacher_comment(self) -> _Block:
        text = _s(self.results.get("teacher_comment"))
        lines = _wrap(text, FONT, 8.5, CONTENT_W - 12)
        height = 16 + len(lines) * 10.5 + 2

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.box(MARGIN_X, y - height, CONTENT_W, height)
            p.bilingual(
                MARGIN_X + 5,
                y - 10,
                "Nhận xét của giáo viên chủ nhiệm",
                "Homeroom teacher's comment",
                size=7.5,
            )
            for j, line in enumerate(lines):
                p.text(MARGIN_X + 6, y - 21.5 - j * 10.5, line, size=8.5)

        return _Block(height=height, draw=draw, gap_after=6)

    def _completion(self, completion: Mapping[str, Any]) -> _Block:
        vi = _s(completion.get("label_vi"))
        en = completion.get("label_en")

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.box(MARGIN_X, y - 16, CONTENT_W, 16, fill=HEAD_FILL)
            w = p.text(MARGIN_X + 5, y - 11, "Xác nhận của Hiệu trưởng: ", size=8, color=GREY)
            w += p.text(MARGIN_X + 5 + w, y - 11, vi, size=8.5, bold=True)
            if en:
                p.text(MARGIN_X + 5 + w, y - 11, f" / {en}", size=7.5, color=GREY)

        return _Block(height=16, draw=draw, gap_after=5)

    def _signatures(self) -> _Block:
        issued = _issue_moment(self.r)
        place = _place_name(_s(self.school.get("province")))
        date_line = f"{place}, ngày {issued.day} tháng {issued.month} năm {issued.year}"
        gap = 12.0
        w = (CONTENT_W - 2 * gap) / 3
        box_h = 54.0
        specs = [
            (
                "GVCN",
                "Giáo viên chủ nhiệm",
                "Homeroom teacher",
                (self.r.get("homeroom_teacher") or {}).get("full_name"),
            ),
            (
                "HieuTruong",
                "Hiệu trưởng phê duyệt",
                "Principal's approval",
                (self.r.get("principal") or {}).get("full_name"),
            ),
            ("DauTruong", "Dấu của nhà trường", "School seal", self.school.get("name")),
        ]
        names = [
            _fit(str(name), FONT_BOLD, 8.5, w, max_lines=2, min_size=7) if name else (8.5, [])
            for *_, name in specs
        ]
        name_lines = max((len(lines) for _, lines in names), default=1)
        height = 12 + 22 + box_h + 4 + 9.5 * max(name_lines, 1)

        def draw(p: _Pen, y: float, page: int) -> None:
            p.text(MARGIN_X + CONTENT_W, y - 8, date_line, size=8, align="right")
            for k, (field_name, vi, en, _name) in enumerate(specs):
                x = MARGIN_X + k * (w + gap)
                cx = x + w / 2
                p.text(cx, y - 21, vi, size=8, bold=True, align="center")
                p.text(cx, y - 30, en, size=7, color=GREY, align="center")
                by = y - 34 - box_h
                p.box(x, by, w, box_h, stroke=FRAME, lw=0.5, dash=(2, 2))
                size, lines = names[k]
                for j, line in enumerate(lines):
                    p.text(cx, by - 10 - j * (size + 1), line, size=size, bold=True, align="center")
                self.boxes[field_name] = (
                    page,
                    round(x, 2),
                    round(by, 2),
                    round(x + w, 2),
                    round(by + box_h, 2),
                )

        return _Block(height=height, draw=draw)


# --------------------------------------------------------------------------- PDF/A plumbing


def _xmp(
    *,
    title: str,
    author: str,
    subject: str,
    keywords: str,
    producer: str,
    creator: str,
    moment: dt.datetime,
    doc_uuid: str,
) -> bytes:
    e = xml_escape
    when = moment.isoformat()
    xml = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e(author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(subject)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{e(producer)}</pdf:Producer>
   <pdf:Keywords>{e(keywords)}</pdf:Keywords>
   <pdf:Trapped>False</pdf:Trapped>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{e(creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{when}</xmp:CreateDate>
   <xmp:ModifyDate>{when}</xmp:ModifyDate>
   <xmp:MetadataDate>{when}</xmp:MetadataDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
   <xmpMM:DocumentID>uuid:{doc_uuid}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:{doc_uuid}</xmpMM:InstanceID>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"""
    return xml.encode("utf-8")


def _pdf_date(moment: dt.datetime) -> str:
    off = moment.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    return moment.strftime("D:%Y%m%d%H%M%S") + f"{sign}{hh:02d}'{mm:02d}'"


def _fixed_timestamp(moment: dt.datetime) -> TimeStamp:
    ts = TimeStamp(invariant=1)
    off = moment.utcoffset() or dt.timedelta(0)
    minutes = int(off.total_seconds() // 60)
    ts.t = moment.timestamp()
    ts.lt = time.struct_time(moment.timetuple())
    ts.YMDhms = tuple(moment.timetuple())[:6]
    ts.dhh, ts.dmm = divmod(minutes, 60)
    ts.tzname = moment.tzname() or "UTC"
    return ts


# reportlab's catalog writes only the keys it lists; add the PDF/A-3 ones (as indirect objects).
_CATALOG_KEYS = [*pdfdoc.PDFCatalog.__NoDefault__, "OutputIntents", "AF"]


def _attach_pdfa_objects(
    canvas: Canvas, *, record_json: bytes, moment: dt.datetime, xmp: bytes, file_id: bytes
) -> None:
    doc: Any = canvas._doc  # reportlab keeps the document model here
    cat = doc.Catalog
    cat.__NoDefault__ = cat.__Refs__ = _CATALOG_KEYS

    D, N, S, A = pdfdoc.PDFDictionary, pdfdoc.PDFName, pdfdoc.PDFString, pdfdoc.PDFArray
    stamp = S(_pdf_date(moment))

    xmp_stream = pdfdoc.PDFStream(D({"Type": N("Metadata"), "Subtype": N("XML")}), content=xmp)
    cat.Metadata = xmp_stream

    icc = _srgb_icc()
    icc_stream = pdfdoc.PDFStream(D({"N": 3, "Filter": N("FlateDecode")}), content=zlib.compress(icc, 9))
    intent = D(
        {
            "Type": N("OutputIntent"),
            "S": N("GTS_PDFA1"),
            "OutputConditionIdentifier": S("sRGB IEC61966-2.1"),
            "RegistryName": S("http://www.color.org"),
            "Info": S("sRGB IEC61966-2.1"),
            "DestOutputProfile": doc.Reference(icc_stream),
        }
    )
    cat.OutputIntents = A([intent])

    ef_stream = pdfdoc.PDFStream(
        D(
            {
                "Type": N("EmbeddedFile"),
                "Subtype": "/application#2Fjson",  # PDFName does not escape "/"
                "Filter": N("FlateDecode"),
                "Params": D(
                    {
                        "Size": len(record_json),
                        "ModDate": stamp,
                        "CheckSum": pdfdoc.PDFText(hashlib.md5(record_json, usedforsecurity=False).digest()),
                    }
                ),
            }
        ),
        content=zlib.compress(record_json, 6),
    )
    ef_ref = doc.Reference(ef_stream)
    filespec = D(
        {
            "Type": N("Filespec"),
            "F": S(ATTACHMENT_NAME),
            "UF": S(ATTACHMENT_NAME),
            "Desc": S("Canonical record (RFC 8785 JSON, schema hocba/1) / Hồ sơ gốc dạng JSON chuẩn hoá"),
            "AFRelationship": N("Data"),
            "EF": D({"F": ef_ref, "UF": ef_ref}),
        }
    )
    fs_ref = doc.Reference(filespec)
    cat.AF = A([fs_ref])
    cat.Names = D({"EmbeddedFiles": D({"Names": A([S(ATTACHMENT_NAME), fs_ref])})})

    hex_id = file_id.hex().upper().encode("ascii")
    doc._ID = b"[<" + hex_id + b"><" + hex_id + b">]"


# --------------------------------------------------------------------------- entry point


def render_transcript(record: Mapping[str, Any], *, verify_url: str, record_json: bytes) -> RenderedPdf:
    """Render one học bạ record; see the module docstring for layout and PDF/A details."""
    _ensure_fonts()
    moment = _issue_moment(record)
    qr = make_qr(verify_url)
    layout = _TranscriptLayout(record, qr)
    pages = _paginate(layout.blocks())

    student = record.get("student") or {}
    school = record.get("school") or {}
    full_name = _s(student.get("full_name"))
    year = _s(record.get("school_year"))
    cid = _s(record.get("credential_id"))
    version = record.get("version")
    title = f"Học bạ {full_name} - năm học {year}"
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
