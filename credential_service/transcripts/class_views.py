"""Reading a class: the class itself, its students with their year results, the list of classes and of
staff with their roles, a class's overview and one student's evaluated year with its rule trace."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.platform.errors import Message, NotFound
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts.tables import SchoolClass, Student, Transcript, YearResult


def get_class(session: Session, class_id: str) -> SchoolClass:
    klass = session.get(SchoolClass, class_id)
    if klass is None:
        raise NotFound(Message(f"Không có lớp mã {class_id}.", f"No class with id {class_id}."))
    return klass


def class_rows(session: Session, class_id: str) -> list[tuple[Student, YearResult]]:
    """The class's students with their year results, in student-code order."""
    rows = session.execute(
        select(Student, YearResult)
        .join(YearResult, YearResult.student_id == Student.id)
        .where(YearResult.class_id == class_id)
        .order_by(Student.student_code)
    ).all()
    return [(student, result) for student, result in rows]


def list_classes(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SchoolClass, School)
        .join(School, School.id == SchoolClass.school_id)
        .order_by(School.code, SchoolClass.school_year, SchoolClass.name)
    ).all()
    return [
        {
            "class_id": k.id,
            "school_id": k.school_id,
            "school": {"code": s.code, "name": s.name},
            "name": k.name,
            "grade": k.grade,
            "programme": k.programme,
            "school_year": k.school_year,
            "status": k.status,
        }
        for k, s in rows
    ]


def list_staff(session: Session) -> list[dict[str, Any]]:
    staff = list(session.execute(select(Staff).order_by(Staff.full_name)).scalars())
    roles = list(session.execute(select(RoleAssignment)).scalars())
    classes = {k.id: k.name for k in session.execute(select(SchoolClass)).scalars()}
    return [
        {
            "staff_id": s.id,
            "full_name": s.full_name,
            "kind": s.kind,
            "roles": [
                {
                    "role": r.role,
                    "class": classes.get(r.class_id) if r.class_id else None,
                    "class_id": r.class_id,
                    "valid_from": r.valid_from.isoformat(),
                    "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                }
                for r in roles
                if r.staff_id == s.id
            ],
        }
        for s in staff
    ]


def class_overview(session: Session, class_id: str) -> dict[str, Any]:
    klass = get_class(session, class_id)
    school = session.get(School, klass.school_id)
    assert school is not None
    rows = class_rows(session, class_id)
    transcripts = {
        t.student_id: t  # the latest version of each student's học bạ
        for t in session.execute(
            select(Transcript).where(Transcript.class_id == class_id).order_by(Transcript.version)
        ).scalars()
    }
    students = []
    for student, result in rows:
        ev = result.evaluation
        t = transcripts.get(student.id)
        students.append(
            {
                "student_id": student.id,
                "student_code": student.student_code,
                "full_name": student.full_name,
                "date_of_birth": student.date_of_birth.isoformat(),
                # a primary year (Circular 27) has an overall result and no conduct or promotion decision
                "learning_result": (ev.get("learning_result") or {}).get("year") or ev.get("overall"),
                "conduct": (ev.get("conduct") or {}).get("year"),
                "absences": ev.get("absences"),
                "promotion": ev.get("promotion") or ev.get("completion"),
                "award": ev.get("award"),
                "subjects": ev["subjects"],
                "transcript_id": t.id if t else None,
                "transcript_status": t.status if t else None,
            }
        )
    return {
        "class_id": klass.id,
        "school": {"code": school.code, "name": school.name},
        "name": klass.name,
        "grade": klass.grade,
        "programme": klass.programme,
        "school_year": klass.school_year,
        "status": klass.status,
        "students": students,
    }


def student_year(session: Session, class_id: str, student_id: str) -> dict[str, Any]:
    """One student's evaluated year with the rule trace (for "why Khá and not Tốt?")."""
    klass = get_class(session, class_id)
    row = session.execute(
        select(Student, YearResult)
        .join(YearResult, YearResult.student_id == Student.id)
        .where(YearResult.class_id == class_id, Student.id == student_id)
    ).first()
    if row is None:
        raise NotFound(
            Message(
                f"Lớp {klass.name} không có học sinh mã {student_id}.",
                f"Class {klass.name} has no student {student_id}.",
            )
        )
    student, result = row
    return {
        "class_id": class_id,
        "class_name": klass.name,
        "school_year": klass.school_year,
        "student": {
            "student_id": student.id,
            "student_code": student.student_code,
            "full_name": student.full_name,
            "date_of_birth": student.date_of_birth.isoformat(),
            "sex": student.sex,
        },
        "evaluation": result.evaluation,
    }
