"""THCS completion from the register: the principal's confirmation in the grade-9 học bạ comes first; a person with
only a legacy THCS diploma (before 2026) completes by it; a revoked diploma completes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from register_fixtures import Pupil, all_levels, four_years, legacy_thcs_diploma, school, with_register, world

AN = Pupil("031209000123", "Nguyễn Văn An", date(2009, 5, 1), "Nam")


def test_a_legacy_thcs_diploma_completes_when_there_is_no_hoc_ba(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    diploma = legacy_thcs_diploma(c, AN)
    assert service.register is not None
    facts = service.register.read([AN.pin or ""])[AN.pin or ""]
    done = facts.completion()
    assert facts.found and facts.years == () and facts.grades_6_9() is None
    assert done is not None and done.how == "legacy_diploma"
    assert (done.source.kind, done.source.credential_id, done.source.version, done.source.verified) == (
        "diploma",
        diploma,
        1,
        True,
    )


def test_the_principals_confirmation_comes_before_a_diploma(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    _, ids = four_years(c, school_id, classes, AN, all_levels())
    legacy_thcs_diploma(c, AN)
    assert service.register is not None
    done = service.register.read([AN.pin or ""])[AN.pin or ""].completion()
    assert done is not None and done.how == "principal_confirmation" and done.source.credential_id == ids[9]


def test_a_revoked_diploma_completes_nothing(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    legacy_thcs_diploma(c, AN, status="revoked")
    assert service.register is not None
    facts = service.register.read([AN.pin or ""])[AN.pin or ""]
    assert not facts.found and facts.completion() is None
