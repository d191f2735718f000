"""Roles bound to an organisation, and whether a role covers a resource (pure rules).

A role is held at one place: the whole Sở (no school, no commune), a commune/ward, a school, or a class.
Sources: Decision 1393/QĐ-UBND Hải Phòng (2025) on the Sở's duties; Circular 22/2021 Art. 16-17 and
Circular 27/2020 Art. 12 (the homeroom teacher and the principal sign the học bạ); Decree 30/2020
Art. 32-33 (the organisation seal is kept by the person the head of the unit assigns).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from credential_service.platform.errors import Message


class Role(StrEnum):
    SO_ADMIN = "so_admin"  # Sở: accounts, roles, certificates, keys
    SO_CLERK = "so_clerk"  # Sở: the register of diplomas, paper-register digitisation
    INSPECTOR = "inspector"  # Sở: reads and audits, changes nothing
    SO_ADMISSIONS = "so_admissions"  # Sở: grade-10 admissions (rules of the year, applicants, allocation)
    SO_DIRECTOR = "so_director"  # Giám đốc Sở: signs Sở-issued diplomas (THPT until 14/4/2026) and their new versions
    PHONG_HEAD = "phong_head"  # Trưởng phòng GDĐT (legacy THCS books), held where the books are now kept
    COMMUNE_OFFICER = "commune_officer"  # xã/phường: primary and lower-secondary schools of the commune
    PRINCIPAL = "principal"
    GVCN = "gvcn"  # homeroom teacher of one class
    SUBJECT_TEACHER = "subject_teacher"
    SCHOOL_CLERK = "school_clerk"  # văn thư / giáo vụ
    SEAL_OPERATOR = "seal_operator"  # the person the principal assigns to apply the school's seal
    SEAL = "seal"  # the school's organisation certificate itself (a signer, never a person)


LABELS: dict[Role, Message] = {
    Role.SO_ADMIN: Message("quản trị Sở", "Sở administrator"),
    Role.SO_CLERK: Message("cán bộ quản lý văn bằng của Sở", "Sở register clerk"),
    Role.INSPECTOR: Message("thanh tra Sở", "Sở inspector"),
    Role.SO_ADMISSIONS: Message("cán bộ tuyển sinh của Sở", "Sở admissions officer"),
    Role.SO_DIRECTOR: Message("giám đốc Sở", "Sở director"),
    Role.PHONG_HEAD: Message("trưởng phòng GDĐT (sổ gốc THCS cũ)", "head of a district education office (legacy THCS)"),
    Role.COMMUNE_OFFICER: Message("cán bộ giáo dục xã/phường", "commune/ward education officer"),
    Role.PRINCIPAL: Message("hiệu trưởng", "principal"),
    Role.GVCN: Message("giáo viên chủ nhiệm", "homeroom teacher"),
    Role.SUBJECT_TEACHER: Message("giáo viên bộ môn", "subject teacher"),
    Role.SCHOOL_CLERK: Message("văn thư/giáo vụ", "school clerk"),
    Role.SEAL_OPERATOR: Message("người được giao đóng dấu", "seal operator"),
    Role.SEAL: Message("dấu (chứng thư tổ chức) của trường hoặc của Sở", "organisation seal of a school or the Sở"),
}

SO_ROLES = frozenset({Role.SO_ADMIN, Role.SO_CLERK, Role.INSPECTOR})
# City-wide like the Sở roles, but reading no transcripts or diplomas (not in SO_ROLES, so not a school reader).
CITY_WIDE_ROLES = SO_ROLES | {Role.SO_ADMISSIONS, Role.SO_DIRECTOR}


@dataclass(frozen=True)
class Place:
    """Where a resource belongs. Every field may be unknown (None) for a resource of the whole city."""

    school_id: str | None = None
    class_id: str | None = None
    commune: str | None = None


CITY = Place()


@dataclass(frozen=True)
class Grant:
    """One role held at one place for a period."""

    role: Role
    school_id: str | None = None
    class_id: str | None = None
    commune: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)

    def covers(self, place: Place) -> bool:
        """True if a holder of this grant acts for ``place``.

        The Sở covers everything; a commune covers its schools; a school covers its classes; a class role
        covers that class only. A place with no school (a city-wide resource) is covered by Sở roles only.
        """
        if self.school_id is None and self.commune is None:
            return True  # the whole Sở
        if self.commune is not None and self.school_id is None:
            return place.commune is not None and place.commune == self.commune
        if self.school_id != place.school_id or place.school_id is None:
            return False
        return self.class_id is None or self.class_id == place.class_id


def holds(grants: tuple[Grant, ...] | list[Grant], roles: frozenset[Role], place: Place, on: date) -> bool:
    """True if any grant in force on ``on`` has one of ``roles`` and covers ``place``."""
    return any(g.role in roles and g.in_force(on) and g.covers(place) for g in grants)


SCHOOL_ROLES = frozenset(
    {Role.PRINCIPAL, Role.GVCN, Role.SUBJECT_TEACHER, Role.SCHOOL_CLERK, Role.SEAL_OPERATOR, Role.SEAL}
)


def place_problem(role: Role, *, school_id: str | None, class_id: str | None, commune: str | None) -> Message | None:
    """What is wrong with where a role is held, or None: a Sở role is city-wide, a commune officer's is a
    commune, a school role is a school, and a homeroom teacher's is one class of it."""
    if role in CITY_WIDE_ROLES and (school_id or class_id or commune):
        return Message("Vai trò của Sở áp dụng cho toàn thành phố, không gắn với trường.", "A Sở role is city-wide.")
    if role is Role.COMMUNE_OFFICER and (not commune or school_id or class_id):
        return Message("Cán bộ xã/phường cần tên xã/phường.", "A commune officer needs a commune.")
    # The dissolved Phòng GDĐT's books moved to the Sở or a commune (7/2025): the legacy signer is held there.
    if role is Role.PHONG_HEAD and (school_id or class_id):
        return Message("Trưởng phòng GDĐT gắn với Sở hoặc một xã/phường, không với trường.",
                       "A Phòng head is held at the Sở or a commune, not at a school.")  # fmt: skip
    # A seal is an organisation's: a school's, or the Sở's own (no school, no commune) for Sở-issued diplomas.
    if role is Role.SEAL and (commune or class_id) and not school_id:
        return Message("Dấu là của một trường hoặc của Sở.", "A seal belongs to a school or to the Sở.")
    if role in SCHOOL_ROLES - {Role.SEAL} and not school_id:
        return Message("Vai trò này cần một trường.", "This role needs a school.")
    if role is Role.GVCN and not class_id:
        return Message("Giáo viên chủ nhiệm cần một lớp.", "A homeroom teacher needs a class.")
    if role is not Role.GVCN and class_id:
        return Message("Chỉ giáo viên chủ nhiệm gắn với một lớp.", "Only a homeroom teacher is bound to a class.")
    return None


def landing_page(grants: tuple[Grant, ...] | list[Grant]) -> str:
    """Where each role lands after sign-in: the Sở on its schools, a principal on the school, a teacher on
    their classes."""
    roles = {g.role for g in grants}
    if roles & SO_ROLES or Role.COMMUNE_OFFICER in roles:
        return "/so/van-bang"
    if Role.SO_ADMISSIONS in roles:
        return "/so/tuyen-sinh"  # admissions/pages.py
    return "/"
