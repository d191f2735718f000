"""Staff members and their role assignments with periods (``role_assignments``): assigning a role at a
school, class or commune, transferring it, ending it, retiring someone. An assignment ends *from* a date:
the day before is its last day."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select

from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound
from credential_service.staff.authz import staff_member
from credential_service.staff.roles import Role, place_problem
from credential_service.staff.tables import RoleAssignment, School
from credential_service.transcripts.tables import SchoolClass

ROLES = tuple(r.value for r in Role)


def assignment_dict(r: RoleAssignment) -> dict[str, Any]:
    return {
        "assignment_id": r.id,
        "staff_id": r.staff_id,
        "role": r.role,
        "school_id": r.school_id,
        "class_id": r.class_id,
        "valid_from": r.valid_from.isoformat(),
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
    }


class RoleAssignments:
    def __init__(self, db: Database) -> None:
        self.db = db

    def check_assignment(
        self, staff_id: str, role: str, *, school_id: str | None, class_id: str | None, commune: str | None
    ) -> None:
        """Refuse an unknown role or a role held at the wrong kind of place (before anyone approves it)."""
        if role not in ROLES:
            raise InvalidInput(Message(f"Vai trò không hợp lệ: {role}.", f"Invalid role: {role}."))
        problem = place_problem(Role(role), school_id=school_id, class_id=class_id, commune=commune)
        if problem is not None:
            raise InvalidInput(problem)
        with self.db.reader() as s:
            staff_member(s, staff_id)

    def assign(
        self,
        staff_id: str,
        role: str,
        *,
        school_id: str | None,
        class_id: str | None = None,
        valid_from: date,
        valid_to: date | None = None,
        commune: str | None = None,
    ) -> dict[str, Any]:
        self.check_assignment(staff_id, role, school_id=school_id, class_id=class_id, commune=commune)
        if valid_to is not None and valid_to < valid_from:
            raise InvalidInput(Message("Ngày kết thúc trước ngày bắt đầu.", "The end date is before the start date."))
        with self.db.transaction() as s:
            staff_member(s, staff_id)
            if school_id is not None and s.get(School, school_id) is None:
                raise NotFound(Message(f"Không có trường mã {school_id}.", f"No school {school_id}."))
            if class_id is not None:
                klass = s.get(SchoolClass, class_id)
                if klass is None or klass.school_id != school_id:
                    raise NotFound(
                        Message(f"Trường không có lớp mã {class_id}.", f"The school has no class {class_id}.")
                    )
            row = RoleAssignment(
                id=str(uuid.uuid4()),
                staff_id=staff_id,
                role=role,
                school_id=school_id,
                class_id=class_id,
                commune=commune,
                valid_from=valid_from,
                valid_to=valid_to,
            )
            s.add(row)
            s.flush()
            return assignment_dict(row)

    def _end(self, row: RoleAssignment, on: date) -> None:
        """End ``row`` from ``on``: ``on - 1`` is its last day (an assignment that starts later is cancelled)."""
        last = on - timedelta(days=1)
        if row.valid_to is None or row.valid_to > last:
            row.valid_to = max(last, row.valid_from - timedelta(days=1))

    def transfer(
        self,
        assignment_id: str,
        *,
        on: date,
        school_id: str | None = None,
        class_id: str | None = None,
        staff_id: str | None = None,
    ) -> dict[str, Any]:
        """End an assignment from ``on`` and start the same role there (another school/class, or another person)."""
        with self.db.transaction() as s:
            row = s.get(RoleAssignment, assignment_id)
            if row is None:
                raise NotFound(Message(f"Không có phân công {assignment_id}.", f"No assignment {assignment_id}."))
            if row.valid_to is not None and row.valid_to < on:
                raise Conflict(
                    Message("Phân công đã kết thúc trước ngày đó.", "The assignment ended before that date.")
                )
            new = RoleAssignment(
                id=str(uuid.uuid4()),
                staff_id=staff_id or row.staff_id,
                role=row.role,
                school_id=school_id or row.school_id,
                class_id=class_id if class_id is not None else row.class_id,
                valid_from=on,
                valid_to=None,
            )
            if school_id and school_id != row.school_id and class_id is None:
                new.class_id = None
            if new.role == "gvcn" and not new.class_id:
                raise InvalidInput(Message("Giáo viên chủ nhiệm cần một lớp.", "A homeroom teacher needs a class."))
            self._end(row, on)
            s.add(new)
            s.flush()
            return {"ended": assignment_dict(row), "started": assignment_dict(new)}

    def retire(self, staff_id: str, *, on: date) -> list[dict[str, Any]]:
        """Retirement (or leaving): every assignment of the signer ends from ``on``."""
        with self.db.transaction() as s:
            staff_member(s, staff_id)
            rows = (
                s.execute(
                    select(RoleAssignment).where(
                        RoleAssignment.staff_id == staff_id,
                        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on),
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                self._end(row, on)
            s.flush()
            return [assignment_dict(r) for r in rows]

    def end_assignment(self, assignment_id: str, *, on: date) -> dict[str, Any]:
        with self.db.transaction() as s:
            row = s.get(RoleAssignment, assignment_id)
            if row is None:
                raise NotFound(Message(f"Không có phân công {assignment_id}.", f"No assignment {assignment_id}."))
            self._end(row, on)
            s.flush()
            return assignment_dict(row)
