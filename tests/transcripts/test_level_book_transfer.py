"""One học bạ per level across schools (issue #14): a pupil who moves to another school continues the same book
there (found by the personal ID number, birth date and name, under the new school's student code), and the ledger
links the receiving school's entry to the sending school's. A new level starts a new book; a summer amendment of
a continued year keeps the book's earlier years."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from level_book_fixture import add_class, add_school, issue_year, issued, pupils, record
from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.errors import Conflict
from credential_service.transcripts.amendments import SummerResults
from credential_service.verification.service import VerificationService

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough


def _entries(c: Container) -> dict[str, LedgerEntry]:
    with c.db.reader() as s:
        return {e.credential_id: e for e in s.execute(select(LedgerEntry)).scalars()}


def test_a_transfer_continues_the_book_at_the_new_school_and_the_ledger_links_both_schools(
    container: Container,
) -> None:
    c = container
    sending = add_school(c, "THCS-A", "Trường THCS An Dương", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    receiving = add_school(c, "THCS-B", "Trường THCS Bạch Đằng", ("Phan Minh Tú", "Hoàng Thị Yến"), "gvcn-10a2")
    six = pupils("6A", 6, 2)
    six_id = add_class(c, sending, "6A", 6, "2024-2025")
    issue_year(c, sending, six_id, six, date(2025, 5, 30))
    seven_id = add_class(c, receiving, "7B", 7, "2025-2026")
    issue_year(c, receiving, seven_id, pupils("7B", 7, 2, like=six, code_prefix="BD-"), date(2026, 5, 29))

    entries = _entries(c)
    before, after = issued(c, six_id), issued(c, seven_id)
    assert set(before) == set(after)
    for pin, new in after.items():
        old, book = before[pin], record(new)
        assert book["student"]["student_code"] == f"BD-{record(old)['student']['student_code']}"
        assert book["school"]["code"] == "THCS-B" and book["continues"]["school_code"] == "THCS-A"
        (grade6,) = book["earlier_years"]
        assert grade6["school"]["name"] == "Trường THCS An Dương" and grade6["results"] == record(old)["results"]
        assert [x["full_name"] for x in grade6["signed_by"]] == ["Đỗ Thị Lan", "Vũ Văn Hải", "Trường THCS An Dương"]
        assert (entries[new.id].kind, entries[new.id].amends_seq) == ("continued", entries[old.id].seq)

    verifier = VerificationService.from_settings(c.db, c.settings)
    pin, new = next(iter(after.items()))
    result = verifier.verify_pdf(new.pdf)
    assert result.indication == "PASSED", [(k.name, k.sub_indication, k.detail) for k in result.checks]
    assert [y["school"] for y in result.to_dict()["years"]] == ["Trường THCS An Dương", "Trường THCS Bạch Đằng"]
    assert verifier.credential_status(before[pin].id).superseded_by == new.id


def test_another_pupil_with_the_same_id_number_but_another_birth_date_gets_no_one_elses_years(
    container: Container,
) -> None:
    c = container
    school = add_school(c, "THCS-A", "Trường THCS An Dương", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    six = pupils("6A", 6, 1)
    issue_year(c, school, add_class(c, school, "6A", 6, "2024-2025"), six, date(2025, 5, 30))
    other = [
        replace(row, date_of_birth=row.date_of_birth.replace(month=row.date_of_birth.month % 12 + 1, day=1))
        for row in six
    ]  # the same number, another birth date (in the year the number encodes)
    seven_id = add_class(c, school, "7B", 7, "2025-2026")
    issue_year(c, school, seven_id, pupils("7B", 7, 1, like=other, code_prefix="X-"), date(2026, 5, 29))
    (t,) = issued(c, seven_id).values()
    assert t.version == 1 and "earlier_years" not in record(t) and _entries(c)[t.id].kind == "issued"


def test_grade_10_after_grade_9_starts_a_new_book(container: Container) -> None:
    c = container
    school = add_school(c, "THCS-A", "Trường THCS An Dương", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    nine = pupils("9A", 9, 1)
    nine_id = add_class(c, school, "9A", 9, "2024-2025")
    issue_year(c, school, nine_id, nine, date(2025, 5, 30))
    high = add_school(c, "THPT-B", "Trường THPT Bạch Đằng", ("Phan Minh Tú", "Hoàng Thị Yến"), "gvcn-10a2")
    ten_id = add_class(c, high, "10A", 10, "2025-2026")
    issue_year(c, high, ten_id, pupils("10A", 10, 1, like=nine, code_prefix="BD-"), date(2026, 5, 29))
    (ten,) = issued(c, ten_id).values()
    (grade9,) = issued(c, nine_id).values()
    assert ten.version == 1 and "continues" not in record(ten) and "earlier_years" not in record(ten)
    assert _entries(c)[ten.id].kind == "issued"
    assert VerificationService.from_settings(c.db, c.settings).credential_status(grade9.id).status == "valid"


def test_a_summer_amendment_of_a_continued_year_keeps_the_books_earlier_years(container: Container) -> None:
    c = container
    school = add_school(c, "THCS-A", "Trường THCS An Dương", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    six = pupils("6A", 6, 3)  # the last demo pupil must be re-assessed in Toán and Khoa học tự nhiên
    issue_year(c, school, add_class(c, school, "6A", 6, "2024-2025"), six, date(2025, 5, 30))
    seven_id = add_class(c, school, "7A", 7, "2025-2026")
    issue_year(c, school, seven_id, pupils("7A", 7, 3, like=six), date(2026, 5, 29))
    book = issued(c, seven_id)[six[-1].personal_id or ""]
    assert record(book)["results"]["promotion"]["decision"] == "CAN_DANH_GIA_LAI"

    results = SummerResults({"Toán": 6.5, "Khoa học tự nhiên": 7.0}, None, "Kiểm tra lại trong hè 2026")
    grade6 = record(book)["continues"]["credential_id"]
    with pytest.raises(Conflict) as refused:  # the year the book moved on from is not amended: it would fork
        c.transcripts.amend_after_summer(grade6, results, staff_id=school.principal)
    assert refused.value.extra["continued_by"] == book.id
    amended = c.transcripts.amend_after_summer(book.id, results, staff_id=school.principal)
    c.transcripts.seal_amendment(amended.transcript_id, staff_id=school.seal)
    new = c.transcripts.transcript(amended.transcript_id)
    assert new.version == 3
    assert record(new)["earlier_years"] == record(book)["earlier_years"]
    assert record(new)["continues"] == record(book)["continues"]
    entries = _entries(c)
    assert (entries[new.id].kind, entries[new.id].amends_seq) == ("amended", entries[book.id].seq)
    result = VerificationService.from_settings(c.db, c.settings).verify_pdf(new.pdf)
    assert result.indication == "PASSED", [(k.name, k.sub_indication, k.detail) for k in result.checks]
    assert [y["version"] for y in result.to_dict()["years"]] == [1, 3]
