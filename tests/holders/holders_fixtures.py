"""An issued demo class (3 transcripts) with holders A and B (adults) and C (a minor), shared per process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.holders.service import HolderService
from credential_service.holders.tables import Person, StudentPerson
from credential_service.platform.db import migrate
from credential_service.platform.settings import Settings
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step

A1 = class_id("10A1")
PASSWORD = "mat-khau-rat-dai-123"


@dataclass
class Holders:
    container: Container
    url: str
    transcripts: list[str]  # A's, B's, C's
    persons: list[str]
    usernames: list[str]


def _adult(c: Container, student_id: str, name: str) -> str:
    pid = str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(Person(id=pid, full_name=name, date_of_birth=date(2000, 1, 2), sex="Nam", created_at=c.clock.now()))
        s.flush()
        s.add(
            StudentPerson(
                student_id=student_id, person_id=pid, method="manual", linked_by="test", linked_at=c.clock.now()
            )
        )
    return pid


@pytest.fixture(scope="session")
def holders_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holders]:
    yield from _environment(tmp_path_factory.mktemp("holders"), holders=True)


@pytest.fixture(scope="module")
def issued_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holders]:
    """A separate issued class with no holder accounts (for the demo flow)."""
    yield from _environment(tmp_path_factory.mktemp("issued"), holders=False)


def _environment(tmp: Path, *, holders: bool) -> Iterator[Holders]:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    url = f"sqlite:///{tmp}/sogoc.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=3, seed=11)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")
    svc = c.transcripts
    svc.lock_class(A1)
    svc.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    svc.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))
    svc.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    with c.db.reader() as s:
        rows = list(s.execute(select(Transcript).where(Transcript.class_id == A1).order_by(Transcript.id)).scalars())
    if not holders:
        yield Holders(c, url, [t.id for t in rows], [], [])
        c.db.dispose()
        return
    hs = HolderService(c.db, c.settings)
    persons = [_adult(c, rows[0].student_id, "Người A"), _adult(c, rows[1].student_id, "Người B")]
    persons.append(hs.link_student(rows[2].student_id, linked_by="test"))  # a minor (born ~2010)
    usernames = ["holder.a", "holder.b", "holder.c"]
    for pid, user in zip(persons, usernames, strict=True):
        code = hs.issue_activation(pid, username=user, issued_by="test")
        hs.activate(user, code, PASSWORD)
    yield Holders(c, url, [t.id for t in rows], persons, usernames)
    c.db.dispose()
