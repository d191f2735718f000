"""Response models of the public ledger API (what the routes return today, for OpenAPI).

Hashes are hex, leaf bytes base64, times ISO 8601. The models allow extra members and the routes
serialise with ``response_model_exclude_unset``, so the JSON is exactly what the service returns.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class CosignatureOut(Open):
    name: str
    key_id: str = Field(description="8 hex digits")
    timestamp: int
    line: str = Field(description="the tlog-cosignature line of the signed note")


class CheckpointOut(Open):
    """A published checkpoint and its witnesses' cosignatures."""

    origin: str
    size: int
    root_hash: str = Field(description="hex")
    note: str = Field(description="the C2SP signed note with the cosignature lines")
    cosignatures: list[CosignatureOut]
    created_at: str


class InclusionProofOut(Open):
    """RFC 9162 inclusion proof of one entry in the tree of ``size``."""

    type: str = Field(examples=["inclusion"])
    origin: str
    index: int
    size: int
    kind: str
    credential_id: str | None = None
    leaf: str = Field(description="base64")
    leaf_hash: str = Field(description="hex")
    proof: list[str] = Field(description="hex hashes")
    root_hash: str = Field(description="hex")
    checkpoint: str | None = Field(None, description="the signed note of that size, if published")
    credential_entries: list[int] | None = Field(None, description="every entry of the credential (by credential)")


class ConsistencyProofOut(Open):
    """RFC 9162 consistency proof between two tree sizes."""

    type: str = Field(examples=["consistency"])
    origin: str
    old_size: int
    new_size: int
    proof: list[str] = Field(description="hex hashes")
    old_root_hash: str = Field(description="hex")
    new_root_hash: str = Field(description="hex")
    old_checkpoint: str | None = None
    checkpoint: str | None = None


class EntryOut(Open):
    seq: int
    kind: str
    credential_id: str | None = None
    amends_seq: int | None = None
    leaf: str = Field(description="base64")
    leaf_hash: str = Field(description="hex")
    created_at: str


class EntriesOut(Open):
    start: int
    size: int
    entries: list[EntryOut]
    next: int | None = None
