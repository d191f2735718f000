"""Diploma API: issue from a graduation decision, correct, revoke/cancel, reissue, copies, register
import and reconciliation, the Sở's deadline view; and the public endpoints (paper-diploma check,
disclosure per school and year, revocations).

The public check is rate-limited per client by an in-process token bucket (per worker process; put a
shared limiter in the reverse proxy when running several workers) and logged without query data.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.diplomas import register_import
from credential_service.diplomas import service as diploma_service
from credential_service.diplomas.rules import CorrectionRequest, DiplomaType, IssuerRole
from credential_service.diplomas.schemas import DisclosureOut, PublicCheckOut, RevocationOut

router = APIRouter(tags=["diplomas / văn bằng"])
C = Annotated[Container, Depends(container)]


class Graduate(BaseModel):
    full_name: str
    date_of_birth: str
    sex: str
    place_of_birth: str | None = None
    ethnicity: str | None = None
    personal_id: str | None = None


class DecisionIn(BaseModel):
    school_code: str
    decision_no: str
    decision_date: date
    graduation_year: int
    signer_name: str
    graduates: list[Graduate] = Field(min_length=1, max_length=5000)
    exam_session: str | None = None
    training_mode: str | None = "Chính quy"


class IssueIn(BaseModel):
    issuer_staff_id: str
    seal_staff_id: str


class CorrectionIn(BaseModel):
    decision_no: str
    decision_date: date
    signer: str
    ground: str
    field: str
    old_value: str
    new_value: str
    evidence: list[str]
    actor: str
    issuer_staff_id: str | None = None
    seal_staff_id: str | None = None


class RevocationIn(BaseModel):
    kind: str = "revoke"
    ground: str
    decision_no: str
    decision_date: date
    signer: str
    reason: str
    actor: str


class ReissueIn(BaseModel):
    decision_no: str
    decision_date: date
    signer: str
    reason: str
    changes: dict[str, str]
    evidence: list[str] = []
    actor: str
    issuer_staff_id: str | None = None
    seal_staff_id: str | None = None


class CopyIn(BaseModel):
    kind: str = "copy"
    requester_name: str
    capacity: str
    purpose: str
    given_by: str


class ResolveIn(BaseModel):
    decision: str
    clerk: str
    note: str


class CheckIn(BaseModel):
    number: str = Field(max_length=64)
    full_name: str = Field(max_length=200)
    date_of_birth: str = Field(max_length=20)


def _svc(c: Container) -> diploma_service.DiplomaService:
    return c.diplomas


# ------------------------------------------------------------------------------------------ staff API


@router.post("/api/v1/graduation-decisions", summary="Ghi quyết định công nhận tốt nghiệp / record a decision")
def record_decision(body: DecisionIn, c: C) -> dict[str, str]:
    data = body.model_dump()
    graduates = data.pop("graduates")
    return {"decision_id": _svc(c).record_graduation_decision(graduates=graduates, **data)}


@router.post("/api/v1/graduation-decisions/{decision_id}/issue", summary="Cấp văn bằng số / issue diplomas")
def issue(decision_id: str, body: IssueIn, c: C) -> dict[str, Any]:
    c.start_dev_services()
    report = _svc(c).issue_from_decision(
        decision_id, issuer_staff_id=body.issuer_staff_id, seal_staff_id=body.seal_staff_id
    )
    return report.to_dict()


@router.get("/api/v1/diplomas/deadlines", summary="Hạn cấp văn bằng (5 ngày) / due and late view for the Sở")
def deadlines(c: C) -> list[dict[str, Any]]:
    return _svc(c).deadline_view()


@router.get("/api/v1/diplomas/{diploma_id}", summary="Trạng thái văn bằng / diploma status")
def status(diploma_id: str, c: C) -> dict[str, Any]:
    return _svc(c).diploma_status(diploma_id)


@router.get("/api/v1/diplomas/{diploma_id}/pdf", response_class=Response, summary="Tải PDF / download")
def pdf(diploma_id: str, c: C) -> Response:
    d = _svc(c).diploma(diploma_id)
    if d.pdf is None:
        return Response(status_code=404)
    return Response(
        d.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="vanbang-{d.id}.pdf"'},
    )


@router.post("/api/v1/diplomas/{diploma_id}/corrections", summary="Chỉnh sửa văn bằng / correct by decision")
def correct(diploma_id: str, body: CorrectionIn, c: C) -> dict[str, Any]:
    c.start_dev_services()
    req = CorrectionRequest(
        decision_no=body.decision_no,
        decision_date=body.decision_date,
        signer=body.signer,
        ground=body.ground,
        field=body.field,
        old_value=body.old_value,
        new_value=body.new_value,
        evidence=tuple(body.evidence),
    )
    return _svc(c).correct(
        diploma_id, req, actor=body.actor, issuer_staff_id=body.issuer_staff_id, seal_staff_id=body.seal_staff_id
    )


@router.post("/api/v1/diplomas/{diploma_id}/revocations", summary="Thu hồi, hủy bỏ / revoke or cancel")
def revoke(diploma_id: str, body: RevocationIn, c: C) -> dict[str, Any]:
    return _svc(c).revoke(diploma_id, **body.model_dump())


@router.post("/api/v1/diplomas/{diploma_id}/reissue", summary="Cấp lại / reissue (issuer's error)")
def reissue(diploma_id: str, body: ReissueIn, c: C) -> dict[str, Any]:
    c.start_dev_services()
    return _svc(c).reissue(diploma_id, **body.model_dump())


@router.post("/api/v1/diplomas/{diploma_id}/copies", summary="Bản sao/trích lục từ sổ gốc / copy or extract")
def copy(diploma_id: str, body: CopyIn, c: C) -> dict[str, Any]:
    return _svc(c).copy_from_register(diploma_id, **body.model_dump())


@router.get("/api/v1/diplomas/{diploma_id}/copies", summary="Nhật ký bản sao / copies given")
def copies(diploma_id: str, c: C) -> list[dict[str, Any]]:
    return _svc(c).copies(diploma_id)


@router.post("/api/v1/register-books", summary="Nhập sổ gốc giấy (XLSX/CSV) / import a paper register book")
async def import_register(
    c: C,
    file: Annotated[UploadFile, File()],
    book_code: Annotated[str, Form()],
    issuer_key: Annotated[str, Form()],
    issuer_name: Annotated[str, Form()],
    actor: Annotated[str, Form()],
    diploma_type: Annotated[str, Form()] = "THPT",
    issuer_role: Annotated[str, Form()] = "so_director",
) -> dict[str, Any]:
    data = await file.read()
    book = register_import.BookInfo(
        book_code, issuer_key, issuer_name, DiplomaType(diploma_type), issuer_role=IssuerRole(issuer_role)
    )
    return c.register_importer.import_file(data, file.filename or "register", book, actor=actor).to_dict()


@router.get("/api/v1/reconciliation", summary="Hàng đợi đối soát / reconciliation queue")
def reconciliation(c: C, status: str | None = "open") -> list[dict[str, Any]]:
    return c.register_importer.queue(status)


@router.post("/api/v1/reconciliation/{item_id}", summary="Đối soát một mục / resolve an item")
def resolve(item_id: str, body: ResolveIn, c: C) -> dict[str, Any]:
    return c.register_importer.resolve(item_id, **body.model_dump())


# ------------------------------------------------------------------------------------------ public


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/api/v1/public/diploma-check",
    summary="Tra cứu văn bằng giấy / public paper-diploma check",
    response_model=PublicCheckOut,
    response_model_exclude_unset=True,
)
def public_check(body: CheckIn, request: Request, c: C) -> dict[str, Any]:
    return _svc(c).public_check(
        number=body.number, full_name=body.full_name, date_of_birth=body.date_of_birth, client=client_of(request)
    )


@router.get(
    "/api/v1/public/disclosure/{school_code}/{year}",
    summary="Công khai văn bằng / public disclosure",
    response_model=list[DisclosureOut],
    response_model_exclude_unset=True,
)
def disclosure(school_code: str, year: int, c: C) -> list[dict[str, Any]]:
    return _svc(c).disclosure(school_code, year)


@router.get(
    "/api/v1/public/revocations",
    summary="Quyết định thu hồi, hủy bỏ / revocations",
    response_model=list[RevocationOut],
    response_model_exclude_unset=True,
)
def revocations(c: C) -> list[dict[str, Any]]:
    return _svc(c).revocations()
