"""Who may do which step: role assignments with periods (GVCN of a class, principal, seal)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from credential_service.platform.errors import Message, NotAuthorised, NotFound
from credential_service.staff.policy import Actor
from credential_service.staff.roles import Grant, Place, Role, holds
from credential_service.staff.tables import RoleAssignment, Staff
from credential_service.transcripts.tables import SchoolClass

ROLE_LABELS = {
    "gvcn": Message("giáo viên chủ nhiệm", "homeroom teacher"),
    "principal": Message("hiệu trưởng", "principal"),
    "seal": Message("dấu (chứng thư tổ chức) của trường", "school organisation seal"),
}


def in_force(on: date) -> ColumnElement[bool]:
    """The role assignments in force on ``on``: from ``valid_from`` to ``valid_to`` inclusive (open-ended when None)."""
    return and_(RoleAssignment.valid_from <= on, or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on))


def staff_member(session: Session, staff_id: str) -> Staff:
    """The staff member (or seal) ``staff_id``; a bilingual 404 when there is none."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(Message(f"Không có cán bộ/chữ ký mã {staff_id}.", f"No staff member or seal {staff_id}."))
    return staff


def require_assignment(session: Session, *, staff_id: str, role: str, klass: SchoolClass, on: date) -> Staff:
    """Return the staff member if assigned to ``role`` for this class/school on ``on``; else refuse."""
    staff = staff_member(session, staff_id)
    query = select(RoleAssignment).where(
        RoleAssignment.staff_id == staff_id,
        RoleAssignment.role == role,
        RoleAssignment.school_id == klass.school_id,
        in_force(on),
    )
    if role == "gvcn":
        query = query.where(RoleAssignment.class_id == klass.id)
    if session.execute(query).first() is None:
        label = ROLE_LABELS[role]
        raise NotAuthorised(
            Message(
                f"{staff.full_name} không được phân công làm {label.vi} cho lớp {klass.name} "
                f"năm học {klass.school_year} vào ngày {on:%d/%m/%Y}; không ký được.",
                f"{staff.full_name} is not assigned as {label.en} for class {klass.name} "
                f"({klass.school_year}) on {on.isoformat()}; signing refused.",
            ),
            hint=Message(
                "Kiểm tra phân công trong danh mục người ký, hoặc để đúng người được phân công ký.",
                "Check the role assignments in the signer registry, or have the assigned person sign.",
            ),
            staff_id=staff_id,
            role=role,
        )
    return staff


def require_any_assignment(session: Session, *, staff_id: str, school_id: str | None, on: date) -> Staff:
    """Return the staff member if they hold any role (at ``school_id`` when given) on ``on``; else refuse.

    Used for documents other than credentials (grade books, decisions, reports): any assigned signer of
    the school may sign them, a transferred or retired one may not.
    """
    staff = staff_member(session, staff_id)
    query = select(RoleAssignment.id).where(
        RoleAssignment.staff_id == staff_id,
        in_force(on),
    )
    if school_id is not None:
        query = query.where(RoleAssignment.school_id == school_id)
    if session.execute(query).first() is None:
        raise NotAuthorised(
            Message(
                f"{staff.full_name} không có phân công nào còn hiệu lực vào ngày {on:%d/%m/%Y}; không ký được.",
                f"{staff.full_name} holds no assignment in force on {on.isoformat()}; signing refused.",
            ),
            hint=Message(
                "Kiểm tra phân công trong danh mục người ký (sogoc signers show), "
                "hoặc để người đang được phân công ký.",
                "Check the assignments in the signer registry (sogoc signers show), or have an assigned signer sign.",
            ),
            staff_id=staff_id,
        )
    return staff


def seal_in_force(session: Session, *, school_id: str, on: date) -> Staff:
    """The school's organisation seal (its certificate-holding signer) assigned on ``on``."""
    row = (
        session.execute(
            select(Staff)
            .join(RoleAssignment, RoleAssignment.staff_id == Staff.id)
            .where(
                RoleAssignment.role == "seal",
                RoleAssignment.school_id == school_id,
                in_force(on),
            )
            .order_by(RoleAssignment.valid_from.desc())
        )
        .scalars()
        .first()
    )
    if row is None:
        raise NotFound(
            Message(
                f"Trường chưa có dấu (chứng thư tổ chức) nào còn hiệu lực vào ngày {on:%d/%m/%Y}.",
                f"The school has no organisation seal in force on {on.isoformat()}.",
            )
        )
    return row


def signer_for_step(session: Session, actor: Actor, *, step: str, klass: SchoolClass, on: date) -> str:
    """Whose key signs this step when ``actor`` asks: their own for GVCN and principal; for the seal, the
    school's seal, and only if the actor is the seal operator the principal assigned (Decree 30/2020 Art. 32)."""
    if step != "seal":
        return actor.staff_id
    operator = Grant(Role.SEAL_OPERATOR)
    place = Place(school_id=klass.school_id, class_id=klass.id)
    if not holds(actor.grants, frozenset({operator.role}), place, on):
        raise NotAuthorised(
            Message(
                f"{actor.full_name} không được giao đóng dấu của trường vào ngày {on:%d/%m/%Y}.",
                f"{actor.full_name} is not the school's assigned seal operator on {on.isoformat()}.",
            ),
            reason="not_seal_operator",
        )
    return seal_in_force(session, school_id=klass.school_id, on=on).id
