"""Diploma API: issue from a graduation decision, correct, revoke/cancel, reissue, copies, register
import and reconciliation, the Sở's deadline view; and the public endpoints (paper-diploma check,
disclosure per school and year, revocations).

The public check is rate-limited per client address (behind a trusted proxy, the address it forwards) in
a store every worker shares (platform/ratelimit.py) and logged without query data.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import PDF, container
from credential_service.diplomas import service as diploma_service
from credential_service.diplomas.copies import COPY_CAPACITIES
from credential_service.diplomas.register_book import BookInfo
from credential_service.diplomas.register_files import REGISTER_LIMITS
from credential_service.diplomas.rules import CorrectionRequest, DiplomaType, IssuerRole, parse_revocation_ground
from credential_service.diplomas.schemas import DisclosureOut, PublicCheckOut, RevocationOut
from credential_service.platform.bounds import YEAR_MAX, YEAR_MIN, Day, Year
from credential_service.platform.client_address import request_client
from credential_service.platform.errors import Message, NotFound
from credential_service.platform.upload_limits import read_limited
from credential_service.staff import policies as P
from credential_service.staff.access import allow, require
from credential_service.staff.policy import Actor, Scope

MAX_REGISTER_BYTES = REGISTER_LIMITS.max_bytes

router = APIRouter(tags=["diplomas / văn bằng"])
if TYPE_CHECKING:
    CopyCapacity: TypeAlias = str
else:  # the service's list (Circular 21/2019 Art. 28), as an enum of the OpenAPI document
    CopyCapacity = Literal[COPY_CAPACITIES]
C = Annotated[Container, Depends(container)]


class Graduate(BaseModel):
    full_name: str = Field(max_length=200)
    date_of_birth: str = Field(max_length=20, description="dd/mm/yyyy")
    sex: str = Field(max_length=8)
    place_of_birth: str | None = Field(default=None, max_length=200)
    ethnicity: str | None = Field(default=None, max_length=64)
    personal_id: str | None = Field(default=None, max_length=12)


class DecisionIn(BaseModel):
    school_code: str = Field(max_length=64)
    decision_no: str = Field(max_length=64)
    decision_date: Day
    graduation_year: Year
    signer_name: str = Field(max_length=200)
    graduates: list[Graduate] = Field(min_length=1, max_length=5000)
    exam_session: str | None = Field(default=None, max_length=64)
    training_mode: str | None = Field(default="Chính quy", max_length=32)


class IssueIn(BaseModel):
    confirmation_id: str = Field(
        max_length=36,
        description="xác nhận của chính người ký, purpose issue:decision:<id> / the issuer's own confirmation",
    )


Evidence = Annotated[list[Annotated[str, Field(max_length=500)]], Field(max_length=20)]  # documents relied on


class CorrectionIn(BaseModel):
    decision_no: str = Field(max_length=64)
    decision_date: Day
    signer: str = Field(max_length=200)
    ground: str = Field(max_length=40)
    field: str = Field(max_length=32)
    old_value: str = Field(max_length=200)
    new_value: str = Field(max_length=200)
    evidence: Evidence


class RevocationIn(BaseModel):
    kind: Literal["revoke", "cancel"] = "revoke"
    ground: str = Field(max_length=40)
    decision_no: str = Field(max_length=64)
    decision_date: Day
    signer: str = Field(max_length=200)
    reason: str = Field(max_length=1000)


class ReissueIn(BaseModel):
    decision_no: str = Field(max_length=64)
    decision_date: Day
    signer: str = Field(max_length=200)
    reason: str = Field(max_length=1000)
    changes: dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=200)]] = Field(max_length=20)
    evidence: Evidence = []


class CopyIn(BaseModel):
    kind: Literal["copy", "extract"] = "copy"
    requester_name: str = Field(max_length=200)
    capacity: CopyCapacity
    purpose: str = Field(max_length=255)


class ResolveIn(BaseModel):
    decision: Literal["accept", "reject"]
    note: str = Field(max_length=1000)


class CheckIn(BaseModel):
    number: str = Field(max_length=64)
    full_name: str = Field(max_length=200)
    date_of_birth: str = Field(max_length=20)


def _svc(c: Container) -> diploma_service.DiplomaService:
    return c.diplomas


# ------------------------------------------------------------------------------------------ staff API


@router.post(
    "/api/v1/graduation-decisions",
    summary="Ghi quyết định công nhận tốt nghiệp / record a decision",
)
def record_decision(body: DecisionIn, actor: Annotated[Actor, allow(P.DECISION_RECORD)], c: C) -> dict[str, str]:
    require(P.DECISION_RECORD, actor, c.school_place(body.school_code), c.clock.today())
    data = body.model_dump()
    graduates = data.pop("graduates")
    return {"decision_id": _svc(c).record_graduation_decision(graduates=graduates, **data)}


@router.post(
    "/api/v1/graduation-decisions/{decision_id}/issue",
    summary="Cấp văn bằng số / issue diplomas (the issuer's own key, after their own confirmation)",
)
def issue(decision_id: str, body: IssueIn, actor: Annotated[Actor, allow(P.DIPLOMA_ISSUE)], c: C) -> dict[str, Any]:
    c.start_dev_services()
    place = c.resource_place(Scope.DECISION, {"decision_id": decision_id})
    seal = c.staff_auth.seal_for_school(place.school_id if place else None)
    c.staff_auth.consume_confirmation(actor, body.confirmation_id, f"issue:decision:{decision_id}")
    report = _svc(c).issue_from_decision(decision_id, issuer_staff_id=actor.staff_id, seal_staff_id=seal)
    return report.to_dict()


@router.post(
    "/api/v1/graduation-decisions/{decision_id}/issue-jobs",
    status_code=202,
    summary="Cấp văn bằng số, chạy nền / issue the decision's diplomas as a background job",
)
def issue_as_job(
    decision_id: str, body: IssueIn, actor: Annotated[Actor, allow(P.DIPLOMA_ISSUE)], c: C
) -> dict[str, Any]:
    """The issuer's one confirmation (the same purpose as issuing at once) covers the decision's graduates; they are
    issued in items of 50, each all or nothing. Answers at once; ``GET /api/v1/jobs/{job_id}`` shows the progress."""
    from credential_service.diplomas.issue_jobs import submit_decision_issue

    place = c.resource_place(Scope.DECISION, {"decision_id": decision_id})
    seal = c.staff_auth.seal_for_school(place.school_id if place else None)

    def confirm(purpose: str) -> None:
        c.staff_auth.consume_confirmation(actor, body.confirmation_id, purpose)

    job_id = submit_decision_issue(
        _svc(c), c.jobs, decision_id, issuer_staff_id=actor.staff_id, seal_staff_id=seal, actor=actor.display,
        confirm=confirm,
    )  # fmt: skip
    return c.jobs.accepted(job_id)


@router.get(
    "/api/v1/diplomas/deadlines",
    summary="Hạn cấp văn bằng (5 ngày) / due and late view for the Sở",
    dependencies=[allow(P.DEADLINES)],
)
def deadlines(c: C) -> list[dict[str, Any]]:
    return _svc(c).deadline_view()


@router.get(
    "/api/v1/diplomas/{diploma_id}",
    summary="Trạng thái văn bằng / diploma status",
    dependencies=[allow(P.DIPLOMA_READ)],
)
def status(diploma_id: str, c: C) -> dict[str, Any]:
    return _svc(c).diploma_status(diploma_id)


@router.get(
    "/api/v1/diplomas/{diploma_id}/pdf",
    response_class=Response,
    responses=PDF,
    summary="Tải PDF / download",
    dependencies=[allow(P.DIPLOMA_READ)],
)
def pdf(diploma_id: str, c: C) -> Response:
    d = _svc(c).diploma(diploma_id)
    if d.pdf is None:  # digitised from a paper register: the register holds no PDF
        raise NotFound(Message(f"Văn bằng {diploma_id} không có tệp PDF.", f"Diploma {diploma_id} has no PDF."))
    return Response(
        d.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="vanbang-{d.id}.pdf"'},
    )


def _propose(
    c: Container, actor: Actor, kind: str, diploma_id: str, fields: dict[str, Any], what: str
) -> dict[str, Any]:
    place = c.resource_place(Scope.DIPLOMA, {"diploma_id": diploma_id})
    school_id = place.school_id if place else None
    payload = {"diploma_id": diploma_id, "school_id": school_id, "fields": jsonable_encoder(fields)}
    summary = f"{what} — văn bằng/diploma {diploma_id}: {fields.get('decision_no', '')}"
    return c.approvals.propose(actor, kind=kind, summary=summary, payload=payload, school_id=school_id)


@router.post(
    "/api/v1/diplomas/{diploma_id}/corrections",
    summary="Đề nghị chỉnh sửa văn bằng (hiệu trưởng duyệt và ký) / propose a correction (the principal approves and "
    "signs)",
    status_code=202,
)
def correct(
    diploma_id: str, body: CorrectionIn, actor: Annotated[Actor, allow(P.DIPLOMA_CHANGE)], c: C
) -> dict[str, Any]:
    fields = body.model_dump()
    c.diplomas.check_correction(diploma_id, CorrectionRequest(**{**fields, "evidence": tuple(body.evidence)}))
    return _propose(c, actor, "diploma.correct", diploma_id, fields, "Chỉnh sửa / correction")


@router.post(
    "/api/v1/diplomas/{diploma_id}/revocations",
    summary="Đề nghị thu hồi, hủy bỏ (người thứ hai duyệt) / propose a revocation (a second person approves)",
    status_code=202,
)
def revoke(
    diploma_id: str, body: RevocationIn, actor: Annotated[Actor, allow(P.DIPLOMA_CHANGE)], c: C
) -> dict[str, Any]:
    parse_revocation_ground(body.ground)  # an unknown ground is refused now, not at approval
    return _propose(c, actor, "diploma.revoke", diploma_id, body.model_dump(), "Thu hồi / revocation")


@router.post(
    "/api/v1/diplomas/{diploma_id}/reissue",
    summary="Đề nghị cấp lại (hiệu trưởng duyệt và ký) / propose a reissue (the principal approves and signs)",
    status_code=202,
)
def reissue(diploma_id: str, body: ReissueIn, actor: Annotated[Actor, allow(P.DIPLOMA_CHANGE)], c: C) -> dict[str, Any]:
    return _propose(c, actor, "diploma.reissue", diploma_id, body.model_dump(), "Cấp lại / reissue")


@router.post(
    "/api/v1/diplomas/{diploma_id}/copies",
    summary="Bản sao/trích lục từ sổ gốc / copy or extract",
)
def copy(diploma_id: str, body: CopyIn, actor: Annotated[Actor, allow(P.DIPLOMA_COPY)], c: C) -> dict[str, Any]:
    return _svc(c).copy_from_register(diploma_id, **body.model_dump(), given_by=actor.display)


@router.get(
    "/api/v1/diplomas/{diploma_id}/copies",
    summary="Nhật ký bản sao / copies given",
    dependencies=[allow(P.DIPLOMA_COPY)],
)
def copies(diploma_id: str, c: C) -> list[dict[str, Any]]:
    return _svc(c).copies(diploma_id)


@router.post(
    "/api/v1/register-books",
    summary="Đề nghị nhập sổ gốc giấy (XLSX/CSV; cán bộ thứ hai duyệt) / propose a paper register import "
    "(a second clerk approves)",
    status_code=202,
)
def import_register(
    c: C,
    actor: Annotated[Actor, allow(P.REGISTER)],
    file: Annotated[UploadFile, File()],
    book_code: Annotated[str, Form(max_length=64)],
    issuer_key: Annotated[str, Form(max_length=64)],
    issuer_name: Annotated[str, Form(max_length=200)],
    diploma_type: Annotated[DiplomaType, Form()] = DiplomaType.THPT,
    issuer_role: Annotated[IssuerRole, Form()] = IssuerRole.SO_DIRECTOR,
) -> dict[str, Any]:
    """Not ``async``: the file is read in a worker process (time and memory limits) and this thread waits."""
    data = read_limited(file.file, REGISTER_LIMITS)
    book = BookInfo(book_code, issuer_key, issuer_name, diploma_type, issuer_role=issuer_role)
    rows = c.register_importer.check_file(data, file.filename or "register", book)  # refused now if bad
    payload = {
        "file_b64": base64.b64encode(data).decode(),
        "file_name": (file.filename or "register")[:200],
        "book": {
            "book_code": book_code,
            "issuer_key": issuer_key,
            "issuer_name": issuer_name,
            "diploma_type": diploma_type.value,
            "issuer_role": issuer_role.value,
        },
    }
    summary = f"Nhập sổ gốc / register import {book_code} ({issuer_name}), {rows} dòng/rows"
    proposal = c.approvals.propose(actor, kind="register.import", summary=summary, payload=payload, school_id=None)
    return proposal


@router.get(
    "/api/v1/reconciliation", summary="Hàng đợi đối soát / reconciliation queue", dependencies=[allow(P.RECONCILE)]
)
def reconciliation(c: C, status: Literal["open", "accepted", "rejected"] | None = "open") -> list[dict[str, Any]]:
    return c.register_importer.queue(status)


@router.post(
    "/api/v1/reconciliation/{item_id}",
    summary="Đề nghị đối soát một mục (cán bộ thứ hai duyệt) / propose a resolution (a second clerk approves)",
    status_code=202,
)
def resolve(item_id: str, body: ResolveIn, actor: Annotated[Actor, allow(P.REGISTER)], c: C) -> dict[str, Any]:
    payload = {"item_id": item_id, **body.model_dump()}
    summary = f"Đối soát / resolve {item_id}: {body.decision} — {body.note[:200]}"
    proposal = c.approvals.propose(actor, kind="register.resolve", summary=summary, payload=payload, school_id=None)
    return proposal


# ------------------------------------------------------------------------------------------ public


def client_of(request: Request) -> str:
    """The client's address: the peer, or X-Forwarded-For from a trusted proxy (settings.trusted_proxies)."""
    c: Container = request.app.state.container
    return request_client(request, c.settings.trusted_proxies)


@router.post(
    "/api/v1/public/diploma-check",
    summary="Tra cứu văn bằng giấy / public paper-diploma check",
    response_model=PublicCheckOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
    responses={429: {"description": "Quá nhiều lượt tra cứu, chờ retry_after giây / too many checks: wait"}},
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
    dependencies=[allow(P.PUBLIC)],
)
def disclosure(
    school_code: Annotated[str, Path(max_length=64)], year: Annotated[int, Path(ge=YEAR_MIN, le=YEAR_MAX)], c: C
) -> list[dict[str, Any]]:
    return _svc(c).disclosure(school_code, year)


@router.get(
    "/api/v1/public/revocations",
    summary="Quyết định thu hồi, hủy bỏ / revocations",
    response_model=list[RevocationOut],
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
def revocations(c: C) -> list[dict[str, Any]]:
    return _svc(c).revocations()
