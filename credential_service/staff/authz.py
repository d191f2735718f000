"""Who may do which step: role assignments with periods (GVCN of a class, principal, seal)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from credential_service.platform.errors import Message, NotAuthorised, NotFound
from credential_service.staff.tables import RoleAssignment, Staff
from credential_service.transcripts.tables import SchoolClass

ROLE_LABELS = {
    "gvcn": Message("giáo viên chủ nhiệm", "homeroom teacher"),
    "principal": Message("hiệu trưởng", "principal"),
    "seal": Message("dấu (chứng thư tổ chức) của trường", "school organisation seal"),
}


def require_assignment(session: Session, *, staff_id: str, role: str, klass: SchoolClass, on: date) -> Staff:
    """Return the staff member if assigned to ``role`` for this class/school on ``on``; else refuse."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(Message(f"Không có cán bộ/chữ ký mã {staff_id}.", f"No staff member or seal {staff_id}."))
    query = select(RoleAssignment).where(
        RoleAssignment.staff_id == staff_id,
        RoleAssignment.role == role,
        RoleAssignment.school_id == klass.school_id,
        RoleAssignment.valid_from <= on,
        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on),
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
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise NotFound(Message(f"Không có cán bộ/chữ ký mã {staff_id}.", f"No staff member or seal {staff_id}."))
    query = select(RoleAssignment.id).where(
        RoleAssignment.staff_id == staff_id,
        RoleAssignment.valid_from <= on,
        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on),
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
