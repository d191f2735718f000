"""The admissions officer's pages (thin): the years whose rules are loaded, their applicants and the latest
allocation, and where to do the rest (the API and ``sogoc admissions``); one applicant's figures read from the
register, each with its source (``/so/tuyen-sinh/{year}/thi-sinh/{registration_no}``); and the holder's own
published result with its explanation (``/holder/tuyen-sinh``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.holders.service import COOKIE as HOLDER_COOKIE
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.staff.policy import Actor

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]
PAGE = "/so/tuyen-sinh"


@router.get(PAGE, response_class=HTMLResponse, dependencies=[allow(P.ADMISSIONS_READ)])
def admissions_page(request: Request, c: C) -> Response:
    return TEMPLATES.TemplateResponse(request, "admissions.html", {"years": c.admissions.years()})


def _verdict(source: dict[str, Any]) -> str:
    if source["verified"]:
        return "đã xác minh / verified"
    return f"chưa xác minh / not verified ({source['status']})"


@router.get(PAGE + "/{year}/thi-sinh/{registration_no}", response_class=HTMLResponse)
def applicant_page(
    request: Request,
    c: C,
    year: Annotated[str, PathParam(pattern=r"^[0-9A-Za-z-]{1,16}$")],
    registration_no: Annotated[str, PathParam(max_length=32)],
    actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)],
) -> Response:
    """One applicant's figures from the register (the read goes to the holder's access log)."""
    data = c.admissions.applicant_register(year, registration_no, actor=actor.display)
    return TEMPLATES.TemplateResponse(request, "admissions_applicant.html", {"a": data, "verdict": _verdict})


@router.get("/holder/tuyen-sinh", response_class=HTMLResponse, dependencies=[allow(P.HOLDER)])
def own_result_page(request: Request, c: C) -> Response:
    """The holder's own grade-10 result and its explanation, as the Sở published it (a parent signed in as the
    child's guardian account sees the child's)."""
    principal = c.holders.principal(request.cookies.get(HOLDER_COOKIE))
    results = c.admissions.own_results(c.holders.personal_ids(principal.person_id))
    context = {"user": principal, "csrf": c.holders.csrf_token(principal.session_hash), "results": results}
    return TEMPLATES.TemplateResponse(request, "holder_admissions.html", context)
