"""Staff sign-in over the API: session cookie, sign-out (here or everywhere), service tokens, who am I."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.client_address import request_client
from credential_service.staff import policies as P
from credential_service.staff.access import COOKIE, allow
from credential_service.staff.policy import Actor
from credential_service.staff.roles import LABELS

router = APIRouter(prefix="/api/v1/staff", tags=["staff / cán bộ"])
C = Annotated[Container, Depends(container)]


class SignIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=200)
    totp: str = Field(max_length=10, description="Mã xác thực 6 số / the 6-digit TOTP code")


class Me(BaseModel):
    username: str
    full_name: str
    staff_id: str
    roles: list[dict[str, str | None]]
    csrf_token: str | None = None
    via: str


class AccountIn(BaseModel):
    full_name: str = Field(min_length=2, max_length=200)
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]+$")
    password: str = Field(min_length=12, max_length=200, description="mật khẩu ban đầu / the initial password")
    staff_id: str | None = Field(
        default=None, max_length=36, description="người ký đã có trong danh mục / an existing signer"
    )


class AccountOut(BaseModel):
    staff_id: str
    username: str
    totp_secret: str = Field(description="chỉ hiện một lần: thêm vào ứng dụng xác thực / shown once")
    provisioning_uri: str


class TokenRequest(BaseModel):
    name: str = Field(max_length=100)
    scopes: list[Annotated[str, Field(max_length=64)]] = Field(
        max_length=100, description="tên chính sách được phép / policy names the token may use"
    )
    days: int = Field(ge=1, le=90)


class ConfirmRequest(BaseModel):
    purpose: str = Field(
        max_length=200,
        description="lần ký được xác nhận, ví dụ sign:class:<id>:principal / the signing being confirmed",
    )
    totp: str = Field(max_length=10, description="mã xác thực của chính người ký / the signer's own TOTP code")


class Confirmation(BaseModel):
    confirmation_id: str
    expires_at: datetime


class TokenIssued(BaseModel):
    token: str
    expires_at: datetime


def set_session_cookie(response: Response, token: str, c: Container) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=not c.settings.is_dev,
        max_age=c.settings.staff_session_hours * 3600,
        path="/",
    )


def me_of(actor: Actor, c: Container) -> Me:
    today = c.clock.today()
    return Me(
        username=actor.username,
        full_name=actor.full_name,
        staff_id=actor.staff_id,
        roles=[
            {
                "role": g.role.value,
                "label_vi": LABELS[g.role].vi,
                "label_en": LABELS[g.role].en,
                "school_id": g.school_id,
                "class_id": g.class_id,
                "commune": g.commune,
            }
            for g in actor.grants
            if g.in_force(today)
        ],
        csrf_token=c.staff_auth.csrf_token(actor.session_hash) if actor.session_hash else None,
        via=actor.via,
    )


@router.post(
    "/session",
    summary="Đăng nhập cán bộ / staff sign-in (password + TOTP)",
    dependencies=[allow(P.PUBLIC_SIGN_IN)],
    responses={
        401: {"description": "Sai tên đăng nhập, mật khẩu hoặc mã TOTP / wrong username, password or TOTP code"},
        429: {"description": "Quá nhiều lần sai, chờ retry_after giây / too many failures: wait retry_after s"},
    },
)
def sign_in(body: SignIn, request: Request, response: Response, c: C) -> Me:
    client = request_client(request, c.settings.trusted_proxies)
    token, actor = c.staff_auth.sign_in(body.username, body.password, body.totp, client=client)
    set_session_cookie(response, token, c)
    return me_of(actor, c)


@router.delete("/session", summary="Đăng xuất / sign out", status_code=204)
def sign_out(request: Request, actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> Response:
    c.staff_auth.sign_out(request.cookies.get(COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.post("/sessions/end-all", summary="Đăng xuất mọi nơi / sign out everywhere")
def sign_out_everywhere(actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> dict[str, int]:
    return {"sessions_ended": c.staff_auth.sign_out_everywhere(actor.account_id)}


@router.get("/me", summary="Tôi là ai, vai trò nào / who am I, with which roles")
def me(actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> Me:
    return me_of(actor, c)


@router.post("/tokens", summary="Cấp khóa dịch vụ cho script / issue a scoped service token")
def issue_token(body: TokenRequest, actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> TokenIssued:
    token, expires = c.staff_auth.issue_service_token(actor, name=body.name, scopes=body.scopes, days=body.days)
    return TokenIssued(token=token, expires_at=expires)


@router.post(
    "/confirmations",
    summary="Người ký tự xác nhận một lần ký (cả lớp) / the signer confirms one signing batch (a whole class)",
    responses={429: {"description": "Quá nhiều lần sai mã, chờ retry_after giây / too many wrong codes: wait"}},
)
def confirm(body: ConfirmRequest, actor: Annotated[Actor, allow(P.SIGNED_IN)], c: C) -> Confirmation:
    confirmation_id, expires = c.staff_auth.confirm(actor, totp_code=body.totp, purpose=body.purpose)
    return Confirmation(confirmation_id=confirmation_id, expires_at=expires)


@router.post(
    "/accounts",
    status_code=201,
    summary="Tạo tài khoản cán bộ (chưa có vai trò nào) / create a staff account (no role yet)",
)
def create_account(body: AccountIn, actor: Annotated[Actor, allow(P.ACCOUNT_ADMIN)], c: C) -> AccountOut:
    """Roles come afterwards, each through a four-eyes assignment (POST /api/v1/signers/{id}/assignments)."""
    created = c.staff_auth.create_person_account(
        full_name=body.full_name, username=body.username, password=body.password, staff_id=body.staff_id
    )
    return AccountOut(
        staff_id=created.staff_id,
        username=created.username,
        totp_secret=created.totp_secret,
        provisioning_uri=created.provisioning_uri,
    )
