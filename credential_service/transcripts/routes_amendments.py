"""A học bạ's new versions (thin): the principal enters the summer results, or a correction by decision, and
signs; the seal operator seals. Each with the signer's own fresh confirmation (``POST /api/v1/staff/confirmations``,
purpose ``amend:transcript:<id>``, ``correct:transcript:<id>`` or ``seal:transcript:<id>``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.diplomas.rules import CorrectionRequest
from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.platform.bounds import Day
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.staff.policy import Actor
from credential_service.transcripts.amendments import SummerResults
from credential_service.transcripts.workflow import Step

router = APIRouter(tags=["transcripts / học bạ số"])
C = Annotated[Container, Depends(container)]


class ConfirmedRequest(BaseModel):
    confirmation_id: str = Field(
        max_length=36,
        description="xác nhận của chính người ký (POST /api/v1/staff/confirmations, purpose "
        "amend|correct|seal:transcript:<id>) / the signer's own fresh confirmation",
    )
    pin: str | None = Field(
        default=None, max_length=64, description="PIN của người ký ở token hoặc dịch vụ ký (không lưu) / never stored"
    )
    otp: str | None = Field(default=None, max_length=16, description="OTP của dịch vụ ký số / the service's OTP")


class SummerRequest(ConfirmedRequest):
    reassessment: dict[str, float | int | str] = Field(
        default_factory=dict,
        max_length=30,
        description="kết quả kiểm tra lại: môn → điểm hoặc Đ/CĐ / re-assessed subjects: subject → score or Đ/CĐ",
    )
    summer_conduct: str | None = Field(
        default=None, max_length=16, description="rèn luyện sau hè: Đ/CĐ / conduct after summer training"
    )
    reason: str = Field(max_length=500, description="lý do, ghi vào bản ghi / the reason, in the record")


class CorrectionRequestIn(ConfirmedRequest):
    decision_no: str = Field(max_length=64, description="số quyết định chỉnh sửa / the correction decision's number")
    decision_date: Day
    signer: str = Field(max_length=200)
    ground: str = Field(max_length=40, description="căn cứ, như với văn bằng / the ground, as for a diploma")
    field: str = Field(max_length=32, description="full_name, date_of_birth, place_of_birth, sex, ethnicity")
    old_value: str = Field(max_length=200)
    new_value: str = Field(max_length=200)
    evidence: list[Annotated[str, Field(max_length=500)]] = Field(max_length=20)


def _confirmed_signer(
    c: Container, actor: Actor, transcript_id: str, step: Step, purpose: str, body: ConfirmedRequest
) -> tuple[str, BatchAuthorization]:
    """Whose key signs ``step`` of this học bạ's class for ``actor``, after consuming their own fresh confirmation
    (purpose ``<purpose>:transcript:<id>``); and the PIN/OTP they gave for their signing service."""
    class_id = c.transcripts.transcript(transcript_id).class_id
    signer = c.staff_auth.signer_for_class_step(actor, class_id=class_id, step=step.value)
    c.staff_auth.consume_confirmation(actor, body.confirmation_id, f"{purpose}:transcript:{transcript_id}")
    return signer, BatchAuthorization(pin=body.pin, otp=body.otp)


@router.post(
    "/transcripts/{transcript_id}/summer-amendment",
    summary="Nhập kết quả sau hè và ký phiên bản mới / enter summer results and sign a new version",
)
def amend_after_summer(
    transcript_id: str, body: SummerRequest, actor: Annotated[Actor, allow(P.TRANSCRIPT_AMEND)], c: C
) -> dict[str, Any]:
    signer, secret = _confirmed_signer(c, actor, transcript_id, Step.PRINCIPAL, "amend", body)
    results = SummerResults(body.reassessment, body.summer_conduct, body.reason)
    report = c.transcripts.amend_after_summer(
        transcript_id, results, staff_id=signer, actor=actor.display, authorization=secret
    )
    return asdict(report)


@router.post(
    "/transcripts/{transcript_id}/corrections",
    summary="Chỉnh sửa học bạ đã phát hành theo quyết định / correct an issued transcript by decision",
)
def correct_transcript(
    transcript_id: str, body: CorrectionRequestIn, actor: Annotated[Actor, allow(P.TRANSCRIPT_AMEND)], c: C
) -> dict[str, Any]:
    signer, secret = _confirmed_signer(c, actor, transcript_id, Step.PRINCIPAL, "correct", body)
    request = CorrectionRequest(
        decision_no=body.decision_no, decision_date=body.decision_date, signer=body.signer, ground=body.ground,
        field=body.field, old_value=body.old_value, new_value=body.new_value, evidence=tuple(body.evidence),
    )  # fmt: skip
    report = c.transcripts.correct_transcript(
        transcript_id, request, staff_id=signer, actor=actor.display, authorization=secret
    )
    return asdict(report)


@router.post(
    "/transcripts/{transcript_id}/seal",
    summary="Đóng dấu phiên bản sửa sau hè / seal a summer amendment",
)
def seal_amendment(
    transcript_id: str, body: ConfirmedRequest, actor: Annotated[Actor, allow(P.TRANSCRIPT_SEAL_AMENDMENT)], c: C
) -> dict[str, Any]:
    signer, secret = _confirmed_signer(c, actor, transcript_id, Step.SEAL, "seal", body)
    report = c.transcripts.seal_amendment(transcript_id, staff_id=signer, actor=actor.display, authorization=secret)
    return asdict(report)
