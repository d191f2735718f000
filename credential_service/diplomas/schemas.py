"""Response models of the public diploma checks (what the routes return today, for OpenAPI).

The models allow extra members and the routes serialise with ``response_model_exclude_unset``, so
the JSON is exactly what the service returns (a non-match is only ``{"match": false}``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PublicCheckOut(Open):
    """The answer to a paper-diploma check: a match and its status, or only ``match: false``."""

    match: bool
    status: str | None = Field(None, examples=["issued", "revoked", "cancelled", "superseded"])
    status_vi: str | None = None
    status_en: str | None = None
    issuer: str | None = None
    type: str | None = None
    year: int | None = None


class DisclosureOut(Open):
    """One diploma in the public disclosure of a school and year (birth date masked)."""

    full_name: str
    birth_year: str | int | None = None
    sex: str | None = None
    school: str | None = None
    graduation_year: int | None = None
    type: str | None = None
    register_no: str | None = None
    serial_no: str | None = None
    issued_on: str | None = None
    status: str
    version: int | None = None


class RevocationOut(Open):
    """One published revocation or cancellation decision."""

    kind: str
    decision_no: str | None = None
    decision_date: str | None = None
    ground: str | None = None
    ground_vi: str | None = None
    reason: str | None = None
    full_name: str | None = None
    register_no: str | None = None
    serial_no: str | None = None
    issuer: str | None = None
    credential_id: str
