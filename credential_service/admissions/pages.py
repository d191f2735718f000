"""The admissions officer's page (thin): the years whose rules are loaded, their applicants and the latest
allocation, and where to do the rest (the API and ``sogoc admissions``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.staff import policies as P
from credential_service.staff.access import allow

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]
PAGE = "/so/tuyen-sinh"


@router.get(PAGE, response_class=HTMLResponse, dependencies=[allow(P.ADMISSIONS_READ)])
def admissions_page(request: Request, c: C) -> Response:
    return TEMPLATES.TemplateResponse(request, "admissions.html", {"years": c.admissions.years()})
