"""Numbers in a register book (graduation year, page, line, the sequence in a register number) are
whole numbers of ASCII digits of a sane length; anything else is a located, bilingual problem of the
book's report (sheet, row, column, value, expected), never an exception that would be a 500.

No database: :func:`validate_register` on the rows as read. The fuzzers' regression inputs under
``fuzz/regressions/register/`` are read as the upload would be.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from credential_service.diplomas.register_book import COLUMNS, BookInfo, LegacyRow
from credential_service.diplomas.register_demo import demo_register_rows
from credential_service.diplomas.register_files import SHEET, read_register
from credential_service.diplomas.register_validation import format_report, report_json, validate_register
from credential_service.diplomas.rules import DEFAULT_REGISTER_FORMAT, DiplomaType
from credential_service.platform.errors import InvalidInput, Problem
from credential_service.transcripts.import_rules import Table

REGRESSIONS = Path(__file__).resolve().parents[2] / "fuzz" / "regressions" / "register"
BOOK = BookInfo("SG-THPT-2004-Q1", "SO-GDDT-HP", "Sở Giáo dục và Đào tạo Hải Phòng", DiplomaType.THPT)
TODAY = date(2026, 6, 15)


def _validate(table: Table) -> list[LegacyRow]:
    return validate_register(table, BOOK, register_format=DEFAULT_REGISTER_FORMAT, today=TODAY)


def _book(**cells: Any) -> Table:
    """Two clean demo rows (2004), the first one with ``cells`` (column name -> value) changed."""
    rows = demo_register_rows(2)
    for name, value in cells.items():
        rows[0][COLUMNS.index(name)] = value
    return Table(SHEET, list(COLUMNS), [(n, list(r)) for n, r in enumerate(rows, 2)])


def _problems(table: Table) -> list[Problem]:
    with pytest.raises(InvalidInput) as err:
        _validate(table)
    format_report(err.value)  # what the CLI prints and the API returns work on them
    report_json(err.value)
    return err.value.problems


def _only_problem(table: Table, column: str) -> Problem:
    [problem] = _problems(table)
    assert problem.location == {"sheet": SHEET, "row": 2, "column": column}
    assert problem.message.vi and problem.message.en and problem.message.vi != problem.message.en
    return problem


@pytest.mark.parametrize(
    "year",
    [
        "²⁰⁰⁴",  # superscript digits: str.isdigit() says yes, int() says no
        "２００４",  # full-width digits: int() would take them; a year is written in ASCII digits
        "2" * 4301,  # more digits than int() converts
        "20040",
        "02004",
        "2004.5",
    ],
)
def test_a_graduation_year_that_is_not_four_ascii_digits_is_an_invalid_year(year: str) -> None:
    problem = _only_problem(_book(**{"Năm tốt nghiệp": year}), "Năm tốt nghiệp")
    assert problem.message.vi == "Năm tốt nghiệp không hợp lệ" and problem.message.en == "Invalid graduation year"
    assert problem.value == year
    assert problem.expected is not None and "2000" in problem.expected.en


@pytest.mark.parametrize("column", ["Trang", "Dòng"])
@pytest.mark.parametrize("value", ["²", "1²", "٣", "1234567", "9" * 5000, "0", "-3", "1.5"])
def test_a_page_or_line_that_is_not_a_positive_number_of_at_most_six_digits_is_located(column: str, value: str) -> None:
    problem = _only_problem(_book(**{column: value}), column)
    assert problem.message.vi == f"{column} phải là số nguyên dương"
    assert problem.message.en == f"{column} must be a positive whole number"
    assert problem.value == value
    assert problem.expected is not None and "6" in problem.expected.vi and "6 digits" in problem.expected.en


def test_numbers_of_ascii_digits_within_their_length_are_read() -> None:
    rows = _validate(_book(**{"Năm tốt nghiệp": 2004, "Trang": "999999", "Dòng": 25.0}))
    assert (rows[0].graduation_year, rows[0].page, rows[0].line) == (2004, 999_999, 25)


def test_a_register_number_with_sequence_zero_is_a_located_problem() -> None:
    table = _book(**{"Số vào sổ": "0/THPT/2004"})
    problem = _only_problem(table, "Số vào sổ")
    assert "bắt đầu từ 1" in problem.message.vi and "starts at 1" in problem.message.en
    assert problem.value == "0/THPT/2004"
    assert problem.expected is not None and DEFAULT_REGISTER_FORMAT in problem.expected.en


@pytest.mark.parametrize(
    ("regression", "column"),
    [
        ("page-number-superscript-digit.csv", "Trang"),
        ("graduation-year-4301-digits.csv", "Năm tốt nghiệp"),
        ("register-number-sequence-zero.csv", "Số vào sổ"),
    ],
)
def test_the_fuzzers_regression_books_are_refused_with_the_cell_located(regression: str, column: str) -> None:
    table = read_register((REGRESSIONS / regression).read_bytes(), regression)
    located = [p for p in _problems(table) if p.location.get("column") == column]
    assert located and all(p.location["row"] == 2 for p in located)
