"""Response models of the public verification API (what the routes return today, for OpenAPI).

Every model allows extra members: the payloads are built by ``to_dict()`` methods and the models
describe them without filtering (the routes serialise with ``response_model_exclude_unset``, so the
JSON is exactly what ``to_dict()`` returns).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class MessageOut(Open):
    """A message for people: Vietnamese and English, with an optional machine code."""

    vi: str
    en: str
    code: str | None = None


class CheckOut(Open):
    name: str = Field(examples=["signature", "ledger", "status", "qr"])
    indication: str = Field(examples=["PASSED", "FAILED", "INDETERMINATE"])
    sub_indication: str | None = None
    message: MessageOut
    detail: str | None = None


class LedgerCheckOut(Open):
    included: bool
    index: int | None = None
    checkpoint_size: int | None = None
    root_hash: str | None = Field(None, description="hex")
    error: MessageOut | None = None


class CredentialStatusOut(Open):
    """The current status of a credential in the register and its inclusion in the ledger."""

    id: str
    status: str = Field(examples=["valid", "superseded", "revoked", "not_issued"])
    status_label: MessageOut
    register_status: str | None = None
    version: int | None = None
    issued_at: str | None = None
    record_sha256: str | None = None
    superseded_by: str | None = None
    decision: str | None = None
    revoked_at: str | None = None
    reason: str | None = None
    ledger: LedgerCheckOut


class PdfVerificationOut(Open):
    """The result of verifying an uploaded PDF: signatures, the embedded record, status and ledger."""

    indication: str = Field(examples=["PASSED", "FAILED", "INDETERMINATE"])
    sub_indication: str | None = None
    message: MessageOut
    pdf: dict[str, Any] = Field(description="the signature verdict alone (indication, sub_indication, message)")
    document: Any = None
    pades_level: Any = None
    signatures: list[dict[str, Any]] = Field(default_factory=list)
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    checks: list[CheckOut] = Field(default_factory=list)
    credential: CredentialStatusOut | None = None
    qr: dict[str, Any] | None = None
    identical_to_issued: bool | None = None


class QrVerificationOut(Open):
    """The result of checking a scanned QR code, with the credential's current status."""

    indication: str = Field(examples=["PASSED", "FAILED", "INDETERMINATE"])
    sub_indication: str | None = None
    message: MessageOut
    claims: dict[str, Any] | None = None
    kid: str | None = None
    alg: str | None = None
    key_issuer: str | None = None
    url_credential_id: str | None = None
    checks: list[dict[str, Any]] = Field(default_factory=list)
    matches: bool | None = None
    detail: str | None = None
    credential: CredentialStatusOut | None = None


class QrKeyOut(Open):
    kid: str = Field(description="hex")
    alg: str
    public_key: str = Field(description="base64 SubjectPublicKeyInfo (DER)")
    not_before: str | None = None
    not_after: str | None = None
    status: str
    issuer: str | None = None
    revoked_at: str | None = None


class KeyListOut(Open):
    """The published list of QR signing keys (``/.well-known/sogoc-keys.json``)."""

    format: str
    issuer: str | None = None
    keys: list[QrKeyOut]
