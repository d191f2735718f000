"""Sealing a class appends its "issued" entries and publishes a signed checkpoint in the same transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.ledger.service import LedgerService
from credential_service.platform.settings import Settings
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step
from verifier.checkpoint import open_checkpoint
from verifier.merkle import verify_inclusion
from verifier.note import parse_vkey

A1 = class_id("10A1")


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=db_url))
    c.start_dev_services()
    yield c
    c.db.dispose()


def test_sealing_a_class_publishes_a_checkpoint_that_proves_each_transcript(container: Container) -> None:
    c = container
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=2, seed=7)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")
    svc = c.transcripts
    svc.lock_class(A1)
    svc.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    svc.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))
    svc.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))

    led = LedgerService.from_settings(c.db, c.settings)
    cp = open_checkpoint(led.latest_checkpoint().note, [parse_vkey(led.vkey)], c.settings.ledger_origin)
    assert cp.size == 2
    with c.db.reader() as s:
        ids = list(s.execute(select(Transcript.id).where(Transcript.class_id == A1)).scalars())
    for tid in ids:
        p = led.credential_inclusion_proof(tid)
        assert p["kind"] == "issued"
        verify_inclusion(
            bytes.fromhex(p["leaf_hash"]), p["index"], 2, [bytes.fromhex(h) for h in p["proof"]], cp.root_hash
        )
    assert led.audit().ok
