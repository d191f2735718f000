"""Revoking (thu hồi) or cancelling (hủy bỏ) a diploma by decision, on one of the six legal grounds.

The decision is checked, the diploma's status changes and a ``revoked`` entry (on the diploma's own id,
``amends_seq`` = its entry) is appended to the ledger with a new checkpoint, in one transaction.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from credential_service.diplomas import rules
from credential_service.diplomas.rules import REVOCATION_GROUND_LABELS, RevocationKind, Status
from credential_service.diplomas.status import current_diploma
from credential_service.diplomas.tables import DiplomaDecision
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.platform.settings import Settings


class Revocations:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def revoke(
        self,
        diploma_id: str,
        *,
        kind: str,
        ground: str,
        decision_no: str,
        decision_date: date,
        signer: str,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Revoke (thu hồi) or cancel (hủy bỏ) by decision on one of the six grounds; ledgered as ``revoked``."""
        at = at or self.clock.now()
        legal = rules.parse_revocation_ground(ground)
        try:
            action = RevocationKind(kind)
        except ValueError:
            raise InvalidInput(Message(f"Loại quyết định «{kind}» không hợp lệ (revoke | cancel).",
                                       f"Unknown decision kind «{kind}» (revoke | cancel).")) from None  # fmt: skip
        problems = []
        if not decision_no.strip():
            problems.append(
                Problem(Message("Thiếu số quyết định", "Missing decision number"), {"field": "decision_no"})
            )
        if not reason.strip():
            problems.append(Problem(Message("Quyết định phải nêu lý do", "The decision must state the reason"),
                                    {"field": "reason"}))  # fmt: skip
        if not signer.strip():
            problems.append(Problem(Message("Thiếu người ký", "Missing signer"), {"field": "signer"}))
        if decision_date > vn_date(at):
            problems.append(Problem(Message("Ngày quyết định ở tương lai", "Decision date in the future"),
                                    {"field": "decision_date"}, decision_date.isoformat()))  # fmt: skip
        if problems:
            raise InvalidInput(Message("Quyết định thu hồi/hủy bỏ không hợp lệ.", "Invalid revocation decision."),
                               problems=problems)  # fmt: skip
        with self.db.transaction() as session:
            d = current_diploma(session, diploma_id)
            doc = {
                "schema": "vanbang-decision/1",
                "kind": "revocation" if action is RevocationKind.REVOKE else "cancellation",
                "credential_id": d.id, "register_no": d.register_no, "decision_no": decision_no,
                "decision_date": decision_date.isoformat(), "signer": signer, "ground": legal.value,
                "ground_vi": REVOCATION_GROUND_LABELS[legal].vi, "reason": reason, "source": rules.REVOCATION_SOURCE,
            }  # fmt: skip
            doc_bytes = canonical_json(doc)
            now = self.clock.now()
            entry = ledger.append(
                session,
                ledger.LeafEvent("revoked", d.id, sha256_hex(doc_bytes), secrets.token_hex(32), d.pdf_sha256,
                                 d.register_no, d.ledger_seq, now),
            )  # fmt: skip
            d.status = (Status.REVOKED if action is RevocationKind.REVOKE else Status.CANCELLED).value
            session.add(
                DiplomaDecision(
                    id=str(uuid.uuid4()), kind=doc["kind"], diploma_id=d.id, new_diploma_id=None,
                    decision_no=decision_no, decision_date=decision_date, signer=signer, ground=legal.value,
                    field=None, old_value=None, new_value=None, evidence=[], reason=reason,
                    return_by=decision_date + timedelta(days=rules.HOLDER_RETURN_DAYS), ledger_seq=entry.seq,
                    created_by=actor, created_at=now,
                )
            )  # fmt: skip
            publish_in_transaction(session, self.settings, at=now)
            return {"credential_id": d.id, "status": d.status, "ledger_seq": entry.seq, "amends_seq": d.ledger_seq}
