"""Helpers for the signer tests (imported by name: not a conftest)."""

from __future__ import annotations

import io
import uuid
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import class_id, seed_demo
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import Transcript

A1 = class_id("10A1")


def seed_class(c: Container, n: int = 2) -> None:
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=n, seed=7)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")


def pdfs(c: Container) -> dict[str, bytes]:
    with c.db.reader() as s:
        return {t.id: t.pdf for t in s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars()}


def school_id(c: Container) -> str:
    with c.db.reader() as s:
        return s.execute(select(School.id)).scalars().one()


def add_staff(c: Container, key_label: str, role: str | None = "gvcn", name: str | None = None) -> str:
    sid = str(uuid.uuid4())
    with c.db.transaction() as s:
        sch = s.execute(select(School.id)).scalars().one()
        s.add(Staff(id=sid, full_name=name or f"Test {key_label}", kind="person", key_label=key_label))
        s.flush()
        if role is not None:
            s.add(
                RoleAssignment(
                    id=str(uuid.uuid4()), staff_id=sid, role=role, school_id=sch,
                    class_id=A1 if role == "gvcn" else None, valid_from=date(2025, 8, 1), valid_to=None,
                )
            )  # fmt: skip
    return sid


def make_pdf(title: str = "So diem lop 10A1") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 780, title)
    c.drawString(72, 760, "Hai Phong, 2026")
    c.showPage()
    c.save()
    return buf.getvalue()
