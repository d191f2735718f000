"""The published PDFs of admissions: the city's results list (one document, a section per school) and an
appeal's list of who moved. Vietnamese first, English second; DejaVu fonts embedded (``pdftotext`` gives the
text back); deterministic (reportlab ``invariant``): the same run gives the same bytes before signing.

Only the fields of :mod:`credential_service.admissions.publication_rules` are drawn: registration numbers, schools,
wish ranks, the schools' quotas and cutoffs, and the run's fingerprints (SHA-256 of rules, input and output).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from credential_service.admissions.publication_rules import MOVE_LABELS, Move, SchoolList
from credential_service.transcripts.pdf_drawing import FONT, FONT_BOLD, _ensure_fonts

PAGE_W, PAGE_H = A4
MARGIN = 40.0
TOP = PAGE_H - 40.0
BOTTOM = 48.0
LINE = 13.0
COLUMNS = 5
ISSUER = "SỞ GIÁO DỤC VÀ ĐÀO TẠO THÀNH PHỐ HẢI PHÒNG / Hai Phong Department of Education and Training"


@dataclass(frozen=True)
class RunFacts:
    """What identifies the run on the document (anyone can re-run the allocation and compare the hashes)."""

    year: str
    run_id: str
    ran_at: str  # ISO 8601
    config_sha256: str
    input_sha256: str
    output_sha256: str
    applicants: int
    admitted: int


class _Writer:
    def __init__(self, title: str, subject: str) -> None:
        _ensure_fonts()
        self.buf = BytesIO()
        self.c = Canvas(self.buf, pagesize=A4, invariant=1, pageCompression=1, initialFontName=FONT, lang="vi-VN")
        self.c.setTitle(title)
        self.c.setAuthor("Sở GDĐT Hải Phòng")
        self.c.setSubject(subject)
        self.c.setCreator("Sổ Gốc Số - credential_service")
        self.title = title
        self.page = 1
        self.y = TOP
        self._head()

    def _head(self) -> None:
        self.c.setFont(FONT, 7)
        self.c.drawString(MARGIN, PAGE_H - 24, ISSUER)
        self.c.drawRightString(PAGE_W - MARGIN, 24, f"Trang / Page {self.page}")
        self.c.drawString(MARGIN, 24, self.title[:110])
        self.y = TOP

    def room(self, lines: float) -> None:
        if self.y - lines * LINE < BOTTOM:
            self.c.showPage()
            self.page += 1
            self._head()

    def text(self, value: str, *, size: float = 9, bold: bool = False, x: float = MARGIN) -> None:
        self.room(1)
        self.c.setFont(FONT_BOLD if bold else FONT, size)
        self.c.drawString(x, self.y, value)
        self.y -= LINE * max(1.0, size / 9)

    def grid(self, cells: Sequence[str], *, columns: int = COLUMNS) -> None:
        width = (PAGE_W - 2 * MARGIN) / columns
        for start in range(0, len(cells), columns):
            self.room(1)
            self.c.setFont(FONT, 8.5)
            for i, cell in enumerate(cells[start : start + columns]):
                self.c.drawString(MARGIN + i * width, self.y, cell)
            self.y -= LINE

    def gap(self, lines: float = 0.6) -> None:
        self.y -= LINE * lines

    def finish(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def _facts(w: _Writer, run: RunFacts, label: str) -> None:
    w.text(f"{label}: {run.run_id} ({run.ran_at})", size=8)
    w.text(f"SHA-256 quy định / rules: {run.config_sha256}", size=7)
    w.text(f"SHA-256 dữ liệu vào / input: {run.input_sha256}", size=7)
    w.text(f"SHA-256 kết quả / output: {run.output_sha256}", size=7)


def render_results(run: RunFacts, names: dict[str, str], lists: Sequence[SchoolList]) -> bytes:
    """The city's results list for one run: a section per school, its admitted applicants by registration no."""
    title = f"Danh sách trúng tuyển lớp 10 năm học {run.year} / Grade-10 admission results {run.year}"
    w = _Writer(title, f"Lần xét tuyển / run {run.run_id}")
    w.text("DANH SÁCH TRÚNG TUYỂN VÀO LỚP 10", size=14, bold=True)
    w.text(f"Năm học {run.year} / Grade-10 admission results, school year {run.year}", size=11)
    w.gap()
    _facts(w, run, "Lần xét tuyển / allocation run")
    w.text(
        f"Thí sinh / applicants: {run.applicants} · trúng tuyển / admitted: {run.admitted} · "
        f"không trúng tuyển / not admitted: {run.applicants - run.admitted}",
        size=8,
    )
    w.text(
        "Danh sách chỉ gồm số báo danh (SBD) và nguyện vọng (NV) trúng tuyển; điểm và giải thích từng nguyện vọng",
        size=8,
    )
    w.text(
        "thí sinh xem sau khi đăng nhập. / Registration numbers and the wish admitted at only; each applicant", size=8
    )
    w.text("sees their own scores and the explanation of each wish after signing in.", size=8)
    for school in lists:
        w.gap()
        w.room(4)
        name = names.get(school.code, school.code)
        w.text(f"{name} ({school.code})", size=11, bold=True)
        cut = "; ".join(f"NV{k} {v.replace('.', ',')}" for k, v in school.cutoffs) or "—"
        w.text(
            f"Chỉ tiêu / quota {school.quota} · trúng tuyển / admitted {len(school.admitted)} · "
            f"điểm chuẩn / cutoffs: {cut}",
            size=8,
        )
        if not school.admitted:
            w.text("Không có thí sinh trúng tuyển. / No applicant admitted.", size=8)
            continue
        w.grid([f"{i}. {a.registration_no}  NV{a.wish or '—'}" for i, a in enumerate(school.admitted, start=1)])
    return w.finish()


def _place(school: str | None, wish: int | None, names: dict[str, str]) -> str:
    if school is None:
        return "không trúng tuyển / not admitted"
    return f"{names.get(school, school)} ({school}) NV{wish or '—'}"


def render_diff(
    before: RunFacts, after: RunFacts, names: dict[str, str], moves: Sequence[Move], *, appeal_id: str
) -> bytes:
    """Who moved between two runs after an appeal (phúc khảo): registration no, before and after."""
    title = f"Thay đổi kết quả tuyển sinh lớp 10 sau phúc khảo {after.year} / Grade-10 results changed after appeal"
    w = _Writer(title, f"Phúc khảo / appeal {appeal_id}")
    w.text("THAY ĐỔI KẾT QUẢ TRÚNG TUYỂN LỚP 10 SAU PHÚC KHẢO", size=13, bold=True)
    w.text(f"Năm học {after.year} / Grade-10 admission results changed after an appeal", size=10)
    w.gap()
    w.text(f"Phúc khảo / appeal: {appeal_id}", size=8)
    _facts(w, before, "Lần xét trước / run before")
    _facts(w, after, "Lần xét sau / run after")
    w.text(f"Số thí sinh thay đổi / applicants moved: {len(moves)}", size=9, bold=True)
    w.gap()
    if not moves:
        w.text("Không thí sinh nào thay đổi kết quả. / Nobody's result changed.", size=9)
    for i, m in enumerate(moves, start=1):
        label = MOVE_LABELS[m.kind]
        w.room(2)
        w.text(f"{i}. SBD {m.registration_no}: {label.vi} / {label.en}", size=9, bold=True)
        w.text(
            f"trước / before: {_place(m.before, m.before_wish, names)}  →  "
            f"sau / after: {_place(m.after, m.after_wish, names)}",
            size=8,
            x=MARGIN + 14,
        )
    return w.finish()
