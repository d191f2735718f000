"""The signers tables (SQLAlchemy 2 declarative; Alembic migrations make the schema)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.db import Base, UTCDateTime


class SignerCertificate(Base):
    """A certificate registered for a staff member or seal (imported from a CA, or issued by the dev CA)."""

    __tablename__ = "signer_certificates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    key_label: Mapped[str] = mapped_column(String(128))  # file label, pkcs11:<token>/<label> or devca:<label>
    backend: Mapped[str] = mapped_column(String(16))  # file | pkcs11 | devca
    source: Mapped[str] = mapped_column(String(16))  # imported | dev-ca
    serial_hex: Mapped[str] = mapped_column(String(64), index=True)
    issuer: Mapped[str] = mapped_column(String(400))
    subject: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # active | superseded | revoked
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    compromised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    replaced_by_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SigningAudit(Base):
    """One row per document per signing attempt: who, what, which certificate and backend, outcome."""

    __tablename__ = "signing_audit"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    operation: Mapped[str] = mapped_column(String(24))  # transcript-step | document | reseal
    staff_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    actor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    client: Mapped[str | None] = mapped_column(String(200), nullable=True)
    document_kind: Mapped[str] = mapped_column(String(24))  # transcript | grade-book | decision | report | other
    document_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step: Mapped[str | None] = mapped_column(String(16), nullable=True)
    certificate_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    certificate_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    backend: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # signed | refused | failed
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    checks: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class KeyCompromise(Base):
    """A signing key declared compromised as of a time, and what was re-sealed because of it."""

    __tablename__ = "key_compromises"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    certificate_sha256: Mapped[str] = mapped_column(String(64), index=True)
    certificate_serial: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(400))
    compromised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declared_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    affected: Mapped[list] = mapped_column(JSON)  # [{kind, document_id, revision, signed_at}]
    resealed: Mapped[list] = mapped_column(JSON)  # [{kind, document_id, revision, ledger_seq}]


class ExternalSigningRequest(Base):
    """One document's pending external signature: the state kept between prepare and complete.

    Rows of one prepare call share ``batch_id`` (one class, one step). The unique ``request_id`` and
    ``consumed_at`` (set once, in the transaction that writes the signed PDF) are the replay guard.
    """

    __tablename__ = "external_signing_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"), index=True)
    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcripts.id"))
    step: Mapped[str] = mapped_column(String(16))  # gvcn | principal
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    revision_sha256: Mapped[str] = mapped_column(String(64))  # the PDF revision the signature is added to
    pending_json: Mapped[str] = mapped_column(Text)  # signing.external.PendingSignature.to_json(); "" once consumed
    checks: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # certificate check at prepare time
    client: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
