"""A person with sealed grade 6–9 học bạ gets each year's learning and conduct from the register, each figure with
its source (credential id, version, verified), and THCS completion from the principal's confirmation in grade 9;
found by the personal ID the school recorded or by the holders' link; never a sensitive field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from register_fixtures import (
    ETHNICITY,
    POLICY_GROUP,
    Pupil,
    all_levels,
    four_years,
    link_person,
    school,
    with_register,
    world,
)

from credential_service.transcripts.grading_types import Level

AN = Pupil("031211000123", "Nguyễn Văn An", date(2011, 5, 1), "Nam")


def test_sealed_grades_6_to_9_come_with_their_sources(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    levels = {6: ("Tốt", "Tốt"), 7: ("Khá", "Tốt"), 8: ("Tốt", "Khá"), 9: ("Tốt", "Tốt")}
    _, ids = four_years(c, school_id, classes, AN, levels)
    assert service.register is not None
    facts = service.register.read([AN.pin or ""])[AN.pin or ""]
    assert facts.found
    got = {y.grade: (y.learning, y.conduct, y.source.credential_id, y.source.version, y.source.verified)
           for y in facts.years}  # fmt: skip
    assert got == {g: (Level(lv[0]), Level(lv[1]), ids[g], 1, True) for g, lv in levels.items()}
    assert all(y.source.status == "valid" and y.source.ledger_included and y.source.record_intact for y in facts.years)
    assert facts.grades_6_9() is not None and [y.conduct for y in facts.grades_6_9() or ()][2] is Level.KHA
    done = facts.completion()
    assert done is not None and done.how == "principal_confirmation" and done.source.credential_id == ids[9]
    text = json.dumps(facts.to_data(), ensure_ascii=False)
    assert ETHNICITY not in text and POLICY_GROUP not in text and AN.full_name not in text


def test_a_record_without_the_number_is_found_through_the_holders_link(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    unnumbered = Pupil(None, AN.full_name, AN.date_of_birth, AN.sex)
    sid, ids = four_years(c, school_id, classes, unnumbered, all_levels())
    link_person(c, sid, AN.pin or "", AN)
    assert service.register is not None
    facts = service.register.read([AN.pin or ""])[AN.pin or ""]
    assert sorted(y.source.credential_id for y in facts.years) == sorted(ids.values())
    assert facts.grades_6_9() is not None


def test_a_number_that_contradicts_the_record_links_nothing(tmp_path: Path) -> None:
    """The same rule as the holders' link: a personal ID whose birth year disagrees with the record is not used."""
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    wrong = Pupil(AN.pin, "Nguyễn Văn Bình", date(2009, 5, 1), "Nam")  # 031 2 11…: born in 2011
    four_years(c, school_id, classes, wrong, all_levels())
    assert service.register is not None
    assert not service.register.read([AN.pin or ""])[AN.pin or ""].found
