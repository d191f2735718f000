"""Build the signed offline QR payload (``HB1:``) of a transcript: CBOR → COSE_Sign1 → zlib → Base45.

The format (claims, header, key ids) is defined, and decoded, in :mod:`verifier.qr_codec`;
this module holds the private half: the QR signing key and :func:`build_payload`.

Size. The payload must fit in ``verifier.qr_codec.MAX_PAYLOAD_CHARS`` (350) characters so that the
whole ``https://<host>/v/<id>#HB1:…`` stays at QR version 13, error level M (see
``credential_service.platform.qr_code``). An Ed25519 signature (64 bytes), the record's SHA-256 (32),
the credential id (16) and the key id (8) take ~190 Base45 characters; the text fields share the
rest. A typical transcript needs ~330 characters. When a long school name does not fit, it is
shortened with a trailing ``…`` (first dropping the leading "Trường "), and the verifier matches it
as a prefix; the student's name is never shortened — a payload that cannot fit with the school
name cut to 12 characters raises :class:`PayloadTooLarge`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.qr_codec import (
    ALG_EDDSA,
    ELLIPSIS,
    MAX_PAYLOAD_CHARS,
    QrClaims,
    claims_from_record,
    encode_cose_sign1,
    kid_for_public_key,
    protected_header,
    sig_structure,
    wrap,
)

__all__ = [
    "PayloadTooLarge",
    "QrSigningKey",
    "build_payload",
    "claims_from_record",
    "generate_qr_key",
    "load_qr_signing_key",
    "payload_for_record",
]

MIN_SCHOOL_CHARS = 12


class PayloadTooLarge(ValueError):
    """The payload cannot be made to fit the QR budget."""


@dataclass(frozen=True)
class QrSigningKey:
    """An Ed25519 QR signing key and its key id (first 8 bytes of SHA-256 of the public SPKI)."""

    private_key: Ed25519PrivateKey
    kid: bytes

    @classmethod
    def from_private_key(cls, key: Ed25519PrivateKey) -> QrSigningKey:
        return cls(key, kid_for_public_key(key.public_key()))

    @classmethod
    def from_pem(cls, pem: bytes) -> QrSigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the QR signing key must be an Ed25519 private key (PKCS#8 PEM)")
        return cls.from_private_key(key)

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def generate_qr_key() -> tuple[QrSigningKey, bytes]:
    """A new key and its PKCS#8 PEM."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return QrSigningKey.from_private_key(key), pem


@lru_cache(maxsize=4)
def load_qr_signing_key(path: str | Path) -> QrSigningKey:
    """Read a PKCS#8 PEM Ed25519 key once per process (and per path)."""
    return QrSigningKey.from_pem(Path(path).read_bytes())


def _sign(claims: QrClaims, key: QrSigningKey) -> str:
    protected = protected_header(ALG_EDDSA, key.kid)
    payload = bytes(cbor2.dumps(claims.to_cbor_items()))
    signature = key.private_key.sign(sig_structure(protected, payload))
    return wrap(encode_cose_sign1(protected, payload, signature))


def _shorter_schools(school: str) -> list[str]:
    out = []
    base = school[len("Trường ") :] if school.startswith("Trường ") else school
    if base != school:
        out.append(base)
    for n in range(len(base) - 1, MIN_SCHOOL_CHARS - 1, -1):
        cut = base[:n].rstrip()
        if cut:
            out.append(cut + ELLIPSIS)
    return out


def build_payload(claims: QrClaims, key: QrSigningKey, *, max_chars: int = MAX_PAYLOAD_CHARS) -> str:
    """``HB1:`` + Base45 of the signed claims, at most ``max_chars`` characters."""
    text = _sign(claims, key)
    if len(text) <= max_chars:
        return text
    for school in _shorter_schools(claims.school):
        text = _sign(replace(claims, school=school), key)
        if len(text) <= max_chars:
            return text
    raise PayloadTooLarge(f"QR payload needs {len(text)} characters even with the school name shortened")


def payload_for_record(
    record: Mapping[str, Any], record_sha256: str, key: QrSigningKey, *, issued_at: datetime | None = None
) -> str:
    """The payload printed on a ``hocba/1`` record's transcript (deterministic: Ed25519, issue date)."""
    return build_payload(claims_from_record(record, record_sha256, issued_at=issued_at), key)
