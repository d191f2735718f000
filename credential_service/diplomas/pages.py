"""Server-rendered diploma pages: the Sở's page (due/late against the 5-day rule, reconciliation queue),
the public paper-diploma check form, the public disclosure page and the public revocations list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.app.problem import http_status
from credential_service.diplomas.routes import client_of
from credential_service.platform.errors import SogocError
from credential_service.reporting.routes import landing_alerts
from credential_service.staff import policies as P
from credential_service.staff.access import allow

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]


@router.get("/so/van-bang", response_class=HTMLResponse, dependencies=[allow(P.SO_PAGE)])
def so_page(request: Request, c: C) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        "diploma_so.html",
        {
            "deadlines": c.diplomas.deadline_view(),
            "queue": c.register_importer.queue(),
            "alerts": landing_alerts(c, getattr(request.state, "actor", None)),  # reporting/alerts.py
        },
    )


@router.get("/tra-cuu-van-bang", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def check_form(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(request, "diploma_check.html", {"result": None, "error": None})


@router.post("/tra-cuu-van-bang", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def check(
    request: Request,
    c: C,
    number: Annotated[str, Form(max_length=64)],
    full_name: Annotated[str, Form(max_length=200)],
    date_of_birth: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        result = c.diplomas.public_check(
            number=number, full_name=full_name, date_of_birth=date_of_birth, client=client_of(request)
        )
        return TEMPLATES.TemplateResponse(request, "diploma_check.html", {"result": result, "error": None})
    except SogocError as e:
        return TEMPLATES.TemplateResponse(
            request, "diploma_check.html", {"result": None, "error": e}, status_code=http_status(e)
        )


@router.get("/cong-khai/van-bang/{school_code}/{year}", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def disclosure(request: Request, school_code: str, year: int, c: C) -> Response:
    rows = c.diplomas.disclosure(school_code, year)
    return TEMPLATES.TemplateResponse(
        request, "diploma_disclosure.html", {"rows": rows, "school_code": school_code, "year": year}
    )


@router.get("/cong-khai/thu-hoi-van-bang", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def revocations(request: Request, c: C) -> Response:
    return TEMPLATES.TemplateResponse(request, "diploma_revocations.html", {"rows": c.diplomas.revocations()})
