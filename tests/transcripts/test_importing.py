"""Validation of a class import: every bad input is reported with sheet, row and column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from credential_service.platform.errors import InvalidInput, Problem
from credential_service.transcripts.assessment_counts import allowed_tx_counts
from credential_service.transcripts.grading import Level, Verdict
from credential_service.transcripts.import_rules import (
    RESULTS_HEADERS,
    ROSTER_HEADERS,
    Sex,
    Table,
    validate_class_import,
)
from credential_service.transcripts.year_input import ScoredSemester

SCORED = ["Ngữ văn", "Toán", "Ngoại ngữ 1", "Lịch sử", "Vật lí", "Hóa học"]


def roster_row(code: str = "HS01", **kw: Any) -> list[Any]:
    row = {
        "Mã HS": code, "Họ và tên": "Nguyễn Thị Hương", "Ngày sinh": "05/09/2010", "Giới tính": "Nữ",
        "Nơi sinh": "Lê Chân, Hải Phòng", "Dân tộc": "Kinh", "Số định danh": "031310123456",
        "Rèn luyện HK1": "Tốt", "Rèn luyện HK2": "Khá", "Số buổi nghỉ": "3", "Nhận xét GVCN": "Chăm ngoan",
    }  # fmt: skip
    row.update(kw)
    return [row[h] for h in ROSTER_HEADERS]


def _tx(subject: str, scores: list[str], sep: str) -> str:
    """As many regular scores as the subject has in grade 10 (TT22 Art. 7.1)."""
    allowed = allowed_tx_counts(subject, 10)
    return sep.join(scores[: allowed.start if allowed else 3])


def result_row(code: str = "HS01", subject: str = "Toán", **kw: Any) -> list[Any]:
    row = {
        "Mã HS": code, "Môn học": subject, "HK1 TX": _tx(subject, ["8", "7.5", "9", "8"], "; "), "HK1 GK": "7",
        "HK1 CK": 8.5, "HK2 TX": _tx(subject, ["8"] * 4, ";"), "HK2 GK": "7.5", "HK2 CK": "8", "HK1 Đánh giá": "",
        "HK2 Đánh giá": "",
        "Nhận xét": "",
    }  # fmt: skip
    row.update(kw)
    return [row[h] for h in RESULTS_HEADERS]


def comment_row(code: str = "HS01", subject: str = "Giáo dục thể chất", **kw: Any) -> list[Any]:
    blanks = dict.fromkeys(["HK1 TX", "HK1 GK", "HK1 CK", "HK2 TX", "HK2 GK", "HK2 CK"], "")
    return result_row(code, subject, **{**blanks, "HK1 Đánh giá": "Đ", "HK2 Đánh giá": "CĐ", **kw})


def tables(roster: list[list[Any]], results: list[list[Any]]) -> tuple[Table, Table]:
    return (
        Table("HocSinh", list(ROSTER_HEADERS), [(i + 2, r) for i, r in enumerate(roster)]),
        Table("Diem", list(RESULTS_HEADERS), [(i + 2, r) for i, r in enumerate(results)]),
    )


def good_results(code: str = "HS01") -> list[list[Any]]:
    return [result_row(code, s) for s in SCORED] + [comment_row(code)]


def problems_of(roster: list[list[Any]], results: list[list[Any]]) -> list[Problem]:
    with pytest.raises(InvalidInput) as err:
        validate_class_import(*tables(roster, results), grade=10)
    return err.value.problems


def located(problems: list[Problem]) -> list[tuple[str, int, str | None]]:
    return [(p.location["sheet"], p.location["row"], p.location["column"]) for p in problems]


def test_a_valid_class_is_returned_in_roster_order() -> None:
    both = good_results("HS01") + good_results("HS02")
    roster, results = tables([roster_row("HS01"), roster_row("HS02")], both)
    students = validate_class_import(roster, results, grade=10)
    assert [s.code for s in students] == ["HS01", "HS02"]
    s = students[0]
    assert (s.full_name, s.date_of_birth, s.sex, s.personal_id) == (
        "Nguyễn Thị Hương", date(2010, 9, 5), Sex.NU, "031310123456",
    )  # fmt: skip
    toan = s.year.subject("Toán").hk1
    assert isinstance(toan, ScoredSemester) and toan.tx == (D("8"), D("7.5"), D("9"), D("8")) and toan.ck == D("8.5")
    assert s.year.subject("Giáo dục thể chất").hk2 is Verdict.CHUA_DAT
    assert s.year.conduct_hk2 is Level.KHA and s.year.absences == 3 and s.year.teacher_comment == "Chăm ngoan"


def test_headers_match_ignoring_case_spacing_and_diacritics() -> None:
    roster, results = tables([roster_row()], good_results())
    loose = [" ma hs ", "HỌ VÀ TÊN", "ngay sinh", *ROSTER_HEADERS[3:]]
    students = validate_class_import(Table("HocSinh", loose, roster.rows), results, grade=10)
    assert students[0].code == "HS01"


def test_unknown_subject() -> None:
    problems = problems_of([roster_row()], [*good_results(), result_row(subject="Thiên văn")])
    assert located(problems) == [("Diem", 9, "Môn học")]
    assert problems[0].value == "Thiên văn"


def test_score_of_10_5() -> None:
    results = good_results()
    results[1] = result_row(subject="Toán", **{"HK1 GK": "10.5"})
    problems = problems_of([roster_row()], results)
    assert located(problems) == [("Diem", 3, "HK1 GK")]
    assert problems[0].expected is not None


def test_comma_decimal_says_use_a_dot() -> None:
    results = good_results()
    results[0] = result_row(subject="Ngữ văn", **{"HK2 CK": "8,5"})
    problems = problems_of([roster_row()], results)
    assert located(problems) == [("Diem", 2, "HK2 CK")]
    assert "dấu chấm" in problems[0].message.vi and "dot" in problems[0].message.en


def test_comma_decimal_inside_regular_scores() -> None:
    results = good_results()
    results[0] = result_row(subject="Ngữ văn", **{"HK1 TX": "8; 8,5"})
    assert located(problems_of([roster_row()], results)) == [("Diem", 2, "HK1 TX")]


def test_non_number_score() -> None:
    results = good_results()
    results[2] = result_row(subject="Ngoại ngữ 1", **{"HK1 CK": "tám"})
    problems = problems_of([roster_row()], results)
    assert located(problems) == [("Diem", 4, "HK1 CK")] and problems[0].value == "tám"


def test_results_row_for_a_missing_student() -> None:
    problems = problems_of([roster_row()], [*good_results(), result_row("HS99")])
    assert located(problems) == [("Diem", 9, "Mã HS")]
    assert "HS99" in problems[0].message.vi and "Missing student" in problems[0].message.en


def test_roster_student_without_results() -> None:
    problems = problems_of([roster_row("HS01"), roster_row("HS02")], good_results("HS01"))
    assert located(problems) == [("HocSinh", 3, "Mã HS")]


def test_duplicated_student_subject_row() -> None:
    problems = problems_of([roster_row()], [*good_results(), result_row(subject="toán")])
    assert located(problems) == [("Diem", 9, "Môn học")]
    assert "3" in problems[0].message.vi  # names the first row


def test_duplicated_student_code() -> None:
    problems = problems_of([roster_row("HS01"), roster_row("HS01")], good_results())
    assert located(problems) == [("HocSinh", 3, "Mã HS")]


def test_empty_table_is_a_wrong_sheet() -> None:
    roster, _ = tables([roster_row()], [])
    with pytest.raises(InvalidInput) as err:
        validate_class_import(roster, Table("Diem", list(RESULTS_HEADERS), []), grade=10)
    assert located(err.value.problems) == [("Diem", 1, None)]


def test_missing_required_headers_is_a_wrong_sheet() -> None:
    _, results = tables([], good_results())
    roster = Table("HocSinh", ["Mã HS", "Họ và tên"], [(2, ["HS01", "A"])])
    with pytest.raises(InvalidInput) as err:
        validate_class_import(roster, results, grade=10)
    (problem,) = err.value.problems
    assert located([problem]) == [("HocSinh", 1, None)]
    assert "Ngày sinh" in problem.message.vi and "Ngày sinh" in problem.message.en


@pytest.mark.parametrize("bad", ["31/02/2010", "2010/09/05", "hôm qua"])
def test_bad_date(bad: str) -> None:
    problems = problems_of([roster_row(**{"Ngày sinh": bad})], good_results())
    assert located(problems) == [("HocSinh", 2, "Ngày sinh")]


@pytest.mark.parametrize("good", ["2010-09-05", "5/9/2010", date(2010, 9, 5)])
def test_good_dates(good: Any) -> None:
    students = validate_class_import(*tables([roster_row(**{"Ngày sinh": good})], good_results()), grade=10)
    assert students[0].date_of_birth == date(2010, 9, 5)


@pytest.mark.parametrize("bad", ["03131012345", "0313101234567", "03131012345X", 31310123456])
def test_malformed_personal_id(bad: Any) -> None:
    problems = problems_of([roster_row(**{"Số định danh": bad})], good_results())
    assert located(problems) == [("HocSinh", 2, "Số định danh")]


def test_personal_id_birth_year_must_match_date_of_birth() -> None:
    problems = problems_of([roster_row(**{"Số định danh": "031309123456"})], good_results())
    assert located(problems) == [("HocSinh", 2, "Số định danh")]


def test_personal_id_is_optional() -> None:
    students = validate_class_import(*tables([roster_row(**{"Số định danh": ""})], good_results()), grade=10)
    assert students[0].personal_id is None


def test_all_problems_are_collected_at_once() -> None:
    results = good_results()
    results[0] = result_row(subject="Ngữ văn", **{"HK1 GK": "10.5", "HK2 CK": "8,5"})
    problems = problems_of([roster_row(**{"Giới tính": "X", "Rèn luyện HK1": "Giỏi"})], results)
    assert set(located(problems)) == {
        ("HocSinh", 2, "Giới tính"), ("HocSinh", 2, "Rèn luyện HK1"),
        ("Diem", 2, "HK1 GK"), ("Diem", 2, "HK2 CK"),
    }  # fmt: skip


def test_scores_for_a_comment_subject_are_refused() -> None:
    results = [*good_results()[:-1], comment_row(**{"HK1 GK": "8"})]
    assert located(problems_of([roster_row()], results)) == [("Diem", 8, "HK1 GK")]


def test_subject_not_taught_in_the_grade() -> None:
    results = [*good_results(), result_row(subject="Khoa học tự nhiên")]
    assert located(problems_of([roster_row()], results)) == [("Diem", 9, "Môn học")]


def test_blank_rows_are_ignored() -> None:
    roster, results = tables([roster_row()], good_results())
    roster.rows.append((9, [None, "", "  "]))
    assert len(validate_class_import(roster, results, grade=10)) == 1


def test_the_forms_optional_columns_are_read_when_present_and_an_overlong_one_is_located() -> None:
    headers = [*ROSTER_HEADERS, "Nơi thường trú", "Đối tượng chính sách", "Số đăng bộ"]
    rows = [
        (2, [*roster_row("HS01"), "Lê Chân, Hải Phòng", "Con liệt sĩ", "ĐB-0412"]),
        (3, [*roster_row("HS02"), "", "", ""]),
    ]
    roster = Table("HocSinh", headers, rows)
    both = good_results("HS01") + good_results("HS02")
    results = Table("Diem", list(RESULTS_HEADERS), [(i + 2, r) for i, r in enumerate(both)])
    first, second = validate_class_import(roster, results, grade=10)
    assert first.details == {"permanent_residence": "Lê Chân, Hải Phòng", "policy_group": "Con liệt sĩ",
                             "enrolment_no": "ĐB-0412"}  # fmt: skip
    assert second.details is None
    rows[0][1][-1] = "x" * 301
    with pytest.raises(InvalidInput) as err:
        validate_class_import(Table("HocSinh", headers, rows), results, grade=10)
    assert located(err.value.problems) == [("HocSinh", 2, "Số đăng bộ")]
