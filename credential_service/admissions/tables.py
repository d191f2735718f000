"""The admissions tables (SQLAlchemy 2 declarative; migration 0010 makes the schema).

Minimum fields: an applicant row holds the registration number, the personal ID (to read the register and to
log reads in the holder's access log), scores, violation, wishes, priority group and direct-admission category;
no name, birth date or address.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class AdmissionYear(Base):
    """A year's rules as loaded (the TOML text itself, so a run can always be re-checked against it)."""

    __tablename__ = "admission_years"
    year: Mapped[str] = mapped_column(String(16), primary_key=True)
    config_text: Mapped[str] = mapped_column(Text)
    config_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(200))


class AdmissionImport(Base):
    """One accepted workbook: it replaced the year's applicants."""

    __tablename__ = "admission_imports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[str] = mapped_column(ForeignKey("admission_years.year"), index=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    applicants: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(200))


class AdmissionApplicant(Base):
    __tablename__ = "admission_applicants"
    __table_args__ = (
        UniqueConstraint("year", "registration_no", name="uq_admission_applicants_year_sbd"),
        UniqueConstraint("year", "personal_id", name="uq_admission_applicants_year_pin"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[str] = mapped_column(ForeignKey("admission_years.year"), index=True)
    import_id: Mapped[str] = mapped_column(ForeignKey("admission_imports.id"))
    registration_no: Mapped[str] = mapped_column(String(32))
    personal_id: Mapped[str] = mapped_column(String(12))
    scores: Mapped[dict] = mapped_column(JSON)  # {subject: "8.25" | null (absent)}
    violation: Mapped[bool] = mapped_column(Boolean)
    wishes: Mapped[list] = mapped_column(JSON)  # [school code, ...] in order
    priority_group: Mapped[str | None] = mapped_column(String(16), nullable=True)
    direct_category: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AdmissionRun(Base):
    """One allocation: what went in (hashes) and the full result, as computed (the log of the ranking)."""

    __tablename__ = "admission_runs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[str] = mapped_column(ForeignKey("admission_years.year"), index=True)
    config_sha256: Mapped[str] = mapped_column(String(64))
    input_sha256: Mapped[str] = mapped_column(String(64))
    output_sha256: Mapped[str] = mapped_column(String(64))
    output: Mapped[str] = mapped_column(Text)  # the allocation's canonical JSON (result_json)
    applicants: Mapped[int] = mapped_column(Integer)
    admitted: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ran_by: Mapped[str] = mapped_column(String(200))


class AdmissionAppeal(Base):
    """One appeal (phúc khảo) decided: the applicant's scores before and after, who changed them and why, and the
    runs before and after. Written in the same transaction as the new run and its signed diff."""

    __tablename__ = "admission_appeals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[str] = mapped_column(ForeignKey("admission_years.year"), index=True)
    registration_no: Mapped[str] = mapped_column(String(32))
    scores_before: Mapped[dict] = mapped_column(JSON)  # only the subjects changed: {subject: "8.25" | null}
    scores_after: Mapped[dict] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    run_before: Mapped[str] = mapped_column(ForeignKey("admission_runs.id"))
    run_after: Mapped[str] = mapped_column(ForeignKey("admission_runs.id"))


class AdmissionPublication(Base):
    """A signed, ledgered document published from a run: the results list, or an appeal's diff of who moved."""

    __tablename__ = "admission_publications"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[str] = mapped_column(ForeignKey("admission_years.year"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # "results" | "appeal-diff"
    run_id: Mapped[str] = mapped_column(ForeignKey("admission_runs.id"), index=True)
    previous_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    appeal_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    document_id: Mapped[str] = mapped_column(String(36))  # signed_documents.document_id
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(200))
