"""A graduation decision's diplomas as a batch job (issue #17 item 4): the issuer confirms once, and the graduates
are issued in items of :data:`ITEM_SIZE`, each item all or nothing.

Each item calls :meth:`DiplomaService.issue_from_decision` for its graduates only, exactly as the synchronous
route issues the whole decision: planned, signed outside any transaction, then recorded in one short transaction
that takes the register numbers under the register's lock and re-checks the plan. That is what makes an item safe
to run again after a worker dies: its graduates either hold their diplomas (the item finds nobody left to issue
and does nothing) or nothing of it was written, so no diploma is doubled and no register number is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from credential_service.diplomas.issuance import plan_issue
from credential_service.diplomas.service import DiplomaService
from credential_service.documents.batch_keys import needs_authorization
from credential_service.platform.clock import vn_date
from credential_service.platform.errors import Conflict, Message, SigningRefused
from credential_service.platform.jobs import JobHandler, JobItem, JobService

ISSUE_GRADUATES = "diplomas.issue_graduates"
ITEM_SIZE = 50  # graduates per item: one signing batch, and one step of the progress bar


def decision_issue_items(
    service: DiplomaService, decision_id: str, *, issuer_staff_id: str, seal_staff_id: str, actor: str
) -> tuple[str, str | None, list[JobItem]]:
    """The job's title, school and items: the decision's graduates without a diploma, :data:`ITEM_SIZE` each.

    Refused when everyone holds a diploma already, or when a key needs a per-batch secret (a remote signing
    service's PIN/OTP), which is typed for one batch, never stored, and so cannot be handed to a worker."""
    on = vn_date(service.clock.now())
    with service.db.reader() as session:
        plan = plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on)
    if needs_authorization(plan.issuer.key_label) or needs_authorization(plan.seal.key_label):
        raise SigningRefused(
            Message(
                "Khóa ký ở dịch vụ ký số từ xa cần mã PIN/OTP cho từng lần ký, nên không chạy nền được; "
                "hãy cấp văn bằng trực tiếp.",
                "A key is at a remote signing service that needs a PIN/OTP per batch, so it cannot run in the "
                "background; issue the diplomas directly instead.",
            ),
            reason="authorization_required",
        )
    if not plan.todo:
        raise Conflict(
            Message(
                f"Mọi người trong quyết định {plan.decision.decision_no} đã có văn bằng.",
                f"Everyone in decision {plan.decision.decision_no} already holds a diploma.",
            )
        )
    indexes = [i for i, _ in plan.todo]
    chunks = [indexes[k : k + ITEM_SIZE] for k in range(0, len(indexes), ITEM_SIZE)]
    base = {"decision_id": decision_id, "issuer_staff_id": issuer_staff_id, "seal_staff_id": seal_staff_id}
    items = [JobItem(payload={**base, "indexes": chunk, "actor": actor}, weight=len(chunk)) for chunk in chunks]
    title = (
        f"Cấp {len(indexes)} văn bằng theo quyết định {plan.decision.decision_no} / "
        f"issue {len(indexes)} diplomas of decision {plan.decision.decision_no}"
    )
    return title, plan.decision.school_id, items


def submit_decision_issue(
    service: DiplomaService,
    jobs: JobService,
    decision_id: str,
    *,
    issuer_staff_id: str,
    seal_staff_id: str,
    actor: str,
    confirm: Callable[[str], None],
) -> str:
    """Queue the decision's diplomas after the issuer's own fresh confirmation (``confirm(purpose)`` consumes it,
    the same purpose as issuing at once); the job id."""
    title, school_id, items = decision_issue_items(
        service, decision_id, issuer_staff_id=issuer_staff_id, seal_staff_id=seal_staff_id, actor=actor
    )
    confirm(f"issue:decision:{decision_id}")
    return jobs.submit(ISSUE_GRADUATES, items, title=title, created_by=actor, school_id=school_id)


def issue_graduates_handler(service: DiplomaService) -> JobHandler:
    """Issue one item's graduates; those who hold a diploma already are skipped (nothing to do on a re-run)."""

    def handle(payload: Mapping[str, Any]) -> dict[str, Any]:
        report = service.issue_from_decision(
            str(payload["decision_id"]),
            issuer_staff_id=str(payload["issuer_staff_id"]),
            seal_staff_id=str(payload["seal_staff_id"]),
            only=frozenset(int(i) for i in payload["indexes"]),
        )
        return {"issued": report.issued, "already_issued": len(payload["indexes"]) - len(report.issued)}

    return handle
