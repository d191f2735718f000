"""Response models of the signers' public endpoints (for OpenAPI; the JSON is unchanged)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TrustListOut(BaseModel):
    """The trust list as JSON (``/.well-known/sogoc-trust-list.json``) and the signed note it came from."""

    model_config = ConfigDict(extra="allow")

    list: dict[str, Any] = Field(description="the trust list (first line of the signed note)")
    note: str = Field(description="the C2SP signed note; verify it with the ledger key")
