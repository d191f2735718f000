"""A học bạ replaced by a newer version (after the summer) is not used: the newer version's levels are, with its
own credential id and version as the source; the old version reads superseded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from register_fixtures import Pupil, school, seal, student, with_register, world

from credential_service.transcripts.grading_types import Level

AN = Pupil("031211000123", "Nguyễn Văn An", date(2011, 5, 1), "Nam")


def test_the_newer_version_is_used_and_the_superseded_one_is_not(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    sid = student(c, school_id, AN)
    ids = {g: seal(c, sid, classes[g], g, AN) for g in (6, 7, 9)}
    old = seal(c, sid, classes[8], 8, AN, conduct="Chưa đạt")
    new = seal(c, sid, classes[8], 8, AN, conduct="Chưa đạt", after_summer="Khá", version=2, amends=old)
    assert c.verification.credential_status(old).status == "superseded"
    assert service.register is not None
    facts = service.register.read([AN.pin or ""])[AN.pin or ""]
    grade_8 = [y for y in facts.years if y.grade == 8]
    assert [(y.source.credential_id, y.source.version, y.source.verified) for y in grade_8] == [(new, 2, True)]
    assert grade_8[0].conduct is Level.KHA  # after summer training (TT22 Art. 13), not the year-end Chưa đạt
    assert old not in {y.source.credential_id for y in facts.years}
    assert {y.source.credential_id for y in facts.years} == {*ids.values(), new}
    assert facts.grades_6_9() is not None
