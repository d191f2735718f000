"""The diplomas tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class GraduationDecision(Base):
    """A graduation-recognition decision (quyết định công nhận tốt nghiệp) and its list of graduates."""

    __tablename__ = "graduation_decisions"
    __table_args__ = (UniqueConstraint("issuer_key", "decision_no"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_key: Mapped[str] = mapped_column(String(64))  # the school code (or the Sở) that numbers the register
    school_id: Mapped[str | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    decision_no: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    diploma_type: Mapped[str] = mapped_column(String(8))
    graduation_year: Mapped[int] = mapped_column(Integer)
    exam_session: Mapped[str | None] = mapped_column(String(64), nullable=True)
    training_mode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    graduates: Mapped[list] = mapped_column(JSON)  # [{full_name, date_of_birth, sex, ...}] as decided
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegisterCounter(Base):
    """Last register number used per issuer, diploma type and calendar year (gap-free numbering)."""

    __tablename__ = "register_counters"
    issuer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    diploma_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)


class RegisterBook(Base):
    """One digitised paper register book (one imported file)."""

    __tablename__ = "register_books"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    book_code: Mapped[str] = mapped_column(String(64), unique=True)
    issuer_key: Mapped[str] = mapped_column(String(64))
    issuer_name: Mapped[str] = mapped_column(String(200))
    diploma_type: Mapped[str] = mapped_column(String(8))
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    row_count: Mapped[int] = mapped_column(Integer)
    imported_count: Mapped[int] = mapped_column(Integer)
    queued_count: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Diploma(Base):
    """One version of a diploma in the register; versions link through ``replaces_id``/``replaced_by_id``."""

    __tablename__ = "diplomas"
    __table_args__ = (
        UniqueConstraint("issuer_key", "register_no", "version"),
        UniqueConstraint("graduation_decision_id", "graduate_index", "version"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the credential id
    diploma_type: Mapped[str] = mapped_column(String(8))
    form: Mapped[str] = mapped_column(String(8))  # digital | paper
    origin: Mapped[str] = mapped_column(String(16))  # issued | legacy
    assurance: Mapped[str] = mapped_column(String(32))  # digital_original | digitized_from_paper
    issuer_key: Mapped[str] = mapped_column(String(64), index=True)
    issuer_role: Mapped[str] = mapped_column(String(16))
    issuer_name: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[str | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    school_name: Mapped[str] = mapped_column(String(200))
    graduation_decision_id: Mapped[str | None] = mapped_column(ForeignKey("graduation_decisions.id"), nullable=True)
    graduate_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decision_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    graduation_year: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))  # as written
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # core.diplomas.name_key
    date_of_birth: Mapped[date] = mapped_column(Date)
    place_of_birth: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sex: Mapped[str] = mapped_column(String(8))
    ethnicity: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_id: Mapped[str | None] = mapped_column(String(12), nullable=True)
    classification: Mapped[str | None] = mapped_column(String(32), nullable=True)
    serial_no: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    register_no: Mapped[str] = mapped_column(String(64), index=True)
    register_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    register_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # issued | corrected | reissued | revoked | cancelled
    replaces_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    replaced_by_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    record_json: Mapped[str] = mapped_column(Text)
    record_sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    book_id: Mapped[str | None] = mapped_column(ForeignKey("register_books.id"), nullable=True)
    book_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    book_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scan_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiplomaDecision(Base):
    """A correction, revocation, cancellation or reissue decision on a diploma (append-only in use)."""

    __tablename__ = "diploma_decisions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # correction | revocation | cancellation | reissue
    diploma_id: Mapped[str] = mapped_column(ForeignKey("diplomas.id"), index=True)
    new_diploma_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    decision_no: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200))
    ground: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(32), nullable=True)
    old_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    new_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    evidence: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    return_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    ledger_seq: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiplomaCopy(Base):
    """A copy or extract given from the register (bản sao từ sổ gốc): who, in what capacity, why, what."""

    __tablename__ = "diploma_copies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    diploma_id: Mapped[str] = mapped_column(ForeignKey("diplomas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # copy | extract
    requester_name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(32))  # holder | representative | relative | authorised
    purpose: Mapped[str] = mapped_column(String(255))
    given_by: Mapped[str] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReconciliationItem(Base):
    """A row of a paper register that conflicts with another book (đối soát), waiting for a clerk."""

    __tablename__ = "reconciliation_items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    book_id: Mapped[str] = mapped_column(ForeignKey("register_books.id"), index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # duplicate_serial | duplicate_register_no | same_person
    row: Mapped[dict] = mapped_column(JSON)
    conflicting_diploma_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # open | accepted | rejected
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    diploma_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublicCheckLog(Base):
    """One public paper-diploma check: a keyed hash of the client, what kind of query, the outcome."""

    __tablename__ = "public_check_log"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    query_kind: Mapped[str] = mapped_column(String(16))  # serial | register_no
    outcome: Mapped[str] = mapped_column(String(16))  # match | no_match | limited
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
