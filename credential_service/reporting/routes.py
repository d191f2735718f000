"""Progress API (thin): the dashboard's tables as JSON, one school's classes, and each table as CSV — for the
Sở city-wide and a commune officer for their commune (``progress.read``). Aggregates only, small cells
suppressed."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container, file_response
from credential_service.reporting.alert_service import AlertsService
from credential_service.reporting.ledger_reconciliation import reconcile_with_ledger
from credential_service.reporting.report_rules import ALL_TABLES
from credential_service.reporting.rules import Filters, Level, visible_communes
from credential_service.staff import policies as P
from credential_service.staff.access import allow, require
from credential_service.staff.policy import Actor, Scope
from credential_service.staff.roles import CITY, Place

router = APIRouter(prefix="/api/v1/progress", tags=["progress / tiến độ"])
C = Annotated[Container, Depends(container)]
SchoolYear = Annotated[
    str | None, Query(pattern=r"^[0-9]{4}-[0-9]{4}$", description="năm học / school year, e.g. 2025-2026")
]
Commune = Annotated[str | None, Query(max_length=100, description="xã/phường / commune or ward")]
LevelQ = Annotated[Level | None, Query(description="cấp học / level: tieu_hoc, thcs, thpt")]
SchoolCode = Annotated[str, Path(max_length=32, pattern=r"^[0-9A-Za-z._-]{1,32}$")]
ClassId = Annotated[str, Path(max_length=36, pattern=r"^[0-9A-Za-z-]{1,36}$")]
CSV = file_response("text/csv", "Bảng CSV (UTF-8) / the table as CSV")


def _csv(text: str, name: str) -> Response:
    return Response(
        text.encode("utf-8-sig"),  # with a BOM: Excel then reads the Vietnamese letters right
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def scope_of(c: Container, actor: Actor) -> frozenset[str] | None:
    return visible_communes(actor.grants, c.clock.today())


def class_place(c: Container, class_id: str) -> Place:
    """Where a class is (its school and commune); an unknown class: the city, and then a 404."""
    return c.resource_place(Scope.CLASS, {"class_id": class_id}) or CITY


@router.get("", summary="Tiến độ học bạ số, văn bằng, chất lượng dữ liệu / progress of the roll-out")
def progress(
    c: C,
    actor: Annotated[Actor, allow(P.PROGRESS_READ)],
    level: LevelQ = None,
    commune: Commune = None,
    school_year: SchoolYear = None,
) -> dict[str, Any]:
    return c.reporting.progress(Filters(level, commune, school_year), scope_of(c, actor))


@router.get("/schools/{code}", summary="Tiến độ một trường, theo lớp / one school's progress by class")
def school(
    c: C,
    code: SchoolCode,
    actor: Annotated[Actor, allow(P.PROGRESS_READ)],
    level: LevelQ = None,
    school_year: SchoolYear = None,
) -> dict[str, Any]:
    require(P.PROGRESS_READ, actor, c.school_place(code), c.clock.today())
    return c.reporting.school(code, Filters(level, None, school_year), scope_of(c, actor))


@router.get(
    "/schools/{code}/classes.csv",
    summary="Các lớp của một trường (CSV) / one school's classes as CSV",
    response_class=Response,
    responses=CSV,
)
def school_classes_csv(
    c: C,
    code: SchoolCode,
    actor: Annotated[Actor, allow(P.PROGRESS_READ)],
    level: LevelQ = None,
    school_year: SchoolYear = None,
) -> Response:
    require(P.PROGRESS_READ, actor, c.school_place(code), c.clock.today())
    text = c.reporting.school_classes_csv(code, Filters(level, None, school_year), scope_of(c, actor))
    return _csv(text, f"progress-{code}-classes")


@router.get("/classes/{class_id}", summary="Tiến độ một lớp (số tổng hợp) / one class's progress (aggregates)")
def school_class(
    c: C,
    class_id: ClassId,
    actor: Annotated[Actor, allow(P.PROGRESS_CLASS_READ)],
    school_year: SchoolYear = None,
) -> dict[str, Any]:
    return c.reporting.school_class(class_id, Filters(None, None, school_year), scope_of(c, actor))


@router.get(
    "/quality/persons",
    summary="Hồ sơ người trùng lặp, không khớp CSDL dân cư (toàn thành phố) / duplicate persons, registry mismatches",
    dependencies=[allow(P.PROGRESS_REPORT)],
)
def person_quality(c: C) -> dict[str, Any]:
    """Person records that are likely one person (the same personal ID number; or no number and the same
    normalised name and date of birth): the counts by kind and the first groups, by internal id only. And the
    latest checks against the population registry: mismatches, not found, checked, with a number but unchecked."""
    return c.reporting.person_quality()


@router.get(
    "/quality/persons.csv",
    summary="Hồ sơ người trùng lặp, không khớp CSDL dân cư (CSV) / duplicate groups and registry mismatches as CSV",
    response_class=Response,
    responses=CSV,
    dependencies=[allow(P.PROGRESS_REPORT)],
)
def person_groups_csv(c: C) -> Response:
    return _csv(c.reporting.person_groups_csv(), "progress-duplicate-persons")


@router.get(
    "/{table}.csv",
    summary=f"Một bảng của trang tiến độ (CSV): {', '.join(ALL_TABLES)} / one dashboard table as CSV",
    response_class=Response,
    responses=CSV,
)
def table_csv(
    c: C,
    table: Annotated[str, Path(max_length=16, pattern=r"^[a-z_]{1,16}$")],
    actor: Annotated[Actor, allow(P.PROGRESS_READ)],
    level: LevelQ = None,
    commune: Commune = None,
    school_year: SchoolYear = None,
) -> Response:
    text = c.reporting.table_csv(table, Filters(level, commune, school_year), scope_of(c, actor))
    return _csv(text, f"progress-{table}")


class ReportIn(BaseModel):
    month: str | None = Field(
        default=None, pattern=r"^[0-9]{4}-[0-9]{2}$", description="tháng báo cáo / the month, YYYY-MM (default: now)"
    )
    school_year: str | None = Field(
        default=None, pattern=r"^[0-9]{4}-[0-9]{4}$", description="năm học (mặc định: của tháng) / school year"
    )


@router.post(
    "/reports",
    summary="Lập báo cáo tiến độ gửi Thành phố (XLSX và PDF có dấu của Sở) / the report to the city",
)
def make_report(
    request: Request, c: C, actor: Annotated[Actor, allow(P.PROGRESS_REPORT)], body: ReportIn | None = None
) -> dict[str, Any]:
    """The whole city's tables as a workbook and a PDF sealed by the Sở (PAdES B-LT, a ledger entry); both
    files are in the answer (base64), the PDF also at ``GET /api/v1/documents/{document_id}/pdf``."""
    body = body or ReportIn()
    c.start_dev_services()
    agent = request.headers.get("user-agent", "")[:120]
    report = c.city_reports.make(
        body.month, school_year=body.school_year, actor=actor.staff_id, client=f"http {agent}".strip()
    )
    out = report.summary()
    out["files"]["xlsx"]["base64"] = base64.b64encode(report.xlsx).decode("ascii")
    out["files"]["pdf"]["base64"] = base64.b64encode(report.pdf).decode("ascii")
    return out


@router.post(
    "/report-jobs",
    status_code=202,
    summary="Lập báo cáo tiến độ gửi Thành phố, chạy nền / the report to the city as a background job",
)
def make_report_as_job(
    c: C, actor: Annotated[Actor, allow(P.PROGRESS_REPORT)], body: ReportIn | None = None
) -> dict[str, Any]:
    """The same report as ``POST /reports``, answered at once; ``GET /api/v1/jobs/{job_id}/items`` gives the
    sealed PDF's document id (``GET /api/v1/documents/{document_id}/pdf``) and the workbook."""
    from credential_service.reporting.report_jobs import submit_city_report

    body = body or ReportIn()
    c.start_dev_services()
    job_id = submit_city_report(
        c.jobs, c.any_documents, month=body.month, school_year=body.school_year, actor=actor.staff_id,
        created_by=actor.display, today=c.clock.today(),
    )  # fmt: skip
    return c.jobs.accepted(job_id)


def alerts_service(c: Container) -> AlertsService:
    return AlertsService(c.reporting, c.diplomas, c.signers, clock=c.clock)


def landing_alerts(c: Container, actor: Actor | None) -> list[dict[str, Any]] | None:
    """The alerts shown on a landing page (``staff/roles.py:landing_page``), or None when the person holds no
    role in force that answers for any (``progress.alerts``)."""
    today = c.clock.today()
    if actor is None or not any(g.role in P.PROGRESS_ALERTS.roles and g.in_force(today) for g in actor.grants):
        return None
    return alerts_service(c).for_person(actor.grants)


@router.get("/alerts", summary="Cảnh báo cho người đăng nhập / the alerts for the person signed in")
def alerts(c: C, actor: Annotated[Actor, allow(P.PROGRESS_ALERTS)]) -> dict[str, Any]:
    """A school behind plan, a diploma decision about to miss its 5-day deadline, a signer certificate
    expiring within 30 days — those about places the person's roles cover, most urgent first."""
    return {"as_of": c.clock.now().isoformat(), "alerts": alerts_service(c).for_person(actor.grants)}


@router.get(
    "/ledger",
    summary="Đối chiếu sổ gốc với sổ cái / the register reconciled with the ledger",
    dependencies=[allow(P.PROGRESS_REPORT)],
)
def ledger_reconciliation(c: C) -> dict[str, Any]:
    """Every issued transcript and every diploma in the register recorded exactly once in the ledger; the counts,
    the disagreements and the first credential ids of each (city-wide)."""
    return {"as_of": c.clock.now().isoformat(), **reconcile_with_ledger(c.transcripts, c.diplomas, c.ledger)}
