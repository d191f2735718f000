"""The blocks of one học bạ page layout (header, identity + QR, subject table, year summary, GVCN
comment, THCS completion, signatures); :mod:`credential_service.transcripts.render` paginates and draws them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credential_service.platform.qr_code import QrImage
from credential_service.platform.view_keys import key_in_url
from credential_service.transcripts.pdf_drawing import (
    BLACK,
    CONTENT_W,
    DASH,
    FONT,
    FONT_BOLD,
    FRAME,
    GREY,
    HEAD_FILL,
    MARGIN_X,
    PAGE_W,
    RULE,
    _Block,
    _date_vn,
    _fit,
    _issue_moment,
    _Pen,
    _place_name,
    _s,
    _wrap,
)
from credential_service.transcripts.record import CONDUCT_AFTER_SUMMER, LEARNING_AFTER_REASSESSMENT
from credential_service.transcripts.signing_profile import PROFILES
from credential_service.transcripts.workflow import Step

_SEX_EN = {"Nam": "Male", "Nữ": "Female"}


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
            *self.year_blocks(),
        ]
        out.append(self._signatures())
        return out

    def year_blocks(self) -> list[_Block]:
        """The year's results: subjects, summary, the GVCN's comment and the principal's confirmation."""
        out = [self._heading("II. KẾT QUẢ HỌC TẬP CÁC MÔN HỌC", "Subject results")]
        out.extend(self._subject_table())
        out.append(self._heading("III. TỔNG HỢP KẾT QUẢ NĂM HỌC", "Year summary"))
        out.append(self._summary())
        out.append(self._teacher_comment())
        completion = self.results.get("completion")
        if completion:
            out.append(self._completion(completion))
        return out

    def _header(self) -> _Block:
        province = _s(self.school.get("province"))
        authority = f"SỞ GIÁO DỤC VÀ ĐÀO TẠO {_place_name(province).upper()}"
        school_name = _s(self.school.get("name")).upper()
        grade = self.klass.get("grade")
        level_vi, level_en = "", ""
        if isinstance(grade, int):
            if grade >= 10 and self.klass.get("programme") == "GDTX":  # Circular 12/2022's learners
                level_vi = "GIÁO DỤC THƯỜNG XUYÊN CẤP TRUNG HỌC PHỔ THÔNG"
                level_en = "Continuing education, upper-secondary level"
            elif grade >= 10:
                level_vi, level_en = "TRUNG HỌC PHỔ THÔNG", "Upper-secondary school"
            elif grade >= 6:
                level_vi, level_en = "TRUNG HỌC CƠ SỞ", "Lower-secondary school"
            elif grade >= 1:
                level_vi, level_en = "TIỂU HỌC", "Primary school"
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
        # The form's other fields, in rows of their own when the record has them (issue #14).
        row = 5
        for key, vi, en in (
            ("guardians", "Cha, mẹ hoặc người giám hộ", "Parents or guardian"),
            ("permanent_residence", "Nơi thường trú", "Permanent residence"),
        ):
            if st.get(key):
                cells.append((row, xa, area_w, vi, en, _s(st.get(key)), False))
                row += 1
        third = [
            (key, vi, en)
            for key, vi, en in (
                ("policy_group", "Đối tượng chính sách", "Policy group"),
                ("enrolment_no", "Số đăng bộ", "Enrolment no."),
                ("moet_code", "Mã học sinh Bộ GDĐT", "Ministry student code"),
            )
            if st.get(key)
        ]
        if third:
            w3 = (area_w - col_gap * (len(third) - 1)) / len(third)
            for k, (key, vi, en) in enumerate(third):
                cells.append((row, xa + k * (w3 + col_gap), w3, vi, en, _s(st.get(key)), False))
            row += 1
        row_h = 23.0
        qr_side = 92.0
        cid = _s(self.r.get("credential_id"))
        view_key = key_in_url(self.qr.payload)
        if view_key:  # printed under the QR too: whoever holds the paper can type it on /v/<id>
            cid = f"{cid} · khóa xem / view key {view_key}"
        height = max(row * row_h, qr_side + 26) + 2
        laid = [
            (
                row,
                x,
                w,
                vi,
                en,
                strong,
                *_fit(value, FONT_BOLD if strong else FONT, 10.5 if strong else 9, w, max_lines=2, min_size=7),
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
                _row_grid(p, xs, y, row_h, last)
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
                    conduct.get(CONDUCT_AFTER_SUMMER),
                ],
            ),
            (
                "Kết quả học tập",
                "Learning result",
                [
                    learning.get("hk1"),
                    learning.get("hk2"),
                    learning.get("year"),
                    learning.get(LEARNING_AFTER_REASSESSMENT),
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
                PROFILES[Step.GVCN].field,
                "Giáo viên chủ nhiệm",
                "Homeroom teacher",
                (self.r.get("homeroom_teacher") or {}).get("full_name"),
            ),
            (
                PROFILES[Step.PRINCIPAL].field,
                "Hiệu trưởng phê duyệt",
                "Principal's approval",
                (self.r.get("principal") or {}).get("full_name"),
            ),
            (PROFILES[Step.SEAL].field, "Dấu của nhà trường", "School seal", self.school.get("name")),
        ]
        names = [
            _fit(str(name), FONT_BOLD, 8.5, w, max_lines=2, min_size=7) if name else (8.5, []) for *_, name in specs
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


def _row_grid(p: _Pen, xs: list[tuple[float, float]], y: float, row_h: float, last: bool) -> None:
    """A table row's column rules and its bottom rule (heavier under the last row)."""
    c = p.c
    c.setStrokeColorRGB(*RULE)
    c.setLineWidth(0.5)
    for x, _w in xs:
        c.line(x, y, x, y - row_h)
    c.line(MARGIN_X + CONTENT_W, y, MARGIN_X + CONTENT_W, y - row_h)
    c.setLineWidth(0.5 if last else 0.3)
    c.line(MARGIN_X, y - row_h, MARGIN_X + CONTENT_W, y - row_h)
