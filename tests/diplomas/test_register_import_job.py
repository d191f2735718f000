"""A large paper register book is imported as a batch job when a second Sở clerk approves it (issue #17 item 4): a
small one still imports within the approval; the job runs to 100 % with the import report in its result, an item
run again imports nothing twice, and a book refused by the import fails its item with a bilingual message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from staff_login import sign_in, sign_out

from credential_service.app.bootstrap import Container
from credential_service.app.factory import create_app
from credential_service.diplomas import register_import_jobs as rij
from credential_service.diplomas.register_demo import demo_register_rows, register_xlsx
from credential_service.diplomas.tables import Diploma, RegisterBook
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.jobs import BatchJobItem, InProcessDispatcher

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # HTTP layer: one backend

ALL_ROWS = demo_register_rows(8, seed=21)
SMALL, ROWS = ALL_ROWS[:2], ALL_ROWS[2:]  # one generator: rows that do not conflict
BOOK = {"issuer_key": "SO-GDDT-HP", "issuer_name": "Sở GDĐT Hải Phòng"}


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as c:
        yield c


def _propose(client: TestClient, book_code: str, data: bytes) -> str:
    sign_in(client, "so-clerk")
    r = client.post(
        "/api/v1/register-books", files={"file": ("book.xlsx", data)}, data={"book_code": book_code, **BOOK}
    )
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    return str(r.json()["approval_id"])


def _register(c: Container) -> tuple[int, int, int]:
    """(books, diplomas, imported ledger entries)."""
    with c.db.reader() as s:
        books = s.execute(select(func.count()).select_from(RegisterBook)).scalar_one()
        diplomas = s.execute(select(func.count()).select_from(Diploma)).scalar_one()
        entries = s.execute(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "imported"))
        return int(books), int(diplomas), int(entries.scalar_one())


def _drain(c: Container) -> None:
    assert isinstance(c.jobs.dispatcher, InProcessDispatcher)
    c.jobs.dispatcher.drain(timeout=300)


def _payload(c: Container, job_id: str) -> dict[str, Any]:
    with c.db.reader() as s:
        return dict(s.get(BatchJobItem, (job_id, 0)).payload)  # type: ignore[union-attr]


def test_a_large_book_is_imported_as_a_job_and_a_rerun_imports_nothing_twice(
    container: Container, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = container
    small = _propose(client, "SG-2004-S", register_xlsx(SMALL))
    sign_in(client, "so-clerk-2")  # under the threshold: imported within the approval, as before
    done = client.post(f"/api/v1/approvals/{small}/approve", json={})
    assert done.status_code == 200 and done.json()["result"]["imported"] == 2, done.text
    assert "job_id" not in done.json()["result"]

    monkeypatch.setattr(rij, "JOB_BYTES", 0)  # every book is "large" from here on
    approval = _propose(client, "SG-2004-J", register_xlsx(ROWS))
    url = f"/api/v1/approvals/{approval}/approve"
    sign_out(client)
    assert client.post(url, json={}).status_code == 401
    sign_in(client, "principal")  # approves diploma revocations, not register imports
    assert client.post(url, json={}).status_code == 403
    assert _register(c) == (1, 2, 2)

    sign_in(client, "so-clerk-2")
    r = client.post(url, json={})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "done"  # approved: the import is the job's now
    job = r.json()["result"]
    assert job["progress"] == f"/api/v1/jobs/{job['job_id']}" and "background job" in job["message_en"]
    payload = _payload(c, job["job_id"])
    assert "file_b64" not in payload and payload["approval_id"] == approval  # the file stays in the proposal
    _drain(c)
    progress = client.get(job["progress"]).json()
    assert (progress["status"], progress["percent"]) == ("done", 100.0), progress
    [item] = client.get(f"{job['progress']}/items").json()
    result = item["result"]
    assert (result["book_code"], result["rows"], result["imported"], result["queued"]) == ("SG-2004-J", 6, 6, 0)
    assert result["already_imported"] is False and result["reconciliation"] == "/api/v1/reconciliation"
    assert _register(c) == (2, 8, 8)

    # a worker handed the finished item once more, and a worker killed after the import committed: nothing twice
    assert c.jobs.run_item(job["job_id"], 0) == "done"
    again = rij.register_import_handler(c.register_importer, c.approvals)(payload)
    assert again == {"book_code": "SG-2004-J", "rows": 6, "imported": 6, "queued": 0, "already_imported": True,
                     "reconciliation": "/api/v1/reconciliation"}  # fmt: skip
    assert _register(c) == (2, 8, 8)


def test_a_book_the_import_refuses_fails_its_item_with_a_bilingual_message(
    container: Container, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = container
    monkeypatch.setattr(rij, "JOB_BYTES", 0)
    first = _propose(client, "SG-2005-1", register_xlsx(ROWS))
    sign_in(client, "so-clerk-2")
    assert client.post(f"/api/v1/approvals/{first}/approve", json={}).status_code == 200
    _drain(c)
    before = _register(c)
    other = register_xlsx(demo_register_rows(3, seed=8))  # another file under the same book code
    second = _propose(client, "SG-2005-1", other)
    sign_in(client, "so-clerk-2")
    job = client.post(f"/api/v1/approvals/{second}/approve", json={}).json()["result"]
    _drain(c)
    progress = client.get(job["progress"]).json()
    assert (progress["status"], progress["items_failed"]) == ("failed", 1)
    [error] = progress["errors"]
    assert error["vi"].startswith("Sổ SG-2005-1 đã được nhập từ một tệp khác")
    assert error["en"].startswith("Book SG-2005-1 was already imported from another file")
    assert "file_b64" not in error["payload"]
    assert _register(c) == before
