"""A học bạ book's pages (issue #14: one học bạ per level): the identity page with the "Quá trình học tập" table
(every school year of the book: class, school, principal, the version it was issued as), then each earlier year's
pages exactly as the record carries them, each closed by who signed that year (names and certificate serials:
signed facts of the record, the signatures themselves are on that year's own version), then this year's pages
and its signature boxes. Grades 6–12 and primary years share it; each year is drawn by its level's layout."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credential_service.platform.qr_code import QrImage
from credential_service.transcripts.pdf_drawing import (
    BLACK,
    CONTENT_W,
    FONT,
    GREY,
    HEAD_FILL,
    MARGIN_X,
    _Block,
    _date_vn,
    _fit,
    _Pen,
    _s,
)
from credential_service.transcripts.record import LEVEL_LABELS, level_of_grade
from credential_service.transcripts.transcript_layout import _row_grid, _TranscriptLayout
from credential_service.transcripts.transcript_layout_primary import PrimaryLayout

_STEP_LABELS = {
    "gvcn": ("Giáo viên chủ nhiệm", "Homeroom teacher"),
    "principal": ("Hiệu trưởng", "Principal"),
    "seal": ("Dấu của nhà trường", "School seal"),
}


def _layout_for(record: Mapping[str, Any], qr: QrImage) -> _TranscriptLayout:
    return PrimaryLayout(record, qr) if record.get("level") == "primary" else _TranscriptLayout(record, qr)


class BookLayout:
    """Builds the blocks of a học bạ book that carries earlier years (``record.earlier_years``)."""

    _YEAR_COLS: tuple[tuple[str, str, float], ...] = (
        ("Năm học", "School year", 62),
        ("Lớp", "Class", 40),
        ("Trường", "School", 170),
        ("Hiệu trưởng", "Principal", 110),
        ("Mã học bạ số, phiên bản", "Credential id, version", 0),
    )

    def __init__(self, record: Mapping[str, Any], qr: QrImage) -> None:
        self.r = record
        self.qr = qr
        self.main = _layout_for(record, qr)
        self.boxes = self.main.boxes  # filled by this year's signature block
        self.years: list[Mapping[str, Any]] = [y for y in record.get("earlier_years") or [] if isinstance(y, Mapping)]

    def blocks(self) -> list[_Block]:
        m = self.main
        out = [
            m._header(),
            m._heading("I. THÔNG TIN HỌC SINH", "Student information"),
            m._identity(),
            m._heading("QUÁ TRÌNH HỌC TẬP", "School years in this học bạ"),
            *self._years_table(),
        ]
        for year in self.years:
            out.append(self._year_heading(year))
            out.extend(_layout_for(year, self.qr).year_blocks())
            out.append(self._signed_by(year))
        out.append(self._year_heading(self.r))
        out.extend(m.year_blocks())
        out.append(m._signatures())
        return out

    def _years_table(self) -> list[_Block]:
        cols = self._YEAR_COLS
        xs = self.main._col_x(cols)
        header = self.main._table_header(cols)
        header.keep_with_next = True
        blocks: list[_Block] = [header]
        rows = [*self.years, self.r]
        for idx, y in enumerate(rows):
            cells = [
                _s(y.get("school_year")),
                _s((y.get("class") or {}).get("name")),
                _s((y.get("school") or {}).get("name")),
                _s((y.get("principal") or {}).get("full_name")),
                f"{_s(y.get('credential_id'))} · v{_s(y.get('version'))}",
            ]
            last = idx == len(rows) - 1

            def draw(p: _Pen, top: float, _page: int, cells: list[str] = cells, last: bool = last) -> None:
                _row_grid(p, xs, top, 14.0, last)
                for col, value in enumerate(cells):
                    x, w = xs[col]
                    size, lines = _fit(value, FONT, 7.5, w - 6, max_lines=1, min_size=5)
                    p.text(x + 3, top - 10, lines[0] if lines else "", size=size)

            blocks.append(_Block(height=14.0, draw=draw, repeat_header=header))
        blocks[-1].gap_after = 6
        return blocks

    def _year_heading(self, year: Mapping[str, Any]) -> _Block:
        klass = year.get("class") or {}
        school = _s((year.get("school") or {}).get("name"))
        grade = klass.get("grade")
        level = level_of_grade(grade) if isinstance(grade, int) else None
        level_vi, level_en = LEVEL_LABELS.get(level or "", ("", ""))
        vi = f"NĂM HỌC {_s(year.get('school_year'))} · LỚP {_s(klass.get('name'))} · {school}"
        en = f"School year {_s(year.get('school_year'))}, class {_s(klass.get('name'))}, {school}"
        if level_vi:
            en += f" ({level_en})"
        note_vi = f"Mã học bạ số {_s(year.get('credential_id'))}, phiên bản {_s(year.get('version'))}"
        note_en = f"credential {_s(year.get('credential_id'))}, version {_s(year.get('version'))}"

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.box(MARGIN_X, y - 30, CONTENT_W, 30, fill=HEAD_FILL)
            size, lines = _fit(vi, FONT, 9, CONTENT_W - 10, max_lines=1, min_size=6.5)
            p.text(MARGIN_X + 5, y - 11, lines[0] if lines else "", size=size, bold=True)
            p.text(MARGIN_X + 5, y - 20.5, en, size=7, color=GREY)
            p.text(MARGIN_X + 5, y - 28, f"{note_vi} / {note_en}", size=6, color=GREY)
            p.rule(MARGIN_X, y - 30, MARGIN_X + CONTENT_W, color=BLACK, w=0.6)

        return _Block(height=30, draw=draw, keep_with_next=True, gap_after=4, new_page=True)

    def _signed_by(self, year: Mapping[str, Any]) -> _Block:
        signers = [s for s in year.get("signed_by") or [] if isinstance(s, Mapping)]
        lines: list[tuple[str, str]] = []
        for s in signers:
            vi, en = _STEP_LABELS.get(str(s.get("step")), (_s(s.get("step")), _s(s.get("step"))))
            lines.append(
                (
                    f"{vi} / {en}: {_s(s.get('full_name'))}",
                    f"số sê-ri chứng thư / certificate serial {_s(s.get('certificate_serial'))}; "
                    f"ký ngày / signed on {_date_vn(str(s.get('signed_at') or '')[:10])}",
                )
            )
        height = 26 + 19 * max(len(lines), 1)

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.box(MARGIN_X, y - height, CONTENT_W, height)
            p.bilingual(
                MARGIN_X + 5,
                y - 10,
                "Năm học này đã được ký số bởi",
                "This year was digitally signed by",
                size=7.5,
            )
            yy = y - 22
            for first, second in lines:
                p.text(MARGIN_X + 8, yy, first, size=8, bold=True)
                p.text(MARGIN_X + 8, yy - 8.5, second, size=6.5, color=GREY)
                yy -= 19
            if not lines:
                p.text(MARGIN_X + 8, yy, "—", size=8)

        return _Block(height=height, draw=draw, gap_after=6)
