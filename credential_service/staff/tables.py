"""The staff tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class School(Base):
    __tablename__ = "schools"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100), nullable=True)  # xã/phường after the 2025 merger


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
    role: Mapped[str] = mapped_column(String(24))  # staff/roles.py:Role
    school_id: Mapped[str | None] = mapped_column(ForeignKey("schools.id"), nullable=True)  # None: Sở/commune
    commune: Mapped[str | None] = mapped_column(String(100), nullable=True)  # a commune officer's commune
    class_id: Mapped[str | None] = mapped_column(ForeignKey("classes.id"), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class StaffAccount(Base):
    """A person's sign-in: a local account (argon2id password + TOTP) or an OIDC subject of the city SSO."""

    __tablename__ = "staff_accounts"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a code is accepted once
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # active | disabled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffSession(Base):
    """A signed-in browser session; only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # absolute limit
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    method: Mapped[str] = mapped_column(String(16))  # password+totp | oidc


class ServiceToken(Base):
    """A scoped, expiring bearer token for a script (batch import, the admissions feed)."""

    __tablename__ = "staff_service_tokens"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[list] = mapped_column(JSON)  # policy names the token may use
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SigningConfirmation(Base):
    """The signer's own fresh confirmation (a second factor) for one signing batch; used once."""

    __tablename__ = "signing_confirmations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))  # e.g. sign:class:<id>:principal
    totp_step: Mapped[int] = mapped_column(Integer)  # the code's 30-s step: one confirmation per code and purpose
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Approval(Base):
    """Four eyes for what cannot be undone: a maker proposes, a different checker approves, then it runs."""

    __tablename__ = "approvals"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON)
    school_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    maker_account_id: Mapped[str] = mapped_column(ForeignKey("staff_accounts.id"))
    maker: Mapped[str] = mapped_column(String(200))
    checker_account_id: Mapped[str | None] = mapped_column(ForeignKey("staff_accounts.id"), nullable=True)
    checker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | done | rejected | failed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
