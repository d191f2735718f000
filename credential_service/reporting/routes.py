"""Progress API (thin): the dashboard's tables as JSON, one school's classes, and each table as CSV — for the
Sở city-wide and a commune officer for their commune (``progress.read``). Aggregates only, small cells
suppressed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container, file_response
from credential_service.reporting.rules import TABLES, Filters, Level, visible_communes
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
    "/{table}.csv",
    summary=f"Một bảng của trang tiến độ (CSV): {', '.join(TABLES)} / one dashboard table as CSV",
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
