"""The register reconciled with the ledger (issue #16 item 2): every issued transcript and every diploma is
recorded exactly once; a credential the ledger misses, or records twice, is counted and named."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from seal_job_fixture import ready_classes
from sqlalchemy import select
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.cli import main
from credential_service.app.demo import staff_id
from credential_service.reporting.ledger_reconciliation import reconcile_with_ledger
from credential_service.reporting.ledger_rules import reconcile
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step


def test_a_credential_missing_from_the_ledger_or_recorded_twice_is_counted_and_named() -> None:
    out = reconcile(["a", "b", "c", "d"], {"a": 1, "b": 2, "d": 1, "zz": 1})
    assert (out["register"], out["recorded_once"], out["missing_from_ledger"], out["recorded_more_than_once"]) == (
        4, 2, 1, 1,
    )  # fmt: skip
    assert out["examples"] == {"missing_from_ledger": ["c"], "recorded_more_than_once": ["b"]}
    assert out["agree"] is False
    assert reconcile(["a"], {"a": 1})["agree"] is True


def test_the_sealed_transcripts_of_the_demo_agree_with_the_ledger_and_a_forged_one_does_not(
    container: Container, client: TestClient, tmp_path: object
) -> None:
    c = container
    _, class_ids = ready_classes(c, classes=1, students=3)
    c.transcripts.sign_class(class_ids[0], Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    out = reconcile_with_ledger(c.transcripts, c.diplomas, c.ledger)
    assert out["agree"] and out["transcripts"]["register"] == out["transcripts"]["recorded_once"] == 3
    assert out["ledger_record_entries"] >= 3

    sign_in(client, "so-admin")
    r = client.get("/api/v1/progress/ledger")
    assert r.status_code == 200 and r.json()["agree"] is True
    sign_in(client, "principal")
    assert client.get("/api/v1/progress/ledger").status_code == 403

    with c.db.transaction() as s:  # a transcript marked issued behind the ledger's back
        t = s.execute(select(Transcript).where(Transcript.class_id == class_ids[0])).scalars().first()
        assert t is not None
        forged = str(uuid.uuid4())
        s.add(Transcript(id=forged, student_id=t.student_id, class_id=t.class_id, version=t.version + 1,
                         status=t.status, record_json=t.record_json, record_sha256=t.record_sha256, salt=t.salt,
                         pdf=t.pdf, pdf_sha256=t.pdf_sha256, created_at=t.created_at,
                         issued_at=c.clock.now()))  # fmt: skip
    out = reconcile_with_ledger(c.transcripts, c.diplomas, c.ledger)
    assert out["agree"] is False and out["transcripts"]["examples"]["missing_from_ledger"] == [forged]
    assert main(["progress", "reconcile", "--database-url", c.settings.database_url]) == 1


def test_the_cli_reports_agreement(container: Container, capsys: object) -> None:
    assert main(["progress", "reconcile", "--database-url", container.settings.database_url]) == 0
    printed = json.loads(capsys.readouterr().out)  # type: ignore[attr-defined]
    assert printed["agree"] is True and printed["diplomas"]["register"] == 0
