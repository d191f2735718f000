"""Canonical JSON (RFC 8785 JCS) and SHA-256: what every record, ledger leaf and receipt is hashed over."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical bytes of a JSON document."""
    return rfc8785.dumps(dict(document))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
