"""Response models of the employers' public endpoints (for OpenAPI; the JSON is unchanged)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ReceiptKeysOut(BaseModel):
    """The receipt signing keys as a JWK Set (``/.well-known/sogoc-receipt-keys.json``)."""

    model_config = ConfigDict(extra="allow")

    keys: list[dict[str, Any]] = Field(description="JWKs (kty OKP, crv Ed25519, kid, x, …)")
