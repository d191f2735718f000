"""A small city for the access tests: the demo school (results imported, 10A1 locked, one diploma issued,
one signed document) and a second school in another commune with its own people."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from reportlab.pdfgen import canvas
from sqlalchemy import select
from staff_login import add_account, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.app.demo_accounts import DEMO_ACCOUNTS
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role
from credential_service.staff.tables import RoleAssignment, School
from credential_service.transcripts.tables import SchoolClass, Student, Transcript

A1 = class_id("10A1")
OTHER_COMMUNE = "Xã Khác"
OTHER_ACCOUNTS = ["other-principal", "other-gvcn", "other-clerk", "other-commune"]


def make_pdf(text: str = "Báo cáo tổng kết") -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, text.encode("ascii", "replace").decode())
    c.showPage()
    c.save()
    return out.getvalue()


@dataclass
class World:
    container: Container
    app: FastAPI
    params: dict[str, str]
    clients: dict[str, TestClient] = field(default_factory=dict)

    def client(self, username: str | None) -> TestClient:
        """A client signed in as ``username`` (None: anonymous), one cookie jar per person."""
        key = username or "-"
        if key not in self.clients:
            tc = TestClient(self.app)
            if username is not None:
                sign_in(tc, username)
            self.clients[key] = tc
        return self.clients[key]


def build_world(tmp: Path) -> World:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp}/world.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    c.start_dev_services()
    seed_demo(c.transcripts)
    c.transcripts.lock_class(A1)
    other_school, other_class = str(uuid.uuid4()), str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(School(id=other_school, code="THCS-KHAC", name="Trường THCS Khác", province="Hải Phòng",
                     commune=OTHER_COMMUNE))  # fmt: skip
        s.flush()
        s.add(SchoolClass(id=other_class, school_id=other_school, school_year="2025-2026", name="9B1", grade=9,
                          status="draft"))  # fmt: skip
    add_account(c, "other-principal", Role.PRINCIPAL, school_id=other_school)
    add_account(c, "other-gvcn", Role.GVCN, school_id=other_school, class_id=other_class)
    add_account(c, "other-clerk", Role.SCHOOL_CLERK, school_id=other_school)
    add_account(c, "other-commune", Role.COMMUNE_OFFICER, commune=OTHER_COMMUNE)
    decided = c.clock.today() - timedelta(days=1)
    decision = c.diplomas.record_graduation_decision(
        school_code="THPT-DEMO", decision_no="1/QĐ", decision_date=decided, graduation_year=decided.year,
        signer_name="Ngô Quang Trưởng",
        graduates=[{"full_name": "Phạm Thu Hà", "date_of_birth": "01/02/2008", "sex": "Nữ"}],
    )  # fmt: skip
    issued = c.diplomas.issue_from_decision(
        decision, issuer_staff_id=staff_id("principal"), seal_staff_id=staff_id("seal-thpt-demo")
    )
    document = c.any_documents.sign_upload(
        make_pdf(), title="Sổ điểm", kind="grade-book", staff_id=staff_id("principal"), school_code="THPT-DEMO",
        filename="so-diem.pdf", client="test",
    )  # fmt: skip
    with c.db.reader() as s:
        transcript = s.execute(select(Transcript.id).where(Transcript.class_id == A1)).scalars().first()
        student = s.execute(select(Student.id)).scalars().first()
        assignment = s.execute(select(RoleAssignment.id)).scalars().first()
    params = {
        "class_id": A1,
        "transcript_id": str(transcript),
        "student_id": str(student),
        "diploma_id": issued.to_dict()["issued"][0]["credential_id"],
        "decision_id": decision,
        "document_id": str(document["document_id"]),
        "staff_id": staff_id("principal"),
        "assignment_id": str(assignment),
        "step": "gvcn",
    }
    return World(container=c, app=create_app(c), params=params)


ALL_USERNAMES = [a.username for a in DEMO_ACCOUNTS] + OTHER_ACCOUNTS


def fill(path: str, params: dict[str, str]) -> str:
    """A concrete path: known resources where the world has them, a fresh id elsewhere."""
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        name = out[start + 1 : end]
        out = out[:start] + params.get(name, "x" + uuid.uuid4().hex[:8]) + out[end + 1 :]
    return out


def today_of(world: World) -> date:
    return world.container.clock.today()
