"""Four eyes for what cannot be undone: a maker proposes, a different person with the right role approves,
and only then does it run (register imports and reconciliation, revocation, correction, reissue, key
compromise, certificate import, role assignment). Both names go into the result and the audit trail.

Source: Decree 30/2020 Art. 10 (the competent person signs); Circular 21/2019 Art. 19, 22 (revocation and
correction by decision of the competent authority); the city's 2026 plan (internal control).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database, rows_changed
from credential_service.platform.errors import Conflict, Message, NotAuthorised, NotFound
from credential_service.staff.policy import Actor
from credential_service.staff.tables import Approval


def both(maker: str, checker: str) -> str:
    """How both people are named in ledger entries and audit rows."""
    return f"{maker}; duyệt/approved: {checker}"


def _row(a: Approval) -> dict[str, Any]:
    return {
        "approval_id": a.id,
        "kind": a.kind,
        "summary": a.summary,
        "status": a.status,
        "school_id": a.school_id,
        "maker": a.maker,
        "checker": a.checker,
        "created_at": a.created_at.isoformat(),
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "result": a.result,
    }


class ApprovalService:
    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()

    def propose(
        self, actor: Actor, *, kind: str, summary: str, payload: dict[str, Any], school_id: str | None
    ) -> dict[str, Any]:
        approval = Approval(
            id=str(uuid.uuid4()),
            kind=kind,
            summary=summary[:2000],
            payload=payload,
            school_id=school_id,
            maker_account_id=actor.account_id,
            maker=actor.display,
            status="pending",
            created_at=self.clock.now(),
        )
        with self.db.transaction() as session:
            session.add(approval)
        out = _row(approval)
        out["message_vi"] = "Đã ghi đề nghị; cần một người khác có thẩm quyền phê duyệt thì mới thực hiện."
        out["message_en"] = "Proposed; it runs only when a different authorised person approves it."
        return out

    def get(self, approval_id: str) -> dict[str, Any]:
        with self.db.reader() as session:
            return _row(self._get(session, approval_id))

    def payload(self, approval_id: str) -> dict[str, Any]:
        with self.db.reader() as session:
            return dict(self._get(session, approval_id).payload)

    def listing(self, status: str | None = "pending", limit: int = 200) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            query = select(Approval).order_by(Approval.created_at.desc()).limit(min(limit, 1000))
            if status:
                query = query.where(Approval.status == status)
            return [_row(a) for a in session.execute(query).scalars()]

    def start(self, actor: Actor, approval_id: str) -> dict[str, Any]:
        """Claim a pending proposal for the checker (atomically: two checkers cannot both run it)."""
        with self.db.transaction() as session:
            approval = self._get(session, approval_id)
            if approval.maker_account_id == actor.account_id:
                raise NotAuthorised(
                    Message(
                        "Người đề nghị không tự phê duyệt được; cần một người khác.",
                        "The maker cannot approve their own proposal; a different person must.",
                    ),
                    reason="same_person",
                )
            claimed = rows_changed(
                session.execute(
                    update(Approval)
                    .where(Approval.id == approval_id, Approval.status == "pending")
                    .values(status="running", checker_account_id=actor.account_id, checker=actor.display)
                )
            )
            if not claimed:
                raise Conflict(
                    Message(
                        f"Đề nghị này đã được xử lý (trạng thái: {approval.status}).",
                        f"This proposal was already handled (status: {approval.status}).",
                    )
                )
            session.refresh(approval)
            return _row(approval)

    def release(self, approval_id: str) -> None:
        """Put a claimed proposal back (the checker's confirmation or rights failed before it ran)."""
        with self.db.transaction() as session:
            session.execute(
                update(Approval)
                .where(Approval.id == approval_id, Approval.status == "running")
                .values(status="pending", checker_account_id=None, checker=None)
            )

    def finish(self, approval_id: str, *, status: str, result: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction() as session:
            approval = self._get(session, approval_id)
            approval.status = status
            approval.result = result
            approval.decided_at = self.clock.now()
            return _row(approval)

    def reject(self, actor: Actor, approval_id: str, note: str) -> dict[str, Any]:
        self.start(actor, approval_id)
        return self.finish(approval_id, status="rejected", result={"note": note[:1000]})

    @staticmethod
    def _get(session: Any, approval_id: str) -> Approval:
        approval = session.get(Approval, approval_id)
        if approval is None:
            raise NotFound(Message(f"Không có đề nghị {approval_id}.", f"No proposal {approval_id}."))
        return approval
