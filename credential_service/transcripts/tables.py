"""The transcripts tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

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


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "school_year", "name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    school_year: Mapped[str] = mapped_column(String(9))  # "2025-2026"
    name: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="draft")
    # GDPT (general education) or GDTX (continuing education, THPT; Circular 12/2022): migration 0016
    programme: Mapped[str] = mapped_column(String(8), default="GDPT", server_default="GDPT")


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
    # the paper học bạ's other fields (record.STUDENT_DETAIL_KEYS), only those given; None when none
    details: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class YearResult(Base):
    __tablename__ = "year_results"
    __table_args__ = (UniqueConstraint("student_id", "class_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"), index=True)  # migration 0015
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Transcript(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("student_id", "class_id", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the credential id printed in the QR
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"), index=True)  # migration 0015
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(24))
    record_json: Mapped[str] = mapped_column(Text)  # RFC 8785 canonical JSON
    record_sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))  # private; opens the ledger commitment
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SigningEvent(Base):
    __tablename__ = "signing_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcripts.id"), index=True)  # migration 0015
    step: Mapped[str] = mapped_column(String(16))  # gvcn | principal | seal
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    certificate_serial: Mapped[str] = mapped_column(String(64))
    certificate_subject: Mapped[str] = mapped_column(String(400))
    checks: Mapped[dict] = mapped_column(JSON)
    pdf_sha256_before: Mapped[str] = mapped_column(String(64))
    pdf_sha256_after: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
