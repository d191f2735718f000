"""The ledger tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class LedgerEntry(Base):
    """Append-only: UPDATE and DELETE are refused by database triggers (see migrations)."""

    __tablename__ = "ledger_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[str] = mapped_column(String(36), index=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)  # versioned canonical leaf encoding
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)  # RFC 6962 leaf hash
    amends_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerNode(Base):
    """Hash of the complete subtree of ``2**level`` ledger leaves starting at leaf ``idx * 2**level``.

    Level 0 is the leaf hash itself. Written in the transaction that appends the leaves that complete
    the subtree; append-only (database triggers). Proofs read O(log n) of these rows.
    """

    __tablename__ = "ledger_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    """A signed C2SP tlog-checkpoint of the ledger at ``size`` (append-only, one per size)."""

    __tablename__ = "ledger_checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note_text: Mapped[str] = mapped_column(Text)  # the signed note exactly as published
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LedgerCosignature(Base):
    """A witness's C2SP tlog-cosignature line on a checkpoint (append-only, one per witness key)."""

    __tablename__ = "ledger_cosignatures"
    checkpoint_size: Mapped[int] = mapped_column(
        ForeignKey("ledger_checkpoints.size"), primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    signature_line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ServiceKey(Base):
    """A service key (QR payload key, ledger log key) with its validity; rotations are ledgered."""

    __tablename__ = "service_keys"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<purpose>:<kid>"
    purpose: Mapped[str] = mapped_column(String(8))  # qr | log
    kid: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(Text)  # qr: base64 SPKI; log: C2SP vkey
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # active | retired | revoked
    record_json: Mapped[str] = mapped_column(Text)  # the rotation record the ledger entry commits to
    salt: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
