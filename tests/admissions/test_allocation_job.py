"""The grade-10 allocation as a batch job (issue #17 item 4): only the admissions officer queues it, it runs to
100 % with the same result as the synchronous run, and an item run again records no second run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from importlib.resources import files

import pytest
from fastapi.testclient import TestClient
from staff_login import add_account, sign_in

from credential_service.admissions import allocation_jobs
from credential_service.admissions.import_files import write_workbook
from credential_service.admissions.synthetic import synthetic_records
from credential_service.admissions.year_rules import parse_toml_config
from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.platform.jobs import InProcessDispatcher, JobItem
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role
from credential_service.transcripts.seal_jobs import SEAL_CLASS

YEAR = "2026-2027"
RULES = files("credential_service.admissions").joinpath("demo_2026.toml").read_text(encoding="utf-8")


@pytest.fixture
def c(sqlite_db_url: str) -> Iterator[Container]:
    container = build(Settings(env="test", database_url=sqlite_db_url))
    add_account(container, "tuyen-sinh", Role.SO_ADMISSIONS)
    add_account(container, "thanh-tra", Role.INSPECTOR)
    yield container
    container.db.dispose()


def _drain(c: Container) -> None:
    assert isinstance(c.jobs.dispatcher, InProcessDispatcher)
    c.jobs.dispatcher.drain(timeout=120)


def test_the_officer_runs_the_allocation_as_a_job_and_a_rerun_records_no_second_run(c: Container) -> None:
    url = f"/api/v1/admissions/{YEAR}/allocation-jobs"
    app = create_app(c)
    with TestClient(app) as officer, TestClient(app) as inspector:
        assert officer.post(url).status_code == 401  # signed out
        sign_in(inspector, "thanh-tra")  # reads admissions, runs nothing
        r = inspector.post(url)
        assert r.status_code == 403 and r.json()["policy"] == "admissions.manage", r.text
        sign_in(officer, "tuyen-sinh")
        assert officer.post(url).status_code == 404  # no rules yet: refused, nothing queued
        officer.put(f"/api/v1/admissions/{YEAR}/rules", files={"file": ("2026.toml", RULES.encode())})
        r = officer.post(url)
        assert r.status_code == 409 and "No applicants" in r.json()["detail_en"], r.text
        config = parse_toml_config(RULES)
        workbook = write_workbook(synthetic_records(config, 80), config)
        r = officer.post(f"/api/v1/admissions/{YEAR}/applicants/import", files={"file": ("ts.xlsx", workbook)})
        assert r.status_code == 200, r.text
        assert c.admissions.counts(YEAR)["runs"] == 0

        r = officer.post(url)
        assert r.status_code == 202, r.text
        job = r.json()
        # the officer follows their own job (the general /api/v1/jobs is for schools' readers, not admissions)
        progress_url = f"/api/v1/admissions/allocation-jobs/{job['job_id']}"
        assert (job["items"], job["documents"], job["progress"]) == (1, 1, progress_url)
        _drain(c)
        assert officer.get(f"/api/v1/jobs/{job['job_id']}").status_code == 403
        progress = officer.get(job["progress"]).json()
        assert (progress["status"], progress["documents_done"], progress["percent"]) == ("done", 1, 100.0)
        assert "80 applicants" in progress["title"]
        assert inspector.get(job["progress"]).json()["items"] == progress["items"]  # the inspector reads it too
        [item] = inspector.get(f"/api/v1/jobs/{job['job_id']}/items").json()
        assert progress["items"] == [item]
        result = item["result"]
        assert result["already_recorded"] is False and result["applicants"] == 80
        assert result["result"] == f"/api/v1/admissions/allocations/{result['run_id']}"
        full = inspector.get(result["result"])
        assert full.status_code == 200 and len(full.json()["assignments"]) == 80
        at_once = officer.post(f"/api/v1/admissions/{YEAR}/allocations").json()  # the synchronous run still works
        assert at_once["output_sha256"] == result["output_sha256"]  # and gives the same allocation
        assert at_once["admitted"] == result["admitted"] > 0
    assert c.admissions.counts(YEAR)["runs"] == 2

    # a worker handed the finished item once more, and a worker killed after its commit: no second run
    assert c.jobs.run_item(job["job_id"], 0) == "done"
    payload = {"year": YEAR, "run_id": result["run_id"], "actor": "tuyen-sinh"}
    again = allocation_jobs.allocation_handler(c.admissions)(payload)
    assert again == {**result, "already_recorded": True}
    assert c.admissions.counts(YEAR)["runs"] == 2


def test_an_item_that_cannot_run_fails_with_a_bilingual_message_and_records_nothing(c: Container) -> None:
    item = JobItem({"year": "2099-2100", "run_id": str(uuid.uuid4()), "actor": "tuyen-sinh"}, weight=1)
    job_id = c.jobs.submit(allocation_jobs.ALLOCATE_YEAR, [item], title="t", created_by="tuyen-sinh", school_id=None)
    _drain(c)
    progress = c.jobs.progress(job_id).to_dict()
    assert (progress["status"], progress["items_failed"]) == ("failed", 1)
    [error] = progress["errors"]
    assert error["vi"].startswith("Chưa nạp quy định tuyển sinh năm 2099-2100")
    assert error["en"].startswith("No rules loaded for 2099-2100")
    assert c.admissions.counts("2099-2100")["runs"] == 0


def test_the_admissions_job_view_shows_no_other_kind_of_job(c: Container) -> None:
    item = JobItem({"class_id": "x"}, weight=1)
    other = c.jobs.submit(SEAL_CLASS, [item], title="seal", created_by="someone", school_id=None)
    with TestClient(create_app(c)) as officer:
        sign_in(officer, "tuyen-sinh")
        r = officer.get(f"/api/v1/admissions/allocation-jobs/{other}")
        assert r.status_code == 404 and r.json()["detail_en"] == f"No allocation job {other}."
