"""A school's seal as one batch job: one confirmation, each class sealed all or nothing, progress to follow; on
PostgreSQL, procrastinate workers on several processes, one killed mid-class, and still no duplicate and no gap."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from seal_job_fixture import (
    issued_ledger,
    kill_a_worker_mid_item,
    ready_classes,
    start_worker,
    wait_until_finished,
)
from sqlalchemy import select
from staff_login import confirm, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.platform.jobs import BatchJobItem, InProcessDispatcher
from credential_service.platform.settings import Settings
from credential_service.transcripts.tables import SchoolClass


@pytest.fixture
def sqlite_container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    yield c
    c.db.dispose()


def _statuses(c: Container, class_ids: list[str]) -> set[str]:
    with c.db.reader() as session:
        return set(session.execute(select(SchoolClass.status).where(SchoolClass.id.in_(class_ids))).scalars())


def test_the_seal_operator_seals_every_approved_class_as_one_job_and_follows_its_progress(
    sqlite_container: Container,
) -> None:
    c = sqlite_container
    school_id, class_ids = ready_classes(c, classes=3, students=2)
    with TestClient(create_app(c)) as client:
        sign_in(client, "principal")  # not the seal operator: refused, nothing queued
        r = client.post(f"/api/v1/schools/{school_id}/seal-jobs", json={"confirmation_id": "x"})
        assert r.status_code == 403, r.text
        sign_in(client, "seal-operator")
        r = client.post(f"/api/v1/schools/{school_id}/seal-jobs", json={"confirmation_id": "not-a-confirmation"})
        assert r.status_code in (401, 403, 409), r.text  # no fresh confirmation: nothing signs
        assert _statuses(c, class_ids) == {"signed_principal"}

        confirmation = confirm(client, "seal-operator", f"sign:school:{school_id}:seal")
        r = client.post(f"/api/v1/schools/{school_id}/seal-jobs", json={"confirmation_id": confirmation})
        assert r.status_code == 202, r.text
        job = r.json()
        assert (job["items"], job["documents"]) == (3, 6)
        assert isinstance(c.jobs.dispatcher, InProcessDispatcher)
        c.jobs.dispatcher.drain(timeout=300)

        state = client.get(job["progress"]).json()
        assert (state["status"], state["documents_done"], state["percent"]) == ("done", 6, 100.0)
        assert [i["result"]["status"] for i in client.get(f"/api/v1/jobs/{job['job_id']}/items").json()] == [
            "issued"
        ] * 3
        sign_in(client, "gvcn-10a1")  # a homeroom teacher does not read the school's jobs
        assert client.get(job["progress"]).status_code == 403
    assert _statuses(c, class_ids) == {"issued"}
    seqs, issued, transcripts = issued_ledger(c, class_ids)
    assert transcripts == 6 and len(issued) == len(set(issued)) == 6 and seqs == list(range(len(seqs)))


def test_an_item_run_again_after_its_class_was_sealed_signs_nothing_more(sqlite_container: Container) -> None:
    c = sqlite_container
    school_id, class_ids = ready_classes(c, classes=1, students=2)
    from credential_service.transcripts import seal_jobs

    seal = c.staff_auth.seal_for_school(school_id)
    title, items = seal_jobs.school_seal_items(c.transcripts, school_id, seal_staff_id=seal, actor="test")
    job_id = c.jobs.submit(seal_jobs.SEAL_CLASS, items, title=title, created_by="test", school_id=school_id)
    assert isinstance(c.jobs.dispatcher, InProcessDispatcher)
    c.jobs.dispatcher.drain(timeout=300)
    before = issued_ledger(c, class_ids)
    with c.db.transaction() as session:  # the worker committed the class, then died before marking the item done
        item = session.get(BatchJobItem, (job_id, 0))
        assert item is not None
        item.status = "running"
    assert c.jobs.run_item(job_id, 0) == "done"
    assert c.jobs.results(job_id)[0]["result"]["already_sealed"] is True
    assert issued_ledger(c, class_ids) == before


@pytest.mark.postgres
@pytest.mark.slow
def test_a_worker_killed_mid_class_leaves_its_class_to_another_worker_with_no_duplicate_and_no_gap(
    postgres_db_url: str,
) -> None:
    empty_db_url = postgres_db_url
    from credential_service.platform.db import migrate
    from credential_service.transcripts import seal_jobs

    migrate(empty_db_url)
    c = build(Settings(env="test", database_url=empty_db_url))
    c.start_dev_services()
    school_id, class_ids = ready_classes(c, classes=6, students=3)
    workers = [start_worker(empty_db_url), start_worker(empty_db_url)]
    try:
        seal = c.staff_auth.seal_for_school(school_id)
        title, items = seal_jobs.school_seal_items(c.transcripts, school_id, seal_staff_id=seal, actor="test")
        job_id = c.jobs.submit(seal_jobs.SEAL_CLASS, items, title=title, created_by="test", school_id=school_id)
        victim = kill_a_worker_mid_item(c, job_id, workers)
        state = wait_until_finished(c, job_id, timeout=240)
        assert state["status"] == "done", state
        rows = c.jobs.results(job_id)
        retried = [r for r in rows if r["runner"] and r["attempts"] == 2]
        assert retried and all(not r["runner"].endswith(f":{victim}") for r in retried)  # another worker ended it
        assert _statuses(c, class_ids) == {"issued"}
        seqs, issued, transcripts = issued_ledger(c, class_ids)
        assert len(issued) == len(set(issued)) == transcripts == 18  # no duplicate
        assert seqs == list(range(len(seqs)))  # no gap
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=20)
            except subprocess.TimeoutExpired:
                w.kill()
        c.db.dispose()
