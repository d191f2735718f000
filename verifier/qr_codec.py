"""The ``HB1:`` QR payload format: the printed claims, COSE_Sign1, zlib and Base45, both ways.

The format is described in :mod:`verifier.qr` (which verifies payloads and re-exports these names).
:mod:`signing.qr_payload` builds payloads with the encoding half; :func:`decode_payload` reads one
back without checking the signature. The key list is in :mod:`verifier.qr_keys`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verifier.errors import VerifierError

__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "ALG_NAMES",
    "COSE_SIGN1_TAG",
    "ELLIPSIS",
    "KEY_LIST_FORMAT",
    "LEVEL_CODES",
    "MAX_DECOMPRESSED",
    "MAX_PAYLOAD_CHARS",
    "MAX_TEXT_CHARS",
    "PREFIX",
    "DecodedPayload",
    "QrClaims",
    "QrPayloadError",
    "claims_from_record",
    "decode_payload",
    "encode_cose_sign1",
    "extract_payload",
    "kid_for_public_key",
    "nfc",
    "protected_header",
    "sig_structure",
    "url_credential_id",
    "wrap",
]

PREFIX = "HB1:"
ALG_EDDSA = -8
ALG_ES256 = -7
ALG_NAMES = {ALG_EDDSA: "EdDSA", ALG_ES256: "ES256"}
COSE_SIGN1_TAG = 18
KEY_LIST_FORMAT = "sogoc-qr-keys/1"
MAX_PAYLOAD_CHARS = 350
"""Budget for ``HB1:`` + Base45: with a verify URL of up to ~90 characters the QR stays at version 13, ECC M."""
MAX_TEXT_CHARS = 4096
MAX_DECOMPRESSED = 8192

# Circular 22 levels for the year's learning result and conduct, one byte each in the payload.
LEVEL_CODES: dict[int, str] = {1: "Tốt", 2: "Khá", 3: "Đạt", 4: "Chưa đạt"}
_LEVEL_OF: dict[str, int] = {v: k for k, v in LEVEL_CODES.items()}
ELLIPSIS = "…"
_INT_MIN, _INT_MAX = -(2**64), 2**64 - 1
"""The integers CBOR encodes without a bignum tag (major types 0 and 1)."""


class QrPayloadError(VerifierError):
    """The text is not a well-formed ``HB1:`` payload (or the key list is malformed)."""

    code = "qr_payload_invalid"


def _bad(vi: str, en: str, code: str | None = None) -> QrPayloadError:
    return QrPayloadError("Mã QR không hợp lệ: " + vi, "Invalid QR payload: " + en, code=code)


# --------------------------------------------------------------------------------------------------
# claims


def nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


@dataclass(frozen=True)
class QrClaims:
    """What the paper prints, in the payload: compare these with the paper in front of you.

    ``school`` may be shortened with a trailing ``…`` when the full name does not fit the QR budget.
    """

    issued_at: datetime
    credential_id: str
    version: int
    full_name: str
    date_of_birth: str  # ISO 8601 date
    school: str
    class_name: str
    school_year: str  # "2025-2026"
    learning_result: str | None
    conduct: str | None
    record_sha256: str  # hex

    # Array positions, fixed by the HB1 format.
    def to_cbor_items(self) -> list[Any]:
        import uuid

        dob = date.fromisoformat(self.date_of_birth)
        start_year = int(self.school_year.split("-", 1)[0])
        return [
            int(self.issued_at.timestamp()),
            uuid.UUID(self.credential_id).bytes,
            self.version,
            nfc(self.full_name),
            dob.year * 10000 + dob.month * 100 + dob.day,
            nfc(self.school),
            nfc(self.class_name),
            start_year,
            _level_item(self.learning_result),
            _level_item(self.conduct),
            bytes.fromhex(self.record_sha256),
        ]

    @classmethod
    def from_cbor_items(cls, items: Any) -> QrClaims:
        import uuid

        if not isinstance(items, list | tuple) or len(items) != 11:
            raise _bad("nội dung không phải mảng 11 phần tử", "the claims are not an array of 11 items")
        iat, cid, version, name, dob, school, klass, start_year, learning, conduct, digest = items
        ints = (iat, version, dob, start_year)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in ints):
            raise _bad("trường số không hợp lệ", "a numeric claim is not an integer")
        if any(not _INT_MIN <= v <= _INT_MAX for v in ints):  # a CBOR bignum: unbounded digits
            raise _bad("trường số quá lớn", "a numeric claim does not fit in 64 bits")
        if not all(isinstance(v, str) for v in (name, school, klass)):
            raise _bad("trường chữ không hợp lệ", "a text claim is not a string")
        if not (isinstance(cid, bytes) and len(cid) == 16 and isinstance(digest, bytes) and len(digest) == 32):
            raise _bad("mã văn bằng hoặc mã băm không đúng độ dài", "credential id or hash has the wrong length")
        try:
            born = date(dob // 10000, dob // 100 % 100, dob % 100)
            issued = datetime.fromtimestamp(iat, UTC)
        except (ValueError, OverflowError, OSError) as e:
            raise _bad("ngày không hợp lệ", f"invalid date ({e})") from e
        return cls(
            issued_at=issued,
            credential_id=str(uuid.UUID(bytes=cid)),
            version=version,
            full_name=name,
            date_of_birth=born.isoformat(),
            school=school,
            class_name=klass,
            school_year=f"{start_year}-{start_year + 1}",
            learning_result=_level_value(learning),
            conduct=_level_value(conduct),
            record_sha256=digest.hex(),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "issued_at": self.issued_at.isoformat().replace("+00:00", "Z"),
            "credential_id": self.credential_id,
            "version": self.version,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth,
            "school": self.school,
            "class": self.class_name,
            "school_year": self.school_year,
            "learning_result": self.learning_result,
            "conduct": self.conduct,
            "record_sha256": self.record_sha256,
        }


def _level_item(value: str | None) -> int | str | None:
    if value is None:
        return None
    return _LEVEL_OF.get(nfc(value), nfc(value))


def _level_value(item: Any) -> str | None:
    if item is None:
        return None
    if isinstance(item, int) and not isinstance(item, bool):
        if item not in LEVEL_CODES:
            raise _bad(f"mã xếp loại {item} không xác định", f"unknown level code {item}")
        return LEVEL_CODES[item]
    if isinstance(item, str):
        return item
    raise _bad("xếp loại không hợp lệ", "a level claim is neither a code nor a string")


def claims_from_record(record: Mapping[str, Any], record_sha256: str, *, issued_at: datetime | None = None) -> QrClaims:
    """The printed fields of a ``hocba/1`` record. The issue time defaults to the record's issue date, 00:00 UTC."""
    student = record["student"]
    results = record.get("results") or {}
    learning = results.get("learning_result") or {}
    conduct = results.get("conduct") or {}
    if issued_at is None:
        day = date.fromisoformat(str(record["issued_at"])[:10])
        issued_at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return QrClaims(
        issued_at=issued_at,
        credential_id=str(record["credential_id"]),
        version=int(record["version"]),
        full_name=nfc(str(student["full_name"])),
        date_of_birth=str(student["date_of_birth"]),
        school=nfc(str(record["school"]["name"])),
        class_name=nfc(str(record["class"]["name"])),
        school_year=str(record["school_year"]),
        learning_result=learning.get("after_reassessment") or learning.get("year"),
        # The year's final level: after re-assessment / summer training when there was one (TT22 Art. 13-14).
        # Records before issue #14's fix named the summer key "after_summer_training"; both are read.
        conduct=conduct.get("after_summer") or conduct.get("after_summer_training") or conduct.get("year"),
        record_sha256=record_sha256,
    )


# --------------------------------------------------------------------------------------------------
# COSE_Sign1 pieces shared with the signer (signing.qr_payload)


def kid_for_public_key(public_key: Ed25519PublicKey | ec.EllipticCurvePublicKey) -> bytes:
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:8]


def protected_header(alg: int, kid: bytes) -> bytes:
    import cbor2

    return bytes(cbor2.dumps({1: alg, 4: kid}))


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The COSE ``Sig_structure`` for COSE_Sign1 with no external AAD (RFC 9052 §4.4)."""
    import cbor2

    return bytes(cbor2.dumps(["Signature1", protected, b"", payload]))


def encode_cose_sign1(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    import cbor2

    return bytes(cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature])))


def wrap(cose: bytes) -> str:
    """zlib when it helps, then Base45, then the prefix."""
    import base45

    squeezed = zlib.compress(cose, 9)
    body = squeezed if len(squeezed) < len(cose) else cose
    return PREFIX + base45.b45encode(body).decode("ascii")


# --------------------------------------------------------------------------------------------------
# decoding


_URL_PAYLOAD = re.compile(r"#(HB\d+:.*)$", re.S)


def extract_payload(text: str) -> str:
    """The ``HB1:…`` part of what a QR holds: the whole text, or the ``#`` fragment of the verify URL."""
    text = text.strip()
    if text.startswith(PREFIX):
        return text
    m = _URL_PAYLOAD.search(text)
    if m:
        return m.group(1)
    raise _bad(
        "không có phần ký ngoại tuyến (HB1:) trong mã",
        "no offline payload (HB1:) in the code",
        code="qr_no_payload",
    )


def url_credential_id(text: str) -> str | None:
    m = re.search(r"/v/([0-9a-fA-F-]{36})(?:[#?]|$)", text.strip())
    return m.group(1).lower() if m else None


@dataclass(frozen=True)
class DecodedPayload:
    alg: int
    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes
    claims: QrClaims


def decode_payload(text: str) -> DecodedPayload:
    """Decode an ``HB1:`` payload (or a verify URL holding one) without checking the signature."""
    import base45
    import cbor2

    if not isinstance(text, str) or len(text) > MAX_TEXT_CHARS:
        raise _bad("mã quá dài hoặc không phải văn bản", "the code is too long or not text")
    payload_text = extract_payload(text)
    if not payload_text.startswith(PREFIX):
        raise _bad("phiên bản định dạng không được hỗ trợ", "unsupported format version", code="qr_version")
    body = payload_text[len(PREFIX) :]
    raw: bytes | None = None
    for candidate in (body, unquote(body)) if "%" in body else (body,):
        try:
            raw = base45.b45decode(candidate)
            break
        except (ValueError, KeyError, TypeError):
            continue
    if raw is None:
        raise _bad("không giải mã được Base45", "not valid Base45")
    if raw[:1] == b"\x78":
        d = zlib.decompressobj()
        try:
            raw = d.decompress(raw, MAX_DECOMPRESSED)
        except zlib.error as e:
            raise _bad("dữ liệu nén hỏng", f"corrupt zlib data ({e})") from e
        if d.unconsumed_tail:
            raise _bad("dữ liệu giải nén quá lớn", "decompressed data too large")
    try:
        obj = cbor2.loads(raw, max_depth=8)
    except Exception as e:  # cbor2 raises several types on garbage
        raise _bad("không đọc được CBOR", f"not CBOR ({type(e).__name__})") from e
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise _bad("không phải COSE_Sign1", "not a COSE_Sign1 structure")
        obj = obj.value
    if not (isinstance(obj, list | tuple) and len(obj) == 4):
        raise _bad("không phải COSE_Sign1", "not a COSE_Sign1 structure")
    protected, _unprotected, payload, signature = obj
    if not all(isinstance(v, bytes) for v in (protected, payload, signature)):
        raise _bad("cấu trúc COSE_Sign1 sai kiểu", "COSE_Sign1 members have the wrong types")
    try:
        header = cbor2.loads(protected, max_depth=2) if protected else {}
        items = cbor2.loads(payload, max_depth=3)
    except Exception as e:
        raise _bad("không đọc được phần đầu hoặc nội dung", f"unreadable header or payload ({type(e).__name__})") from e
    if not isinstance(header, Mapping):
        raise _bad("phần đầu được bảo vệ không hợp lệ", "the protected header is not a map")
    alg, kid = header.get(1), header.get(4)
    if alg not in ALG_NAMES:
        raise _bad(f"thuật toán {alg!r} không được hỗ trợ", f"unsupported algorithm {alg!r}")
    if not isinstance(kid, bytes) or not 1 <= len(kid) <= 32:
        raise _bad("thiếu mã khóa (kid) trong phần đầu được bảo vệ", "no key id (kid) in the protected header")
    claims = QrClaims.from_cbor_items(items)
    return DecodedPayload(alg, kid, protected, payload, signature, claims)
