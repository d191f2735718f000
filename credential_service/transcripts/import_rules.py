"""Validation of one class's year results, imported from a spreadsheet (XLSX or CSV), as pure code.

The readers in ``credential_service.transcripts.spreadsheets`` turn a file into two :class:`Table` values; this
module checks every cell, collects ALL problems and either returns the students or raises one
:class:`InvalidInput` that lists every problem with its location ``{"sheet", "row", "column"}``, the value,
and what was expected, in Vietnamese and English. Nothing is half-imported.

Import file format
------------------
Two tables (XLSX: two sheets; CSV: two files). Row 1 holds the headers; data starts on row 2. Header
matching ignores case, spacing, Unicode normal form and even missing diacritics ("Ma HS" = "Mã HS").
Blank rows are skipped. Extra columns are ignored.

Table ``HocSinh`` (class roster, one row per student):

=================  ========  ==============================================================
header             required  value
=================  ========  ==============================================================
Mã HS              yes       student code, unique in the file
Họ và tên          yes       full name
Ngày sinh          yes       dd/mm/yyyy or yyyy-mm-dd (or a date cell)
Giới tính          yes       Nam / Nữ
Nơi sinh           yes       place of birth
Dân tộc            yes       ethnicity
Số định danh       no        personal ID number: 12 digits (keep as text: leading zeros!); its
                             century/birth-year digits (4–6) must match Ngày sinh
Rèn luyện HK1      yes       conduct: Tốt / Khá / Đạt / Chưa đạt (or T / K / Đ / CĐ)
Rèn luyện HK2      yes       idem
Số buổi nghỉ       yes       sessions absent in the year (whole number ≥ 0)
Nhận xét GVCN      no        homeroom teacher's comment
=================  ========  ==============================================================

Table ``Diem`` (results, one row per student and subject):

=================  ========  ==============================================================
header             required  value
=================  ========  ==============================================================
Mã HS              yes       a code from HocSinh
Môn học            yes       subject name of CT GDPT 2018 (tolerant: "Tiếng Anh", "GDQP-AN", …)
HK1 TX             yes*      regular scores, separated by ";" or spaces: "8; 7.5; 9"
HK1 GK, HK1 CK     yes*      mid-/end-of-semester score
HK2 TX, GK, CK     yes*      idem for semester II
HK1 Đánh giá       yes**     Đ / CĐ (Đạt / Chưa đạt)
HK2 Đánh giá       yes**     idem
Nhận xét           no        subject teacher's comment
=================  ========  ==============================================================

\\* filled for scored subjects, empty for comment-only subjects; \\*\\* the reverse. The columns must exist
in both cases. Scores are 0–10 with at most one decimal, written with a dot ("8.5", not "8,5").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.assessment_counts import tx_count_for_subject_problem
from credential_service.transcripts.grading_types import Level
from credential_service.transcripts.import_cells import (
    DATE_EXPECTED,
    PIN_EXPECTED,
    SEX_EXPECTED,
    Cell,
    Sex,
    clean_text,
    header_key,
    parse_date,
    parse_personal_id,
    parse_sex,
    parse_tx,
    pin_birth_year,
    student_code,
)
from credential_service.transcripts.import_sheets import Table, _blank_row, _field, _map_headers, _Report, _Sheet
from credential_service.transcripts.primary_year import PrimaryYearInput
from credential_service.transcripts.record import STUDENT_DETAIL_COLUMNS
from credential_service.transcripts.subjects import (
    SUBJECTS,
    Programme,
    Subject,
    find_subject,
    known_subjects,
    not_in_grade_message,
    unknown_subject_message,
)
from credential_service.transcripts.value_parsers import (
    VERDICT_EXPECTED,
    FieldError,
    parse_count,
    parse_grade,
    parse_level,
    parse_score,
    parse_verdict,
)
from credential_service.transcripts.year_input import ScoredSemester, SemesterInput, SubjectInput, YearInput

__all__ = [
    "RESULTS_HEADERS",
    "RESULTS_OPTIONAL",
    "RESULTS_REQUIRED",
    "RESULTS_SHEET",
    "ROSTER_HEADERS",
    "ROSTER_OPTIONAL",
    "ROSTER_REQUIRED",
    "ROSTER_SHEET",
    "StudentYear",
    "Table",
    "validate_class_import",
]
# the cell parsers used to live here; re-exported for callers
__all__ += [
    "DATE_EXPECTED",
    "PIN_EXPECTED",
    "SEX_EXPECTED",
    "Cell",
    "FieldError",
    "Sex",
    "clean_text",
    "header_key",
    "parse_date",
    "parse_personal_id",
    "parse_sex",
    "parse_tx",
    "pin_birth_year",
    "student_code",
]

ROSTER_SHEET = "HocSinh"
RESULTS_SHEET = "Diem"

ROSTER_REQUIRED = (
    "Mã HS", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi sinh", "Dân tộc",
    "Rèn luyện HK1", "Rèn luyện HK2", "Số buổi nghỉ",
)  # fmt: skip
ROSTER_OPTIONAL = ("Số định danh", "Nhận xét GVCN", *STUDENT_DETAIL_COLUMNS)
DETAIL_MAX_CHARS = 300
ROSTER_HEADERS = (*ROSTER_REQUIRED[:6], "Số định danh", *ROSTER_REQUIRED[6:], "Nhận xét GVCN")
RESULTS_REQUIRED = (
    "Mã HS", "Môn học", "HK1 TX", "HK1 GK", "HK1 CK", "HK2 TX", "HK2 GK", "HK2 CK",
    "HK1 Đánh giá", "HK2 Đánh giá",
)  # fmt: skip
RESULTS_OPTIONAL = ("Nhận xét",)
RESULTS_HEADERS = (*RESULTS_REQUIRED, *RESULTS_OPTIONAL)
_ORDER = {s.name: i for i, s in enumerate(SUBJECTS)}


@dataclass(frozen=True)
class StudentYear:
    """One student of the class: identity as in the học bạ, and the year's results."""

    code: str
    full_name: str
    date_of_birth: date
    sex: Sex
    place_of_birth: str
    ethnicity: str
    personal_id: str | None
    year: YearInput | PrimaryYearInput  # a primary year (grades 1–5, Circular 27) from the JSON import
    details: Mapping[str, str] | None = None  # record.STUDENT_DETAIL_KEYS -> text, only those given


# ------------------------------------------------------------------------------------- roster


def _required_text(value: Cell, label_vi: str, label_en: str) -> str:
    text = clean_text(value)
    if not text:
        raise FieldError(Message(f"Thiếu {label_vi}", f"Missing {label_en}"))
    return text


@dataclass
class _RosterRow:
    row: int
    code: str
    full_name: str
    date_of_birth: date
    sex: Sex
    place_of_birth: str
    ethnicity: str
    personal_id: str | None
    conduct_hk1: Level
    conduct_hk2: Level
    absences: int
    teacher_comment: str | None
    details: dict[str, str] | None = None


def _detail_text(value: Cell) -> str:
    text = clean_text(value)
    if len(text) > DETAIL_MAX_CHARS:
        raise FieldError(
            Message(f"Quá dài ({len(text)} ký tự)", f"Too long ({len(text)} characters)"),
            Message(f"tối đa {DETAIL_MAX_CHARS} ký tự", f"at most {DETAIL_MAX_CHARS} characters"),
        )
    return text


def _roster_row(report: _Report, sheet: _Sheet, row: int, values: Sequence[Cell]) -> _RosterRow | None:
    before = len(report.problems)

    def get(header: str, parse: Any) -> Any:
        return _field(report, sheet, row, values, header, parse)

    code = get("Mã HS", lambda v: _required_text(v, "mã học sinh", "student code"))
    name = get("Họ và tên", lambda v: _required_text(v, "họ và tên", "full name"))
    born = get("Ngày sinh", parse_date)
    sex = get("Giới tính", parse_sex)
    place = get("Nơi sinh", lambda v: _required_text(v, "nơi sinh", "place of birth"))
    ethnicity = get("Dân tộc", lambda v: _required_text(v, "dân tộc", "ethnicity"))
    pin = get("Số định danh", lambda v: parse_personal_id(v, born))
    hk1 = get("Rèn luyện HK1", parse_level)
    hk2 = get("Rèn luyện HK2", parse_level)
    absences = get("Số buổi nghỉ", parse_count)
    comment = clean_text(sheet.cell(values, "Nhận xét GVCN")) or None
    details = {key: text for column, key in STUDENT_DETAIL_COLUMNS.items() if (text := get(column, _detail_text))}
    if len(report.problems) > before:
        return None
    return _RosterRow(row, code, name, born, sex, place, ethnicity, pin, hk1, hk2, absences, comment, details or None)


def _read_roster(report: _Report, sheet: _Sheet) -> tuple[dict[str, _RosterRow], set[str]]:
    """Valid roster rows by code, and every code seen (valid row or not)."""
    students: dict[str, _RosterRow] = {}
    first_row: dict[str, int] = {}
    for row, values in sheet.table.rows:
        if _blank_row(values):
            continue
        code = student_code(sheet.cell(values, "Mã HS"))
        if code and code in first_row:
            report.add(
                sheet.table.name, row, "Mã HS",
                Message(
                    f"Mã HS {code} bị trùng (đã có ở dòng {first_row[code]})",
                    f"Duplicate student code {code} (already on row {first_row[code]})",
                ),
                code, Message("mỗi học sinh một mã duy nhất", "a unique code per student"),
            )  # fmt: skip
            continue
        if code:
            first_row[code] = row
        parsed = _roster_row(report, sheet, row, values)
        if parsed is not None:
            students[parsed.code] = parsed
    return students, set(first_row)


# ------------------------------------------------------------------------------------ results


@dataclass
class _ResultRow:
    row: int
    item: SubjectInput
    comment: str | None


def _semester(
    report: _Report, sheet: _Sheet, row: int, values: Sequence[Cell], subject: Subject, hk: str
) -> SemesterInput | None:
    name = sheet.table.name
    score_cols = (f"{hk} TX", f"{hk} GK", f"{hk} CK")
    verdict_col = f"{hk} Đánh giá"
    if not subject.is_scored:
        for col in score_cols:
            if sheet.cell(values, col) is not None:
                report.add(
                    name, row, col,
                    Message(
                        f"Môn {subject.name} đánh giá bằng nhận xét: để trống cột điểm, "
                        f"ghi Đ/CĐ ở cột {verdict_col}",
                        f"{subject.name} is assessed by comment: leave score columns empty, put Đ/CĐ in "
                        f"{verdict_col}",
                    ),
                    sheet.cell(values, col), VERDICT_EXPECTED,
                )  # fmt: skip
                return None
        verdict: SemesterInput | None = _field(report, sheet, row, values, verdict_col, parse_verdict)
        return verdict
    tx = _field(report, sheet, row, values, score_cols[0], parse_tx)
    gk = _field(report, sheet, row, values, score_cols[1], parse_score)
    ck = _field(report, sheet, row, values, score_cols[2], parse_score)
    if tx is None or gk is None or ck is None:
        return None
    return ScoredSemester(tx, gk, ck)


def _subject(
    report: _Report, sheet: _Sheet, row: int, values: Sequence[Cell], grade: int, programme: Programme
) -> Subject | None:
    raw = sheet.cell(values, "Môn học")
    subject = find_subject(clean_text(raw)) if raw is not None else None
    if subject is None:
        message = unknown_subject_message(clean_text(raw)) if raw is not None else Message(
            "Thiếu tên môn học", "Missing subject name"
        )  # fmt: skip
        report.add(sheet.table.name, row, "Môn học", message, raw, known_subjects(grade, programme))
        return None
    if not subject.offered_in(grade, programme):
        report.add(
            sheet.table.name, row, "Môn học", not_in_grade_message(subject, grade, programme), raw,
            known_subjects(grade, programme),
        )  # fmt: skip
        return None
    return subject


def _read_results(
    report: _Report, sheet: _Sheet, roster_codes: set[str], grade: int, programme: Programme
) -> dict[str, list[_ResultRow]]:
    by_student: dict[str, list[_ResultRow]] = {}
    first_row: dict[tuple[str, str], int] = {}
    name = sheet.table.name
    for row, values in sheet.table.rows:
        if _blank_row(values):
            continue
        code = student_code(sheet.cell(values, "Mã HS"))
        if not code:
            report.add(name, row, "Mã HS", Message("Thiếu mã học sinh", "Missing student code"))
        elif code not in roster_codes:
            report.add(
                name, row, "Mã HS",
                Message(
                    f"Không có học sinh mã {code} trong bảng {ROSTER_SHEET}",
                    f"Missing student: code {code} is not in sheet {ROSTER_SHEET}",
                ),
                code, Message(f"một Mã HS của bảng {ROSTER_SHEET}", f"a student code from {ROSTER_SHEET}"),
            )  # fmt: skip
        subject = _subject(report, sheet, row, values, grade, programme)
        if subject is not None and code:
            key = (code, subject.name)
            if key in first_row:
                report.add(
                    name, row, "Môn học",
                    Message(
                        f"Học sinh {code} có hai dòng môn {subject.name} (dòng {first_row[key]} và {row})",
                        f"Student {code} has two rows for {subject.name} (rows {first_row[key]} and {row})",
                    ),
                    sheet.cell(values, "Môn học"),
                    Message("mỗi học sinh một dòng cho mỗi môn", "one row per student and subject"),
                )  # fmt: skip
                continue
            first_row[key] = row
        if subject is None:
            continue
        hk1 = _semester(report, sheet, row, values, subject, "HK1")
        hk2 = _semester(report, sheet, row, values, subject, "HK2")
        for hk, semester in (("HK1", hk1), ("HK2", hk2)):
            if isinstance(semester, ScoredSemester):
                problem = tx_count_for_subject_problem(subject.name, grade, len(semester.tx), programme)
                if problem is not None:
                    expected = Message("số điểm theo số tiết/năm của môn", "as many scores as the subject's periods")
                    report.add(name, row, f"{hk} TX", problem, "; ".join(str(s) for s in semester.tx), expected)
                    hk1 = hk2 = None
        if hk1 is None or hk2 is None or code not in roster_codes:
            continue
        comment = clean_text(sheet.cell(values, "Nhận xét")) or None
        by_student.setdefault(code, []).append(_ResultRow(row, SubjectInput(subject, hk1, hk2), comment))
    return by_student


# --------------------------------------------------------------------------------------- entry


def _student(student: _RosterRow, results: list[_ResultRow], grade: int, programme: Programme) -> StudentYear:
    items = sorted((r.item for r in results), key=lambda i: _ORDER[i.name])
    year = YearInput(
        grade=grade,
        subjects=tuple(items),
        conduct_hk1=student.conduct_hk1,
        conduct_hk2=student.conduct_hk2,
        absences=student.absences,
        comments={r.item.name: r.comment for r in results if r.comment},
        teacher_comment=student.teacher_comment,
        programme=programme,
    )
    return StudentYear(
        code=student.code,
        full_name=student.full_name,
        date_of_birth=student.date_of_birth,
        sex=student.sex,
        place_of_birth=student.place_of_birth,
        ethnicity=student.ethnicity,
        personal_id=student.personal_id,
        year=year,
        details=student.details,
    )


def _problem_order(p: Problem) -> tuple[int, int]:
    sheet = 0 if p.location.get("sheet") == ROSTER_SHEET else 1
    return sheet, int(p.location.get("row") or 0)


def validate_class_import(
    roster: Table, results: Table, *, grade: int, programme: Programme = Programme.GDPT
) -> list[StudentYear]:
    """Check a class's roster and results; return the students in roster order, or raise InvalidInput
    listing every problem found (location {"sheet", "row", "column"}, value, expected)."""
    try:
        grade = parse_grade(grade)
    except FieldError as err:
        raise InvalidInput(err.message, problems=[Problem(err.message, {"field": "grade"}, grade)]) from None
    report = _Report()
    roster_sheet = _map_headers(roster, ROSTER_REQUIRED, ROSTER_OPTIONAL, report)
    results_sheet = _map_headers(results, RESULTS_REQUIRED, RESULTS_OPTIONAL, report)
    if roster_sheet is None or results_sheet is None:
        _raise(report)
    assert roster_sheet is not None and results_sheet is not None
    students, codes = _read_roster(report, roster_sheet)
    by_student = _read_results(report, results_sheet, codes, grade, programme)
    seen_in_results = {
        student_code(results_sheet.cell(values, "Mã HS")) for _, values in results.rows if not _blank_row(values)
    }
    for code, student in students.items():
        if code not in seen_in_results:
            report.add(
                roster.name, student.row, "Mã HS",
                Message(
                    f"Học sinh {code} ({student.full_name}) không có dòng kết quả nào "
                    f"trong bảng {results.name}",
                    f"Student {code} ({student.full_name}) has no results in sheet {results.name}",
                ),
                code,
            )  # fmt: skip
    if report.problems:
        _raise(report)
    return [_student(s, by_student[code], grade, programme) for code, s in students.items()]


def _raise(report: _Report) -> None:
    problems = sorted(report.problems, key=_problem_order)
    n = len(problems)
    raise InvalidInput(
        Message(
            f"Tệp nhập có {n} lỗi; chưa có dữ liệu nào được nhập",
            f"The import file has {n} problem(s); nothing was imported",
        ),
        problems=problems,
        hint=Message("Sửa các ô được nêu rồi nhập lại cả tệp", "Fix the cells listed and import the whole file again"),
    )
