"""Continuing-education (GDTX) learners get the same học bạ with their own subject list (issue #14 item 7;
Circular 12/2022/TT-BGDĐT, the GDTX programme at THPT level): the compulsory subjects, four electives, no
Giáo dục thể chất; grades 10–12 only. A GDTX class goes through import, render, sign and verify."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from level_book_fixture import add_class, add_school, issue_year, issued, pupils, record

from credential_service.app.bootstrap import Container
from credential_service.app.cli import main as sogoc
from credential_service.platform.errors import InvalidInput
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.import_rules import StudentYear
from credential_service.transcripts.subjects import GDTX_THPT_SUBJECTS, Programme, subjects_for_grade
from credential_service.transcripts.year_input import parse_year_input, year_input_to_json

SCORED = {"hk1": {"tx": [8, 8, 8, 8], "gk": 8, "ck": 8}, "hk2": {"tx": [8, 8, 8, 8], "gk": 8, "ck": 8}}


def _year(grade: int, subjects: dict[str, Any], programme: str | None = "GDTX") -> dict[str, Any]:
    data: dict[str, Any] = {"grade": grade, "subjects": subjects, "conduct": {"hk1": "Tốt", "hk2": "Tốt"},
                            "absences": 0}  # fmt: skip
    if programme is not None:
        data["programme"] = programme
    return data


def _problems(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    return [(p.location["field"], p.message.vi, p.message.en) for p in err.value.problems]


def test_the_gdtx_list_has_the_compulsory_subjects_and_the_electives_and_no_physical_education() -> None:
    names = {s.name for s in subjects_for_grade(11, Programme.GDTX)}
    assert names == GDTX_THPT_SUBJECTS
    assert {"Ngữ văn", "Toán", "Lịch sử", "Giáo dục quốc phòng và an ninh"} <= names
    assert "Giáo dục thể chất" not in names and "Nội dung giáo dục của địa phương" not in names
    assert subjects_for_grade(8, Programme.GDTX) == []


def test_a_gdtx_year_accepts_its_subjects_and_keeps_its_programme_in_the_canonical_json() -> None:
    year = parse_year_input(_year(11, {"Toán": SCORED, "Lịch sử": SCORED, "GDQP-AN": SCORED, "HĐTN": {
        "hk1": "Đ", "hk2": "Đ"}}, programme="gdtx"))  # fmt: skip
    assert year.programme is Programme.GDTX
    canonical = year_input_to_json(year)
    assert canonical["programme"] == "GDTX"
    assert parse_year_input(canonical) == year


def test_a_general_education_year_keeps_its_canonical_json_unchanged() -> None:
    canonical = year_input_to_json(parse_year_input(_year(11, {"Toán": SCORED}, programme=None)))
    assert "programme" not in canonical  # records issued before GDTX existed keep their bytes


def test_physical_education_in_a_gdtx_year_is_refused_naming_the_programme() -> None:
    (problem,) = _problems(_year(11, {"Toán": SCORED, "Giáo dục thể chất": {"hk1": "Đ", "hk2": "Đ"}}))
    field, vi, en = problem
    assert field == "subjects.Giáo dục thể chất"
    assert "giáo dục thường xuyên" in vi and "Thông tư 12/2022" in vi
    assert "GDTX" in en and "Circular 12/2022" in en


def test_gdtx_below_grade_10_and_an_unknown_programme_are_refused() -> None:
    assert [p[0] for p in _problems(_year(8, {"Toán": SCORED}))] == ["programme"]
    assert "lớp 10–12" in _problems(_year(8, {"Toán": SCORED}))[0][1]
    assert [p[0] for p in _problems(_year(11, {"Toán": SCORED}, programme="BTVH"))] == ["programme"]


pytestmark_signing = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)


def _gdtx_rows(n: int) -> list[StudentYear]:
    rows = pupils("11G", 11, n)
    return [
        replace(r, year=replace(r.year, programme=Programme.GDTX,
                                subjects=tuple(s for s in r.year.subjects if s.name in GDTX_THPT_SUBJECTS)))
        for r in rows
    ]  # fmt: skip


@pytestmark_signing
def test_a_gdtx_class_is_imported_rendered_signed_and_verified(container: Container, tmp_path: Path) -> None:
    c = container
    centre = add_school(c, "GDTX-HP", "Trung tâm GDTX Hải Phòng", ("Phạm Thu Hà", "Ngô Văn Tùng"))
    class_id = add_class(c, centre, "11G1", 11, "2025-2026", programme="GDTX")
    issue_year(c, centre, class_id, _gdtx_rows(3), date(2026, 5, 29))
    transcripts = list(issued(c, class_id).values())
    assert len(transcripts) == 3
    first = record(transcripts[0])
    assert first["class"]["programme"] == "GDTX"
    assert "Giáo dục thể chất" not in {s["name"] for s in first["results"]["subjects"]}

    path = tmp_path / "hocba-gdtx.pdf"
    path.write_bytes(transcripts[0].pdf)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
                    .stdout.split())  # fmt: skip
    assert "GIÁO DỤC THƯỜNG XUYÊN CẤP TRUNG HỌC PHỔ THÔNG" in text
    assert "Giáo dục quốc phòng và an ninh" in text
    sigs = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert sigs.count("Signature Validation: Signature is Valid.") == 3, sigs


@pytestmark_signing
def test_a_physical_education_row_in_a_gdtx_class_import_is_refused_with_its_row(container: Container) -> None:
    c = container
    centre = add_school(c, "GDTX-HP", "Trung tâm GDTX Hải Phòng", ("Phạm Thu Hà", "Ngô Văn Tùng"))
    class_id = add_class(c, centre, "11G2", 11, "2025-2026", programme="GDTX")
    rows = pupils("11G2", 11, 2)  # the general programme's subjects, Giáo dục thể chất among them
    with pytest.raises(InvalidInput) as err:
        imports.import_xlsx(c.transcripts, class_id, importers.write_sample_xlsx(rows), "11G2.xlsx")
    refused = [p for p in err.value.problems if p.value == "Giáo dục thể chất"]
    assert refused and all(p.location["column"] == "Môn học" and p.location.get("row") for p in refused)
    assert "Thông tư 12/2022" in refused[0].message.vi


@pytestmark_signing
def test_sogoc_class_create_opens_a_gdtx_class_and_refuses_gdtx_in_grade_8(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    c = container
    add_school(c, "GDTX-HP", "Trung tâm GDTX Hải Phòng", ("Phạm Thu Hà", "Ngô Văn Tùng"))
    base = ["--database-url", c.settings.database_url, "class", "create", "--school", "GDTX-HP", "--year", "2025-2026"]
    assert sogoc([*base, "--class", "10G1", "--grade", "10", "--programme", "gdtx"]) == 0
    assert c.transcripts.find_class("GDTX-HP", "10G1", "2025-2026").programme == "GDTX"
    capsys.readouterr()
    assert sogoc([*base, "--class", "8G1", "--grade", "8", "--programme", "GDTX"]) != 0
    err = capsys.readouterr().err
    assert "lớp 10–12" in err and "grades 10–12" in err
    assert sogoc([*base, "--class", "10G1", "--grade", "10", "--programme", "GDTX"]) != 0  # already there
