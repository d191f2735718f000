"""The relational schema (SQLAlchemy 2 declarative).

Alembic migrations in ``migrations/`` are the only way this schema is created; these classes
describe it for the ORM and must stay in step with the migrations (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class School(Base):
    __tablename__ = "schools"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(100))


class Staff(Base):
    """A staff member or an organisation seal that can sign (issue 5 grows this into a registry)."""

    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # person | seal
    key_label: Mapped[str] = mapped_column(String(64))  # which key/certificate the signer uses


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    role: Mapped[str] = mapped_column(String(16))  # gvcn | principal | seal
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    class_id: Mapped[str | None] = mapped_column(ForeignKey("classes.id"), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "school_year", "name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    school_year: Mapped[str] = mapped_column(String(9))  # "2025-2026"
    name: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="draft")


class Student(Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("school_id", "student_code"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    student_code: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    place_of_birth: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ethnicity: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_id: Mapped[str | None] = mapped_column(String(12), nullable=True)


class YearResult(Base):
    __tablename__ = "year_results"
    __table_args__ = (UniqueConstraint("student_id", "class_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"))
    data: Mapped[dict] = mapped_column(JSON)  # canonical YearInput JSON
    evaluation: Mapped[dict] = mapped_column(JSON)  # explain_year output (results + trace)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("class_id", "source_sha256"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"))
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    student_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Transcript(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("student_id", "class_id", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the credential id printed in the QR
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(24))
    record_json: Mapped[str] = mapped_column(Text)  # RFC 8785 canonical JSON
    record_sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))  # private; opens the ledger commitment
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SigningEvent(Base):
    __tablename__ = "signing_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcripts.id"))
    step: Mapped[str] = mapped_column(String(16))  # gvcn | principal | seal
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    certificate_serial: Mapped[str] = mapped_column(String(64))
    certificate_subject: Mapped[str] = mapped_column(String(400))
    checks: Mapped[dict] = mapped_column(JSON)
    pdf_sha256_before: Mapped[str] = mapped_column(String(64))
    pdf_sha256_after: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerEntry(Base):
    """Append-only: UPDATE and DELETE are refused by database triggers (see migrations)."""

    __tablename__ = "ledger_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[str] = mapped_column(String(36), index=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)  # versioned canonical leaf encoding
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)  # RFC 6962 leaf hash
    amends_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
