"""Employer API (nhà tuyển dụng): register an organisation, API keys, verify share codes.

Authentication: ``Authorization: Bearer sgk_….…`` (or ``X-API-Key``). Verification is only by a
share code the holder gave you — there is no lookup by ID number or name. A code that was shared
with another organisation answers exactly like a code that does not exist (404). Each successful
result carries a signed receipt (JWS, EdDSA) that anyone can check offline against
``/.well-known/sogoc-receipt-keys.json`` (``verifier.receipt.verify_receipt``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.employers.schemas import ReceiptKeysOut
from credential_service.employers.service import MAX_BATCH, ApiPrincipal, EmployerService, refusal_error
from credential_service.holders.routes import client_of
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.staff.policy import Actor

router = APIRouter(tags=["employers / nhà tuyển dụng"])
API = "/api/v1/employer"

RECEIPT_EXAMPLE = "eyJhbGciOiJFZERTQSIsImtpZCI6IjY5NjJhZGVmYzI3MjU1OTQiLCJ0eXAiOiJzb2dvYy1yZWNlaXB0K2p3cyJ9.eyJ…"
OK_EXAMPLE = {
    "result": "ok",
    "grant": {
        "scope": "diploma_fields",
        "purpose": "Tuyển dụng / recruitment",
        "recipient": "organisation",
        "expires_at": "2026-12-31T00:00:00+00:00",
        "uses_left": 2,
    },
    "credentials": [
        {
            "credential_id": "0b6f…",
            "kind": "transcript",
            "status": "valid",
            "status_vi": "Hợp lệ — đã được nhà trường ký số và phát hành",
            "status_en": "Valid — signed and issued by the school",
            "valid": True,
            "ledger": {"included": True, "index": 4, "checkpoint_size": 5},
            "data": {
                "holder_name": "Nguyễn Văn An",
                "issuer": "Trường THPT Demo Hải Phòng",
                "school_year": "2025-2026",
            },
        }
    ],
    "receipt_id": "9d0c…",
    "receipt": RECEIPT_EXAMPLE,
}


async def employer_service(request: Request) -> EmployerService:
    """The application's EmployerService. Async and dependency-free on purpose: a sync dependency costs
    a thread-pool hop on every request, and this path is benchmarked (≥ 500 verifications/s)."""
    c: Container = request.app.state.container
    return c.employers


Employers = Annotated[EmployerService, Depends(employer_service)]


def _key(authorization: str | None, x_api_key: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return x_api_key


def _principal(scope: str) -> Any:
    async def dep(
        svc: Employers,
        authorization: Annotated[str | None, Header(max_length=256, description="Bearer <API key>")] = None,
        x_api_key: Annotated[str | None, Header(max_length=256)] = None,
    ) -> ApiPrincipal:
        return svc.authenticate(_key(authorization, x_api_key), scope)

    return dep


VerifyKey = Annotated[ApiPrincipal, Depends(_principal("verify"))]
BatchKey = Annotated[ApiPrincipal, Depends(_principal("verify:batch"))]


class OrganisationIn(BaseModel):
    name: str = Field(min_length=2, max_length=200, examples=["Công ty TNHH Cảng Xanh"])
    tax_code: str = Field(min_length=10, max_length=20, examples=["0201234567", "0200-000-001-001"])
    contact_email: str = Field(min_length=3, max_length=200, examples=["tuyendung@cangxanh.vn"])


class VerifyIn(BaseModel):
    code: str = Field(min_length=4, max_length=32, description="mã chia sẻ do người học đưa / the holder's share code")
    model_config = {"json_schema_extra": {"examples": [{"code": "K7QXM-3RT9P"}]}}


class BatchIn(BaseModel):
    codes: list[Annotated[str, Field(max_length=32)]] = Field(min_length=1, max_length=MAX_BATCH)
    model_config = {"json_schema_extra": {"examples": [{"codes": ["K7QXM-3RT9P", "A2B3C-D4E5F"]}]}}


@router.post(
    f"{API}/organisations",
    status_code=201,
    summary="Đăng ký tổ chức, nhận khóa API (chỉ hiện một lần) / register, get an API key (shown once)",
    dependencies=[allow(P.PUBLIC)],
)
def register(body: OrganisationIn, svc: Employers) -> dict[str, Any]:
    org, key = svc.register(name=body.name, tax_code=body.tax_code, contact_email=body.contact_email)
    return {
        "organisation": org,
        "api_key": key,
        "note_vi": "Lưu khóa này ngay: hệ thống không hiển thị lại.",
        "note_en": "Store this key now: it is not shown again.",
    }


@router.get(
    f"{API}/keys",
    summary="Khóa API của tổ chức / the organisation's API keys (no secrets)",
    dependencies=[allow(P.EMPLOYER)],
)
def keys(principal: VerifyKey, svc: Employers) -> dict[str, Any]:
    return {"keys": svc.keys(principal)}


@router.post(
    f"{API}/keys/rotate",
    summary="Đổi khóa API / rotate: a new key (shown once), this one stops at once",
    dependencies=[allow(P.EMPLOYER)],
)
def rotate(principal: VerifyKey, svc: Employers) -> dict[str, Any]:
    view, key = svc.rotate(principal)
    return {"key": view, "api_key": key}


@router.post(
    f"{API}/verify",
    summary="Xác minh một mã chia sẻ / verify one share code",
    responses={
        200: {
            "description": "granted fields, status and a signed receipt",
            "content": {"application/json": {"example": OK_EXAMPLE}},
        },
        404: {"description": "unknown code, or shared with another organisation (same answer)"},
        410: {"description": "expired, revoked or used up"},
        409: {"description": "a minor's code awaiting a parent's confirmation"},
        429: {"description": "rate limit of the key"},
    },
    dependencies=[allow(P.EMPLOYER)],
)
def verify(body: VerifyIn, principal: VerifyKey, svc: Employers, request: Request) -> JSONResponse:
    result = svc.verify(principal, body.code, client=client_of(request))
    if result["result"] != "ok":
        raise refusal_error(result["result"])
    return JSONResponse(result)


@router.post(
    f"{API}/verify/batch",
    summary=f"Xác minh tối đa {MAX_BATCH} mã / verify up to {MAX_BATCH} codes",
    responses={
        200: {
            "description": "one result per code, in order: ok, not_found, expired, revoked, used_up, pending_guardian",
            "content": {
                "application/json": {
                    "example": {
                        "count": 2,
                        "ok": 1,
                        "results": [
                            {"index": 0, **OK_EXAMPLE},
                            {
                                "index": 1,
                                "result": "not_found",
                                "detail_vi": "Mã chia sẻ không tồn tại…",
                                "detail_en": "The share code does not exist…",
                            },
                        ],
                    }
                }
            },
        },
        429: {"description": "rate limit of the key (each code counts)"},
    },
    dependencies=[allow(P.EMPLOYER)],
)
def verify_batch(body: BatchIn, principal: BatchKey, svc: Employers, request: Request) -> JSONResponse:
    return JSONResponse(svc.verify_batch(principal, body.codes, client=client_of(request)))


@router.get(
    "/.well-known/sogoc-receipt-keys.json",
    summary="Khóa ký biên nhận / receipt signing keys (JWK Set)",
    response_model=ReceiptKeysOut,
    dependencies=[allow(P.PUBLIC)],
)
def receipt_keys(svc: Employers) -> JSONResponse:
    return JSONResponse(svc.receipt_key_list(), headers={"Cache-Control": "public, max-age=3600"})


# -- the Sở approves organisations before their keys work --------------------------------------------
C = Annotated[Container, Depends(container)]


@router.get(
    "/api/v1/so/employers/pending",
    summary="Tổ chức chờ Sở phê duyệt / organisations awaiting the Sở's approval",
)
def pending(actor: Annotated[Actor, allow(P.EMPLOYER_APPROVE)], c: C) -> list[dict[str, Any]]:
    return c.employers.list_pending()


@router.post(
    "/api/v1/so/employers/{org_id}/approve",
    summary="Sở phê duyệt tổ chức / the Sở approves an organisation (its keys work from now on)",
)
def approve(org_id: str, actor: Annotated[Actor, allow(P.EMPLOYER_APPROVE)], c: C) -> dict[str, Any]:
    return c.employers.approve_organisation(org_id, approved_by=actor.display)
