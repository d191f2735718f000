"""Batch jobs over HTTP: a job's progress (documents done, time left, failed items) and retrying failed items."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.staff import policies as P
from credential_service.staff.access import allow

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs / công việc nền"])
C = Annotated[Container, Depends(container)]


@router.get("/{job_id}", summary="Tiến độ công việc nền / a batch job's progress", dependencies=[allow(P.JOB_READ)])
def job_progress(job_id: str, c: C) -> dict[str, Any]:
    return c.jobs.progress(job_id).to_dict()


@router.get("/{job_id}/items", summary="Kết quả từng phần việc / each item's result", dependencies=[allow(P.JOB_READ)])
def job_items(job_id: str, c: C) -> list[dict[str, Any]]:
    return c.jobs.results(job_id)
