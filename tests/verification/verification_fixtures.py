"""An issued demo class (3 transcripts) on SQLite, shared by the verification tests of one process."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.platform.db import migrate
from credential_service.platform.settings import Settings
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step

A1 = class_id("10A1")


@dataclass
class Issued:
    container: Container
    ids: list[str]
    pdfs: dict[str, bytes]
    records: dict[str, str]


@pytest.fixture(scope="session")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issued]:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    tmp: Path = tmp_path_factory.mktemp("verification")
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
    yield Issued(c, [t.id for t in rows], {t.id: t.pdf for t in rows}, {t.id: t.record_json for t in rows})
    c.db.dispose()
