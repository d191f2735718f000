"""A primary pupil's book across two school years (issue #14 item 3, primary level): grade 2 then grade 3 at one
school make one book; the grade-3 version carries grade 2 exactly as it was signed, the grade-2 version reads
superseded by it, and the PDF prints both years and validates."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from level_book_fixture import SchoolSigners, add_class, add_school, issued, record
from primary_fixture import example

from credential_service.app.bootstrap import Container
from credential_service.transcripts import imports
from credential_service.transcripts.workflow import Step
from credential_service.verification.service import VerificationService

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough
PUPIL = {"student_code": "TH-LB-01", "full_name": "Nguyễn Bảo Ngọc", "date_of_birth": "2017-03-14", "sex": "Nữ",
         "place_of_birth": "Lê Chân, Hải Phòng", "ethnicity": "Kinh", "personal_id": "031317000211"}  # fmt: skip


def _issue_primary_year(c: Container, school: SchoolSigners, class_id: str, year: dict[str, Any], on: date) -> None:
    year = {k: v for k, v in year.items() if k != "grade"}  # the class gives the grade
    report = imports.import_json(c.transcripts, class_id, {"students": [{**PUPIL, "year": year}]})
    assert report.created == 1
    c.transcripts.lock_class(class_id, issued_on=on)
    c.transcripts.sign_class(class_id, Step.GVCN, staff_id=school.gvcn)
    c.transcripts.sign_class(class_id, Step.PRINCIPAL, staff_id=school.principal)
    assert c.transcripts.sign_class(class_id, Step.SEAL, staff_id=school.seal).status == "issued"


def test_grade_2_then_grade_3_make_one_primary_book(container: Container, tmp_path: Path) -> None:
    c = container
    school = add_school(c, "TH-LB", "Trường Tiểu học Lê Bình", ("Trần Thị Mai", "Hoàng Văn Nam"))
    grade_2 = add_class(c, school, "2A", 2, "2024-2025")
    _issue_primary_year(c, school, grade_2, example(grade=2), date(2025, 5, 29))
    grade_3 = add_class(c, school, "3A", 3, "2025-2026")
    _issue_primary_year(c, school, grade_3, example(), date(2026, 5, 29))
    (first,) = issued(c, grade_2).values()
    (book,) = issued(c, grade_3).values()

    assert book.version == 2
    carried = record(book)
    assert carried["level"] == "primary"
    (year_2,) = carried["earlier_years"]
    assert (year_2["school_year"], year_2["credential_id"]) == ("2024-2025", first.id)
    assert year_2["results"] == record(first)["results"] and year_2["record_sha256"] == first.record_sha256
    assert [s["full_name"] for s in year_2["signed_by"]][:2] == ["Trần Thị Mai", "Hoàng Văn Nam"]

    verifier = VerificationService.from_settings(c.db, c.settings)
    assert verifier.credential_status(first.id).superseded_by == book.id
    assert verifier.verify_pdf(book.pdf).indication == "PASSED"
    path = tmp_path / "hocba-tieuhoc.pdf"
    path.write_bytes(book.pdf)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
                    .stdout.split())  # fmt: skip
    assert "NĂM HỌC 2024-2025 · LỚP 2A" in text and "NĂM HỌC 2025-2026 · LỚP 3A" in text
    sigs = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert sigs.count("Signature Validation: Signature is Valid.") == 3, sigs
