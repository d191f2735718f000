"""Readers and writers for class-result import files (XLSX with openpyxl, CSV), and a demo class.

The file format is documented in :mod:`credential_service.transcripts.import_rules`; these functions only turn bytes
into :class:`Table` values (and back). Validation is ``validate_class_import``::

    roster, results = read_xlsx(uploaded_bytes)
    students = validate_class_import(roster, results, grade=10)

All demo data is synthetic: names are drawn from common Vietnamese name parts, IDs are random.
"""

from __future__ import annotations

import csv
import io
import random
import zlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.platform.spreadsheet_input import csv_rows, open_xlsx, sheet_rows
from credential_service.platform.upload_limits import MB, SpreadsheetLimits
from credential_service.transcripts.assessment_counts import allowed_tx_counts
from credential_service.transcripts.grading import Level, Verdict
from credential_service.transcripts.import_rules import (
    RESULTS_HEADERS,
    RESULTS_SHEET,
    ROSTER_HEADERS,
    ROSTER_SHEET,
    Sex,
    StudentYear,
    Table,
    header_key,
)
from credential_service.transcripts.subjects import Subject, lookup_subject
from credential_service.transcripts.year_input import ScoredSemester, SemesterInput, SubjectInput, YearInput, score_text

# ------------------------------------------------------------------------------------ reading

# One class's year results: HocSinh has a row per student (≤ 60 in practice), Diem a row per student and
# subject (60 × 16 = 960); 11 and 10 columns. The limits leave room for that and refuse what is not a class.
CLASS_IMPORT_LIMITS = SpreadsheetLimits(
    label=Message("tệp nhập điểm lớp", "class import file"),
    max_bytes=2 * MB,
    max_unzipped_bytes=100 * MB,
    max_sheets=10,
    max_rows=2_000,
    max_columns=200,
    max_cells=200_000,
    max_line_chars=64 * 1024,
    seconds=20.0,
    memory_bytes=768 * MB,
)


def _invalid_file(vi: str, en: str, **location: Any) -> InvalidInput:
    message = Message(vi, en)
    return InvalidInput(message, problems=[Problem(message, location)])


def _trim(values: Sequence[Any]) -> list[Any]:
    out = list(values)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def _table(name: str, rows: list[tuple[int, list[Any]]]) -> Table:
    """First row is the header; an empty sheet gives a Table without headers."""
    rows = [(n, _trim(values)) for n, values in rows]
    if not rows:
        return Table(name, [], [])
    (header_row, headers), data = rows[0], rows[1:]
    return Table(name, headers, data, header_row=header_row)


def read_xlsx(data: bytes, limits: SpreadsheetLimits = CLASS_IMPORT_LIMITS) -> tuple[Table, Table]:
    """The ``HocSinh`` and ``Diem`` sheets of an XLSX workbook (sheet names matched tolerantly), within
    ``limits`` (run it in a worker: :func:`credential_service.platform.upload_limits.run_limited`)."""
    with open_xlsx(data, limits, file="xlsx") as workbook:
        sheets = {header_key(ws.title): ws for ws in workbook.worksheets}
        found = [ws.title for ws in workbook.worksheets]
        missing = [name for name in (ROSTER_SHEET, RESULTS_SHEET) if header_key(name) not in sheets]
        if missing:
            raise _invalid_file(
                f"Thiếu trang tính {', '.join(missing)}; tệp có: {', '.join(found) or 'không có'}; "
                f"cần: {ROSTER_SHEET}, {RESULTS_SHEET}",
                f"Missing sheet(s) {', '.join(missing)}; the workbook has: {', '.join(found) or 'none'}; "
                f"expected: {ROSTER_SHEET}, {RESULTS_SHEET}",
                sheets_found=found,
                sheets_expected=[ROSTER_SHEET, RESULTS_SHEET],
            )
        tables = []
        for name in (ROSTER_SHEET, RESULTS_SHEET):
            rows = list(sheet_rows(sheets[header_key(name)], limits, file="xlsx"))
            tables.append(_table(name, rows))
        return tables[0], tables[1]


def _decode(data: bytes, file_name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _invalid_file(
            f"Tệp {file_name} không phải mã UTF-8 (byte lỗi ở vị trí {exc.start}); có thể tệp được lưu bằng "
            "Windows-1258 hoặc Latin-1. Hãy lưu lại dưới dạng 'CSV UTF-8'.",
            f"File {file_name} is not UTF-8 (bad byte at offset {exc.start}); it may have been saved as "
            "Windows-1258 or Latin-1. Save it again as 'CSV UTF-8'.",
            file=file_name,
            byte_offset=exc.start,
        ) from exc


def _read_csv_table(data: bytes, name: str, file_name: str, limits: SpreadsheetLimits) -> Table:
    text = _decode(data, file_name)
    return _table(name, [(n, list(v)) for n, v in csv_rows(text, limits, file=file_name)])


def read_csv(
    roster_bytes: bytes,
    results_bytes: bytes,
    *,
    roster_file: str = f"{ROSTER_SHEET}.csv",
    results_file: str = f"{RESULTS_SHEET}.csv",
    limits: SpreadsheetLimits = CLASS_IMPORT_LIMITS,
) -> tuple[Table, Table]:
    """Two CSV files (UTF-8, with or without BOM; ',' or ';' or tab separated) as roster and results."""
    return (
        _read_csv_table(roster_bytes, ROSTER_SHEET, roster_file, limits),
        _read_csv_table(results_bytes, RESULTS_SHEET, results_file, limits),
    )


# ------------------------------------------------------------------------------------ writing


def _tt22_year(s: StudentYear) -> YearInput:
    """The workbook is the grades 6–12 one (Circular 22); a primary year has its own shape (JSON import only)."""
    if not isinstance(s.year, YearInput):
        raise TypeError("the class workbook holds grades 6–12 only")
    return s.year


def _roster_row(s: StudentYear) -> list[Any]:
    y = _tt22_year(s)
    return [
        s.code, s.full_name, s.date_of_birth.strftime("%d/%m/%Y"), str(s.sex), s.place_of_birth, s.ethnicity,
        s.personal_id or "", str(y.conduct_hk1), str(y.conduct_hk2), y.absences, y.teacher_comment or "",
    ]  # fmt: skip


def _semester_cells(value: SemesterInput) -> tuple[list[str], str]:
    if isinstance(value, ScoredSemester):
        return ["; ".join(score_text(s) for s in value.tx), score_text(value.gk), score_text(value.ck)], ""
    return ["", "", ""], "Đ" if value is Verdict.DAT else "CĐ"


def _result_rows(s: StudentYear) -> list[list[Any]]:
    rows = []
    year = _tt22_year(s)
    for item in year.subjects:
        hk1, v1 = _semester_cells(item.hk1)
        hk2, v2 = _semester_cells(item.hk2)
        rows.append([s.code, item.name, *hk1, *hk2, v1, v2, year.comments.get(item.name, "")])
    return rows


def write_sample_xlsx(students: Sequence[StudentYear]) -> bytes:
    """An import workbook (sheets HocSinh and Diem) holding ``students``; all cells are text."""
    workbook = Workbook()
    roster = workbook.active
    assert roster is not None
    roster.title = ROSTER_SHEET
    roster.append(list(ROSTER_HEADERS))
    for s in students:
        roster.append([str(v) for v in _roster_row(s)])
    results = workbook.create_sheet(RESULTS_SHEET)
    results.append(list(RESULTS_HEADERS))
    for s in students:
        for row in _result_rows(s):
            results.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")  # BOM: Excel then opens it as UTF-8


def write_sample_csv(students: Sequence[StudentYear]) -> tuple[bytes, bytes]:
    """The two CSV files (HocSinh.csv, Diem.csv), UTF-8 with BOM, for ``students``."""
    roster = _csv_bytes(ROSTER_HEADERS, [_roster_row(s) for s in students])
    results = _csv_bytes(RESULTS_HEADERS, [row for s in students for row in _result_rows(s)])
    return roster, results


# ------------------------------------------------------------------------------------ demo class

DEMO_SCHOOL_YEAR_START = 2025  # school year 2025–2026: grade g students were born in 2025 − (g + 5)

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Đinh", "Phan"]
_MIDDLE = {Sex.NAM: ["Văn", "Đức", "Minh", "Quang", "Hữu", "Thành", "Gia"],
           Sex.NU: ["Thị", "Ngọc", "Thu", "Phương", "Minh", "Thanh", "Khánh"]}  # fmt: skip
_GIVEN = {
    Sex.NAM: ["Trưởng", "Hùng", "Dũng", "Long", "Khoa", "Nam", "Phúc", "Quân", "Tuấn", "Hiếu", "Đạt", "Sơn"],
    Sex.NU: ["Hương", "Lan", "Linh", "Trang", "Mai", "Hà", "Ngân", "Thảo", "Yến", "Vy", "Anh", "Huyền"],
}
_BIRTHPLACES = [
    "Lê Chân, Hải Phòng", "Ngô Quyền, Hải Phòng", "Hồng Bàng, Hải Phòng", "Hải An, Hải Phòng",
    "Kiến An, Hải Phòng", "Thủy Nguyên, Hải Phòng", "An Dương, Hải Phòng", "Kiến Thụy, Hải Phòng",
]  # fmt: skip

_THCS_SUBJECTS = [
    "Ngữ văn", "Toán", "Ngoại ngữ 1", "Giáo dục công dân", "Lịch sử và Địa lí", "Khoa học tự nhiên",
    "Công nghệ", "Tin học", "Giáo dục thể chất", "Âm nhạc", "Mĩ thuật",
    "Hoạt động trải nghiệm, hướng nghiệp", "Nội dung giáo dục của địa phương",
]  # fmt: skip
_THPT_SUBJECTS = [
    "Ngữ văn", "Toán", "Ngoại ngữ 1", "Lịch sử", "Vật lí", "Hóa học", "Sinh học", "Tin học",
    "Giáo dục quốc phòng và an ninh", "Giáo dục thể chất", "Hoạt động trải nghiệm, hướng nghiệp",
    "Nội dung giáo dục của địa phương",
]  # fmt: skip

# (mean score, spread, conduct choices) per profile
_PROFILES: dict[str, tuple[float, float, list[Level]]] = {
    "excellent": (9.1, 0.4, [Level.TOT]),
    "good": (7.8, 0.6, [Level.TOT, Level.TOT, Level.KHA]),
    "fair": (6.6, 0.9, [Level.TOT, Level.KHA, Level.KHA]),
    "pass": (5.6, 0.8, [Level.KHA, Level.DAT]),
}


def demo_subjects(grade: int) -> list[Subject]:
    names = _THCS_SUBJECTS if grade <= 9 else _THPT_SUBJECTS
    return [lookup_subject(n, grade=grade) for n in names]


def _score(rng: random.Random, mean: float, spread: float) -> Decimal:
    value = min(10.0, max(0.0, rng.gauss(mean, spread)))
    return Decimal(str(round(value * 2) / 2))  # half points, as teachers mostly give


def _scored_semester(rng: random.Random, mean: float, spread: float, n_tx: int) -> ScoredSemester:
    tx = tuple(_score(rng, mean, spread) for _ in range(n_tx))
    return ScoredSemester(tx, _score(rng, mean, spread), _score(rng, mean, spread))


def _subject_input(rng: random.Random, subject: Subject, profile: str, weak: set[str], grade: int) -> SubjectInput:
    mean, spread, _ = _PROFILES[profile]
    if not subject.is_scored:
        verdict = Verdict.CHUA_DAT if subject.name in weak else Verdict.DAT
        return SubjectInput(subject, Verdict.DAT, verdict)
    if subject.name in weak:
        mean, spread = 3.0, 0.3
    elif profile == "excellent" and subject.name in {"Toán", "Ngữ văn", "Ngoại ngữ 1"}:
        mean = 9.4
    allowed = allowed_tx_counts(subject.name, grade)
    n_tx = allowed.start if allowed is not None else 3  # TT22 Art. 7.1: as many as the subject's periods
    hk1 = _scored_semester(rng, mean, spread, n_tx)
    hk2 = _scored_semester(rng, mean + 0.1, spread, n_tx)
    return SubjectInput(subject, hk1, hk2)


def _profile_for(index: int, n: int) -> str:
    if index in (0, n // 2) or (n > 20 and index == n // 4):
        return "excellent"
    if index == n - 1:
        return "failing"
    return ("good", "fair", "fair", "pass")[index % 4]


def _personal_id(rng: random.Random, sex: Sex, born: date) -> str:
    century = 0 if born.year < 2000 else 2
    digit = century + (1 if sex is Sex.NU else 0)
    return f"031{digit}{born.year % 100:02d}{rng.randrange(10**6):06d}"


def demo_class(class_name: str, grade: int, n: int = 40, seed: int = 1) -> list[StudentYear]:
    """A deterministic synthetic class: plausible Vietnamese names (NFC), Hải Phòng birthplaces, a few
    students at Tốt, most Khá/Đạt, and the last student at Chưa đạt needing re-assessment in two subjects.
    """
    rng = random.Random(seed * 1_000_003 + zlib.crc32(f"{class_name}/{grade}".encode()))
    subjects = demo_subjects(grade)
    birth_year = DEMO_SCHOOL_YEAR_START - (grade + 5)
    prefix = f"HS{grade:02d}{zlib.crc32(class_name.encode()) % 10000:04d}"
    students = []
    for i in range(n):
        sex = Sex.NU if rng.random() < 0.5 else Sex.NAM
        name = f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE[sex])} {rng.choice(_GIVEN[sex])}"
        born = date.fromordinal(date(birth_year, 1, 1).toordinal() + rng.randrange(365))
        profile = _profile_for(i, n)
        weak = {"Toán", "Vật lí" if grade >= 10 else "Khoa học tự nhiên"} if profile == "failing" else set()
        base = "pass" if profile == "failing" else profile
        items = tuple(_subject_input(rng, s, base, weak, grade) for s in subjects)
        conduct = _PROFILES[base][2]
        year = YearInput(
            grade=grade,
            subjects=items,
            conduct_hk1=rng.choice(conduct),
            conduct_hk2=Level.TOT if profile == "excellent" else rng.choice(conduct),
            absences=rng.choice([0, 0, 1, 2, 3, 5, 8]),
            teacher_comment=_teacher_comment(profile),
        )
        students.append(
            StudentYear(
                code=f"{prefix}{i + 1:02d}",
                full_name=name,
                date_of_birth=born,
                sex=sex,
                place_of_birth=rng.choice(_BIRTHPLACES),
                ethnicity="Kinh",
                personal_id=_personal_id(rng, sex, born),
                year=year,
            )
        )
    return students


def _teacher_comment(profile: str) -> str:
    return {
        "excellent": "Học tập xuất sắc, gương mẫu, tích cực tham gia hoạt động của lớp.",
        "good": "Chăm chỉ, tiến bộ đều, có ý thức tự giác.",
        "fair": "Có cố gắng, cần chủ động hơn trong học tập.",
        "pass": "Cần cố gắng nhiều hơn, chú ý nghe giảng.",
        "failing": "Kết quả học tập chưa đạt, cần ôn tập trong hè để kiểm tra lại.",
    }[profile]
