"""The public ledger (sổ gốc số): the service over checkpoints, proofs, entries, witness cosignatures, audit.

The ledger is a RFC 6962 Merkle tree over ``ledger_entries`` (see
:mod:`credential_service.ledger.storage`), published as C2SP tlog-checkpoint signed notes with
an Ed25519 log key (:mod:`~credential_service.ledger.checkpoints`). Proofs and entry pages are read by
:mod:`~credential_service.ledger.proofs`; the log keys and their history are in
:mod:`~credential_service.ledger.log_keys`.

:meth:`LedgerService.audit` (:mod:`~credential_service.ledger.audit`) recomputes everything from the rows
and compares it with what was stored and published; it names the first position where they part ways.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.ledger import checkpoints, proofs
from credential_service.ledger import storage as ledger
from credential_service.ledger.audit import AuditReport, audit_ledger
from credential_service.ledger.checkpoints import CheckpointPublisher, CheckpointView, checkpoint_view
from credential_service.ledger.log_keys import load_log_signer, log_verifiers, parse_witness_vkeys
from credential_service.ledger.tables import LedgerCheckpoint, LedgerEntry
from credential_service.platform.clock import Clock, SystemClock, as_utc
from credential_service.platform.db import Database
from credential_service.platform.errors import Message, NotFound
from credential_service.platform.settings import Settings
from verifier.checkpoint import Ed25519CosignatureVerifier
from verifier.note import Ed25519Signer, Ed25519Verifier


@lru_cache(maxsize=8)
def _publisher(key_path: str, origin: str) -> CheckpointPublisher:
    return CheckpointPublisher(load_log_signer(Path(key_path)), origin)


def publish_in_transaction(session: Session, settings: Settings, *, at: datetime) -> LedgerCheckpoint:
    """Publish a checkpoint in the caller's transaction (used right after a sealing batch is appended);
    ``at`` is the caller's clock's now."""
    return _publisher(str(settings.ledger_key_path), settings.ledger_origin).publish_in(session, at=at)


class LedgerService:
    def __init__(
        self,
        db: Database,
        signer: Ed25519Signer,
        origin: str,
        witnesses: Sequence[Ed25519CosignatureVerifier] = (),
        key_history: Sequence[tuple[Ed25519Verifier, datetime | None, datetime | None]] = (),
        *,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.origin = origin
        self.clock = clock or SystemClock()
        self.publisher = CheckpointPublisher(signer, origin)
        self.witnesses = list(witnesses)
        # Every log key with its validity (after rotations); empty: the current key only.
        self.key_history = list(key_history)

    @classmethod
    def from_settings(cls, db: Database, settings: Settings, *, clock: Clock | None = None) -> LedgerService:
        return cls(
            db,
            load_log_signer(settings.ledger_key_path),
            settings.ledger_origin,
            parse_witness_vkeys(settings.ledger_witness_vkeys),
            key_history=log_verifiers(settings),
            clock=clock,
        )

    def verifiers_at(self, made: datetime) -> list[Ed25519Verifier]:
        """The log key(s) that were valid when a checkpoint was made (rotation times kept to the second)."""
        if not self.key_history:
            return [self.verifier]
        made = as_utc(made)
        return [
            v
            for v, not_before, not_after in self.key_history
            if (not_before is None or not_before <= made)
            and (not_after is None or made < not_after + timedelta(seconds=1))
        ]

    @property
    def verifier(self) -> Ed25519Verifier:
        return self.publisher.signer.verifier()

    @property
    def vkey(self) -> str:
        """The log's public verifier key (C2SP signed-note vkey)."""
        return self.publisher.signer.vkey

    # -- checkpoints
    def publish(self) -> CheckpointView:
        with self.db.transaction() as session:
            row = self.publisher.publish_in(session, at=self.clock.now())
            return checkpoint_view(session, self.origin, row)

    def latest_checkpoint(self) -> CheckpointView:
        with self.db.reader() as session:
            row = checkpoints.latest_checkpoint_row(session)
            if row is None:
                raise NotFound(
                    Message("Sổ cái chưa công bố checkpoint nào.", "The ledger has not published a checkpoint yet."),
                    hint=Message("Người vận hành: `sogoc ledger publish`.", "Operator: run `sogoc ledger publish`."),
                )
            return checkpoint_view(session, self.origin, row)

    def checkpoint(self, size: int) -> CheckpointView:
        with self.db.reader() as session:
            return checkpoint_view(session, self.origin, checkpoints.checkpoint_row(session, size))

    def count_checkpoints(self) -> int:
        with self.db.reader() as session:
            return int(session.execute(select(func.count()).select_from(LedgerCheckpoint)).scalar_one())

    # -- proofs and entries
    def size(self) -> int:
        with self.db.reader() as session:
            return ledger.tree_size(session)

    def record_entries_by_credential(self, kinds: Sequence[str]) -> dict[str, int]:
        """How many entries of ``kinds`` (the kinds that record a credential) the ledger holds per credential id
        (the Sở's reconciliation of the register with the ledger, ``reporting/ledger_reconciliation.py``)."""
        with self.db.reader() as session:
            rows = session.execute(
                select(LedgerEntry.credential_id, func.count())
                .where(LedgerEntry.kind.in_(list(kinds)))
                .group_by(LedgerEntry.credential_id)
            )
            return {credential_id: int(n) for credential_id, n in rows}

    def inclusion_proof(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """Inclusion proof of entry ``seq`` in the tree of ``size`` (default: the latest checkpoint)."""
        with self.db.reader() as session:
            return proofs.inclusion_proof(session, self.origin, seq, size)

    def credential_inclusion_proof(self, credential_id: str, size: int | None = None) -> dict[str, Any]:
        """Inclusion proof of the latest entry for ``credential_id`` within the tree of ``size``."""
        with self.db.reader() as session:
            return proofs.credential_inclusion_proof(session, self.origin, credential_id, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        with self.db.reader() as session:
            return proofs.consistency_proof(session, self.origin, old_size, new_size)

    def entries(self, start: int = 0, limit: int = 100) -> dict[str, Any]:
        proofs.check_page(start, limit)
        with self.db.reader() as session:
            return proofs.entries_page(session, start, limit)

    # -- witnesses
    def add_cosignature(self, size: int, line: str) -> CheckpointView:
        """Accept a witness's cosignature line for the checkpoint at ``size``; stored and served with it."""
        with self.db.transaction() as session:
            row = checkpoints.add_cosignature(session, self.witnesses, size, line, clock=self.clock)
            return checkpoint_view(session, self.origin, row)

    # -- audit
    def audit(self) -> AuditReport:
        """Recompute the tree from the rows; check stored nodes, checkpoints, their consistency, cosignatures."""
        started = time.perf_counter()
        with self.db.reader() as session:
            report = audit_ledger(session, origin=self.origin, verifiers_at=self.verifiers_at, witnesses=self.witnesses)
        report.seconds = time.perf_counter() - started
        return report
