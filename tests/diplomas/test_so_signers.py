"""The Sở director, a Phòng head and the Sở's own seal can be assigned as signers, so Sở- and Phòng-issued
diplomas can get new versions digitally; a school's seal never seals a Sở-issued diploma (issue #14, defects)."""

from __future__ import annotations

from datetime import date

import pytest

from credential_service.app.bootstrap import Container
from credential_service.app.demo import staff_id
from credential_service.diplomas.issuance import require_role
from credential_service.platform.errors import InvalidInput, NotAuthorised
from credential_service.signers.assignments import RoleAssignments
from credential_service.staff.roles import Role, place_problem
from credential_service.staff.tables import Staff

DAY = date(2026, 3, 2)


def test_the_so_director_is_held_city_wide_and_a_phong_head_at_the_so_or_a_commune() -> None:
    assert place_problem(Role.SO_DIRECTOR, school_id=None, class_id=None, commune=None) is None
    assert place_problem(Role.SO_DIRECTOR, school_id="s1", class_id=None, commune=None) is not None
    assert place_problem(Role.PHONG_HEAD, school_id=None, class_id=None, commune=None) is None
    assert place_problem(Role.PHONG_HEAD, school_id=None, class_id=None, commune="Phường Lê Chân") is None
    assert place_problem(Role.PHONG_HEAD, school_id="s1", class_id=None, commune=None) is not None


def test_a_seal_belongs_to_a_school_or_to_the_so_but_not_to_a_commune() -> None:
    assert place_problem(Role.SEAL, school_id="s1", class_id=None, commune=None) is None
    assert place_problem(Role.SEAL, school_id=None, class_id=None, commune=None) is None  # the Sở's seal
    assert place_problem(Role.SEAL, school_id=None, class_id=None, commune="Phường Lê Chân") is not None


def _staff(c: Container, label: str, name: str, kind: str) -> str:
    with c.db.transaction() as s:
        s.add(Staff(id=staff_id(label), full_name=name, kind=kind, key_label=label))
    return staff_id(label)


def test_a_so_issued_diploma_needs_the_so_director_and_the_sos_seal_not_a_schools(container: Container) -> None:
    director = _staff(container, "so-director", "Nguyễn Văn Giám", "person")
    so_seal = _staff(container, "seal-so", "Sở Giáo dục và Đào tạo Hải Phòng", "seal")
    assignments = RoleAssignments(container.db)
    assignments.assign(director, "so_director", school_id=None, valid_from=date(2025, 8, 1))
    assignments.assign(so_seal, "seal", school_id=None, valid_from=date(2025, 8, 1))
    with pytest.raises(InvalidInput):  # not at a school
        assignments.assign(director, "so_director", school_id="x", valid_from=date(2025, 8, 1))
    with container.db.reader() as s:
        assert require_role(s, director, "so_director", None, DAY).id == director
        assert require_role(s, so_seal, "seal", None, DAY).id == so_seal
        with pytest.raises(NotAuthorised):  # the demo school's seal does not seal a Sở diploma
            require_role(s, staff_id("seal-thpt-demo"), "seal", None, DAY)
        with pytest.raises(NotAuthorised):  # nor does the school's principal sign for the Sở
            require_role(s, staff_id("principal"), "so_director", None, DAY)
