"""Admissions reads a continued học bạ book: grade 6, superseded only because the book went on to grade 7, is still
that year's signed record and counts as verified (issue #14 item 3 with issue #15 item 1)."""

from __future__ import annotations

from datetime import date

import pytest
from level_book_fixture import add_class, add_school, issue_year, issued, pupils

from credential_service.admissions.register_reader import RegisterReader
from credential_service.app.bootstrap import Container

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough


def test_a_year_the_book_continued_is_read_by_admissions_as_verified(container: Container) -> None:
    c = container
    school = add_school(c, "THCS-AD", "Trường THCS An Dương", ("Lê Thị Mai", "Phạm Văn Đức"))
    six = pupils("6B", 6, 1)
    six_id = add_class(c, school, "6B", 6, "2024-2025")
    issue_year(c, school, six_id, six, date(2025, 5, 30))
    seven_id = add_class(c, school, "7B", 7, "2025-2026")
    issue_year(c, school, seven_id, pupils("7B", 7, 1, like=six), date(2026, 5, 29))
    pin = six[0].personal_id
    assert pin is not None
    grade6 = issued(c, six_id)[pin]
    assert c.verification.credential_status(grade6.id).status == "superseded"  # by the book's grade-7 version

    reader = RegisterReader(c.transcripts, c.holders, c.diplomas, c.verification.credential_status, clock=c.clock)
    facts = reader.read([pin])[pin]
    by_grade = {y.grade: y for y in facts.years}
    assert sorted(by_grade) == [6, 7]
    assert by_grade[6].source.status == "continued" and by_grade[6].source.verified
    assert by_grade[6].source.credential_id == grade6.id
    assert by_grade[7].source.status == "valid" and by_grade[7].source.verified
