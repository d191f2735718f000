"""Reading a diploma and where it stands: the lookup, the current-version guard, the status the
verification service and the public pages show, and the Sở's deadline view per graduation decision."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.diplomas import rules
from credential_service.diplomas.rules import (
    CORRECTION_GROUND_LABELS,
    REVOCATION_GROUND_LABELS,
    STATUS_LABELS,
    CorrectionGround,
    Form,
    Status,
)
from credential_service.diplomas.tables import Diploma, DiplomaDecision, GraduationDecision
from credential_service.platform.errors import Conflict, Message, NotFound
from credential_service.staff.tables import School


def get_diploma(session: Session, diploma_id: str) -> Diploma:
    d = session.get(Diploma, diploma_id)
    if d is None:
        raise NotFound(Message(f"Không có văn bằng mã {diploma_id}.", f"No diploma {diploma_id}."))
    return d


def current_diploma(session: Session, diploma_id: str) -> Diploma:
    """The diploma, if it is the current valid version (409 otherwise: only that one can be acted on)."""
    d = get_diploma(session, diploma_id)
    if d.status != Status.ISSUED.value:
        label = STATUS_LABELS[Status(d.status)]
        raise Conflict(
            Message(
                f"Văn bằng {d.register_no} (phiên bản {d.version}) đang ở trạng thái «{label.vi}»; chỉ thao tác "
                "được trên phiên bản hiện hành còn hiệu lực.",
                f"Diploma {d.register_no} (version {d.version}) is «{label.en}»; only the current valid version "
                "can be acted on.",
            ),
            status=d.status,
            replaced_by=d.replaced_by_id,
        )
    return d


def diploma_status(session: Session, credential_id: str) -> dict[str, Any]:
    """Current status of one diploma version, for the verification service and the public pages."""
    d = get_diploma(session, credential_id)
    decisions = list(
        session.execute(
            select(DiplomaDecision)
            .where(DiplomaDecision.diploma_id == credential_id)
            .order_by(DiplomaDecision.ledger_seq)
        ).scalars()
    )
    current = d
    while current.replaced_by_id:
        nxt = session.get(Diploma, current.replaced_by_id)
        if nxt is None:
            break
        current = nxt
    status = Status(d.status)
    last = decisions[-1] if decisions else None
    decision = None
    if last is not None and status is not Status.ISSUED:
        labels = REVOCATION_GROUND_LABELS if last.kind in ("revocation", "cancellation") else None
        ground_vi = None
        if labels is not None:
            ground_vi = labels[rules.RevocationGround(last.ground)].vi
        elif last.ground in CorrectionGround.__members__.values():
            ground_vi = CORRECTION_GROUND_LABELS[CorrectionGround(last.ground)].vi
        decision = {
            "kind": last.kind, "decision_no": last.decision_no, "decision_date": last.decision_date.isoformat(),
            "signer": last.signer, "ground": last.ground, "ground_vi": ground_vi, "reason": last.reason,
            "field": last.field, "ledger_seq": last.ledger_seq,
            "return_by": last.return_by.isoformat() if last.return_by else None,
        }  # fmt: skip
    label = STATUS_LABELS[status]
    return {
        "credential_id": d.id,
        "kind": "diploma",
        "schema": "vanbang/1",
        "status": status.value,
        "status_vi": label.vi,
        "status_en": label.en,
        "valid": status is Status.ISSUED,
        "version": d.version,
        "type": d.diploma_type,
        "form": d.form,
        "assurance": d.assurance,
        "register_no": d.register_no,
        "serial_no": d.serial_no,
        "issuer": d.issuer_name,
        "issuer_role": d.issuer_role,
        "graduation_year": d.graduation_year,
        "issued_on": d.issued_on.isoformat(),
        "record_sha256": d.record_sha256,
        "pdf_sha256": d.pdf_sha256,
        "ledger_seq": d.ledger_seq,
        "replaces": d.replaces_id,
        "replaced_by": d.replaced_by_id,
        "current_version": current.id,
        "decision": decision,
    }


def deadline_view(session: Session, today: date) -> list[dict[str, Any]]:
    """Per graduation decision: how many diplomas are issued on time / late, and how many are due / late."""
    out = []
    decisions = list(session.execute(select(GraduationDecision).order_by(GraduationDecision.decision_date)).scalars())
    issued = {
        (gid, idx): on
        for gid, idx, on in session.execute(
            select(Diploma.graduation_decision_id, Diploma.graduate_index, func.min(Diploma.issued_on))
            .where(Diploma.graduation_decision_id.is_not(None))
            .group_by(Diploma.graduation_decision_id, Diploma.graduate_index)
        )
    }
    schools = {s.id: s for s in session.execute(select(School)).scalars()}
    for g in decisions:
        counts = {state.value: 0 for state in rules.DeadlineState}
        for i in range(len(g.graduates)):
            state = rules.deadline_status(g.decision_date, today=today, issued_on=issued.get((g.id, i)))
            counts[state.state.value] += 1
        due = rules.issue_deadline(g.decision_date, Form.DIGITAL)
        school = schools.get(g.school_id or "")
        out.append({
            "decision_id": g.id, "decision_no": g.decision_no, "decision_date": g.decision_date.isoformat(),
            "school": school.name if school else g.issuer_key, "school_code": school.code if school else None,
            "graduates": len(g.graduates), "due_on": due.isoformat(), "days_left": (due - today).days,
            "counts": counts, "late": counts["late"] > 0,
        })  # fmt: skip
    return out
