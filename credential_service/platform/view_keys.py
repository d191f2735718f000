"""The secret that shows a credential's details on the public verify page.

Whoever holds the document holds the secret: it is in the QR code's address and printed under it. With it,
``/v/<id>?k=<secret>`` shows the name, birth date and results to compare with the paper; without it the page
shows the status alone, so credential ids read from the public ledger reveal nobody's personal data.
The secret is an HMAC of the credential id under a server key; nothing is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

KEY_LENGTH = 16  # base32 characters: 80 bits


def view_secret(holder_secret: str | None, receipt_key_path: Path | None) -> bytes:
    """The server key: from the configured secret, or derived from the receipt signing key."""
    if holder_secret:
        return hashlib.sha256(b"sogoc-view-key/1\0" + holder_secret.encode()).digest()
    if receipt_key_path is None or not receipt_key_path.exists():
        return hashlib.sha256(b"sogoc-view-key/1\0unconfigured").digest()
    return hashlib.sha256(b"sogoc-view-key/1\0" + receipt_key_path.read_bytes()).digest()


def view_key(secret: bytes, credential_id: str) -> str:
    mac = hmac.new(secret, b"view\0" + credential_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(mac).decode().lower()[:KEY_LENGTH]


def holds_document(secret: bytes, credential_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(view_key(secret, credential_id), (presented or "").lower())


def key_in_url(url: str) -> str | None:
    """The view key carried in a verify address (``…/v/<id>?k=<key>#…``), to print under the QR."""
    values = parse_qs(urlsplit(url).query).get("k")
    return values[0] if values else None
