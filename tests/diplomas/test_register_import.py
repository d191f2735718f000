"""Digitising a paper register book: the messy file's report, the fixed file's import, re-import,
cross-book conflicts in the reconciliation queue, and the public check on the legacy diplomas."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from credential_service.app.bootstrap import Container
from credential_service.diplomas.register_book import COLUMNS, BookInfo
from credential_service.diplomas.register_demo import (
    MESSY_ERRORS,
    demo_register_rows,
    make_messy,
    register_csv,
    register_xlsx,
)
from credential_service.diplomas.register_import import RegisterImporter
from credential_service.diplomas.register_validation import format_report
from credential_service.diplomas.rules import DiplomaType
from credential_service.diplomas.service import DiplomaService
from credential_service.diplomas.tables import Diploma, ReconciliationItem
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.errors import InvalidInput

BOOK = BookInfo("SG-THPT-2004-Q1", "SO-GDDT-HP", "Sở Giáo dục và Đào tạo Hải Phòng", DiplomaType.THPT,
                signer_name="Giám đốc Sở")  # fmt: skip


@pytest.fixture
def importer(container: Container) -> RegisterImporter:
    return RegisterImporter(container.db, container.settings)


def _count(c: Container, model: type) -> int:
    with c.db.reader() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_messy_register_report_locates_every_typical_error_and_imports_nothing(
    container: Container, importer: RegisterImporter
) -> None:
    messy = make_messy(demo_register_rows(30))
    with pytest.raises(InvalidInput) as err:
        importer.import_file(register_xlsx(messy), "so-goc-2004.xlsx", BOOK, actor="clerk")
    found = {(p.location["row"], p.location["column"]) for p in err.value.problems}
    expected = {(index + 2, column) for index, (column, _why) in MESSY_ERRORS.items()}  # header is sheet row 1
    assert found == expected
    text = format_report(err.value)
    assert "dòng/row 5, cột/column Ngày sinh" in text and "31/02/1986" in text
    assert "Trùng số hiệu với dòng 3" in text
    assert "không liên tục" in text and "16/THPT/2004" in text
    assert "Thiếu Họ và tên" in text and "Số định danh sai dạng" in text
    assert _count(container, Diploma) == 0 and _count(container, LedgerEntry) == 0


def test_after_fixing_it_imports_every_row_with_provenance_and_a_ledger_entry_and_reimport_changes_nothing(
    container: Container, importer: RegisterImporter
) -> None:
    rows = demo_register_rows(30)
    report = importer.import_file(register_csv(rows), "so-goc-2004.csv", BOOK, actor="clerk")
    assert (report.imported, report.queued, report.unchanged) == (30, 0, False)
    with container.db.reader() as s:
        d = s.execute(select(Diploma).where(Diploma.register_no == "1/THPT/2004")).scalar_one()
        kinds = set(s.execute(select(LedgerEntry.kind)).scalars())
    assert (d.assurance, d.origin, d.book_page, d.book_line) == ("digitized_from_paper", "legacy", 1, 1)
    assert d.scan_ref == "scan/1/p001.jpg" and d.full_name == rows[0][COLUMNS.index("Họ và tên")]
    assert kinds == {"imported"}
    again = importer.import_file(register_csv(rows), "so-goc-2004.csv", BOOK, actor="clerk")
    assert again.unchanged and _count(container, Diploma) == 30 and _count(container, LedgerEntry) == 30


def test_legacy_diplomas_then_pass_the_public_check(container: Container, importer: RegisterImporter,
                                                     svc: DiplomaService) -> None:  # fmt: skip
    rows = demo_register_rows(5, seed=3)
    importer.import_file(register_xlsx(rows), "b.xlsx", BOOK, actor="clerk")
    name, dob, serial, number = (rows[2][COLUMNS.index(c)] for c in
                                 ("Họ và tên", "Ngày sinh", "Số hiệu văn bằng", "Số vào sổ"))  # fmt: skip
    by_serial = svc.public_check(number=serial, full_name=name.upper(), date_of_birth=dob, client="1.2.3.4")
    assert by_serial == {"match": True, "status": "issued", "status_vi": "Đã cấp, còn hiệu lực",
                         "status_en": "Issued, valid", "issuer": "Sở Giáo dục và Đào tạo Hải Phòng", "type": "THPT",
                         "year": 2004}  # fmt: skip
    assert svc.public_check(number=number, full_name=name, date_of_birth=dob, client="1.2.3.4")["match"]
    assert svc.public_check(number=serial, full_name=name + " X", date_of_birth=dob, client="1.2.3.4") == {
        "match": False
    }


def test_the_public_check_accepts_a_register_number_typed_as_printed_or_in_lower_case(
    importer: RegisterImporter, svc: DiplomaService
) -> None:
    rows = demo_register_rows(5, seed=3)
    importer.import_file(register_xlsx(rows), "b.xlsx", BOOK, actor="clerk")
    name, dob, number = (rows[2][COLUMNS.index(c)] for c in ("Họ và tên", "Ngày sinh", "Số vào sổ"))
    seq, kind, year = number.split("/")
    for typed in (f"{int(seq):05d}/{kind}/{year}", number.lower(), f" {seq} / {kind.lower()} / {year} "):
        assert svc.public_check(number=typed, full_name=name, date_of_birth=dob, client="1.2.3.4")["match"], typed
    for wrong in (f"{int(seq) + 1}/{kind}/{year}", f"{seq}/{kind}/{int(year) + 1}", f"{seq}/TC/{year}"):
        assert not svc.public_check(number=wrong, full_name=name, date_of_birth=dob, client="1.2.3.4")["match"]


def test_an_old_9_digit_cmnd_in_a_register_is_kept_in_the_record_and_the_holders_identifier_history(
    container: Container, importer: RegisterImporter
) -> None:
    from credential_service.holders.tables import PersonIdentifier

    rows = demo_register_rows(3, seed=4)
    rows[1][COLUMNS.index("Số định danh")] = "031 234 567"
    importer.import_file(register_xlsx(rows), "b.xlsx", BOOK, actor="clerk")
    with container.db.reader() as s:
        d = s.execute(select(Diploma).where(Diploma.register_no == rows[1][COLUMNS.index("Số vào sổ")])).scalar_one()
    holder = json.loads(d.record_json)["holder"]
    assert (holder["personal_id"], holder["old_id_number"]) == (None, "031234567")
    person = container.holders.link_diploma(d.id, linked_by="test")
    with container.db.reader() as s:
        ids = {(i.kind, i.value, i.source) for i in s.execute(
            select(PersonIdentifier).where(PersonIdentifier.person_id == person)).scalars()}  # fmt: skip
    assert ids == {("cmnd9", "031234567", "register")}
    # linking again adds nothing; a row without a CMND has no such key (its record bytes are unchanged)
    container.holders.link_diploma(d.id, linked_by="test")
    with container.db.reader() as s:
        others = list(s.execute(select(Diploma).where(Diploma.id != d.id)).scalars())
    assert all("old_id_number" not in json.loads(o.record_json)["holder"] for o in others)


def test_a_register_book_whose_numbers_have_no_type_imports(container: Container) -> None:
    # Some old books number "171/2004" (no type): the format "{seq}/{year}" reads them, no IndexError.
    rows = demo_register_rows(3, seed=5)
    col = COLUMNS.index("Số vào sổ")
    for r in rows:
        seq, _kind, year = r[col].split("/")
        r[col] = f"{seq}/{year}"
    importer = RegisterImporter(container.db, container.settings, register_format="{seq}/{year}")
    report = importer.import_file(register_xlsx(rows), "b.xlsx", BOOK, actor="clerk")
    assert report.imported == 3
    with container.db.reader() as s:
        numbers = sorted(s.execute(select(Diploma.register_no)).scalars())
    assert numbers == sorted(r[col] for r in rows)


def test_cross_book_conflicts_go_to_the_queue_and_the_clerks_resolution_is_ledgered(
    container: Container, importer: RegisterImporter
) -> None:
    first = demo_register_rows(10, seed=5)
    importer.import_file(register_xlsx(first), "book1.xlsx", BOOK, actor="clerk")
    other = BookInfo("SG-THPT-2004-HD", "SO-GDDT-HD", "Sở GDĐT Hải Dương (cũ)", DiplomaType.THPT)
    second = demo_register_rows(4, seed=6)
    col = {c: i for i, c in enumerate(COLUMNS)}
    second[1][col["Số hiệu văn bằng"]] = first[4][col["Số hiệu văn bằng"]]  # the same serial in two books
    for c in ("Họ và tên", "Ngày sinh"):  # the same person, another entry
        second[2][col[c]] = first[6][col[c]]
    report = importer.import_file(register_xlsx(second), "book2.xlsx", other, actor="clerk")
    assert (report.imported, report.queued) == (2, 2)
    queue = importer.queue()
    assert sorted(q["kind"] for q in queue) == ["duplicate_serial", "same_person"]
    assert all(q["conflicts_with"]["credential_id"] for q in queue)
    before = _count(container, LedgerEntry)
    same_person = next(q for q in queue if q["kind"] == "same_person")
    accepted = importer.resolve(same_person["id"], decision="accept", clerk="clerk-2",
                                note="Hai người trùng tên và ngày sinh, khác trường (đối chiếu ảnh quét)")  # fmt: skip
    dup = next(q for q in queue if q["kind"] == "duplicate_serial")
    rejected = importer.resolve(dup["id"], decision="reject", clerk="clerk-2", note="Ghi nhầm số hiệu, bỏ dòng")
    assert accepted["diploma_id"] and rejected["diploma_id"] is None
    with container.db.reader() as s:
        new_kinds = list(s.execute(select(LedgerEntry.kind).where(LedgerEntry.seq >= before)).scalars())
        statuses = sorted(s.execute(select(ReconciliationItem.status)).scalars())
    assert new_kinds == ["imported", "imported", "imported"]  # accepted row + its resolution, rejection
    assert statuses == ["accepted", "rejected"] and importer.queue() == []
    assert _count(container, Diploma) == 13


def test_a_file_with_the_wrong_columns_is_refused_with_the_expected_template(importer: RegisterImporter) -> None:
    bad = "Tên,Ngày\nA,1/1/2000\n".encode()
    with pytest.raises(InvalidInput) as err:
        importer.import_file(bad, "x.csv", BOOK, actor="clerk", today=date(2026, 11, 1))
    assert "thiếu cột" in err.value.problems[0].message.vi


def test_the_fast_canonical_form_of_register_records_equals_rfc_8785() -> None:
    from datetime import date as d

    from credential_service.diplomas.register_book import LegacyRow
    from credential_service.diplomas.register_import import _record, fast_canonical_json
    from credential_service.platform.canonical import canonical_json

    row = LegacyRow(row=2, full_name='Nguyễn "Hoà"\\\n\t\x01\u2028', date_of_birth=d(1986, 2, 3), place_of_birth=None,
                    sex="Nữ", ethnicity="Kinh", school="Trường THPT Ngô Quyền", graduation_year=2004,
                    classification="Khá", serial_no="A0100001", register_no="1/THPT/2004", register_seq=1,
                    register_year=2004, decision_no="1/QĐ", decision_date=None, personal_id=None, page=1, line=1,
                    scan_ref=None, note=None)  # fmt: skip
    record = _record(BOOK, row, "c1", d(2004, 7, 15))
    assert fast_canonical_json(record) == canonical_json(record)
