"""Holder API (người học): activation, sign-in, own credentials, share codes, guardian confirmation,
"who checked my credentials".

Authentication is a session cookie (``sogoc_holder``: HttpOnly, SameSite=Lax, Secure outside dev)
set by ``POST /api/v1/holder/session``. Every state-changing request made with the cookie must carry
``X-CSRF-Token`` (returned at sign-in and by ``GET /api/v1/holder/me``). A holder only ever sees
their own data: any other id answers 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import PDF, container, file_response
from credential_service.holders.service import COOKIE, NotAuthenticated, Principal
from credential_service.platform.bounds import Day
from credential_service.platform.client_address import request_client
from credential_service.staff import policies as P
from credential_service.staff.access import allow

router = APIRouter(prefix="/api/v1/holder", tags=["holders / người học"])
PRE_COOKIE = "sogoc_pre"  # pre-session CSRF binding for the sign-in and activation forms
TOO_MANY_FAILURES = "Quá nhiều lần sai, chờ retry_after giây / too many failures: wait retry_after seconds"
WRONG_PASSWORD = "Sai tên đăng nhập hoặc mật khẩu / wrong username or password"


class HolderStack:
    """The holder services a route uses, all built once by the composition root."""

    def __init__(self, c: Container) -> None:
        self.holders = c.holders
        self.registry = c.population_registry
        self.consent = c.consent
        self.verification = c.verification


def holder_stack(c: Annotated[Container, Depends(container)]) -> HolderStack:
    return HolderStack(c)


Stack = Annotated[HolderStack, Depends(holder_stack)]


def client_of(request: Request) -> str | None:
    """The client's address: the peer, or X-Forwarded-For from a trusted proxy (settings.trusted_proxies)."""
    c: Container = request.app.state.container
    return request_client(request, c.settings.trusted_proxies)


def set_session_cookie(response: Response, token: str, c: Container) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=c.settings.holder_session_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=not c.settings.is_dev,
        path="/",
    )


def current_holder(request: Request, stack: Stack) -> Principal:
    return stack.holders.principal(request.cookies.get(COOKIE))


def csrf_holder(
    request: Request,
    stack: Stack,
    x_csrf_token: Annotated[str | None, Header(max_length=128, description="from sign-in or GET /me")] = None,
) -> Principal:
    principal = stack.holders.principal(request.cookies.get(COOKIE))
    stack.holders.check_csrf(principal.session_hash, x_csrf_token)
    return principal


Holder = Annotated[Principal, Depends(current_holder)]
HolderCsrf = Annotated[Principal, Depends(csrf_holder)]


# ------------------------------------------------------------------------------------------ models


class ActivateIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, examples=["hs.demo"])
    code: str = Field(min_length=5, max_length=32, description="mã kích hoạt do nhà trường cấp / one-time code")
    password: str = Field(min_length=10, max_length=200)


class SignInIn(BaseModel):
    username: str = Field(min_length=1, max_length=64, examples=["hs.demo"])
    password: str = Field(min_length=1, max_length=200)


class GrantIn(BaseModel):
    credential_ids: list[Annotated[str, Field(max_length=36)]] = Field(min_length=1, max_length=20)
    scope: Literal["status", "diploma_fields", "full_transcript"] = "status"
    purpose: str = Field(min_length=3, max_length=255, examples=["Tuyển dụng vị trí kế toán / recruitment"])
    recipient_tax_code: str | None = Field(
        None, max_length=20, description="MST của tổ chức nhận; bỏ trống = ai giữ mã / bearer"
    )
    expires_in_days: int = Field(30, ge=1, le=365)
    max_uses: int = Field(5, ge=1, le=1000)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "credential_ids": ["3f1c…"],
                    "scope": "diploma_fields",
                    "purpose": "Tuyển dụng / recruitment",
                    "recipient_tax_code": "0312345678",
                    "expires_in_days": 14,
                    "max_uses": 3,
                }
            ]
        }
    }


class GuardianIn(BaseModel):
    guardian_name: str = Field(min_length=2, max_length=200)
    guardian_pin: str = Field(min_length=12, max_length=12, description="số định danh của cha mẹ/người giám hộ")
    guardian_date_of_birth: Day
    guardian_sex: str = Field(max_length=8, examples=["Nữ"])
    relation: Literal["cha", "me", "giam_ho"]


# ------------------------------------------------------------------------------------------ endpoints


@router.post(
    "/activate",
    summary="Kích hoạt tài khoản bằng mã của trường / activate with the school's code",
    dependencies=[allow(P.PUBLIC_SIGN_IN)],
    responses={429: {"description": TOO_MANY_FAILURES}},
)
def activate(body: ActivateIn, stack: Stack, request: Request) -> dict[str, Any]:
    stack.holders.activate(body.username, body.code, body.password, client=client_of(request))
    return {"activated": True, "username": body.username.strip().lower()}


@router.post(
    "/session",
    summary="Đăng nhập / sign in (sets the session cookie)",
    dependencies=[allow(P.PUBLIC_SIGN_IN)],
    responses={401: {"description": WRONG_PASSWORD}, 429: {"description": TOO_MANY_FAILURES}},
)
def sign_in(
    body: SignInIn, request: Request, response: Response, stack: Stack, c: Annotated[Container, Depends(container)]
) -> dict[str, Any]:
    token, principal = stack.holders.sign_in(body.username, body.password, client=client_of(request))
    set_session_cookie(response, token, c)
    return {"username": principal.username, "csrf_token": stack.holders.csrf_token(principal.session_hash)}


@router.delete("/session", summary="Đăng xuất / sign out", dependencies=[allow(P.HOLDER)])
def sign_out(principal: HolderCsrf, response: Response, stack: Stack) -> dict[str, Any]:
    stack.holders.sign_out(principal)
    response.delete_cookie(COOKIE, path="/")
    return {"signed_out": True}


@router.get("/me", summary="Tài khoản của tôi / my account", dependencies=[allow(P.HOLDER)])
def me(principal: Holder, stack: Stack) -> dict[str, Any]:
    person = stack.holders.person(principal.person_id)
    return {
        "username": principal.username,
        "full_name": person.full_name,
        "minor": stack.holders.is_minor(principal.person_id),
        "csrf_token": stack.holders.csrf_token(principal.session_hash),
    }


@router.get("/credentials", summary="Văn bằng, học bạ của tôi / my credentials", dependencies=[allow(P.HOLDER)])
def my_credentials(principal: Holder, stack: Stack) -> dict[str, Any]:
    return {"credentials": stack.holders.credentials(principal.person_id)}


@router.get(
    "/credentials/{credential_id}/pdf",
    summary="Tải PDF / download the PDF",
    response_class=Response,
    responses=PDF,
    dependencies=[allow(P.HOLDER)],
)
def my_pdf(credential_id: str, principal: Holder, stack: Stack, request: Request) -> Response:
    from credential_service.holders.consent import LogEvent, append_log

    pdf, name = stack.holders.credential_pdf(principal.person_id, credential_id)
    with stack.holders.db.transaction() as session:
        append_log(
            session,
            [
                LogEvent(
                    "copy",
                    "holder",
                    principal.username,
                    "ok",
                    principal.person_id,
                    credential_id=credential_id,
                    fields=["pdf"],
                    client_hash=stack.holders.client_hash(client_of(request)),
                )
            ],
        )
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/credentials/{credential_id}/bundle.json",
    summary="Gói xác minh ngoại tuyến / offline verification bundle (inclusion proof, signed checkpoint, status)",
    dependencies=[allow(P.HOLDER)],
)
def my_bundle(credential_id: str, principal: Holder, stack: Stack) -> Response:
    stack.holders.credential_pdf(principal.person_id, credential_id)  # the holder's own, issued: else 404
    bundle = stack.verification.bundle(credential_id)
    return Response(
        bundle.to_json(),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{credential_id}.sogoc-bundle.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/credentials/{credential_id}/qr.png",
    summary="Mã QR ngoại tuyến / offline QR (verify link + signed payload)",
    response_class=Response,
    responses=file_response("image/png", "Ảnh mã QR / the QR code image"),
    dependencies=[allow(P.HOLDER)],
)
def my_qr(credential_id: str, principal: Holder, stack: Stack) -> Response:
    from credential_service.platform.qr_code import make_qr

    text = stack.holders.offline_qr_text(principal.person_id, credential_id)
    return Response(make_qr(text).to_png(scale=6), media_type="image/png", headers={"Cache-Control": "no-store"})


@router.get("/grants", summary="Mã chia sẻ của tôi / my share codes", dependencies=[allow(P.HOLDER)])
def my_grants(principal: Holder, stack: Stack) -> dict[str, Any]:
    return {"grants": stack.consent.grants(principal)}


@router.post(
    "/grants",
    status_code=201,
    summary="Tạo mã chia sẻ / create a share code (shown once)",
    dependencies=[allow(P.HOLDER)],
)
def create_grant(body: GrantIn, principal: HolderCsrf, stack: Stack, request: Request) -> dict[str, Any]:
    created = stack.consent.create_grant(
        principal,
        credential_ids=body.credential_ids,
        scope=body.scope,
        purpose=body.purpose,
        recipient_tax_code=body.recipient_tax_code,
        expires_in_days=body.expires_in_days,
        max_uses=body.max_uses,
        client=client_of(request),
    )
    return {
        "grant": created.grant,
        "code": created.code,
        "link": created.link,
        "qr_png_base64": created.qr_png_base64,
    }


@router.post(
    "/grants/{grant_id}/revoke", summary="Thu hồi mã chia sẻ / revoke a share code", dependencies=[allow(P.HOLDER)]
)
def revoke_grant(grant_id: str, principal: HolderCsrf, stack: Stack, request: Request) -> dict[str, Any]:
    return {"grant": stack.consent.revoke(principal, grant_id, client=client_of(request))}


@router.post(
    "/grants/{grant_id}/guardian",
    summary="Cha mẹ/người giám hộ xác nhận (người học dưới 18 tuổi) / a parent or guardian confirms (minors)",
    dependencies=[allow(P.HOLDER)],
)
def guardian_confirm(
    grant_id: str, body: GuardianIn, principal: HolderCsrf, stack: Stack, request: Request
) -> dict[str, Any]:
    grant = stack.consent.confirm_guardian(
        principal,
        grant_id,
        guardian_name=body.guardian_name,
        guardian_pin=body.guardian_pin,
        guardian_date_of_birth=body.guardian_date_of_birth,
        guardian_sex=body.guardian_sex,
        relation=body.relation,
        client=client_of(request),
    )
    return {"grant": grant}


@router.get(
    "/access-log",
    summary="Ai đã kiểm tra văn bằng của tôi / who checked my credentials",
    dependencies=[allow(P.HOLDER)],
)
def access_log(principal: Holder, stack: Stack) -> dict[str, Any]:
    return {"entries": stack.consent.access_log(principal)}


__all__ = ["COOKIE", "PRE_COOKIE", "NotAuthenticated", "holder_stack", "router", "set_session_cookie"]
