"""A primary class's spreadsheet (Circular 27/2020, grades 1–5): the same two sheets as grades 6–12, with their
own columns (pure rules).

* ``HocSinh``, a row per student: the identity columns of the học bạ, then one column per quality and per
  competence (Tốt / Đạt / Cần cố gắng; the specific competences only where the grade assesses them), the
  homeroom teacher's comment, and a proposal for the "Tiêu biểu" title (the teacher's, recorded as such).
* ``Diem``, a row per student and subject: the level (T / H / C) and, for a tested subject, the periodic test
  (a whole number 0–10) at the end of semester I and of the year.

Every problem is located (sheet, row, column) and nothing is imported while one remains, as for grades 6–12;
each student's year is checked by :func:`~credential_service.transcripts.primary_year.parse_primary_year`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.import_cells import (
    Cell,
    clean_text,
    parse_date,
    parse_personal_id,
    parse_sex,
    student_code,
)
from credential_service.transcripts.import_rules import ROSTER_SHEET, StudentYear
from credential_service.transcripts.import_sheets import Table, _blank_row, _field, _map_headers, _Report, _Sheet
from credential_service.transcripts.primary_catalogue import GENERAL_COMPETENCES, QUALITIES, SPECIFIC_COMPETENCES
from credential_service.transcripts.primary_year import parse_primary_year
from credential_service.transcripts.record import STUDENT_DETAIL_COLUMNS
from credential_service.transcripts.value_parsers import FieldError, is_blank

IDENTITY = ("Mã HS", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi sinh", "Dân tộc")
PRIMARY_ROSTER_REQUIRED = (*IDENTITY, *QUALITIES, *GENERAL_COMPETENCES)
PRIMARY_ROSTER_OPTIONAL = (
    "Số định danh", "Nhận xét GVCN", "Đề nghị khen thưởng", *SPECIFIC_COMPETENCES, *STUDENT_DETAIL_COLUMNS,
)  # fmt: skip
PRIMARY_RESULTS_REQUIRED = ("Mã HS", "Môn học", "HK1 Mức", "HK1 KTĐK", "CN Mức", "CN KTĐK")
# where a problem of parse_primary_year ("subjects.<name>.<period>.<part>") is in the results sheet
_PERIOD_COLUMNS = {("hk1", "level"): "HK1 Mức", ("hk1", "test"): "HK1 KTĐK",
                   ("year", "level"): "CN Mức", ("year", "test"): "CN KTĐK"}  # fmt: skip


def _required(value: Cell, vi: str, en: str) -> str:
    text = clean_text(value)
    if not text:
        raise FieldError(Message(f"Thiếu {vi}", f"Missing {en}"))
    return text


def _period(sheet: _Sheet, values: Sequence[Cell], level: str, test: str) -> dict[str, Any]:
    out: dict[str, Any] = {"level": sheet.cell(values, level)}
    if not is_blank(sheet.cell(values, test)):
        out["test"] = sheet.cell(values, test)
    return out


def _read_results(sheet: _Sheet) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, str], int]]:
    """Each student's subjects as parse_primary_year reads them, and the row of each (student, subject)."""
    subjects: dict[str, dict[str, Any]] = {}
    rows: dict[tuple[str, str], int] = {}
    for row, values in sheet.table.rows:
        if _blank_row(values):
            continue
        code, name = student_code(sheet.cell(values, "Mã HS")), clean_text(sheet.cell(values, "Môn học"))
        subjects.setdefault(code, {})[name] = {
            "hk1": _period(sheet, values, "HK1 Mức", "HK1 KTĐK"),
            "year": _period(sheet, values, "CN Mức", "CN KTĐK"),
        }
        rows.setdefault((code, name), row)
    return subjects, rows


def _locate(
    problem: Problem, code: str, roster_row: int, result_rows: dict[tuple[str, str], int], results: str
) -> tuple[str, int, str | None]:
    """Where a problem of one student's year is: the results row of a subject, else the student's roster row."""
    parts = str(problem.location.get("field") or "").split(".")
    if parts[0] == "subjects" and len(parts) >= 2 and (code, parts[1]) in result_rows:
        column = _PERIOD_COLUMNS.get((parts[2], parts[3])) if len(parts) >= 4 else None
        return results, result_rows[(code, parts[1])], column or "Môn học"
    if parts[0] in ("qualities", "competences") and len(parts) >= 2:
        return ROSTER_SHEET, roster_row, parts[1]
    return ROSTER_SHEET, roster_row, parts[0] or None


def validate_primary_import(roster: Table, results: Table, *, grade: int) -> list[StudentYear]:
    """Check a primary class's two sheets; the students in roster order, or InvalidInput listing every problem."""
    report = _Report()
    roster_sheet = _map_headers(roster, PRIMARY_ROSTER_REQUIRED, PRIMARY_ROSTER_OPTIONAL, report)
    results_sheet = _map_headers(results, PRIMARY_RESULTS_REQUIRED, (), report)
    if roster_sheet is None or results_sheet is None:
        _raise(report)
    assert roster_sheet is not None and results_sheet is not None
    subjects, result_rows = _read_results(results_sheet)
    out: list[StudentYear] = []
    for row, values in roster.rows:
        if _blank_row(values):
            continue
        before = len(report.problems)

        def get(header: str, parse: Any, row: int = row, values: Sequence[Cell] = values) -> Any:
            return _field(report, roster_sheet, row, values, header, parse)

        code = get("Mã HS", lambda v: _required(v, "mã học sinh", "student code"))
        name = get("Họ và tên", lambda v: _required(v, "họ và tên", "full name"))
        born = get("Ngày sinh", parse_date)
        sex = get("Giới tính", parse_sex)
        place = get("Nơi sinh", lambda v: _required(v, "nơi sinh", "place of birth"))
        ethnicity = get("Dân tộc", lambda v: _required(v, "dân tộc", "ethnicity"))
        pin = get("Số định danh", lambda v, born=born: parse_personal_id(v, born))
        cell = roster_sheet.cell
        data: dict[str, Any] = {
            "grade": grade,
            "subjects": subjects.get(code or "", {}),
            "qualities": {q: cell(values, q) for q in QUALITIES},
            "competences": {
                c: cell(values, c)
                for c in (*GENERAL_COMPETENCES, *SPECIFIC_COMPETENCES)
                if not is_blank(cell(values, c))
            },
        }
        for column, key in (("Nhận xét GVCN", "teacher_comment"), ("Đề nghị khen thưởng", "award_proposal")):
            if clean_text(cell(values, column)):
                data[key] = clean_text(cell(values, column))
        try:
            year = parse_primary_year(data)
        except InvalidInput as err:
            for p in err.problems:
                where, at, header = _locate(p, code or "", row, result_rows, results.name)
                report.add(where, at, header, p.message, p.value, p.expected)
            continue
        details = {k: text for col, k in STUDENT_DETAIL_COLUMNS.items() if (text := clean_text(cell(values, col)))}
        if len(report.problems) == before:
            out.append(StudentYear(code, name, born, sex, place, ethnicity, pin, year, details or None))
    if report.problems:
        _raise(report)
    return out


def _raise(report: _Report) -> None:
    problems = sorted(
        report.problems, key=lambda p: (p.location.get("sheet") != ROSTER_SHEET, p.location.get("row") or 0)
    )
    raise InvalidInput(
        Message(
            f"Tệp có {len(problems)} lỗi; chưa có gì được nhập.",
            f"The file has {len(problems)} problem(s); nothing was imported.",
        ),
        problems=problems,
    )
