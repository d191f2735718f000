"""Helpers for the progress tests: another school in another commune, and counts straight from the tables."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select

from credential_service.app.bootstrap import Container
from credential_service.staff.tables import School
from credential_service.transcripts.spreadsheets import demo_class
from credential_service.transcripts.tables import SchoolClass, Student, Transcript, YearResult

OTHER_COMMUNE = "Xã Kiến Thụy"
SO_NAME = "Sở Giáo dục và Đào tạo Hải Phòng"


def add_school(c: Container, code: str, commune: str, *, grade: int = 6, name: str = "6A1", n: int = 8) -> str:
    """A school with one class of ``n`` imported students; returns the class id."""
    school_id, class_id = str(uuid.uuid4()), str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(School(id=school_id, code=code, name=f"Trường {code}", province="Thành phố Hải Phòng", commune=commune))
        s.flush()
        s.add(SchoolClass(id=class_id, school_id=school_id, school_year="2025-2026", name=name, grade=grade))
    students = demo_class(name, grade, n=n, seed=11)
    c.transcripts.import_results(class_id, students, source_name=f"{code}.xlsx", source_sha256=uuid.uuid4().hex * 2)
    return class_id


def set_personal_ids(c: Container, class_id: str, values: list[str | None]) -> None:
    """Overwrite the personal ID numbers of the class's first students (in student-code order)."""
    with c.db.transaction() as s:
        students = list(
            s.execute(
                select(Student)
                .join(YearResult, YearResult.student_id == Student.id)
                .where(YearResult.class_id == class_id)
                .order_by(Student.student_code)
            ).scalars()
        )
        for student, value in zip(students, values, strict=False):
            student.personal_id = value


def flip_sex_digits(c: Container, class_id: str, n: int) -> None:
    """Give the class's first ``n`` students the sex digit of the other sex (2 <-> 3)."""
    with c.db.transaction() as s:
        students = s.execute(
            select(Student)
            .join(YearResult, YearResult.student_id == Student.id)
            .where(YearResult.class_id == class_id)
            .order_by(Student.student_code)
            .limit(n)
        ).scalars()
        for student in students:
            pin = student.personal_id or ""
            student.personal_id = pin[:3] + str(int(pin[3]) ^ 1) + pin[4:]


def counts_from_tables(c: Container) -> dict[str, Any]:
    """The city's numbers counted straight from the register's tables, the plain way."""
    with c.db.reader() as s:
        students = s.scalar(select(func.count()).select_from(YearResult))
        by_status = {st: n for st, n in s.execute(select(Transcript.status, func.count()).group_by(Transcript.status))}
        rows = s.execute(
            select(Student.personal_id, Student.sex).join(YearResult, YearResult.student_id == Student.id)
        ).all()
    no_pin = sum(1 for pin, _ in rows if not pin)
    # digit 4 is odd for a woman (Decree 137/2015 Art. 13)
    sex_off = sum(1 for pin, sex in rows if pin and (int(pin[3]) % 2 == 1) != (sex == "Nữ"))
    signed = {"locked", "signed_gvcn", "signed_principal", "issued"}
    return {
        "students": students,
        "drafted": students - sum(by_status.values()),
        "locked": sum(n for st, n in by_status.items() if st in signed),
        "signed_gvcn": sum(n for st, n in by_status.items() if st in signed - {"locked"}),
        "signed_principal": sum(by_status.get(st, 0) for st in ("signed_principal", "issued")),
        "sealed": by_status.get("issued", 0),
        "no_personal_id": no_pin,
        "pin_sex": sex_off,
    }


def add_so_seal(c: Container) -> str:
    """The Sở's organisation certificate (dev CA), assigned the role «seal» at no school."""
    seal = c.signers.add_staff(SO_NAME, kind="seal")
    c.signers.issue(seal, organization=SO_NAME)
    c.signers.assign(seal, "seal", school_id=None, valid_from=date(2025, 8, 1))
    return seal
