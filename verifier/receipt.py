"""Signed verification receipts: check one offline, with nothing but the published key list.

When an employer verifies a share code, the Sổ Gốc Số answers with the granted fields and a
*receipt*: a JWS (RFC 7515) in compact serialisation, signed with EdDSA over Ed25519 (RFC 8037),
header ``{"alg": "EdDSA", "typ": "sogoc-receipt+jws", "kid": <key id>}``. The payload (JSON) says
who asked (organisation, tax code), when, for what purpose, what the register answered (status,
ledger inclusion) and the exact data returned — so the receipt can be archived and checked years
later by anyone, without contacting the service.

The key list is a JWK Set (RFC 7517) served at ``/.well-known/sogoc-receipt-keys.json``: OKP/Ed25519
keys with ``kid`` = first 8 bytes (hex) of SHA-256 of the public key's DER SubjectPublicKeyInfo
(the same rule as the QR keys), plus ``nbf``/``exp`` (seconds) bounding when the key may sign and an
optional ``status: "revoked"``.

Usage::

    from verifier.receipt import ReceiptKeys, verify_answer, verify_receipt
    claims = verify_receipt(token, ReceiptKeys.load("sogoc-receipt-keys.json"))
    # or a whole answer of the employer API (one code, or a batch): one check per receipt
    checks = verify_answer(json.load(open("answer.json")), ReceiptKeys.load("sogoc-receipt-keys.json"))

This module does not import the service and uses no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verifier.errors import VerifierError

__all__ = [
    "RECEIPT_FORMAT",
    "RECEIPT_TYP",
    "ReceiptCheck",
    "ReceiptError",
    "ReceiptKey",
    "ReceiptKeys",
    "b64url",
    "data_digest",
    "kid_of",
    "sign_receipt",
    "verify_answer",
    "verify_receipt",
]

RECEIPT_TYP = "sogoc-receipt+jws"
RECEIPT_FORMAT = "sogoc-verification-receipt/1"
MAX_TOKEN_CHARS = 256 * 1024


class ReceiptError(VerifierError):
    code = "receipt_invalid"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise ReceiptError("Biên nhận có phần không phải base64url.", "A receipt part is not base64url.")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kid_of(public_key: Ed25519PublicKey) -> str:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8].hex()


def canonical(obj: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 (enough for the digest of plain JSON data)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def data_digest(data: Any) -> str:
    """SHA-256 (hex) of the returned data in canonical form; the receipt carries it next to the data."""
    return hashlib.sha256(canonical(data)).hexdigest()


@dataclass(frozen=True)
class ReceiptKey:
    kid: str
    public_key: Ed25519PublicKey
    not_before: int | None = None
    not_after: int | None = None
    status: str = "active"

    def to_jwk(self) -> dict[str, Any]:
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": self.kid, "use": "sig",
                               "alg": "EdDSA", "status": self.status}  # fmt: skip
        if self.not_before is not None:
            jwk["nbf"] = self.not_before
        if self.not_after is not None:
            jwk["exp"] = self.not_after
        return jwk

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> ReceiptKey:
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise ReceiptError("Khóa không phải Ed25519 (OKP).", "The key is not an Ed25519 (OKP) key.")
        try:
            public_key = Ed25519PublicKey.from_public_bytes(_unb64url(str(jwk.get("x", ""))))
        except ValueError as e:
            raise ReceiptError("Khóa công khai không hợp lệ.", "Invalid public key.") from e
        kid = kid_of(public_key)
        if str(jwk.get("kid", "")) != kid:
            raise ReceiptError("kid không khớp với khóa công khai.", "The kid does not match the public key.")
        return cls(kid, public_key, jwk.get("nbf"), jwk.get("exp"), str(jwk.get("status", "active")))


@dataclass(frozen=True)
class ReceiptKeys:
    keys: tuple[ReceiptKey, ...]

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> ReceiptKeys:
        try:
            doc = json.loads(data) if isinstance(data, str | bytes) else data
        except ValueError as e:
            raise ReceiptError("Danh sách khóa không phải JSON.", "The key list is not JSON.") from e
        if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
            raise ReceiptError("Danh sách khóa không phải JWK Set.", "The key list is not a JWK Set.")
        return cls(tuple(ReceiptKey.from_jwk(k) for k in doc["keys"]))

    @classmethod
    def load(cls, path: str | Path) -> ReceiptKeys:
        return cls.from_json(Path(path).read_bytes())

    def to_dict(self) -> dict[str, Any]:
        return {"keys": [k.to_jwk() for k in self.keys]}

    def find(self, kid: str) -> ReceiptKey | None:
        return next((k for k in self.keys if k.kid == kid), None)


def sign_receipt(claims: Mapping[str, Any], private_key: Ed25519PrivateKey) -> str:
    """Compact JWS of ``claims`` (the service's side; here so that both halves share one definition)."""
    header = {"alg": "EdDSA", "typ": RECEIPT_TYP, "kid": kid_of(private_key.public_key())}
    signing_input = b64url(canonical(header)) + "." + b64url(canonical(dict(claims)))
    return signing_input + "." + b64url(private_key.sign(signing_input.encode("ascii")))


def verify_receipt(token: str, keys: ReceiptKeys) -> dict[str, Any]:
    """Verify a receipt against the key list; returns its claims, raises :class:`ReceiptError`.

    Checks: three base64url parts; header ``alg`` EdDSA and ``typ``; ``kid`` in the list and not
    revoked; the Ed25519 signature; ``format``; ``iat`` within the key's ``nbf``/``exp``; the data
    digest (``data_sha256``) equals the returned ``data``."""
    token = token.strip()
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise ReceiptError("Không phải biên nhận JWS (3 phần).", "Not a compact JWS receipt (3 parts).")
    h64, p64, s64 = token.split(".")
    try:
        header = json.loads(_unb64url(h64))
        claims = json.loads(_unb64url(p64))
    except ValueError as e:
        raise ReceiptError("Biên nhận không đọc được (JSON).", "The receipt cannot be read (JSON).") from e
    if not isinstance(header, dict) or header.get("alg") != "EdDSA" or header.get("typ") != RECEIPT_TYP:
        raise ReceiptError("Tiêu đề biên nhận không hợp lệ (alg/typ).", "Invalid receipt header (alg/typ).")
    key = keys.find(str(header.get("kid", "")))
    if key is None:
        raise ReceiptError(
            "Khóa ký biên nhận không có trong danh sách khóa; hãy cập nhật danh sách.",
            "The receipt's signing key is not in your key list; update the list.",
            code="receipt_unknown_key",
        )
    if key.status == "revoked":
        raise ReceiptError("Khóa ký biên nhận đã bị thu hồi.", "The receipt signing key was revoked.",
                           code="receipt_key_revoked")  # fmt: skip
    try:
        key.public_key.verify(_unb64url(s64), f"{h64}.{p64}".encode("ascii"))
    except InvalidSignature as e:
        raise ReceiptError(
            "Chữ ký biên nhận không đúng: biên nhận đã bị sửa hoặc bị làm giả.",
            "The receipt signature does not verify: it was altered or forged.",
            code="receipt_signature",
        ) from e
    if not isinstance(claims, dict) or claims.get("format") != RECEIPT_FORMAT:
        raise ReceiptError("Không phải biên nhận xác minh Sổ Gốc Số.", "Not a Sổ Gốc Số verification receipt.")
    iat = claims.get("iat")
    if (
        not isinstance(iat, int)
        or (key.not_before is not None and iat < key.not_before)
        or (key.not_after is not None and iat > key.not_after)
    ):
        raise ReceiptError("Thời điểm ký nằm ngoài thời hạn của khóa.", "Signed outside the key's validity period.",
                           code="receipt_key_period")  # fmt: skip
    if "data" in claims and claims.get("data_sha256") != data_digest(claims["data"]):
        raise ReceiptError(
            "Dữ liệu trong biên nhận không khớp mã băm.", "The receipt's data does not match its digest."
        )
    return claims


@dataclass(frozen=True)
class ReceiptCheck:
    """The check of one receipt in an answer. ``index`` is the position in a batch answer (``None``
    for a single answer or a bare JWS); ``error`` is ``None`` when the receipt verified."""

    index: int | None
    receipt_id: str | None
    claims: Mapping[str, Any] | None
    error: ReceiptError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _check_item(index: int | None, item: Mapping[str, Any], keys: ReceiptKeys) -> ReceiptCheck:
    receipt_id = item.get("receipt_id")
    rid = receipt_id if isinstance(receipt_id, str) else None
    token = item.get("receipt")
    if not isinstance(token, str):
        err = ReceiptError("Kết quả “ok” nhưng không có biên nhận.", "An “ok” result without a receipt.",
                           code="receipt_missing")  # fmt: skip
        return ReceiptCheck(index, rid, None, err)
    try:
        claims = verify_receipt(token, keys)
    except ReceiptError as e:
        return ReceiptCheck(index, rid, None, e)
    if rid is not None and claims.get("jti") != rid:
        err = ReceiptError("Mã biên nhận trong câu trả lời khác mã trong biên nhận.",
                           "The answer's receipt_id differs from the receipt's own id.",
                           code="receipt_id_mismatch")  # fmt: skip
        return ReceiptCheck(index, rid, claims, err)
    if "credentials" in item and claims.get("data") != item["credentials"]:
        err = ReceiptError("Dữ liệu trong câu trả lời khác dữ liệu biên nhận đã ký.",
                           "The answer's data differs from the data the receipt signs.",
                           code="receipt_data_mismatch")  # fmt: skip
        return ReceiptCheck(index, rid, claims, err)
    return ReceiptCheck(index, rid if rid is not None else str(claims.get("jti")), claims, None)


def verify_answer(answer: str | Mapping[str, Any], keys: ReceiptKeys) -> list[ReceiptCheck]:
    """Check every receipt in an answer of the employer API and never stop at the first failure.

    ``answer`` is a bare compact JWS, the answer to one code (``{"receipt": …, "credentials": …}``)
    or a batch answer (``{"results": [{"index": 0, "result": "ok", "receipt": …}, …]}``). In a batch,
    results other than ``ok`` (unknown, expired … codes) carry no receipt and are not checked. Beyond
    :func:`verify_receipt`, the answer's ``receipt_id`` and ``credentials`` must be the ones the receipt
    signs. Raises :class:`ReceiptError` only when ``answer`` is none of these shapes."""
    if isinstance(answer, str):
        return [_check_item(None, {"receipt": answer}, keys)]
    if isinstance(answer, Mapping) and "receipt" in answer:
        return [_check_item(None, answer, keys)]
    results = answer.get("results") if isinstance(answer, Mapping) else None
    if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
        raise ReceiptError(
            "Không phải câu trả lời xác minh (thiếu “receipt” hoặc “results”).",
            "Not a verification answer (no “receipt” or “results”).",
            code="receipt_answer_shape",
        )
    checks = []
    for position, item in enumerate(results):
        if item.get("result") != "ok" and "receipt" not in item:
            continue
        index = item.get("index", position)
        checks.append(_check_item(index if isinstance(index, int) else position, item, keys))
    return checks
