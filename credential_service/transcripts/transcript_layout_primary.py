"""The primary học bạ's page (Circular 27/2020): the same header, identity, QR and signatures as grades 6–12,
with its own results: each subject's level (T/H/C) and periodic test at the end of semester I and of the year,
the qualities and competences (Tốt/Đạt/Cần cố gắng), the overall result (Art. 9), the title and, in grade 5,
the completion of primary the principal confirms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credential_service.transcripts.pdf_drawing import (
    CONTENT_W,
    DASH,
    FONT_BOLD,
    GREY,
    HEAD_FILL,
    MARGIN_X,
    _Block,
    _fit,
    _Pen,
    _s,
)
from credential_service.transcripts.transcript_layout import _row_grid, _TranscriptLayout


def _period(value: Any) -> str:
    """ "T (9)": the level, and the test score when the subject has a periodic test."""
    if not isinstance(value, Mapping):
        return ""
    level = _s(value.get("level"))
    return f"{level} ({value['test']})" if value.get("test") is not None else level


class PrimaryLayout(_TranscriptLayout):
    """Builds the blocks of one primary transcript."""

    _COLS: tuple[tuple[str, str, float], ...] = (
        ("TT", "No.", 24),
        ("Môn học và hoạt động giáo dục", "Subject or activity", 250),
        ("Cuối học kì I", "End of semester 1", 120),
        ("Cuối năm học", "End of year", 0),  # the rest
    )

    def blocks(self) -> list[_Block]:
        return [
            self._header(),
            self._heading("I. THÔNG TIN HỌC SINH", "Student information"),
            self._identity(),
            *self.year_blocks(),
            self._signatures(),
        ]

    def year_blocks(self) -> list[_Block]:
        out = [
            self._heading("II. MÔN HỌC VÀ HOẠT ĐỘNG GIÁO DỤC", "Subjects and educational activities"),
            *self._levels_table(self._COLS, self._subject_rows()),
            self._note(
                "Mức đạt được: T hoàn thành tốt, H hoàn thành, C chưa hoàn thành; (điểm kiểm tra định kì).",
                "Levels: T completed well, H completed, C not completed; (periodic test score).",
            ),
            self._heading("III. PHẨM CHẤT VÀ NĂNG LỰC", "Qualities and competences"),
            *self._levels_table(
                (("TT", "No.", 24), ("Phẩm chất, năng lực", "Quality or competence", 370), ("Mức", "Level", 0)),
                self._rating_rows(),
            ),
            self._heading("IV. KẾT QUẢ GIÁO DỤC CẢ NĂM", "The year's result"),
            self._overall(),
            self._teacher_comment(),
        ]
        completion = self.results.get("completion")
        if completion:
            out.append(self._completion(completion))
        return out

    def _subject_rows(self) -> list[list[str]]:
        return [
            [_s(s.get("name")), _period(s.get("hk1")), _period(s.get("year"))]
            for s in self.results.get("subjects") or []
        ]

    def _rating_rows(self) -> list[list[str]]:
        rows = [[f"Phẩm chất / quality: {k}", _s(v)] for k, v in (self.results.get("qualities") or {}).items()]
        rows += [[f"Năng lực / competence: {k}", _s(v)] for k, v in (self.results.get("competences") or {}).items()]
        return rows

    def _levels_table(self, cols: tuple[tuple[str, str, float], ...], rows: list[list[str]]) -> list[_Block]:
        xs = self._col_x(cols)
        header = self._table_header(cols)
        header.keep_with_next = True
        blocks: list[_Block] = [header]
        row_h = 14.0
        for idx, cells in enumerate(rows, start=1):
            values = [str(idx), *cells]
            last = idx == len(rows)

            def draw(p: _Pen, y: float, _page: int, values: list[str] = values, last: bool = last) -> None:
                _row_grid(p, xs, y, row_h, last)
                for col, value in enumerate(values):
                    x, w = xs[col]
                    if col == 1:
                        size, lines = _fit(value, FONT_BOLD, 8.5, w - 8, max_lines=1, min_size=6)
                        p.text(x + 4, y - 10, lines[0] if lines else "", size=size)
                    elif value:
                        p.text(x + w / 2, y - 10, value, size=8.5, align="center", bold=col == len(values) - 1)

            blocks.append(_Block(height=row_h, draw=draw, repeat_header=header))
        blocks[-1].gap_after = 6
        return blocks

    def _note(self, vi: str, en: str) -> _Block:
        def draw(p: _Pen, y: float, _page: int) -> None:
            p.text(MARGIN_X, y - 8, vi, size=7)
            p.text(MARGIN_X, y - 16, en, size=6.5, color=GREY)

        return _Block(height=20, draw=draw, gap_after=4)

    def _overall(self) -> _Block:
        overall: Mapping[str, Any] = self.results.get("overall") or {}
        award: Mapping[str, Any] | None = self.results.get("award")
        facts = [
            ("Đánh giá kết quả giáo dục", "Overall result (TT27 Art. 9)",
             f"{_s(overall.get('label_vi'))} ({_s(overall.get('label_en'))})"),
            ("Khen thưởng", "Award",
             f"{_s(award.get('label_vi'))} ({_s(award.get('label_en'))})" if award else DASH),
        ]  # fmt: skip
        height = 30.0
        w = CONTENT_W / 2

        def draw(p: _Pen, y: float, _page: int) -> None:
            p.box(MARGIN_X, y - height, CONTENT_W, height, fill=HEAD_FILL)
            for k, (vi, en, value) in enumerate(facts):
                x = MARGIN_X + k * w
                p.label(x + 5, y - 9, vi, en)
                size, lines = _fit(value, FONT_BOLD, 9, w - 10, max_lines=1, min_size=6.5)
                p.text(x + 5, y - 23, lines[0] if lines else "", size=size, bold=True)

        return _Block(height=height, draw=draw, gap_after=6)
