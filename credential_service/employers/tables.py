"""The employers tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class Organisation(Base):
    """A third party (employer, school) that verifies credentials shared with it."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_code: Mapped[str] = mapped_column(String(20), unique=True)  # mã số thuế, canonical (tax_codes.py)
    contact_email: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # pending | active | suspended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The Sở's approval (the organisation's keys are refused before it, outside the demo).
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class ApiKey(Base):
    """An organisation's API key: ``<prefix>.<secret>``; only the SHA-256 of the whole key is stored."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list] = mapped_column(JSON)  # ["verify", "verify:batch"]
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    rotated_from_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
