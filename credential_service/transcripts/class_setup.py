"""Open a class for a school year: its grade (1–12) and its programme, general education (GDPT) or, for grades
10–12, continuing education (GDTX, Circular 12/2022/TT-BGDĐT). The programme decides the subjects its học bạ
accepts and the heading it prints (``subjects.Programme``)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem
from credential_service.staff.tables import School
from credential_service.transcripts.subjects import GDTX_GRADES, Programme, parse_programme
from credential_service.transcripts.tables import SchoolClass

_SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{4})")


def _problem(field: str, vi: str, en: str, value: object) -> InvalidInput:
    message = Message(vi, en)
    return InvalidInput(message, problems=[Problem(message, {"field": field}, str(value))])


def class_problem(name: str, school_year: str, grade: int, programme: str) -> InvalidInput | None:
    """Why these are not a class's name, school year, grade and programme, or None (pure)."""
    if not name.strip() or len(name) > 32:
        return _problem("class", "Tên lớp cần 1–32 ký tự", "A class name has 1–32 characters", name)
    years = _SCHOOL_YEAR.fullmatch(school_year)
    if years is None or int(years[2]) != int(years[1]) + 1:
        return _problem("year", "Năm học viết dạng 2025-2026", "Write the school year as 2025-2026", school_year)
    if not 1 <= grade <= 12:
        return _problem("grade", "Khối lớp từ 1 đến 12", "The grade is 1 to 12", grade)
    try:
        chosen = parse_programme(programme)
    except ValueError:
        return _problem("programme", "Chương trình là GDPT hoặc GDTX", "The programme is GDPT or GDTX", programme)
    if chosen is Programme.GDTX and grade not in GDTX_GRADES:
        return _problem(
            "programme",
            f"Chương trình GDTX chỉ có ở lớp 10–12 (Thông tư 12/2022), không có ở lớp {grade}",
            f"The GDTX programme covers grades 10–12 only (Circular 12/2022), not grade {grade}",
            programme,
        )
    return None


def create_class(db: Database, *, school_code: str, name: str, school_year: str, grade: int, programme: str) -> str:
    """Add the class and return its id; refuses a bad value, an unknown school or a class that exists."""
    problem = class_problem(name, school_year, grade, programme)
    if problem is not None:
        raise problem
    with db.transaction() as session:
        school = session.execute(select(School).where(School.code == school_code)).scalar_one_or_none()
        if school is None:
            raise NotFound(Message(f"Không có trường mã {school_code}.", f"No school with code {school_code}."))
        exists = session.execute(
            select(SchoolClass.id).where(
                SchoolClass.school_id == school.id, SchoolClass.school_year == school_year, SchoolClass.name == name
            )
        ).first()
        if exists is not None:
            raise Conflict(
                Message(
                    f"Trường {school_code} đã có lớp {name} năm học {school_year}.",
                    f"School {school_code} already has class {name} in {school_year}.",
                )
            )
        class_id = str(uuid.uuid4())
        session.add(
            SchoolClass(
                id=class_id, school_id=school.id, school_year=school_year, name=name, grade=grade,
                status="draft", programme=parse_programme(programme).value,
            )
        )  # fmt: skip
    return class_id
