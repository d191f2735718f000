"""Server-rendered progress pages (Vietnamese first, usable on a phone): the dashboard with its charts and
filters, a school's classes; and the chart scripts the app serves itself (``credential_service/assets/js``)."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import Message, NotFound
from credential_service.reporting import charts
from credential_service.reporting.routes import (
    ClassId,
    Commune,
    LevelQ,
    SchoolCode,
    SchoolYear,
    alerts_service,
    scope_of,
)
from credential_service.reporting.rules import LEVEL_LABELS, Filters, Level
from credential_service.reporting.suppression import cell_text
from credential_service.staff import policies as P
from credential_service.staff.access import allow, require
from credential_service.staff.policy import Actor

_ROOT = FilePath(__file__).resolve().parent.parent
TEMPLATES = Jinja2Templates(directory=str(_ROOT / "platform" / "templates"))
TEMPLATES.env.filters["cell"] = cell_text
ASSETS = _ROOT / "assets" / "js"
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "vega-interpreter.js", "progress-charts.js")
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]
LEVELS = [(lv.value, LEVEL_LABELS[lv]) for lv in Level]


@router.get("/so/tien-do", response_class=HTMLResponse)
def dashboard(
    request: Request,
    c: C,
    actor: Annotated[Actor, allow(P.PROGRESS_READ)],
    level: LevelQ = None,
    commune: Commune = None,
    school_year: SchoolYear = None,
) -> Response:
    data = c.reporting.progress(Filters(level, commune, school_year), scope_of(c, actor))
    alerts = alerts_service(c).for_person(actor.grants)
    t = data["tables"]
    specs = {
        "chart-funnel": charts.funnel_chart(t["city"][0]),
        "chart-communes": charts.communes_chart(t["communes"]),
        "chart-behind": charts.behind_chart(t["behind"]),
    }
    if t["trend"]:  # the section says when there is no history yet
        specs["chart-trend"] = charts.trend_chart(t["trend"])
    query = request.url.query
    return TEMPLATES.TemplateResponse(
        request,
        "progress.html",
        {
            "data": data,
            "specs": specs,
            "levels": LEVELS,
            "query": f"?{query}" if query else "",
            "scripts": SCRIPTS,
            "alerts": alerts,
        },
    )


@router.get("/so/tien-do/truong/{code}", response_class=HTMLResponse)
def school_page(
    request: Request,
    c: C,
    code: SchoolCode,
    actor: Annotated[Actor, allow(P.PROGRESS_READ)],
    level: LevelQ = None,
    school_year: SchoolYear = None,
) -> Response:
    require(P.PROGRESS_READ, actor, c.school_place(code), c.clock.today())
    data = c.reporting.school(code, Filters(level, None, school_year), scope_of(c, actor))
    specs = {"chart-funnel": charts.funnel_chart(data["school"])}
    query = request.url.query
    return TEMPLATES.TemplateResponse(
        request,
        "progress_school.html",
        {"data": data, "specs": specs, "query": f"?{query}" if query else "", "scripts": SCRIPTS},
    )


@router.get("/so/tien-do/lop/{class_id}", response_class=HTMLResponse)
def class_page(
    request: Request,
    c: C,
    class_id: ClassId,
    actor: Annotated[Actor, allow(P.PROGRESS_CLASS_READ)],
    school_year: SchoolYear = None,
) -> Response:
    data = c.reporting.school_class(class_id, Filters(None, None, school_year), scope_of(c, actor))
    specs = {"chart-funnel": charts.funnel_chart(data["class"])}
    return TEMPLATES.TemplateResponse(
        request, "progress_class.html", {"data": data, "specs": specs, "scripts": SCRIPTS}
    )


@router.get("/assets/js/{name}", dependencies=[allow(P.PUBLIC)])
def script(name: Annotated[str, Path(max_length=40)]) -> Response:
    """The chart scripts, from the app's own files (nothing is fetched from elsewhere at run time)."""
    if name not in SCRIPTS:
        raise NotFound(Message(f"Không có tệp {name}.", f"No file {name}."))
    return FileResponse(
        ASSETS / name,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )
