"""Four eyes over HTTP: list proposals, approve (runs the action with both names) or reject."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from credential_service.app.approval_actions import ACTIONS, Action, Approved
from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import SogocError
from credential_service.staff import policies as P
from credential_service.staff.access import allow, refused
from credential_service.staff.policy import Actor, permits
from credential_service.staff.roles import Place

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals / phê duyệt hai người"])
C = Annotated[Container, Depends(container)]


class ApproveIn(BaseModel):
    confirmation_id: str | None = Field(
        default=None,
        max_length=36,
        description="cho việc ký lại (chỉnh sửa, cấp lại): xác nhận của chính người duyệt, purpose approve:<id> / "
        "when the approval signs (correction, reissue): the checker's own confirmation",
    )


class RejectIn(BaseModel):
    note: str = Field(min_length=1, max_length=1000)


def approve_purpose(approval_id: str) -> str:
    return f"approve:{approval_id}"


@router.get("", summary="Các đề nghị chờ duyệt / proposals waiting for a second person")
def listing(
    actor: Annotated[Actor, allow(P.APPROVALS)],
    c: C,
    status: Literal["pending", "running", "done", "failed", "rejected"] | None = "pending",
) -> list[dict[str, Any]]:
    today = c.clock.today()
    return [
        a
        for a in c.approvals.listing(status)
        if a["kind"] in ACTIONS and permits(ACTIONS[a["kind"]].checker, actor, Place(school_id=a["school_id"]), today)
    ]


def _checkable(c: Container, actor: Actor, approval_id: str) -> Action:
    """The proposal's action, if ``actor`` holds the role that may check it at the proposal's school."""
    proposal = c.approvals.get(approval_id)
    action = ACTIONS[proposal["kind"]]
    if not permits(action.checker, actor, Place(school_id=proposal["school_id"]), c.clock.today()):
        raise refused(action.checker, actor)
    return action


@router.post("/{approval_id}/approve", summary="Phê duyệt và thực hiện / approve and run")
def approve(approval_id: str, body: ApproveIn, actor: Annotated[Actor, allow(P.APPROVALS)], c: C) -> dict[str, Any]:
    action = _checkable(c, actor, approval_id)
    claimed = c.approvals.start(actor, approval_id)
    try:
        if action.signs:
            c.staff_auth.consume_confirmation(actor, body.confirmation_id, approve_purpose(approval_id))
    except SogocError:
        c.approvals.release(approval_id)
        raise
    try:
        result = action.run(c, Approved(approval_id, c.approvals.payload(approval_id), claimed["maker"], actor))
    except SogocError as e:
        c.approvals.finish(
            approval_id, status="failed", result={"code": e.code, "vi": e.message.vi, "en": e.message.en}
        )
        raise
    return c.approvals.finish(approval_id, status="done", result=result)


@router.post("/{approval_id}/reject", summary="Từ chối / reject")
def reject(approval_id: str, body: RejectIn, actor: Annotated[Actor, allow(P.APPROVALS)], c: C) -> dict[str, Any]:
    _checkable(c, actor, approval_id)
    return c.approvals.reject(actor, approval_id, body.note)
