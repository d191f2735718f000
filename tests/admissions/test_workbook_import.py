"""The admissions workbook: every bad cell is reported with its sheet, row and column in both languages, and a
workbook with any problem imports nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from importlib.resources import files

import pytest
from openpyxl import Workbook

from credential_service.admissions.import_files import read_workbook, write_workbook
from credential_service.admissions.import_rules import ApplicantRecord, validate_workbook
from credential_service.admissions.synthetic import synthetic_records
from credential_service.admissions.year_rules import YearConfig, parse_toml_config
from credential_service.platform.errors import InvalidInput


@pytest.fixture(scope="module")
def demo() -> YearConfig:
    text = files("credential_service.admissions").joinpath("demo_2026.toml").read_text(encoding="utf-8")
    return parse_toml_config(text)


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEAD = ["Số báo danh", "Số định danh", "Toán", "Ngữ văn", "Ngoại ngữ", "Toán chuyên", "Vi phạm"]


def test_a_written_workbook_reads_back_as_the_same_applicants(demo: YearConfig) -> None:
    records = synthetic_records(demo, 300)
    assert validate_workbook(read_workbook(write_workbook(records, demo)), demo) == sorted(
        records, key=lambda r: r.registration_no
    )


def test_headers_match_without_diacritics_and_v_marks_an_absence(demo: YearConfig) -> None:
    data = workbook({
        "ketquathi": [["so bao danh", "SO DINH DANH", "toan", "ngu van", "ngoai ngu", "Toan chuyen"],
                      ["HP0001", "031211000001", "8.25", 7, "V", None]],
        "NGUYEN VONG": [["Số báo danh", "NV1", "NV2"], ["HP0001", "CHUYEN-TP-TOAN", "THPT-NGO-QUYEN"]],
    })  # fmt: skip
    (record,) = validate_workbook(read_workbook(data), demo)
    assert record == ApplicantRecord(
        "HP0001", "031211000001", {"Toán": Decimal("8.25"), "Ngữ văn": Decimal(7), "Ngoại ngữ": None}, False,
        ("CHUYEN-TP-TOAN", "THPT-NGO-QUYEN"),
    )  # fmt: skip


def test_every_bad_cell_is_reported_once_with_its_place_and_nothing_is_returned(demo: YearConfig) -> None:
    data = workbook({
        "KetQuaThi": [HEAD,
                      ["HP0001", "031211000001", "8,5", "7", "11", None, "có"],
                      ["HP0001", "31211000002", None, "7", "7", "x", "maybe"]],
        "NguyenVong": [["Số báo danh", "NV1", "NV2", "NV3"],
                       ["HP0001", "THPT-NGO-QUYEN", "THPT-NGO-QUYEN", None],
                       ["HP0009", "THPT-XYZ", None, None]],
        "UuTien": [["Số báo danh", "Nhóm ưu tiên"], ["HP0001", "4"]],
        "TuyenThang": [["Số báo danh", "Diện tuyển thẳng"], ["HP0001", "ABC"]],
    })  # fmt: skip
    with pytest.raises(InvalidInput, match="nothing was imported") as caught:
        validate_workbook(read_workbook(data), demo)
    where = {(p.location["sheet"], p.location["row"], p.location["column"]) for p in caught.value.problems}
    assert where == {
        ("KetQuaThi", 2, "Toán"),  # a decimal comma
        ("KetQuaThi", 2, "Ngoại ngữ"),  # over 10
        ("KetQuaThi", 3, "Số báo danh"),  # a duplicate registration number
        ("KetQuaThi", 3, "Số định danh"),  # 11 digits
        ("KetQuaThi", 3, "Toán"),  # blank, not V
        ("KetQuaThi", 3, "Toán chuyên"),  # not a score
        ("KetQuaThi", 3, "Vi phạm"),
        ("NguyenVong", 2, "NV2"),  # the same school twice
        ("NguyenVong", 3, "Số báo danh"),  # not in KetQuaThi
        ("UuTien", 2, "Nhóm ưu tiên"),
        ("TuyenThang", 2, "Diện tuyển thẳng"),
    }
    comma = next(p for p in caught.value.problems if p.location["column"] == "Toán" and p.location["row"] == 2)
    assert "dấu chấm" in comma.message.vi and "decimal dot" in comma.message.en and comma.value == "8,5"


def test_a_missing_sheet_or_column_is_named(demo: YearConfig) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_workbook(read_workbook(workbook({"KetQuaThi": [HEAD[:3], ["HP1", "031211000001", 5]]})), demo)
    assert [p.message.en for p in caught.value.problems] == ["Missing sheet NguyenVong"]
    with pytest.raises(InvalidInput) as caught:
        data = workbook({"KetQuaThi": [HEAD[:3], ["HP1", "031211000001", 5]], "NguyenVong": [["Số báo danh", "NV1"]]})
        validate_workbook(read_workbook(data), demo)
    assert "missing the column(s) Ngữ văn, Ngoại ngữ" in caught.value.problems[0].message.en


def test_a_gap_between_wishes_is_refused(demo: YearConfig) -> None:
    data = workbook({
        "KetQuaThi": [HEAD, ["HP1", "031211000001", 5, 5, 5]],
        "NguyenVong": [["Số báo danh", "NV1", "NV2", "NV3"], ["HP1", "THPT-NGO-QUYEN", None, "THPT-THAI-PHIEN"]],
    })  # fmt: skip
    with pytest.raises(InvalidInput) as caught:
        validate_workbook(read_workbook(data), demo)
    assert caught.value.problems[0].location["column"] == "NV3"
