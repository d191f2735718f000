"""A primary class's spreadsheet (Circular 27): the HocSinh sheet with qualities and competences, the Diem sheet
with each subject's level and periodic test; every problem located, nothing imported while one remains."""

from __future__ import annotations

from typing import Any

import pytest

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.import_primary import (
    PRIMARY_RESULTS_REQUIRED,
    PRIMARY_ROSTER_REQUIRED,
    validate_primary_import,
)
from credential_service.transcripts.import_sheets import Table
from credential_service.transcripts.primary_catalogue import OverallResult
from credential_service.transcripts.primary_year import evaluate_primary_year

ROSTER = [*PRIMARY_ROSTER_REQUIRED, "Số định danh", "Ngôn ngữ", "Tính toán", "Nhận xét GVCN"]


def roster_row(code: str = "TH01", **kw: Any) -> list[Any]:
    row: dict[str, Any] = {
        "Mã HS": code, "Họ và tên": "Lê Minh Anh", "Ngày sinh": "04/05/2017", "Giới tính": "Nữ",
        "Nơi sinh": "Lê Chân, Hải Phòng", "Dân tộc": "Kinh", "Số định danh": "031317000101",
        "Yêu nước": "Tốt", "Nhân ái": "Tốt", "Chăm chỉ": "Tốt", "Trung thực": "Tốt", "Trách nhiệm": "Tốt",
        "Tự chủ và tự học": "Tốt", "Giao tiếp và hợp tác": "Tốt", "Giải quyết vấn đề và sáng tạo": "Tốt",
        "Ngôn ngữ": "Tốt", "Tính toán": "Tốt", "Nhận xét GVCN": "Chăm ngoan",
    }  # fmt: skip
    row.update(kw)
    return [row[h] for h in ROSTER]


def result_row(code: str, subject: str, hk1: str, hk1_test: Any, year: str, year_test: Any) -> list[Any]:
    return [code, subject, hk1, hk1_test, year, year_test]


def tables(roster: list[list[Any]], results: list[list[Any]]) -> tuple[Table, Table]:
    return (
        Table("HocSinh", list(ROSTER), [(i + 2, r) for i, r in enumerate(roster)]),
        Table("Diem", list(PRIMARY_RESULTS_REQUIRED), [(i + 2, r) for i, r in enumerate(results)]),
    )


GOOD = [
    result_row("TH01", "Tiếng Việt", "T", 9, "T", 10),
    result_row("TH01", "Toán", "T", 9, "T", 9),
    result_row("TH01", "Đạo đức", "H", "", "T", ""),
]


def test_a_primary_class_sheet_reads_into_circular_27_years() -> None:
    (student,) = validate_primary_import(*tables([roster_row()], GOOD), grade=3)
    assert (student.code, student.personal_id) == ("TH01", "031317000101")
    year = student.year
    assert [s.name for s in year.subjects] == ["Tiếng Việt", "Toán", "Đạo đức"]
    assert evaluate_primary_year(year).overall.value is OverallResult.HOAN_THANH_XUAT_SAC  # type: ignore[arg-type]
    assert year.teacher_comment == "Chăm ngoan"


def test_every_problem_is_located_on_its_sheet_row_and_column_and_nothing_is_imported() -> None:
    bad = [
        result_row("TH01", "Tiếng Việt", "X", 9, "T", 9.5),  # a level other than T/H/C, a decimal test
        result_row("TH01", "Toán", "T", 9, "T", 9),
        result_row("TH01", "Đạo đức", "H", "", "T", ""),
    ]
    with pytest.raises(InvalidInput) as err:
        validate_primary_import(*tables([roster_row(**{"Chăm chỉ": "Giỏi"})], bad), grade=3)
    found = {(p.location["sheet"], p.location["row"], p.location["column"]) for p in err.value.problems}
    assert ("Diem", 2, "HK1 Mức") in found and ("Diem", 2, "CN KTĐK") in found
    assert ("HocSinh", 2, "Chăm chỉ") in found
    assert all(p.message.vi and p.message.en for p in err.value.problems)


def test_a_sheet_without_the_quality_columns_is_refused_with_the_template() -> None:
    roster = Table("HocSinh", ["Mã HS", "Họ và tên"], [(2, ["TH01", "Lê Minh Anh"])])
    results = Table("Diem", list(PRIMARY_RESULTS_REQUIRED), [(2, GOOD[0])])
    with pytest.raises(InvalidInput) as err:
        validate_primary_import(roster, results, grade=3)
    assert "Yêu nước" in err.value.problems[0].message.vi
