"""The staff tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    Date,
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base


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
