"""Schools, classes and issued school years for the "one học bạ per level" tests (issue #14): THCS schools whose
signers hold the dev PKI's keys, a class per school year, and pupils carried from one year to the next."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import seed_demo
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.import_rules import StudentYear
from credential_service.transcripts.tables import SchoolClass, Transcript
from credential_service.transcripts.workflow import Step

FROM = date(2022, 8, 1)  # the assignments hold from before the first school year


@dataclass(frozen=True)
class SchoolSigners:
    id: str
    name: str
    gvcn: str
    principal: str
    seal: str


def add_school(
    c: Container, code: str, name: str, people: tuple[str, str], gvcn_key: str = "gvcn-10a1"
) -> SchoolSigners:
    """A school with its homeroom teacher, principal and seal (holding the dev PKI's demo keys)."""
    seed_demo(c.transcripts, import_results=False)
    ns = f"test/level-book/{code}"
    school = SchoolSigners(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, ns)),
        name=name,
        gvcn=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ns}/gvcn")),
        principal=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ns}/principal")),
        seal=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ns}/seal")),
    )
    with c.db.transaction() as s:
        s.add(School(id=school.id, code=code, name=name, province="Thành phố Hải Phòng", commune="Phường Lê Chân"))
        for sid, full_name, kind, key in (
            (school.gvcn, people[0], "person", gvcn_key),
            (school.principal, people[1], "person", "principal"),
            (school.seal, name, "seal", "seal-thpt-demo"),
        ):
            s.add(Staff(id=sid, full_name=full_name, kind=kind, key_label=key))
        s.flush()
        for sid, role in ((school.principal, "principal"), (school.seal, "seal")):
            s.add(RoleAssignment(id=str(uuid.uuid4()), staff_id=sid, role=role, school_id=school.id, class_id=None,
                                 valid_from=FROM, valid_to=None))  # fmt: skip
    return school


def add_class(
    c: Container, school: SchoolSigners, name: str, grade: int, school_year: str, programme: str = "GDPT"
) -> str:
    """A class of ``school`` in ``school_year``, its homeroom teacher the school's."""
    cid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"test/level-book/{school.id}/{school_year}/{name}"))
    with c.db.transaction() as s:
        s.add(SchoolClass(id=cid, school_id=school.id, school_year=school_year, name=name, grade=grade,
                          programme=programme))  # fmt: skip
        s.flush()
        s.add(RoleAssignment(id=str(uuid.uuid4()), staff_id=school.gvcn, role="gvcn", school_id=school.id,
                             class_id=cid, valid_from=FROM, valid_to=None))  # fmt: skip
    return cid


def pupils(
    name: str, grade: int, n: int, *, like: list[StudentYear] | None = None, code_prefix: str = ""
) -> list[StudentYear]:
    """A class's synthetic pupils; with ``like``, the same people (name, birth, ID number) in a new year (a new
    student code when ``code_prefix`` is given: another school's register)."""
    rows = importers.demo_class(name, grade, n=n, seed=grade)
    if like is None:
        return rows
    return [
        replace(
            r,
            code=f"{code_prefix}{p.code}" if code_prefix else p.code,
            full_name=p.full_name,
            date_of_birth=p.date_of_birth,
            sex=p.sex,
            place_of_birth=p.place_of_birth,
            personal_id=p.personal_id,
        )
        for r, p in zip(rows, like, strict=False)
    ]


def issue_year(c: Container, school: SchoolSigners, class_id: str, rows: list[StudentYear], issued_on: date) -> None:
    """Import, lock, and sign the class: GVCN, principal, seal."""
    imports.import_xlsx(c.transcripts, class_id, importers.write_sample_xlsx(rows), f"{class_id}.xlsx")
    c.transcripts.lock_class(class_id, issued_on=issued_on)
    c.transcripts.sign_class(class_id, Step.GVCN, staff_id=school.gvcn)
    c.transcripts.sign_class(class_id, Step.PRINCIPAL, staff_id=school.principal)
    assert c.transcripts.sign_class(class_id, Step.SEAL, staff_id=school.seal).status == "issued"


def issued(c: Container, class_id: str) -> dict[str, Transcript]:
    """The class's issued transcripts by the pupil's personal ID number."""
    with c.db.reader() as s:
        rows = s.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars().all()
    return {json.loads(t.record_json)["student"]["personal_id"]: t for t in rows}


def record(t: Transcript) -> dict[str, Any]:
    return dict(json.loads(t.record_json))
