"""The staff sign-in page; after it, each role lands on its own work."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.app.problem import http_status
from credential_service.platform.client_address import request_client
from credential_service.platform.errors import Message, NotAuthenticated, NotFound, RateLimited
from credential_service.staff import policies as P
from credential_service.staff.access import COOKIE, allow
from credential_service.staff.oidc import OidcPending
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
def sign_in_page(request: Request, c: C) -> Response:
    context = {"next": safe_next(request.query_params.get("next")), "error": None, "sso": c.oidc is not None}
    return TEMPLATES.TemplateResponse(request, "staff_signin.html", context)


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
        client = request_client(request, c.settings.trusted_proxies)
        token, actor = c.staff_auth.sign_in(username, password, totp, client=client)
    except (NotAuthenticated, RateLimited) as e:
        return TEMPLATES.TemplateResponse(
            request,
            "staff_signin.html",
            {"next": safe_next(next), "error": e.message, "sso": c.oidc is not None},
            status_code=http_status(e),
        )
    response = RedirectResponse(safe_next(next) or landing_page(actor.grants), status_code=303)
    set_session_cookie(response, token, c)
    return response


SSO_COOKIE = "sogoc_sso"


@router.get(SIGN_IN_PATH + "/sso", dependencies=[allow(P.PUBLIC_SIGN_IN)])
def sso_begin(c: C) -> Response:
    """Off to the city's SSO; the state, nonce and PKCE verifier wait in a signed, short-lived cookie."""
    if c.oidc is None:
        raise NotFound(Message("Chưa cấu hình đăng nhập một lần (SSO).", "Single sign-on is not configured."))
    url, pending = c.oidc.begin()
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        SSO_COOKIE,
        c.staff_auth.seal_state(pending.to_dict()),
        httponly=True,
        samesite="lax",  # the provider sends the browser back with a top-level GET
        secure=not c.settings.is_dev,
        max_age=600,
        path=SIGN_IN_PATH,
    )
    return response


@router.get(SIGN_IN_PATH + "/sso/callback", dependencies=[allow(P.PUBLIC_SIGN_IN)])
def sso_callback(request: Request, c: C) -> Response:
    if c.oidc is None:
        raise NotFound(Message("Chưa cấu hình đăng nhập một lần (SSO).", "Single sign-on is not configured."))
    state = c.staff_auth.open_state(request.cookies.get(SSO_COOKIE))
    if state is None:
        raise NotAuthenticated(
            Message("Phiên đăng nhập một lần đã hết hạn; hãy thử lại.", "The sign-on attempt expired; try again.")
        )
    identity = c.oidc.finish(dict(request.query_params), OidcPending.from_dict(state))
    token, actor = c.staff_auth.sign_in_oidc(issuer=identity.issuer, subject=identity.subject)
    response = RedirectResponse(landing_page(actor.grants), status_code=303)
    response.delete_cookie(SSO_COOKIE, path=SIGN_IN_PATH)
    set_session_cookie(response, token, c)
    return response


@router.post("/dang-xuat")
def sign_out(request: Request, actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> Response:
    c.staff_auth.sign_out(request.cookies.get(COOKIE))
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
