"""Each read of the register for admissions goes to the holder's access log: one entry per person per read, by the
officer, with the Sở's admissions duty as the legal basis; the allocation reads only the applicants who need it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from register_fixtures import Pupil, all_levels, four_years, link_person, log_entries, school, with_register, world
from register_rules_fixtures import RULES, YEAR, applicant

from credential_service.admissions.register_rules import REGISTER_PURPOSE
from credential_service.holders.access_log import holder_entries

AN = Pupil("031211000123", "Nguyễn Văn An", date(2011, 5, 1), "Nam")
BINH = Pupil("031311000456", "Trần Thị Bình", date(2011, 7, 2), "Nữ")


def test_each_read_writes_one_entry_in_the_holders_log(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    sid, _ = four_years(c, school_id, classes, AN, all_levels())
    person = link_person(c, sid, AN.pin or "", AN)
    service.load_rules(YEAR, RULES, actor="tuyen-sinh")
    service.replace_applicants(YEAR, [applicant("TS01", AN.pin or "")], actor="tuyen-sinh", file_sha256="0" * 64)
    service.applicant_register(YEAR, "TS01", actor="Cán bộ tuyển sinh")
    service.applicant_register(YEAR, "TS01", actor="Cán bộ tuyển sinh")
    with c.db.reader() as s:
        mine = [e for e in holder_entries(s, person) if e["purpose"] == REGISTER_PURPOSE]
    assert len(mine) == 2
    assert all(e["who"] == "Cán bộ tuyển sinh" and e["actor_kind"] == "staff" for e in mine)
    assert "legal basis: the Sở's grade-10 admissions duty, no consent needed" in REGISTER_PURPOSE


def test_the_allocation_reads_only_applicants_with_a_wish_that_requires_levels(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    service.load_rules(YEAR, RULES, actor="tuyen-sinh")
    records = [applicant("TS01", AN.pin or ""), applicant("TS02", BINH.pin or "", wishes=("THPT-A",))]
    service.replace_applicants(YEAR, records, actor="tuyen-sinh", file_sha256="0" * 64)
    service.allocate(YEAR, actor="tuyen-sinh")
    entries = list(log_entries(c))
    assert len(entries) == 1 and entries[0].actor_name == "tuyen-sinh"  # TS01 only: TS02 wishes no such school
