"""The published list of QR signing keys (``/.well-known/sogoc-keys.json``, format ``sogoc-qr-keys/1``).

Each :class:`QrKey` maps a ``kid`` to a public key, its algorithm, the period in which it may sign
and a status (``active``, ``retired``, ``revoked``); :meth:`QrKey.verify` checks a COSE_Sign1
signature. How a key's period and status decide a verdict is in :func:`verifier.qr.verify_qr`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.qr_codec import KEY_LIST_FORMAT, QrPayloadError, kid_for_public_key, sig_structure

__all__ = ["QrKey", "QrKeyList"]


# --------------------------------------------------------------------------------------------------
# key list


def _parse_time(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise QrPayloadError(f"Danh sách khóa: {what} không hợp lệ.", f"Key list: invalid {what}.", code="qr_key_list")
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as e:
        raise QrPayloadError(
            f"Danh sách khóa: {what} không hợp lệ.", f"Key list: invalid {what}.", code="qr_key_list"
        ) from e
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z") if t else None


@dataclass(frozen=True)
class QrKey:
    """One published QR signing key."""

    kid: bytes
    alg: Literal["EdDSA", "ES256"]
    public_key: Any  # Ed25519PublicKey | EllipticCurvePublicKey
    not_before: datetime | None = None
    not_after: datetime | None = None
    status: Literal["active", "retired", "revoked"] = "active"
    issuer: str = ""
    revoked_at: datetime | None = None

    @classmethod
    def from_public_key(
        cls,
        public_key: Any,
        *,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        issuer: str = "",
        status: Literal["active", "retired", "revoked"] = "active",
    ) -> QrKey:
        alg: Literal["EdDSA", "ES256"] = "EdDSA" if isinstance(public_key, Ed25519PublicKey) else "ES256"
        return cls(kid_for_public_key(public_key), alg, public_key, not_before, not_after, status, issuer)

    def to_dict(self) -> dict[str, Any]:
        spki = self.public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        out: dict[str, Any] = {
            "kid": self.kid.hex(),
            "alg": self.alg,
            "public_key": base64.b64encode(spki).decode("ascii"),
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "status": self.status,
            "issuer": self.issuer,
        }
        if self.revoked_at:
            out["revoked_at"] = _iso(self.revoked_at)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> QrKey:
        def bad(what: str) -> QrPayloadError:
            return QrPayloadError(
                f"Danh sách khóa: mục khóa không hợp lệ ({what}).",
                f"Key list: invalid key entry ({what}).",
                code="qr_key_list",
            )

        try:
            spki = base64.b64decode(str(d["public_key"]), validate=True)
            public_key = serialization.load_der_public_key(spki)
        except (KeyError, ValueError, TypeError) as e:
            raise bad("public_key") from e
        alg = d.get("alg")
        if alg == "EdDSA" and not isinstance(public_key, Ed25519PublicKey):
            raise bad("alg EdDSA needs an Ed25519 key")
        if alg == "ES256" and not (
            isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1"
        ):
            raise bad("alg ES256 needs a P-256 key")
        if alg not in ("EdDSA", "ES256"):
            raise bad(f"alg {alg!r}")
        kid = kid_for_public_key(public_key)  # type: ignore[arg-type]
        if str(d.get("kid", "")).lower() != kid.hex():
            raise bad("kid does not match the public key")
        status = d.get("status", "active")
        if status not in ("active", "retired", "revoked"):
            raise bad(f"status {status!r}")
        return cls(
            kid=kid,
            alg=alg,
            public_key=public_key,
            not_before=_parse_time(d.get("not_before"), "not_before"),
            not_after=_parse_time(d.get("not_after"), "not_after"),
            status=status,
            issuer=str(d.get("issuer", "")),
            revoked_at=_parse_time(d.get("revoked_at"), "revoked_at"),
        )

    def verify(self, protected: bytes, payload: bytes, signature: bytes) -> bool:
        message = sig_structure(protected, payload)
        try:
            if self.alg == "EdDSA":
                self.public_key.verify(signature, message)
            else:
                if len(signature) != 64:
                    return False
                der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
                self.public_key.verify(der, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class QrKeyList:
    """The published list of QR signing keys (``sogoc-qr-keys/1``)."""

    keys: tuple[QrKey, ...]
    issuer: str = ""

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> QrKeyList:
        try:
            doc = json.loads(data) if isinstance(data, str | bytes) else data
        except ValueError as e:
            raise QrPayloadError(
                "Danh sách khóa không phải JSON hợp lệ.", "The key list is not valid JSON.", code="qr_key_list"
            ) from e
        if (
            not isinstance(doc, Mapping)
            or doc.get("format") != KEY_LIST_FORMAT
            or not isinstance(doc.get("keys"), list)
        ):
            raise QrPayloadError(
                f"Danh sách khóa không đúng định dạng {KEY_LIST_FORMAT}.",
                f"The key list is not in the {KEY_LIST_FORMAT} format.",
                code="qr_key_list",
            )
        return cls(tuple(QrKey.from_dict(k) for k in doc["keys"]), str(doc.get("issuer", "")))

    @classmethod
    def load(cls, path: str | Path) -> QrKeyList:
        return cls.from_json(Path(path).read_bytes())

    def to_dict(self) -> dict[str, Any]:
        return {"format": KEY_LIST_FORMAT, "issuer": self.issuer, "keys": [k.to_dict() for k in self.keys]}

    def find(self, kid: bytes) -> list[QrKey]:
        return [k for k in self.keys if k.kid == kid]
