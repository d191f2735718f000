"""Appending to the ledger (``ledger_entries``) inside the caller's transaction.

Sequence numbers are dense (0, 1, 2, ...). Concurrent appenders serialise: on PostgreSQL by
locking the table for writes until commit, on SQLite by the write lock every transaction
takes at BEGIN (see ``engine.py``). The leaf never holds personal data: it commits to the
canonical record with a private salt.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import rfc8785
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from credential_service.adapters.db.tables import LedgerEntry
from verifier.merkle import leaf_hash

LEAF_VERSION = 1
ENTRY_KINDS = ("issued", "corrected", "revoked", "reissued", "imported", "key-rotated")


@dataclass(frozen=True)
class LeafEvent:
    kind: str
    credential_id: str
    record_sha256: str
    salt: str
    pdf_sha256: str | None
    register_no: str | None
    amends_seq: int | None
    time: datetime


def commitment(salt_hex: str, record_sha256_hex: str) -> str:
    """Salted commitment to the record: hides the record, the holder's copy (with salt) opens it."""
    return hashlib.sha256(
        b"sogoc/commit/v1\x00" + bytes.fromhex(salt_hex) + bytes.fromhex(record_sha256_hex)
    ).hexdigest()


def encode_leaf(event: LeafEvent) -> bytes:
    """Versioned canonical leaf encoding (RFC 8785 JSON, version field first by sort order)."""
    if event.kind not in ENTRY_KINDS:
        raise ValueError(f"unknown ledger entry kind {event.kind!r}")
    return rfc8785.dumps(
        {
            "v": LEAF_VERSION,
            "kind": event.kind,
            "credential_id": event.credential_id,
            "commitment": commitment(event.salt, event.record_sha256),
            "pdf_sha256": event.pdf_sha256,
            "register_no": event.register_no,
            "amends": event.amends_seq,
            "time": event.time.isoformat(timespec="seconds"),
        }
    )


def _lock_for_append(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"))


def append(session: Session, event: LeafEvent) -> LedgerEntry:
    """Append one entry in the caller's transaction and return it (with its sequence number)."""
    return append_many(session, [event])[0]


def append_many(session: Session, events: list[LeafEvent]) -> list[LedgerEntry]:
    _lock_for_append(session)
    size = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
    entries = []
    for offset, event in enumerate(events):
        leaf = encode_leaf(event)
        entries.append(
            LedgerEntry(
                seq=size + offset,
                kind=event.kind,
                credential_id=event.credential_id,
                leaf=leaf,
                leaf_hash=leaf_hash(leaf),
                amends_seq=event.amends_seq,
                created_at=event.time,
            )
        )
    session.add_all(entries)
    session.flush()
    return entries
