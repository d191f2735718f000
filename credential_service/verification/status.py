"""The current status of a credential (transcript or diploma) from the register and the ledger.

``valid``; ``superseded`` (a ``corrected`` or ``reissued`` entry amends this credential's entry: which
version replaces it and by which decision); ``revoked`` (a ``revoked`` entry: date and reason);
``not_issued`` (in the register but not issued) — with the credential's ledger entry checked: a valid
RFC 9162 inclusion proof against the latest signed checkpoint, and a salted commitment that opens to the
register's record hash.

Every change of status appends to the ledger and a new checkpoint follows, so the pair (ledger size,
latest checkpoint) stamps the register's state (:func:`register_stamp`): a status computed at the same
stamp is still the answer, and :class:`StatusCache` serves it from memory.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.diplomas.tables import Diploma, DiplomaDecision
from credential_service.ledger.service import LedgerService
from credential_service.ledger.storage import commitment
from credential_service.ledger.tables import LedgerCheckpoint, LedgerEntry
from credential_service.platform.db import Database
from credential_service.platform.errors import Message as SMessage
from credential_service.platform.errors import NotFound
from credential_service.transcripts.tables import Transcript
from credential_service.verification.results import OWN_MESSAGES, CredentialStatus, LedgerCheck
from verifier.checkpoint import open_checkpoint
from verifier.errors import VerifierError
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.report import Message

# The entries that commit to a credential's record; a later revocation entry commits to the decision.
RECORD_ENTRY_KINDS = ("issued", "imported", "corrected", "reissued", "amended", "continued")
# entries that replace the credential they amend: a diploma's correction or reissue, a học bạ's summer amendment,
# and a học bạ's next school year (the level's book continued: transcripts/level_book.py)
SUPERSEDING_KINDS = ("corrected", "reissued", "amended", "continued")
_STATUS_CACHE_SIZE = 10_000

Stamp = tuple[int | None, int | None]
T = TypeVar("T")


def register_stamp(session: Session) -> Stamp:
    """(the last ledger entry, the latest checkpoint's size): changes with every change of status."""
    row = session.execute(
        select(
            select(func.max(LedgerEntry.seq)).scalar_subquery(),
            select(func.max(LedgerCheckpoint.size)).scalar_subquery(),
        )
    ).one()
    return (row[0], row[1])


class StatusCache(Generic[T]):
    """Values (a status, a record) by credential id with the register stamp they were read at; the least recently
    used go first. A hit is a deep copy: callers may change what they get."""

    def __init__(self, size: int = _STATUS_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Stamp, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, credential_id: str, stamp: Stamp) -> T | None:
        with self._lock:
            hit = self._entries.get(credential_id)
            if hit is not None and hit[0] == stamp:
                self._entries.move_to_end(credential_id)
                return copy.deepcopy(hit[1])
        return None

    def put(self, credential_id: str, stamp: Stamp, value: T) -> None:
        with self._lock:
            self._entries[credential_id] = (stamp, copy.deepcopy(value))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def read_credential_status(db: Database, ledger: LedgerService, credential_id: str) -> CredentialStatus:
    """The status as the register and the ledger give it now (not cached)."""
    with db.reader() as session:
        row = session.execute(
            select(
                Transcript.status,
                Transcript.version,
                Transcript.issued_at,
                Transcript.record_sha256,
                Transcript.salt,
            ).where(Transcript.id == credential_id)
        ).first()
        diploma = None
        if row is None:  # not a transcript: perhaps a diploma (văn bằng)
            diploma = session.execute(
                select(Diploma.status, Diploma.version, Diploma.created_at, Diploma.record_sha256, Diploma.salt).where(
                    Diploma.id == credential_id
                )
            ).first()
            row = diploma
        if row is None:
            raise NotFound(
                SMessage(
                    f"Không có học bạ số hay văn bằng mã {credential_id} trong sổ gốc.",
                    f"No transcript or diploma with id {credential_id} is in the register.",
                ),
                credential_id=credential_id,
            )
        register_status, version, issued_at, record_sha256, salt = row
        last_decision = (
            session.execute(
                select(DiplomaDecision)
                .where(DiplomaDecision.diploma_id == credential_id)
                .order_by(DiplomaDecision.ledger_seq.desc())
            )
            .scalars()
            .first()
            if diploma is not None
            else None
        )
        entries = list(
            session.execute(
                select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.leaf)
                .where(LedgerEntry.credential_id == credential_id)
                .order_by(LedgerEntry.seq)
            ).all()
        )
        amendments = (
            list(
                session.execute(
                    select(LedgerEntry.kind, LedgerEntry.credential_id, LedgerEntry.leaf, LedgerEntry.created_at)
                    .where(LedgerEntry.amends_seq.in_([e.seq for e in entries]))
                    .order_by(LedgerEntry.seq)
                ).all()
            )
            if entries
            else []
        )
    st = CredentialStatus(
        id=credential_id,
        status="valid",
        register_status=register_status,
        version=version,
        issued_at=issued_at.isoformat() if issued_at else None,
        record_sha256=record_sha256,
    )
    own_revocations = [e for e in entries if e.kind == "revoked"]
    if own_revocations or any(a.kind == "revoked" for a in amendments):
        leaf = _leaf(
            own_revocations[-1].leaf if own_revocations else next(a.leaf for a in amendments if a.kind == "revoked")
        )
        st.status, st.revoked_at, st.reason = "revoked", leaf.get("time"), leaf.get("reason")
        st.decision = leaf.get("decision")
    elif any(a.kind in SUPERSEDING_KINDS for a in amendments):
        a = [a for a in amendments if a.kind in SUPERSEDING_KINDS][-1]
        leaf = _leaf(a.leaf)
        st.status = "superseded"
        st.superseded_by = leaf.get("replaced_by") or (a.credential_id if a.credential_id != credential_id else None)
        st.decision = leaf.get("decision")
    elif register_status != "issued" or not entries:
        st.status = "not_issued"
    if diploma is not None:
        # A diploma's register row is authoritative for its lifecycle and carries the decision.
        if register_status in ("revoked", "cancelled"):
            st.status = "revoked"
        elif register_status in ("corrected", "reissued"):
            st.status = "superseded"
        elif register_status == "issued" and entries:
            st.status = "valid"
        if last_decision is not None and st.status != "valid":
            st.decision = f"{last_decision.decision_no} ({last_decision.decision_date:%d/%m/%Y})"
            st.reason = last_decision.reason or last_decision.ground
            if st.status == "revoked":
                st.revoked_at = last_decision.decision_date.isoformat()
            if st.status == "superseded":
                st.superseded_by = last_decision.new_diploma_id or st.superseded_by
    if diploma is None and st.status == "superseded" and st.superseded_by:
        # a học bạ's new version says why in its record (transcripts/amendments.py): the decision and reason
        with db.reader() as session:
            newer = session.execute(
                select(Transcript.record_json).where(Transcript.id == st.superseded_by)
            ).scalar_one_or_none()
        newer_record = json.loads(newer) if newer else {}
        amends = newer_record.get("amends") or {}
        st.decision = amends.get("decision") or st.decision
        st.reason = amends.get("reason") or st.reason
        continues = newer_record.get("continues") or {}
        if not amends and continues.get("credential_id") == credential_id:  # the book's next school year
            st.continued_in = str(newer_record.get("school_year") or "")
            st.reason = (
                f"Học bạ được tiếp nối ở năm học {st.continued_in} (phiên bản {newer_record.get('version')}) / "
                f"the book continues in the {st.continued_in} school year (version {newer_record.get('version')})"
            )
    # The entry that commits to this record (issued, imported, corrected or reissued); a later
    # revocation entry commits to the decision, not to the record.
    record_entry = next((e for e in entries if e.kind in RECORD_ENTRY_KINDS), entries[0] if entries else None)
    st.ledger = (
        ledger_check(ledger, credential_id, record_sha256, salt, record_entry.seq)
        if record_entry is not None
        else LedgerCheck(error=Message(*OWN_MESSAGES["NOT_IN_LEDGER"], code="NOT_IN_LEDGER"))
    )
    return st


def ledger_check(ledger: LedgerService, credential_id: str, record_sha256: str, salt: str, seq: int) -> LedgerCheck:
    """Entry ``seq`` is in the latest signed checkpoint and commits to ``record_sha256`` with ``salt``."""
    try:
        proof = ledger.inclusion_proof(seq)
        note = proof.get("checkpoint")
        if not note:
            raise VerifierError("Không có checkpoint đã ký.", "No signed checkpoint.")
        cp = open_checkpoint(note, [ledger.verifier], ledger.origin)
        leaf = base64.b64decode(proof["leaf"])
        verify_inclusion(
            leaf_hash(leaf), proof["index"], cp.size, [bytes.fromhex(h) for h in proof["proof"]], cp.root_hash
        )
        doc = json.loads(leaf)
        if doc.get("credential_id") != credential_id or doc.get("commitment") != commitment(salt, record_sha256):
            raise VerifierError(
                "Mục sổ cái không cam kết đúng bản ghi của học bạ này.",
                "The ledger entry does not commit to this transcript's record.",
            )
    except NotFound as e:
        return LedgerCheck(error=Message(e.message.vi, e.message.en, "NOT_IN_LEDGER"))
    except (VerifierError, ValueError, KeyError) as e:
        vi, en = (e.vi, e.en) if isinstance(e, VerifierError) else (str(e), str(e))
        return LedgerCheck(error=Message(vi, en, "NOT_IN_LEDGER"))
    return LedgerCheck(True, proof["index"], cp.size, cp.root_hash.hex())


def _leaf(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(bytes(raw))
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}
