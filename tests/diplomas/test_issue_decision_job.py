"""A graduation decision's diplomas as one batch job (issue #17 item 4): the issuer confirms once, the graduates
are issued item by item, each all or nothing; running an item again issues nobody twice and skips no number."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from diploma_fixtures import decide
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from staff_login import confirm, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo, staff_id
from credential_service.app.factory import create_app
from credential_service.diplomas import issue_jobs
from credential_service.diplomas.tables import Diploma
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.jobs import InProcessDispatcher
from credential_service.platform.settings import Settings


@pytest.fixture
def sqlite_container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    yield c
    c.db.dispose()


def _register(c: Container) -> tuple[list[int], list[int], int]:
    """(register sequence numbers, graduate indexes, issued ledger entries)."""
    with c.db.reader() as s:
        rows = s.execute(select(Diploma.register_seq, Diploma.graduate_index)).all()
        entries = s.execute(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "issued"))
        return sorted(r[0] for r in rows), sorted(r[1] for r in rows), int(entries.scalar_one())


def test_the_principal_issues_a_decision_as_one_job_in_items_with_no_gap_and_no_double(
    sqlite_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = sqlite_container
    monkeypatch.setattr(issue_jobs, "ITEM_SIZE", 2)  # three graduates: two items
    seed_demo(c.transcripts, import_results=False)  # the demo school, its principal and seal
    decision = decide(c.diplomas, on=c.clock.today())
    url = f"/api/v1/graduation-decisions/{decision}/issue-jobs"
    with TestClient(create_app(c)) as client:
        sign_in(client, "gvcn-10a1")  # a homeroom teacher does not issue diplomas
        assert client.post(url, json={"confirmation_id": "x"}).status_code == 403
        sign_in(client, "principal")
        r = client.post(url, json={"confirmation_id": "not-a-confirmation"})
        assert r.status_code in (401, 403, 409), r.text  # no fresh confirmation: nothing signs
        assert _register(c) == ([], [], 0)

        r = client.post(url, json={"confirmation_id": confirm(client, "principal", f"issue:decision:{decision}")})
        assert r.status_code == 202, r.text
        job = r.json()
        assert (job["items"], job["documents"]) == (2, 3)
        assert isinstance(c.jobs.dispatcher, InProcessDispatcher)
        c.jobs.dispatcher.drain(timeout=300)
        progress = client.get(f"/api/v1/jobs/{job['job_id']}").json()
        assert (progress["status"], progress["documents_done"], progress["percent"]) == ("done", 3, 100.0)

        again = client.post(url, json={"confirmation_id": confirm(client, "principal", f"issue:decision:{decision}")})
        assert again.status_code == 409 and "already holds a diploma" in again.json()["detail_en"], again.text

    assert _register(c) == ([1, 2, 3], [0, 1, 2], 3)
    assert c.jobs.run_item(job["job_id"], 0) == "done"  # a finished item is not run again
    handler = issue_jobs.issue_graduates_handler(c.diplomas)  # a worker handed the first item once more
    payload = c.jobs.results(job["job_id"])[0]["result"]
    assert payload["already_issued"] == 0 and len(payload["issued"]) == 2
    rerun = handler({"decision_id": decision, "indexes": [0, 1], "issuer_staff_id": staff_id("principal"),
                     "seal_staff_id": staff_id("seal-thpt-demo")})  # fmt: skip
    assert rerun == {"issued": [], "already_issued": 2}
    assert _register(c) == ([1, 2, 3], [0, 1, 2], 3)
