"""Holder pages (Vietnamese first, English beside): sign in, activate, my credentials, share, who checked me.

Forms carry a CSRF token: before sign-in it is bound to a random pre-session cookie (``sogoc_pre``),
after sign-in to the session. The session cookie is HttpOnly, SameSite=Lax and Secure outside dev.
Statuses and states are shown by their labels, moments in Vietnam time with the zone written out,
credentials by their titles and shared fields by their labels; the pages fit a 420 px wide phone.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.app.problem import http_status
from credential_service.holders import disclosure
from credential_service.holders.consent import RELATIONS, SCOPE_LABELS, SCOPES
from credential_service.holders.labels import RELATION_LABELS, ZONE, credential_status_label, vn_time
from credential_service.holders.routes import (
    COOKIE,
    PRE_COOKIE,
    HolderStack,
    client_of,
    holder_stack,
    set_session_cookie,
)
from credential_service.holders.service import Principal
from credential_service.platform.errors import ErrorCategory, Message, SogocError
from credential_service.staff import policies as P
from credential_service.staff.access import allow

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
TEMPLATES.env.filters["vn_time"] = vn_time
TEMPLATES.env.globals["vn_zone"] = ZONE
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]
Stack = Annotated[HolderStack, Depends(holder_stack)]


def _pre_token(request: Request, stack: HolderStack) -> tuple[str, str]:
    pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(16)
    return pre, stack.holders.csrf_token("pre:" + pre)


def _anon_page(request: Request, stack: HolderStack, c: Container, template: str, **ctx: Any) -> Response:
    pre, token = _pre_token(request, stack)
    resp = TEMPLATES.TemplateResponse(request, template, {"csrf": token, **ctx}, status_code=ctx.pop("status", 200))
    resp.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="lax", secure=not c.settings.is_dev, path="/holder")
    return resp


def _principal(request: Request, stack: HolderStack) -> Principal | None:
    try:
        return stack.holders.principal(request.cookies.get(COOKIE))
    except SogocError:
        return None


def _check_pre(request: Request, stack: HolderStack, token: str) -> None:
    stack.holders.check_csrf("pre:" + (request.cookies.get(PRE_COOKIE) or "-"), token)


@router.get("/holder", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC_SIGN_IN)])
def signin_page(request: Request, stack: Stack, c: C) -> Response:
    if _principal(request, stack) is not None:
        return RedirectResponse("/holder/credentials", status_code=303)
    return _anon_page(request, stack, c, "holder_signin.html")


@router.post("/holder/signin", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC_SIGN_IN)])
def signin(
    request: Request,
    stack: Stack,
    c: C,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    try:
        _check_pre(request, stack, csrf)
        token, _ = stack.holders.sign_in(username, password, client=client_of(request))
    except SogocError as e:
        return _anon_page(request, stack, c, "holder_signin.html", error=e, status=http_status(e))
    resp = RedirectResponse("/holder/credentials", status_code=303)
    set_session_cookie(resp, token, c)
    return resp


@router.get("/holder/activate", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC_SIGN_IN)])
def activate_page(request: Request, stack: Stack, c: C) -> Response:
    return _anon_page(request, stack, c, "holder_activate.html")


@router.post("/holder/activate", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC_SIGN_IN)])
def activate(
    request: Request,
    stack: Stack,
    c: C,
    username: Annotated[str, Form()],
    code: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    try:
        _check_pre(request, stack, csrf)
        stack.holders.activate(username, code, password, client=client_of(request))
    except SogocError as e:
        return _anon_page(request, stack, c, "holder_activate.html", error=e, status=http_status(e))
    return _anon_page(request, stack, c, "holder_signin.html", ok="Đã kích hoạt; hãy đăng nhập. / Activated; sign in.")


def _signed_in(request: Request, stack: HolderStack, csrf: str | None = None) -> Principal:
    principal = stack.holders.principal(request.cookies.get(COOKIE))
    if csrf is not None:
        stack.holders.check_csrf(principal.session_hash, csrf)
    return principal


def _page(request: Request, stack: HolderStack, principal: Principal, template: str, **ctx: Any) -> Response:
    person = stack.holders.person(principal.person_id)
    status = ctx.pop("status", 200)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "csrf": stack.holders.csrf_token(principal.session_hash),
            "user": principal,
            "person": person,
            "minor": stack.holders.is_minor(principal.person_id),
            **ctx,
        },
        status_code=status,
    )


def _guarded(request: Request, stack: HolderStack, csrf: str | None = None) -> Principal | Response:
    try:
        return _signed_in(request, stack, csrf)
    except SogocError as e:
        if e.category is ErrorCategory.UNAUTHENTICATED:
            return RedirectResponse("/holder", status_code=303)
        return HTMLResponse(f"<p>{e.message.vi}</p><p>{e.message.en}</p>", status_code=http_status(e))


@router.post("/holder/signout", dependencies=[allow(P.HOLDER)])
def signout(request: Request, stack: Stack, csrf: Annotated[str, Form()] = "") -> Response:
    p = _guarded(request, stack, csrf)
    if isinstance(p, Response):
        return p
    stack.holders.sign_out(p)
    resp = RedirectResponse("/holder", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


def _scope_choices() -> list[dict[str, Any]]:
    """Each scope with what it shares, per kind of credential (from the one definition)."""
    return [
        {
            "value": s,
            "label": SCOPE_LABELS[s],
            "kinds": [
                (disclosure.KIND_LABELS[k], [f.label for f in disclosure.fields_for(k, s)]) for k in disclosure.KINDS
            ],
        }
        for s in SCOPES
    ]


def _done_message(grants: list[dict[str, Any]], revoked: str | None, confirmed: str | None) -> Message | None:
    """The confirmation shown after a redirect, only for the holder's own grant in the state it names."""
    for g in grants:
        if revoked and g["id"] == revoked and g["state"] == "revoked":
            return Message(
                f"Đã thu hồi mã chia sẻ …{g['code_hint']}. Từ nay không ai dùng được mã này.",
                f"Share code …{g['code_hint']} revoked. Nobody can use it from now on.",
            )
        if confirmed and g["id"] == confirmed and g["guardian"]:
            return Message(
                f"Cha mẹ/người giám hộ đã xác nhận mã …{g['code_hint']}; mã đã dùng được.",
                f"A parent or guardian confirmed code …{g['code_hint']}; it can be used now.",
            )
    return None


def _credentials_page(request: Request, stack: HolderStack, p: Principal, **ctx: Any) -> Response:
    credentials = [
        c | {"status_label": credential_status_label(c["kind"], c["status"])}
        for c in stack.holders.credentials(p.person_id)
    ]
    grants = stack.consent.grants(p)
    done = _done_message(grants, request.query_params.get("revoked"), request.query_params.get("confirmed"))
    if done is not None:
        ctx.setdefault("ok", done)
    return _page(
        request,
        stack,
        p,
        "holder_credentials.html",
        credentials=credentials,
        grants=grants,
        scopes=_scope_choices(),
        relations=[(r, RELATION_LABELS[r]) for r in RELATIONS],
        **ctx,
    )


@router.get("/holder/credentials", response_class=HTMLResponse, dependencies=[allow(P.HOLDER)])
def credentials_page(request: Request, stack: Stack) -> Response:
    p = _guarded(request, stack)
    if isinstance(p, Response):
        return p
    return _credentials_page(request, stack, p)


@router.post("/holder/share", response_class=HTMLResponse, dependencies=[allow(P.HOLDER)])
def share(
    request: Request,
    stack: Stack,
    credential_ids: Annotated[list[str], Form()],
    scope: Annotated[str, Form()],
    purpose: Annotated[str, Form()],
    recipient_tax_code: Annotated[str, Form()] = "",
    expires_in_days: Annotated[int, Form()] = 30,
    max_uses: Annotated[int, Form()] = 5,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    p = _guarded(request, stack, csrf)
    if isinstance(p, Response):
        return p
    try:
        created = stack.consent.create_grant(
            p,
            credential_ids=credential_ids,
            scope=scope,
            purpose=purpose,
            recipient_tax_code=recipient_tax_code.strip() or None,
            expires_in_days=expires_in_days,
            max_uses=max_uses,
            client=client_of(request),
        )
    except SogocError as e:
        return _credentials_page(request, stack, p, error=e, status=http_status(e))
    return _page(request, stack, p, "holder_shared.html", created=created)


@router.post("/holder/grants/{grant_id}/revoke", dependencies=[allow(P.HOLDER)])
def revoke(request: Request, grant_id: str, stack: Stack, csrf: Annotated[str, Form()] = "") -> Response:
    p = _guarded(request, stack, csrf)
    if isinstance(p, Response):
        return p
    try:
        stack.consent.revoke(p, grant_id, client=client_of(request))
    except SogocError as e:
        return _credentials_page(request, stack, p, error=e, status=http_status(e))
    return RedirectResponse(f"/holder/credentials?revoked={quote(grant_id, safe='')}", status_code=303)


@router.post("/holder/grants/{grant_id}/guardian", response_class=HTMLResponse, dependencies=[allow(P.HOLDER)])
def guardian(
    request: Request,
    grant_id: str,
    stack: Stack,
    guardian_name: Annotated[str, Form()],
    guardian_pin: Annotated[str, Form()],
    guardian_date_of_birth: Annotated[date, Form()],
    guardian_sex: Annotated[str, Form()],
    relation: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    p = _guarded(request, stack, csrf)
    if isinstance(p, Response):
        return p
    try:
        stack.consent.confirm_guardian(
            p,
            grant_id,
            guardian_name=guardian_name,
            guardian_pin=guardian_pin.strip(),
            guardian_date_of_birth=guardian_date_of_birth,
            guardian_sex=guardian_sex,
            relation=relation,
            client=client_of(request),
        )
    except SogocError as e:
        return _credentials_page(request, stack, p, error=e, status=http_status(e))
    return RedirectResponse(f"/holder/credentials?confirmed={quote(grant_id, safe='')}", status_code=303)


@router.get("/holder/log", response_class=HTMLResponse, dependencies=[allow(P.HOLDER)])
def log_page(request: Request, stack: Stack) -> Response:
    p = _guarded(request, stack)
    if isinstance(p, Response):
        return p
    return _page(request, stack, p, "holder_log.html", entries=stack.consent.access_log(p))


@router.get("/s/{code}", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def share_link(request: Request, code: str, c: C) -> Response:
    """The link inside a share QR: how an employer verifies this code. No lookup here (a page anyone can
    open must not reveal whether a code exists); the verification itself is the API call."""
    code = "".join(ch for ch in code.upper() if ch.isascii() and (ch.isalnum() or ch == "-"))[:32]
    return TEMPLATES.TemplateResponse(
        request, "holder_share_link.html", {"code": code, "base": c.settings.public_base_url.rstrip("/")}
    )
