"""Verification bundles (:mod:`verifier.bundle`, format ``/2``): made for a credential, and read back.

:func:`make_bundle` gathers a credential's offline evidence: its record entry's inclusion proof against
the latest signed checkpoint, the salt that opens the entry's commitment, and its status as of now,
**signed** by the log key as a status statement (:mod:`verifier.status_note`) naming the checkpoint the
status was read against. :func:`status_from_bundle` checks a bundle's ledger evidence and its status
statement against the pinned log keys: a ``/1`` bundle's status (unsigned) is INDETERMINATE, an edited or
forged status is FAILED (``STATUS_TAMPERED``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import select

from credential_service.diplomas.tables import Diploma
from credential_service.ledger.service import LedgerService
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.db import Database
from credential_service.platform.errors import Message as SMessage
from credential_service.platform.errors import NotFound
from credential_service.transcripts.tables import Transcript
from credential_service.verification.results import Check, CredentialStatus, LedgerCheck
from credential_service.verification.status import RECORD_ENTRY_KINDS
from verifier.bundle import Bundle, verify_bundle_ledger, verify_bundle_status
from verifier.checkpoint import Ed25519CosignatureVerifier, verify_cosignatures
from verifier.errors import VerifierError
from verifier.report import FAILED, INDETERMINATE, PASSED, Message
from verifier.status_note import DETAIL_KEYS, STATUS_VALUES, StatusStatement, sign_status_statement

__all__ = ["make_bundle", "status_check", "status_from_bundle"]


def make_bundle(db: Database, ledger: LedgerService, status: CredentialStatus, credential_id: str) -> Bundle:
    """The /2 bundle of ``credential_id`` whose current ``status`` was just read from the register."""
    with db.reader() as session:
        row = (
            session.execute(
                select(Transcript.record_sha256, Transcript.salt, Transcript.pdf_sha256).where(
                    Transcript.id == credential_id
                )
            ).first()
            or session.execute(
                select(Diploma.record_sha256, Diploma.salt, Diploma.pdf_sha256).where(Diploma.id == credential_id)
            ).first()
        )
        seq = session.execute(
            select(LedgerEntry.seq)
            .where(LedgerEntry.credential_id == credential_id, LedgerEntry.kind.in_(RECORD_ENTRY_KINDS))
            .order_by(LedgerEntry.seq)
        ).scalar()
    if row is None or seq is None or status.status not in STATUS_VALUES:
        raise NotFound(
            SMessage(f"{credential_id} chưa có mục nào trong sổ cái.", f"{credential_id} has no entry in the ledger."),
            credential_id=credential_id,
        )
    proof = ledger.inclusion_proof(seq)  # NotFound until a checkpoint covers the entry
    if not proof.get("checkpoint"):
        raise NotFound(
            SMessage("Sổ cái chưa công bố checkpoint đã ký.", "The ledger has no signed checkpoint yet."),
            credential_id=credential_id,
        )
    reported = status.to_dict()
    detail = {k: reported[k] for k in DETAIL_KEYS if reported.get(k) is not None}
    as_of = ledger.clock.now().astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    statement = StatusStatement(
        credential_id, row.record_sha256, status.status, as_of, ledger.origin, proof["size"], detail
    )
    return Bundle(
        credential_id=credential_id,
        record_sha256=row.record_sha256,
        salt=row.salt,
        pdf_sha256=row.pdf_sha256,
        origin=ledger.origin,
        index=proof["index"],
        leaf=base64.b64decode(proof["leaf"]),
        tree_size=proof["size"],
        hashes=tuple(bytes.fromhex(h) for h in proof["proof"]),
        checkpoint=proof["checkpoint"],
        status={
            "status": status.status,
            "as_of": as_of,
            "source": ledger.origin,
            **{k: reported[k] for k in DETAIL_KEYS},
        },
        status_statement=sign_status_statement(statement, ledger.publisher.signer),
    )


def status_from_bundle(
    bundle: Bundle,
    cid: str,
    digest: str,
    *,
    origin: str,
    verifiers: Sequence[Any],
    witnesses: Sequence[Ed25519CosignatureVerifier] = (),
) -> tuple[CredentialStatus, dict[str, Check]]:
    """The status a bundle proves, with its ledger evidence checked against the pinned log keys (and, when
    ``witnesses`` are configured, at least one of their cosignatures on the checkpoint), and the checks that
    are not the plain verdicts: ``status`` for a /1 bundle (INDETERMINATE) or an edited one (FAILED),
    ``ledger`` for a checkpoint not witnessed yet (INDETERMINATE)."""
    ev = verify_bundle_status(bundle, verifiers=verifiers)
    source = ev.statement.to_dict() if ev.statement is not None else dict(bundle.status)
    word = ev.status if ev.indication == PASSED else None
    known = ("valid", "superseded", "revoked", "not_issued")
    st = CredentialStatus(
        id=cid,
        status=word if word in known else "unknown",  # type: ignore[arg-type]
        version=source.get("version"),
        issued_at=source.get("issued_at"),
        record_sha256=bundle.record_sha256,
        superseded_by=source.get("superseded_by"),
        decision=source.get("decision"),
        revoked_at=source.get("revoked_at"),
        reason=source.get("reason"),
    )
    checks: dict[str, Check] = {}
    if ev.indication == FAILED:
        checks["status"] = Check("status", FAILED, "STATUS_TAMPERED", ev.en)
    elif ev.indication == INDETERMINATE:
        checks["status"] = Check("status", INDETERMINATE, "STATUS_UNSIGNED", ev.en)
    if bundle.credential_id != cid:
        vi = f"Gói xác minh dành cho {bundle.credential_id}, không phải {cid}."
        en = f"The verification bundle is for {bundle.credential_id}, not {cid}."
        st.ledger = LedgerCheck(error=Message(vi, en, "NOT_IN_LEDGER"))
        return st, checks
    if bundle.origin != origin:
        vi = f"Gói xác minh dẫn tới sổ cái {bundle.origin!r}, không phải sổ cái tin cậy {origin!r}."
        en = f"The bundle points to the log {bundle.origin!r}, not the trusted log {origin!r}."
        st.ledger = LedgerCheck(error=Message(vi, en, "NOT_IN_LEDGER"))
        return st, checks
    led = verify_bundle_ledger(bundle, record_sha256=digest, verifiers=verifiers)
    if not led.included:
        st.ledger = LedgerCheck(error=Message(led.vi or "", led.en or "", "NOT_IN_LEDGER"))
        return st, checks
    if witnesses:
        try:
            cosigned = verify_cosignatures(bundle.checkpoint, witnesses)
        except VerifierError as e:
            st.ledger = LedgerCheck(error=Message(e.vi, e.en, "NOT_IN_LEDGER"))
            return st, checks
        if not cosigned:
            detail = "the bundle's checkpoint has no cosignature from a configured witness yet"
            checks["ledger"] = Check("ledger", INDETERMINATE, "NOT_WITNESSED", detail)
    st.ledger = LedgerCheck(True, led.index, led.checkpoint_size, led.root_hash)
    return st, checks


def status_check(status: CredentialStatus, override: Check | None) -> Check:
    """The status check: ``override`` (an unsigned or edited bundle status), else the status's verdict."""
    if override is not None:
        return override
    sub = {"valid": None, "superseded": "SUPERSEDED", "revoked": "REVOKED", "not_issued": "NOT_IN_LEDGER"}.get(
        status.status, "NOT_IN_LEDGER"
    )
    return Check("status", PASSED if sub is None else FAILED, sub, status.status)
