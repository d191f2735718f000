"""The signing audit trail (``signing_audit``): every attempt, signed or refused, per document — the row
each signing path writes, and the trail as read back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.platform.errors import Message
from credential_service.signers.certificates import cert_sha256
from credential_service.signers.tables import SigningAudit


def audit_row(
    *,
    operation: str,
    outcome: str,
    document_kind: str,
    document_id: str | None,
    staff_id: str | None,
    at: datetime,
    revision: int | None = None,
    step: str | None = None,
    cert: asn1_x509.Certificate | None = None,
    backend: str | None = None,
    client: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    message: Message | None = None,
    checks: dict[str, Any] | None = None,
) -> SigningAudit:
    """One row of the signing audit trail (``outcome``: signed | refused | failed)."""
    return SigningAudit(
        id=str(uuid.uuid4()),
        at=at,
        operation=operation,
        staff_id=staff_id,
        actor=actor,
        client=(client or None) and client[:200],
        document_kind=document_kind,
        document_id=document_id,
        revision=revision,
        step=step,
        certificate_serial=format(cert.serial_number, "x") if cert is not None else None,
        certificate_sha256=cert_sha256(cert) if cert is not None else None,
        backend=backend,
        outcome=outcome,
        reason=reason,
        message=f"{message.vi} / {message.en}" if message is not None else None,
        checks=checks,
    )


def refusal_reason(error: Exception) -> str:
    extra = getattr(error, "extra", {}) or {}
    return str(extra.get("reason") or getattr(error, "code", None) or type(error).__name__)[:64]


def audit_trail(
    s: Session, *, document_id: str | None = None, staff_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The latest attempts first (at most ``limit``, 1..1000), for one document or one signer."""
    q = select(SigningAudit).order_by(SigningAudit.at.desc(), SigningAudit.id).limit(max(1, min(limit, 1000)))
    if document_id:
        q = q.where(SigningAudit.document_id == document_id)
    if staff_id:
        q = q.where(SigningAudit.staff_id == staff_id)
    return [
        {
            "id": a.id,
            "at": a.at.isoformat(),
            "operation": a.operation,
            "staff_id": a.staff_id,
            "actor": a.actor,
            "client": a.client,
            "document_kind": a.document_kind,
            "document_id": a.document_id,
            "revision": a.revision,
            "step": a.step,
            "certificate_serial": a.certificate_serial,
            "certificate_sha256": a.certificate_sha256,
            "backend": a.backend,
            "outcome": a.outcome,
            "reason": a.reason,
            "message": a.message,
        }
        for a in s.execute(q).scalars()
    ]
