"""The monthly report to the city as a batch job (issue #17 item 4): only the Sở queues it, it runs to 100 % with
the sealed PDF and the workbook in its result, and an item run again seals no second PDF."""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
from fastapi.testclient import TestClient
from progress_fixtures import SO_NAME
from sqlalchemy import func, select
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.factory import create_app
from credential_service.documents.tables import SignedDocument
from credential_service.platform.jobs import BatchJob, BatchJobItem, InProcessDispatcher, JobItem
from credential_service.reporting import report_jobs
from credential_service.reporting.report_xlsx import read_tables
from credential_service.reporting.reports import KIND

MONTH = "2026-05"  # the demo school year 2025-2026


@pytest.fixture
def c(signing: Container) -> Container:
    """A city of its own (its own dev CA state), with the demo school's results and the Sở's seal (conftest)."""
    return signing


def _drain(c: Container) -> None:
    assert isinstance(c.jobs.dispatcher, InProcessDispatcher)
    c.jobs.dispatcher.drain(timeout=300)


def _counts(c: Container) -> tuple[int, int]:
    """(sealed reports, batch jobs)."""
    with c.db.reader() as s:
        reports = s.execute(select(func.count()).select_from(SignedDocument).where(SignedDocument.kind == KIND))
        jobs = s.execute(select(func.count()).select_from(BatchJob))
        return int(reports.scalar_one()), int(jobs.scalar_one())


def _items(c: Container, job_id: str) -> list[JobItem]:
    with c.db.reader() as s:
        rows = s.execute(select(BatchJobItem).where(BatchJobItem.job_id == job_id)).scalars()
        return [JobItem(dict(r.payload), r.weight) for r in rows]


def test_the_so_makes_the_report_as_a_job_and_a_rerun_seals_no_second_pdf(c: Container) -> None:
    url = "/api/v1/progress/report-jobs"
    with TestClient(create_app(c)) as client:
        assert client.post(url, json={"month": MONTH}).status_code == 401  # signed out
        sign_in(client, "principal")
        r = client.post(url, json={"month": MONTH})
        assert r.status_code == 403 and r.json()["policy"] == "progress.report", r.text
        sign_in(client, "so-clerk")
        r = client.post(url, json={"month": "2026-13"})
        assert r.status_code == 422 and "YYYY-MM" in r.json()["detail_en"], r.text
        assert _counts(c) == (0, 0)  # refused before anything is queued

        r = client.post(url, json={"month": MONTH})
        assert r.status_code == 202, r.text
        job = r.json()
        assert (job["items"], job["progress"]) == (1, f"/api/v1/jobs/{job['job_id']}")
        _drain(c)
        progress = client.get(job["progress"]).json()
        assert (progress["status"], progress["percent"]) == ("done", 100.0), progress
        [item] = client.get(f"{job['progress']}/items").json()
        result = item["result"]
        assert result["already_sealed"] is False and result["month"] == MONTH
        assert result["school_year"] == "2025-2026" and result["document"]["signer"] == SO_NAME
        pdf = client.get(result["pdf"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert hashlib.sha256(pdf.content).hexdigest() == result["files"]["pdf"]["sha256"]
        xlsx = base64.b64decode(result["files"]["xlsx"]["base64"])
        assert hashlib.sha256(xlsx).hexdigest() == result["files"]["xlsx"]["sha256"]
        assert read_tables(xlsx)["city"][0]["students"] == 87
    assert _counts(c) == (1, 1)
    audit = c.signers.audit_trail(document_id=result["document_id"])
    assert [(a["outcome"], a["document_kind"]) for a in audit] == [("signed", KIND)]

    # a worker handed the finished item once more, and a worker killed after the seal committed: no second PDF
    assert c.jobs.run_item(job["job_id"], 0) == "done"
    handler = report_jobs.city_report_handler(lambda: pytest.fail("the report is made again"), c.db)
    [payload] = [i.payload for i in _items(c, job["job_id"])]
    again = handler(payload)
    assert again["already_sealed"] is True and again["document_id"] == result["document_id"]
    assert again["files"]["pdf"] == {k: v for k, v in result["files"]["pdf"].items() if k != "base64"}
    assert again["note_en"].startswith("The report was sealed by an earlier attempt")
    assert _counts(c) == (1, 1)


def test_an_item_that_cannot_run_fails_with_a_bilingual_message_and_seals_nothing(c: Container) -> None:
    item = JobItem({"month": "2099-01", "school_year": None, "actor": None, "key": str(uuid.uuid4())})
    job_id = c.jobs.submit(report_jobs.CITY_REPORT, [item], title="t", created_by="so-clerk", school_id=None)
    _drain(c)
    progress = c.jobs.progress(job_id).to_dict()
    assert (progress["status"], progress["items_failed"]) == ("failed", 1)
    [error] = progress["errors"]
    assert error["vi"] == "Không lập báo cáo cho tháng 2099-01: chỉ từ 2000-01 đến tháng hiện tại."
    assert error["en"] == "No report for 2099-01: only from 2000-01 to the current month."
    assert _counts(c) == (0, 1)
