"""XLSX/CSV readers, sample writers and the synthetic demo class."""

from __future__ import annotations

import io
import unicodedata
from collections import Counter

import pytest
from openpyxl import Workbook, load_workbook

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.grading import Level, PromotionDecision
from credential_service.transcripts.import_rules import RESULTS_HEADERS, ROSTER_HEADERS, Sex, validate_class_import
from credential_service.transcripts.rules_explain import evaluate_year
from credential_service.transcripts.spreadsheets import (
    demo_class,
    read_csv,
    read_xlsx,
    write_sample_csv,
    write_sample_xlsx,
)


@pytest.fixture(scope="module")
def klass() -> list:  # type: ignore[type-arg]
    return demo_class("10A1", 10, n=12, seed=3)


def test_xlsx_round_trip(klass: list) -> None:  # type: ignore[type-arg]
    roster, results = read_xlsx(write_sample_xlsx(klass))
    assert roster.name == "HocSinh" and results.name == "Diem"
    assert validate_class_import(roster, results, grade=10) == klass


def test_csv_round_trip_with_bom(klass: list) -> None:  # type: ignore[type-arg]
    roster_bytes, results_bytes = write_sample_csv(klass)
    assert roster_bytes.startswith(b"\xef\xbb\xbf")
    assert validate_class_import(*read_csv(roster_bytes, results_bytes), grade=10) == klass


def test_csv_without_bom_and_with_semicolons(klass: list) -> None:  # type: ignore[type-arg]
    roster_bytes, results_bytes = write_sample_csv(klass)
    roster_text = roster_bytes.decode("utf-8-sig").replace(",", ";")
    roster, _ = read_csv(roster_text.encode(), results_bytes)
    assert roster.headers == list(ROSTER_HEADERS)


def test_csv_in_windows_1258_says_save_as_utf8(klass: list) -> None:  # type: ignore[type-arg]
    roster_bytes, _ = write_sample_csv(klass)
    latin = "Mã HS,Họ và tên\r\nHS01,Nguyễn Thị Hương\r\n".encode("cp1258", errors="replace")
    with pytest.raises(InvalidInput) as err:
        read_csv(roster_bytes, latin, results_file="diem_lop_10A1.csv")
    problem = err.value.problems[0]
    assert problem.location["file"] == "diem_lop_10A1.csv"
    first_non_ascii = next(i for i, byte in enumerate(latin) if byte >= 0x80)  # "à" of "và"
    assert problem.location["byte_offset"] == first_non_ascii == 10
    assert "UTF-8" in err.value.message.vi and "UTF-8" in err.value.message.en


def test_latin1_file_names_the_roster_file() -> None:
    with pytest.raises(InvalidInput) as err:
        read_csv("Mã HS\r\n".encode("latin-1"), b"")
    assert err.value.problems[0].location == {"file": "HocSinh.csv", "byte_offset": 1}


def test_xlsx_missing_sheet_names_found_and_expected() -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Sheet1"
    wb.create_sheet("Diem")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(InvalidInput) as err:
        read_xlsx(out.getvalue())
    loc = err.value.problems[0].location
    assert loc["sheets_found"] == ["Sheet1", "Diem"] and loc["sheets_expected"] == ["HocSinh", "Diem"]
    assert "HocSinh" in err.value.message.vi


def test_xlsx_empty_workbook() -> None:
    out = io.BytesIO()
    Workbook().save(out)
    with pytest.raises(InvalidInput, match="HocSinh"):
        read_xlsx(out.getvalue())


def test_not_an_xlsx_file() -> None:
    with pytest.raises(InvalidInput, match="xlsx"):
        read_xlsx(b"Ma HS,Ho va ten\n")


def test_xlsx_empty_sheet_is_reported_as_wrong_sheet() -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "HocSinh"
    wb.active.append(list(ROSTER_HEADERS))
    wb.create_sheet("Diem")
    out = io.BytesIO()
    wb.save(out)
    roster, results = read_xlsx(out.getvalue())
    with pytest.raises(InvalidInput) as err:
        validate_class_import(roster, results, grade=10)
    locations = [(p.location["sheet"], p.location["column"]) for p in err.value.problems]
    assert ("Diem", None) in locations and ("HocSinh", None) in locations


def test_xlsx_bad_cell_is_located_by_excel_row(klass: list) -> None:  # type: ignore[type-arg]
    wb = load_workbook(io.BytesIO(write_sample_xlsx(klass)))
    ws = wb["Diem"]
    ws.cell(row=5, column=RESULTS_HEADERS.index("HK1 GK") + 1, value="8,5")
    ws.cell(row=7, column=RESULTS_HEADERS.index("HK2 CK") + 1, value=10.5)
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(InvalidInput) as err:
        validate_class_import(*read_xlsx(out.getvalue()), grade=10)
    located = {(p.location["sheet"], p.location["row"], p.location["column"]) for p in err.value.problems}
    assert located == {("Diem", 5, "HK1 GK"), ("Diem", 7, "HK2 CK")}


def test_xlsx_numeric_cells_are_read_as_scores(klass: list) -> None:  # type: ignore[type-arg]
    wb = load_workbook(io.BytesIO(write_sample_xlsx(klass)))
    ws = wb["Diem"]
    ws.cell(row=2, column=RESULTS_HEADERS.index("HK1 GK") + 1, value=7.5)
    out = io.BytesIO()
    wb.save(out)
    students = validate_class_import(*read_xlsx(out.getvalue()), grade=10)
    assert str(students[0].year.subjects[0].hk1.gk) == "7.5"  # type: ignore[union-attr]


# --- demo class ------------------------------------------------------------------------------------------


def test_demo_class_is_deterministic() -> None:
    assert demo_class("10A1", 10) == demo_class("10A1", 10)
    assert demo_class("10A1", 10) != demo_class("10A1", 10, seed=2)


@pytest.mark.parametrize("grade", [6, 9, 10, 12])
def test_demo_class_has_a_realistic_spread(grade: int) -> None:
    students = demo_class("A1", grade)
    evaluations = [evaluate_year(s.year) for s in students]
    levels = Counter(e.learning_year for e in evaluations)
    assert len(students) == 40
    assert 2 <= levels[Level.TOT] <= 8
    assert levels[Level.KHA] + levels[Level.DAT] >= 28
    assert levels[Level.CHUA_DAT] == 1
    failing = next(e for e in evaluations if e.learning_year is Level.CHUA_DAT)
    assert failing.promotion.decision is PromotionDecision.CAN_DANH_GIA_LAI
    assert failing.promotion.reassess_subjects


def test_demo_names_are_nfc_vietnamese_and_birthplaces_in_hai_phong() -> None:
    for s in demo_class("6A", 6):
        assert unicodedata.is_normalized("NFC", s.full_name) and len(s.full_name.split()) == 3
        assert s.place_of_birth.endswith("Hải Phòng")


def test_demo_personal_ids_encode_sex_and_birth_year() -> None:
    for s in demo_class("11B2", 11):
        pin = s.personal_id
        assert pin is not None and len(pin) == 12 and pin.isdigit() and pin.startswith("031")
        assert pin[3] == ("3" if s.sex is Sex.NU else "2")  # born in the 2000s
        assert pin[4:6] == f"{s.date_of_birth.year % 100:02d}"
