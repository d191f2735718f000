"""The messages of external signing and their JSON form (format ``sogoc-external-signing/1``).

:class:`SigningRequest` goes to the sign agent, :class:`SigningResponse` comes back, and
:class:`PendingSignature` is the server-side state between the two (see :mod:`signing.external`
for the steps and the persisted layout). Binary values are base64, times ISO 8601.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Self

from asn1crypto import x509

__all__ = ["FORMAT", "Kind", "PendingSignature", "SigningRequest", "SigningResponse", "cert_sha256"]

FORMAT = "sogoc-external-signing/1"
Kind = Literal["certify", "approve"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _time(value: str) -> datetime:
    t = datetime.fromisoformat(value)
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def cert_sha256(cert: x509.Certificate | bytes) -> str:
    der = cert if isinstance(cert, bytes) else cert.dump()
    return hashlib.sha256(der).hexdigest()


class _JsonForm:
    """``to_json``/``from_json`` for the objects that cross the wire or are persisted, via their dicts."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        raise NotImplementedError

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class SigningRequest(_JsonForm):
    """What the agent needs to sign: handed out to the client (no document inside)."""

    request_id: str
    document_id: str
    revision_sha256: str  # hex SHA-256 of the PDF revision the signature is added to
    field: str
    digest_algorithm: str  # "sha256"
    signature_algorithm: str  # pyHanko/asn1crypto mechanism name, e.g. "sha256_rsa"
    digest: bytes  # SHA-256 of signed_attributes: the value the key signs
    signed_attributes: bytes  # DER, so the agent can check the digest and show what it signs
    certificate_sha256: str  # the certificate whose key must sign
    nonce: str
    created_at: datetime
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "request_id": self.request_id,
            "document_id": self.document_id,
            "revision_sha256": self.revision_sha256,
            "field": self.field,
            "digest_algorithm": self.digest_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "digest": _b64(self.digest),
            "signed_attributes": _b64(self.signed_attributes),
            "certificate_sha256": self.certificate_sha256,
            "nonce": self.nonce,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SigningRequest:
        return cls(
            request_id=str(d["request_id"]),
            document_id=str(d["document_id"]),
            revision_sha256=str(d["revision_sha256"]),
            field=str(d["field"]),
            digest_algorithm=str(d["digest_algorithm"]),
            signature_algorithm=str(d["signature_algorithm"]),
            digest=_unb64(d["digest"]),
            signed_attributes=_unb64(d["signed_attributes"]),
            certificate_sha256=str(d["certificate_sha256"]),
            nonce=str(d["nonce"]),
            created_at=_time(d["created_at"]),
            expires_at=_time(d["expires_at"]),
        )


@dataclass(frozen=True)
class SigningResponse(_JsonForm):
    """What the agent returns."""

    request_id: str
    nonce: str
    digest: bytes  # the digest the agent signed (echo)
    certificate: bytes  # DER of the certificate whose key signed
    signature: bytes  # raw signature value (RSA PKCS#1 v1.5, or DER ECDSA)
    signed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "request_id": self.request_id,
            "nonce": self.nonce,
            "digest": _b64(self.digest),
            "certificate": _b64(self.certificate),
            "signature": _b64(self.signature),
            "signed_at": self.signed_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SigningResponse:
        return cls(
            request_id=str(d["request_id"]),
            nonce=str(d["nonce"]),
            digest=_unb64(d["digest"]),
            certificate=_unb64(d["certificate"]),
            signature=_unb64(d["signature"]),
            signed_at=_time(d["signed_at"]),
        )


@dataclass(frozen=True)
class PendingSignature(_JsonForm):
    """Server-side state between prepare and complete (serialise with :meth:`to_json`)."""

    kind: Kind
    request: SigningRequest
    prepared_pdf: bytes
    reserved_region_start: int
    reserved_region_end: int
    document_digest: bytes
    signing_cert: bytes
    chain: tuple[bytes, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "request": self.request.to_dict(),
            "prepared_pdf": _b64(self.prepared_pdf),
            "reserved_region": [self.reserved_region_start, self.reserved_region_end],
            "document_digest": _b64(self.document_digest),
            "signing_cert": _b64(self.signing_cert),
            "chain": [_b64(c) for c in self.chain],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PendingSignature:
        if d.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} object: {d.get('format')!r}")
        kind = d["kind"]
        if kind not in ("certify", "approve"):
            raise ValueError(f"unknown kind {kind!r}")
        start, end = d["reserved_region"]
        return cls(
            kind=kind,
            request=SigningRequest.from_dict(d["request"]),
            prepared_pdf=_unb64(d["prepared_pdf"]),
            reserved_region_start=int(start),
            reserved_region_end=int(end),
            document_digest=_unb64(d["document_digest"]),
            signing_cert=_unb64(d["signing_cert"]),
            chain=tuple(_unb64(c) for c in d.get("chain", [])),
        )
