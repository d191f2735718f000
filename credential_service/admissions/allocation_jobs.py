"""The grade-10 allocation run as a batch job (issue #17 item 4): one item, the whole run, all or nothing.

The item calls :meth:`AdmissionsService.prepare_run` exactly as ``POST /api/v1/admissions/{year}/allocations`` does
(the stored rules and applicants, the deferred-acceptance allocation) and stores the run in one transaction. What
makes the item safe to run again after a worker is killed: the run's id is chosen when the job is submitted and
kept in the item's payload, so a second attempt first looks for that run. Either the first attempt committed (the
run is there; the item answers with it and records nothing) or nothing of it was written and the run is made now.
Two attempts racing each other cannot both store it either: the id is the table's primary key. The allocation
itself is deterministic (the same rules and applicants give the same output and ``output_sha256``); the only
thing a re-run repeats is the register reads for specialised schools, which go to each holder's access log again
because they happen again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from credential_service.admissions.service import AdmissionsService
from credential_service.admissions.tables import AdmissionRun
from credential_service.platform.errors import Conflict, Message
from credential_service.platform.jobs import JobHandler, JobItem, JobService

ALLOCATE_YEAR = "admissions.allocate_year"


def run_result(run: AdmissionRun, *, already_recorded: bool) -> dict[str, Any]:
    """The item's result: the synchronous route's summary in short form, and where the full result is."""
    return {
        "run_id": run.id,
        "year": run.year,
        "applicants": run.applicants,
        "admitted": run.admitted,
        "not_admitted": run.applicants - run.admitted,
        "config_sha256": run.config_sha256,
        "input_sha256": run.input_sha256,
        "output_sha256": run.output_sha256,
        "result": f"/api/v1/admissions/allocations/{run.id}",
        "already_recorded": already_recorded,
    }


def submit_allocation(service: AdmissionsService, jobs: JobService, year: str, *, actor: str) -> str:
    """Queue the year's allocation; the job id. Refused at once (nothing queued) when the year has no rules
    (404) or no applicants (409): what the run would refuse anyway, known before any worker starts."""
    service.rules(year)  # NotFound: no rules loaded for the year
    applicants = service.counts(year)["applicants"]
    if not applicants:
        raise Conflict(
            Message(f"Năm {year} chưa có thí sinh nào", f"No applicants imported for {year}"),
            hint=Message("Nhập tệp tuyển sinh trước.", "Import the admissions workbook first."),
        )
    # one item of weight 1: the job page counts "documents", and a run is one result, not one per applicant
    item = JobItem(payload={"year": year, "run_id": str(uuid.uuid4()), "actor": actor})
    title = (
        f"Xét tuyển lớp 10 năm {year} ({applicants} thí sinh) / grade-10 allocation {year} ({applicants} applicants)"
    )
    return jobs.submit(ALLOCATE_YEAR, [item], title=title, created_by=actor, school_id=None)


def _recorded(service: AdmissionsService, run_id: str) -> dict[str, Any] | None:
    with service.db.reader() as session:
        run = session.get(AdmissionRun, run_id)
        return run_result(run, already_recorded=True) if run is not None else None


def allocation_handler(service: AdmissionsService) -> JobHandler:
    """Run and store the year's allocation under the payload's run id; when that run is stored already (an
    earlier attempt committed before its worker died), answer with it and store nothing."""

    def handle(payload: Mapping[str, Any]) -> dict[str, Any]:
        run_id = str(payload["run_id"])
        found = _recorded(service, run_id)
        if found is not None:
            return found
        run, _summary = service.prepare_run(str(payload["year"]), actor=str(payload.get("actor") or ""))
        run.id = run_id
        try:
            with service.db.transaction() as session:
                session.add(run)
                result = run_result(run, already_recorded=False)  # read before the commit expires the row
        except IntegrityError:  # another attempt stored this run meanwhile
            found = _recorded(service, run_id)
            if found is None:
                raise
            return found
        return result

    return handle
