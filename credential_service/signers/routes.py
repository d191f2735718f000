"""Signer registry, any-document signing, key compromise, the signing audit trail, the signed trust list.

``/api/v1/signers/…`` certificates (import; issue/renew on the dev CA), revocation, role assignments
(assign, transfer, retire); ``/api/v1/documents`` upload a PDF and sign it with the staff member's
registered signer, read it back, verify a copy; ``/api/v1/key-compromises`` declare a compromised key
and re-seal what it signed; ``/api/v1/signing-audit`` the audit trail;
``/.well-known/sogoc-trust-list`` the QR and log keys with their validity and the compromised
certificates, as a note signed by the log key.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from credential_service.app.bootstrap import Container
from credential_service.app.deps import PDF, container
from credential_service.documents.service import DOC_KINDS
from credential_service.ledger.routes import ledger_service
from credential_service.ledger.service import LedgerService
from credential_service.platform.bounds import INT32_MAX, Day, Moment
from credential_service.signers.compromise import CompromiseService
from credential_service.signers.schemas import TrustListOut
from credential_service.signers.service import REVOCATION_REASONS, SignerRegistry
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.staff.policy import Actor
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


MAX_AUDIT_PAGE = 1000  # entries of the signing audit trail in one answer
if TYPE_CHECKING:
    RevocationReason: TypeAlias = str
    DocumentKind: TypeAlias = str
else:  # the service's own lists, as enums of the OpenAPI document
    RevocationReason = Literal[REVOCATION_REASONS]
    DocumentKind = Literal[tuple(DOC_KINDS)]


# -- registry -----------------------------------------------------------------------------------
@router.get(
    API + "/signers/{staff_id}",
    summary="Người ký, chứng thư, phân công / a signer",
    dependencies=[allow(P.SIGNER_READ)],
)
def get_signer(staff_id: str, reg: Registry) -> dict[str, Any]:
    return reg.signer(staff_id)


@router.post(
    API + "/signers/{staff_id}/certificates",
    summary="Đề nghị nhập chứng thư (quản trị thứ hai duyệt) / propose a certificate import (a second admin approves)",
    status_code=202,
)
async def import_certificate(
    staff_id: str,
    c: C,
    actor: Annotated[Actor, allow(P.SIGNER_ADMIN)],
    key_label: Annotated[str, Form(max_length=128, description="pkcs11:<token>/<label>")],
    file: Annotated[UploadFile, File(description="PEM/DER")],
) -> dict[str, Any]:
    data = await read_upload(file, 64 * 1024)
    c.signers.check_certificate(staff_id, data, key_label)  # chain, key usage, key size: refused now, not later
    payload = {"staff_id": staff_id, "cert_b64": base64.b64encode(data).decode(), "key_label": key_label}
    summary = f"Nhập chứng thư cho / import a certificate for {staff_id} ({key_label})"
    return c.approvals.propose(actor, kind="signer.certificate", summary=summary, payload=payload, school_id=None)


class IssueIn(BaseModel):
    valid_days: int = Field(default=3 * 365, ge=1, le=10 * 365)
    unit: str | None = Field(default=None, max_length=64)  # the certificate's organizational unit (X.520: 64)


@router.post(
    API + "/signers/{staff_id}/certificates/issue",
    summary="CA thử nghiệm cấp / dev CA: issue",
    dependencies=[allow(P.SIGNER_ADMIN)],
)
def issue_certificate(staff_id: str, reg: Registry, body: IssueIn | None = None) -> dict[str, Any]:
    body = body or IssueIn()
    return reg.issue(staff_id, valid_days=body.valid_days, unit=body.unit)


@router.post(
    API + "/signers/{staff_id}/certificates/renew",
    summary="CA thử nghiệm gia hạn / dev CA: renew",
    dependencies=[allow(P.SIGNER_ADMIN)],
)
def renew_certificate(staff_id: str, reg: Registry) -> dict[str, Any]:
    return reg.renew(staff_id)


class RevokeIn(BaseModel):
    reason: RevocationReason = "unspecified"
    at: Moment | None = None


@router.post(
    API + "/certificates/{ref}/revoke",
    summary="Thu hồi chứng thư / revoke a certificate",
    dependencies=[allow(P.SIGNER_ADMIN)],
)
def revoke_certificate(ref: str, reg: Registry, body: RevokeIn | None = None) -> dict[str, Any]:
    body = body or RevokeIn()
    return reg.revoke(ref, at=body.at, reason=body.reason)


class AssignIn(BaseModel):
    role: str = Field(max_length=24)
    school_id: str | None = Field(default=None, max_length=36)
    class_id: str | None = Field(default=None, max_length=36)
    commune: str | None = Field(default=None, max_length=100)
    valid_from: Day
    valid_to: Day | None = None


@router.post(
    API + "/signers/{staff_id}/assignments",
    summary="Đề nghị phân công (quản trị thứ hai duyệt) / propose a role assignment (a second admin approves)",
    status_code=202,
)
def assign(staff_id: str, body: AssignIn, actor: Annotated[Actor, allow(P.SIGNER_ADMIN)], c: C) -> dict[str, Any]:
    c.signers.check_assignment(
        staff_id, body.role, school_id=body.school_id, class_id=body.class_id, commune=body.commune
    )
    payload = {"staff_id": staff_id, **jsonable_encoder(body)}
    summary = f"Phân công / assign {body.role} → {staff_id} ({body.school_id}, {body.class_id or '-'})"
    return c.approvals.propose(actor, kind="signer.assign", summary=summary, payload=payload, school_id=body.school_id)


class TransferIn(BaseModel):
    on: Day
    school_id: str | None = Field(default=None, max_length=36)
    class_id: str | None = Field(default=None, max_length=36)
    staff_id: str | None = Field(default=None, max_length=36)


@router.post(
    API + "/assignments/{assignment_id}/transfer",
    summary="Đề nghị điều chuyển (quản trị thứ hai duyệt) / propose a transfer (a second admin approves)",
    status_code=202,
)
def transfer(
    assignment_id: str, body: TransferIn, actor: Annotated[Actor, allow(P.SIGNER_ADMIN)], c: C
) -> dict[str, Any]:
    payload = {"assignment_id": assignment_id, **jsonable_encoder(body)}
    summary = f"Điều chuyển / transfer {assignment_id} từ/from {body.on}"
    return c.approvals.propose(actor, kind="signer.transfer", summary=summary, payload=payload, school_id=None)


class RetireIn(BaseModel):
    on: Day


@router.post(
    API + "/signers/{staff_id}/retire",
    summary="Nghỉ hưu, thôi việc / retire from a date",
    dependencies=[allow(P.SIGNER_ADMIN)],
)
def retire(staff_id: str, body: RetireIn, reg: Registry) -> list[dict[str, Any]]:
    return reg.retire(staff_id, on=body.on)


@router.get(API + "/signing-audit", summary="Nhật ký ký số / signing audit trail", dependencies=[allow(P.AUDIT_READ)])
def signing_audit(
    reg: Registry,
    document_id: Annotated[str | None, Query(max_length=36)] = None,
    staff_id: Annotated[str | None, Query(max_length=36)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 200,
) -> list[dict[str, Any]]:
    return reg.audit_trail(document_id=document_id, staff_id=staff_id, limit=limit)


# -- any document -------------------------------------------------------------------------------
@router.post(
    API + "/documents",
    summary="Ký một văn bản PDF bằng khóa của chính mình / sign an uploaded PDF with one's own key",
)
async def sign_document(
    request: Request,
    c: C,
    actor: Annotated[Actor, allow(P.DOCUMENT_SIGN)],
    confirmation_id: Annotated[
        str,
        Form(max_length=36, description="xác nhận của chính người ký, purpose sign:document:<sha256 of the PDF>"),
    ],
    title: Annotated[str, Form(max_length=300)],
    file: Annotated[UploadFile, File(description="PDF")],
    kind: Annotated[DocumentKind, Form()] = "other",
    school_code: Annotated[str | None, Form(max_length=32)] = None,
) -> dict[str, Any]:
    data = await read_upload(file)
    c.staff_auth.consume_confirmation(actor, confirmation_id, f"sign:document:{hashlib.sha256(data).hexdigest()}")
    svc = _started(c).any_documents
    return await run_in_threadpool(
        lambda: svc.sign_upload(
            data, title=title, kind=kind, staff_id=actor.staff_id, school_code=school_code,
            filename=file.filename or "document.pdf", client=_client(request),
        )
    )  # fmt: skip


@router.get(
    API + "/documents/{document_id}", summary="Văn bản đã ký / a signed document", dependencies=[allow(P.DOCUMENT_READ)]
)
def get_document(document_id: str, c: C) -> dict[str, Any]:
    return c.any_documents.document(document_id)


@router.get(
    API + "/documents/{document_id}/pdf",
    summary="Tải văn bản đã ký / download",
    dependencies=[allow(P.DOCUMENT_READ)],
    response_class=Response,
    responses=PDF,
)
def get_document_pdf(
    document_id: str, c: C, revision: Annotated[int | None, Query(ge=1, le=INT32_MAX)] = None
) -> Response:
    row = c.any_documents.revision_row(document_id, revision)
    return Response(
        row.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{row.document_id}-r{row.revision}.pdf"'},
    )


@router.post(
    API + "/documents/verify",
    summary="Kiểm tra văn bản đã ký / verify a signed document",
    dependencies=[allow(P.PUBLIC)],
)
async def verify_document(
    c: C, led: Annotated[LedgerService, Depends(ledger_service)], file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    data = await read_upload(file)
    svc = c.any_documents
    return await run_in_threadpool(svc.verify, data, led)


# -- compromise ---------------------------------------------------------------------------------
class CompromiseIn(BaseModel):
    certificate: str = Field(max_length=64, description="certificate id, SHA-256 or serial")
    compromised_at: Moment
    reason: str | None = Field(default=None, max_length=1000)


def compromise_service(c: C) -> CompromiseService:
    return c.compromise


Compromises = Annotated[CompromiseService, Depends(compromise_service)]


@router.post(
    API + "/key-compromises",
    summary="Đề nghị khai báo khóa bị lộ (quản trị thứ hai duyệt) / propose a key-compromise declaration "
    "(a second admin approves)",
    status_code=202,
)
def declare_compromise(body: CompromiseIn, actor: Annotated[Actor, allow(P.SIGNER_ADMIN)], c: C) -> dict[str, Any]:
    at = body.compromised_at if body.compromised_at.tzinfo else body.compromised_at.replace(tzinfo=UTC)
    payload = {"certificate": body.certificate, "compromised_at": at.isoformat(), "reason": body.reason}
    summary = f"Khóa bị lộ / key compromised: {body.certificate} từ/since {at.isoformat()}"
    return c.approvals.propose(actor, kind="key.compromise", summary=summary, payload=payload, school_id=None)


@router.get(
    API + "/key-compromises", summary="Các khóa bị lộ / declared compromises", dependencies=[allow(P.SIGNER_READ)]
)
def list_compromises(svc: Compromises) -> list[dict[str, Any]]:
    return svc.list()


@router.post(
    API + "/key-compromises/{compromise_id}/reseal",
    summary="Ký lại bằng khóa mới / re-seal",
    dependencies=[allow(P.SIGNER_ADMIN)],
)
async def reseal(compromise_id: str, request: Request, c: C, svc: Compromises) -> dict[str, Any]:
    _started(c)
    return await run_in_threadpool(lambda: svc.reseal(compromise_id, client=_client(request)))


# -- trust list ---------------------------------------------------------------------------------
@router.get(
    "/.well-known/sogoc-trust-list",
    summary="Danh sách tin cậy đã ký / signed trust list (note)",
    dependencies=[allow(P.PUBLIC)],
    response_class=PlainTextResponse,
)
def trust_list_note(c: C) -> PlainTextResponse:
    note = c.key_rotation.signed_trust_list()
    return PlainTextResponse(note, headers={"Cache-Control": "public, max-age=600"})


@router.get(
    "/.well-known/sogoc-trust-list.json",
    summary="Danh sách tin cậy (JSON) / trust list as JSON",
    response_model=TrustListOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
def trust_list_json(c: C) -> dict[str, Any]:
    svc = c.key_rotation
    note = svc.signed_trust_list()
    import json

    return {"list": json.loads(note.split("\n", 1)[0]), "note": note}
