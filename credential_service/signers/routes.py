"""Signer registry, any-document signing, key compromise, the signing audit trail, the signed trust list.

``/api/v1/signers/…`` certificates (import; issue/renew on the dev CA), revocation, role assignments
(assign, transfer, retire); ``/api/v1/documents`` upload a PDF and sign it with the staff member's
registered signer, read it back, verify a copy; ``/api/v1/key-compromises`` declare a compromised key
and re-seal what it signed; ``/api/v1/signing-audit`` the audit trail;
``/.well-known/sogoc-trust-list`` the QR and log keys with their validity and the compromised
certificates, as a note signed by the log key.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.ledger.routes import ledger_service
from credential_service.ledger.service import LedgerService
from credential_service.signers.compromise import CompromiseService
from credential_service.signers.schemas import TrustListOut
from credential_service.signers.service import SignerRegistry
from credential_service.verification.routes import read_upload

router = APIRouter(tags=["signers / người ký"])
API = "/api/v1"
C = Annotated[Container, Depends(container)]


def _client(request: Request) -> str:
    host = request.client.host if request.client else "?"
    agent = request.headers.get("user-agent", "")[:120]
    return f"http {host} {agent}".strip()


def registry(c: C) -> SignerRegistry:
    return c.signers


Registry = Annotated[SignerRegistry, Depends(registry)]


def _started(c: Container) -> Container:
    c.start_dev_services()
    return c


# -- registry -----------------------------------------------------------------------------------
@router.get(API + "/signers/{staff_id}", summary="Người ký, chứng thư, phân công / a signer")
def get_signer(staff_id: str, reg: Registry) -> dict[str, Any]:
    return reg.signer(staff_id)


@router.post(API + "/signers/{staff_id}/certificates", summary="Nhập chứng thư / import a certificate")
async def import_certificate(
    staff_id: str,
    reg: Registry,
    key_label: Annotated[str, Form(description="pkcs11:<token>/<label>")],
    file: Annotated[UploadFile, File(description="PEM/DER")],
) -> dict[str, Any]:
    data = await read_upload(file, 64 * 1024)
    return reg.import_certificate(staff_id, data, key_label)


class IssueIn(BaseModel):
    valid_days: int = Field(default=3 * 365, ge=1, le=10 * 365)
    unit: str | None = None


@router.post(API + "/signers/{staff_id}/certificates/issue", summary="CA thử nghiệm cấp / dev CA: issue")
def issue_certificate(staff_id: str, reg: Registry, body: IssueIn | None = None) -> dict[str, Any]:
    body = body or IssueIn()
    return reg.issue(staff_id, valid_days=body.valid_days, unit=body.unit)


@router.post(API + "/signers/{staff_id}/certificates/renew", summary="CA thử nghiệm gia hạn / dev CA: renew")
def renew_certificate(staff_id: str, reg: Registry) -> dict[str, Any]:
    return reg.renew(staff_id)


class RevokeIn(BaseModel):
    reason: str = "unspecified"
    at: datetime | None = None


@router.post(API + "/certificates/{ref}/revoke", summary="Thu hồi chứng thư / revoke a certificate")
def revoke_certificate(ref: str, reg: Registry, body: RevokeIn | None = None) -> dict[str, Any]:
    body = body or RevokeIn()
    return reg.revoke(ref, at=body.at, reason=body.reason)


class AssignIn(BaseModel):
    role: str
    school_id: str
    class_id: str | None = None
    valid_from: date
    valid_to: date | None = None


@router.post(API + "/signers/{staff_id}/assignments", summary="Phân công / assign a role")
def assign(staff_id: str, body: AssignIn, reg: Registry) -> dict[str, Any]:
    return reg.assign(
        staff_id, body.role, school_id=body.school_id, class_id=body.class_id, valid_from=body.valid_from,
        valid_to=body.valid_to,
    )  # fmt: skip


class TransferIn(BaseModel):
    on: date
    school_id: str | None = None
    class_id: str | None = None
    staff_id: str | None = None


@router.post(API + "/assignments/{assignment_id}/transfer", summary="Điều chuyển / transfer from a date")
def transfer(assignment_id: str, body: TransferIn, reg: Registry) -> dict[str, Any]:
    return reg.transfer(
        assignment_id, on=body.on, school_id=body.school_id, class_id=body.class_id, staff_id=body.staff_id
    )


class RetireIn(BaseModel):
    on: date


@router.post(API + "/signers/{staff_id}/retire", summary="Nghỉ hưu, thôi việc / retire from a date")
def retire(staff_id: str, body: RetireIn, reg: Registry) -> list[dict[str, Any]]:
    return reg.retire(staff_id, on=body.on)


@router.get(API + "/signing-audit", summary="Nhật ký ký số / signing audit trail")
def signing_audit(
    reg: Registry, document_id: str | None = None, staff_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    return reg.audit_trail(document_id=document_id, staff_id=staff_id, limit=limit)


# -- any document -------------------------------------------------------------------------------
@router.post(API + "/documents", summary="Ký một văn bản PDF / sign an uploaded PDF")
async def sign_document(
    request: Request,
    c: C,
    staff_id: Annotated[str, Form()],
    title: Annotated[str, Form()],
    file: Annotated[UploadFile, File(description="PDF")],
    kind: Annotated[str, Form(description="grade-book | decision | report | other")] = "other",
    school_code: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    data = await read_upload(file)
    svc = _started(c).any_documents
    return await run_in_threadpool(
        lambda: svc.sign_upload(
            data, title=title, kind=kind, staff_id=staff_id, school_code=school_code,
            filename=file.filename or "document.pdf", client=_client(request),
        )
    )  # fmt: skip


@router.get(API + "/documents/{document_id}", summary="Văn bản đã ký / a signed document")
def get_document(document_id: str, c: C) -> dict[str, Any]:
    return c.any_documents.document(document_id)


@router.get(API + "/documents/{document_id}/pdf", summary="Tải văn bản đã ký / download")
def get_document_pdf(document_id: str, c: C, revision: int | None = None) -> Response:
    row = c.any_documents.revision_row(document_id, revision)
    return Response(
        row.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{row.document_id}-r{row.revision}.pdf"'},
    )


@router.post(API + "/documents/verify", summary="Kiểm tra văn bản đã ký / verify a signed document")
async def verify_document(
    c: C, led: Annotated[LedgerService, Depends(ledger_service)], file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    data = await read_upload(file)
    svc = c.any_documents
    return await run_in_threadpool(svc.verify, data, led)


# -- compromise ---------------------------------------------------------------------------------
class CompromiseIn(BaseModel):
    certificate: str = Field(description="certificate id, SHA-256 or serial")
    compromised_at: datetime
    declared_by: str = Field(min_length=1, max_length=100)
    reason: str | None = None


def compromise_service(c: C) -> CompromiseService:
    return c.compromise


Compromises = Annotated[CompromiseService, Depends(compromise_service)]


@router.post(API + "/key-compromises", summary="Khai báo khóa bị lộ / declare a key compromised")
def declare_compromise(body: CompromiseIn, svc: Compromises) -> dict[str, Any]:
    at = body.compromised_at if body.compromised_at.tzinfo else body.compromised_at.replace(tzinfo=UTC)
    return svc.declare(body.certificate, compromised_at=at, declared_by=body.declared_by, reason=body.reason)


@router.get(API + "/key-compromises", summary="Các khóa bị lộ / declared compromises")
def list_compromises(svc: Compromises) -> list[dict[str, Any]]:
    return svc.list()


@router.post(API + "/key-compromises/{compromise_id}/reseal", summary="Ký lại bằng khóa mới / re-seal")
async def reseal(compromise_id: str, request: Request, c: C, svc: Compromises) -> dict[str, Any]:
    _started(c)
    return await run_in_threadpool(lambda: svc.reseal(compromise_id, client=_client(request)))


# -- trust list ---------------------------------------------------------------------------------
@router.get("/.well-known/sogoc-trust-list", summary="Danh sách tin cậy đã ký / signed trust list (note)")
def trust_list_note(c: C) -> PlainTextResponse:
    note = c.key_rotation.signed_trust_list()
    return PlainTextResponse(note, headers={"Cache-Control": "public, max-age=600"})


@router.get(
    "/.well-known/sogoc-trust-list.json",
    summary="Danh sách tin cậy (JSON) / trust list as JSON",
    response_model=TrustListOut,
    response_model_exclude_unset=True,
)
def trust_list_json(c: C) -> dict[str, Any]:
    svc = c.key_rotation
    note = svc.signed_trust_list()
    import json

    return {"list": json.loads(note.split("\n", 1)[0]), "note": note}
