"""The staff sign-in page; after it, each role lands on its own work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import NotAuthenticated
from credential_service.staff import policies as P
from credential_service.staff.access import COOKIE, allow
from credential_service.staff.policy import Actor
from credential_service.staff.roles import landing_page
from credential_service.staff.routes import set_session_cookie

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]
SIGN_IN_PATH = "/dang-nhap"


def safe_next(url: str | None) -> str | None:
    """Only a path on this site (no scheme, no host, no //): an open redirect is refused."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url and len(url) < 500:
        return url
    return None


@router.get(SIGN_IN_PATH, response_class=HTMLResponse, dependencies=[allow(P.PUBLIC_SIGN_IN)])
def sign_in_page(request: Request) -> Response:
    return TEMPLATES.TemplateResponse(
        request, "staff_signin.html", {"next": safe_next(request.query_params.get("next")), "error": None}
    )


@router.post(SIGN_IN_PATH, dependencies=[allow(P.PUBLIC_SIGN_IN)])
def sign_in(
    request: Request,
    c: C,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    totp: Annotated[str, Form(max_length=10)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        token, actor = c.staff_auth.sign_in(username, password, totp)
    except NotAuthenticated as e:
        return TEMPLATES.TemplateResponse(
            request, "staff_signin.html", {"next": safe_next(next), "error": e.message}, status_code=401
        )
    response = RedirectResponse(safe_next(next) or landing_page(actor.grants), status_code=303)
    set_session_cookie(response, token, c)
    return response


@router.post("/dang-xuat")
def sign_out(request: Request, actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> Response:
    c.staff_auth.sign_out(request.cookies.get(COOKIE))
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
