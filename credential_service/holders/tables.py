"""The holders tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

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


class Person(Base):
    """A natural person: an internal id; identifiers (which change) live in ``person_identifiers``."""

    __tablename__ = "persons"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    moet_id: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)  # mã định danh CSDL ngành
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersonIdentifier(Base):
    """One identifier a person has had: a 12-digit PIN, an old 9-digit CMND or a passport."""

    __tablename__ = "person_identifiers"
    __table_args__ = (UniqueConstraint("person_id", "kind", "value"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # pin | cmnd9 | passport
    value: Mapped[str] = mapped_column(String(20), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StudentPerson(Base):
    """Links a student record (one school's) to the person."""

    __tablename__ = "student_persons"
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # school_record | registry_match | manual
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiplomaPerson(Base):
    """Links a diploma (any version) to its holder."""

    __tablename__ = "diploma_persons"
    diploma_id: Mapped[str] = mapped_column(ForeignKey("diplomas.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RegistryCitizen(Base):
    """DEV ONLY: the synthetic population registry the dev adapter answers from."""

    __tablename__ = "registry_citizens"
    pin: Mapped[str] = mapped_column(String(12), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    alive: Mapped[int] = mapped_column(Integer, default=1)


class PersonRegistryCheck(Base):
    """The latest check of a person against the national population database (``registry_checks.py``): the
    outcome and the names of the fields that disagreed, never the registry's values. One row per person."""

    __tablename__ = "person_registry_checks"
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)  # match | mismatch | not_found
    mismatched_fields: Mapped[list] = mapped_column(JSON)  # e.g. ["date_of_birth"]
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    checked_by: Mapped[str] = mapped_column(String(100))


class HolderAccount(Base):
    """A holder's sign-in: a local account (argon2 password) or, later, an OIDC subject (VNeID)."""

    __tablename__ = "holder_accounts"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)  # argon2id; None until activated
    status: Mapped[str] = mapped_column(String(16))  # pending | active | disabled
    activation_code_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)  # argon2id, one-time
    activation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    activation_issued_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class HolderSession(Base):
    """A signed-in browser session; only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "holder_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("holder_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsentGrant(Base):
    """A holder's consent to share credentials (PDPL 91/2025 Art. 9): scope, recipient, purpose, expiry,
    uses; the share code is stored as its SHA-256 only. For a minor, a guardian's confirmation."""

    __tablename__ = "consent_grants"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("holder_accounts.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hint: Mapped[str] = mapped_column(String(8))  # last characters, to recognise it in a list
    scope: Mapped[str] = mapped_column(String(24))  # status | diploma_fields | full_transcript
    recipient_org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    minor: Mapped[int] = mapped_column(Integer, default=0)
    guardian_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    guardian_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    guardian_relation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    guardian_confirmed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    consent_text: Mapped[str] = mapped_column(Text)  # the printable consent as shown to the holder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentGrantCredential(Base):
    __tablename__ = "consent_grant_credentials"
    grant_id: Mapped[str] = mapped_column(ForeignKey("consent_grants.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    credential_kind: Mapped[str] = mapped_column(String(16))  # transcript | diploma


class AccessLogEntry(Base):
    """Append-only (database triggers): who saw which credential, for what, which fields, the result."""

    __tablename__ = "access_log"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    grant_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    credential_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    event: Mapped[str] = mapped_column(String(24))  # verify | share_code_use | copy | extract | download | ...
    actor_kind: Mapped[str] = mapped_column(String(16))  # employer | holder | guardian | staff | public
    organisation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    api_key_prefix: Mapped[str | None] = mapped_column(String(24), nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(255), nullable=True)
    fields: Mapped[list] = mapped_column(JSON)
    result: Mapped[str] = mapped_column(String(24))
    client_hash: Mapped[str | None] = mapped_column(String(32), nullable=True)
    receipt_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
