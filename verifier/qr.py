"""The offline QR payload of a học bạ số: decode it, verify it against the published key list, compare.

A printed transcript carries one QR code, ``https://<verify-host>/v/<credential-id>#HB1:<Base45>``:
the path is the online check, the fragment (never sent to a server) a signed offline payload in the
manner of the EU Digital COVID Certificate (HCERT):

1. the printed fields as a CBOR array (:class:`QrClaims`, integers and short strings, NFC text);
2. COSE_Sign1 (RFC 9052, tag 18): protected header ``{1: alg, 4: kid}``, ``alg`` EdDSA (Ed25519,
   -8) or ES256 (-7, signature as raw ``r || s``); ``kid`` = the first 8 bytes of SHA-256 of the
   key's DER SubjectPublicKeyInfo (as HCERT does with the signer certificate);
3. zlib (RFC 1950), only when it makes the payload smaller — most of it is a signature and hashes,
   which do not compress; a decoder tells the two apart by the first byte (0x78 vs 0xD2);
4. Base45 (RFC 9285), prefixed ``HB1:`` (an incompatible format would be ``HB2:``).

The key list (``/.well-known/sogoc-keys.json``, :class:`QrKeyList`) maps ``kid`` to a public key,
its algorithm, the period in which it may sign (``not_before``/``not_after``) and a status. A
payload is accepted when a listed key with its kid verifies the signature and the payload's
issue time lies in that key's period. A key that merely reached the end of its period keeps
verifying what it signed before (a transcript is kept for life); a key marked ``revoked``
(compromised) verifies nothing: everything it signed must be reissued, as HCERT revokes "in
batches by withdrawing a key".

Verdicts use the ETSI EN 319 102-1 vocabulary of :mod:`verifier.report`: PASSED; FAILED with
FORMAT_FAILURE (not a payload of ours), SIG_CRYPTO_FAILURE (altered or forged), REVOKED, EXPIRED /
NOT_YET_VALID (issue time outside the key's period), QR_MISMATCH (ours: the paper or record does not
match); INDETERMINATE with NO_SIGNING_CERTIFICATE_FOUND (the kid is not in your key list: update it).

Reading a QR from an image needs ``zxing-cpp`` (and Pillow); from a PDF page also ``pdftoppm``
(poppler-utils). No function here uses the network. This module does not import the service.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verifier.errors import VerifierError
from verifier.report import FAILED, INDETERMINATE, PASSED, Indication, Message, explain

__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "KEY_LIST_FORMAT",
    "MAX_PAYLOAD_CHARS",
    "PREFIX",
    "FieldCheck",
    "QrClaims",
    "QrKey",
    "QrKeyList",
    "QrPayloadError",
    "QrReport",
    "compare_with_printed",
    "compare_with_record",
    "decode_payload",
    "extract_payload",
    "kid_for_public_key",
    "read_qr_codes",
    "read_qr_from_pdf",
    "sig_structure",
    "verify_qr",
]

PREFIX = "HB1:"
ALG_EDDSA = -8
ALG_ES256 = -7
_ALG_NAMES = {ALG_EDDSA: "EdDSA", ALG_ES256: "ES256"}
COSE_SIGN1_TAG = 18
KEY_LIST_FORMAT = "sogoc-qr-keys/1"
MAX_PAYLOAD_CHARS = 350
"""Budget for ``HB1:`` + Base45: with a verify URL of up to ~90 characters the QR stays at version 13, ECC M."""
MAX_TEXT_CHARS = 4096
MAX_DECOMPRESSED = 8192
CLOCK_SKEW = timedelta(days=1)

# Circular 22 levels for the year's learning result and conduct, one byte each in the payload.
LEVEL_CODES: dict[int, str] = {1: "Tốt", 2: "Khá", 3: "Đạt", 4: "Chưa đạt"}
_LEVEL_OF: dict[str, int] = {v: k for k, v in LEVEL_CODES.items()}
ELLIPSIS = "…"

_QR_EXPLANATIONS: dict[str, tuple[str, str]] = {
    "PASSED": (
        "Mã QR hợp lệ: do Sở GDĐT Hải Phòng ký và chưa bị sửa. Hãy so các thông tin dưới đây với bản giấy.",
        "The QR code is valid: signed by the Hải Phòng Department of Education and unaltered. "
        "Compare the details below with the paper.",
    ),
    "FORMAT_FAILURE": (
        "Đây không phải mã QR học bạ số hợp lệ (không đọc được nội dung ký). "
        "Đừng chấp nhận giấy tờ chỉ dựa vào mã này.",
        "This is not a valid transcript QR code (its signed content cannot be read). "
        "Do not accept the paper on this code alone.",
    ),
    "SIG_CRYPTO_FAILURE": (
        "Chữ ký trong mã QR không đúng: nội dung đã bị sửa hoặc bị làm giả. Không chấp nhận giấy tờ này.",
        "The signature in the QR code does not verify: the content was altered or forged. Do not accept this paper.",
    ),
    "REVOKED": (
        "Khóa ký mã QR này đã bị thu hồi; mọi mã do khóa này ký đều không còn giá trị. Hãy liên hệ nhà trường.",
        "The key that signed this QR code has been revoked; nothing it signed is valid any more. Contact the school.",
    ),
    "EXPIRED": (
        "Mã QR ghi ngày ký sau khi khóa ký đã hết hạn sử dụng. Không chấp nhận giấy tờ này.",
        "The QR code claims a signing date after its key's period of use had ended. Do not accept this paper.",
    ),
    "NOT_YET_VALID": (
        "Mã QR ghi ngày ký trước khi khóa ký có hiệu lực, hoặc ở tương lai. Không chấp nhận giấy tờ này.",
        "The QR code claims a signing date before its key was in use, or in the future. Do not accept this paper.",
    ),
    "NO_SIGNING_CERTIFICATE_FOUND": (
        "Khóa ký của mã QR không có trong danh sách khóa bạn đang có. Hãy cập nhật danh sách khóa công bố "
        "(/.well-known/sogoc-keys.json) rồi kiểm tra lại, hoặc kiểm tra trực tuyến.",
        "The QR code's signing key is not in your key list. Update the published key list "
        "(/.well-known/sogoc-keys.json) and check again, or check online.",
    ),
    "QR_MISMATCH": (
        "Mã QR hợp lệ nhưng không khớp với học bạ này (mã của một văn bằng khác, hoặc thông tin khác). "
        "Không chấp nhận; hãy báo cho nhà trường hoặc Sở GDĐT.",
        "The QR code is genuine but does not belong to this transcript (another credential's code, or "
        "different details). Do not accept it; report it to the school or the Department of Education.",
    ),
}


def qr_message(indication: str, sub_indication: str | None) -> Message:
    key = sub_indication or indication
    if key in _QR_EXPLANATIONS:
        vi, en = _QR_EXPLANATIONS[key]
        return Message(vi, en, key)
    return explain(indication, sub_indication)


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
        conduct=conduct.get("after_summer_training") or conduct.get("year"),
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


def _url_credential_id(text: str) -> str | None:
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
    if alg not in _ALG_NAMES:
        raise _bad(f"thuật toán {alg!r} không được hỗ trợ", f"unsupported algorithm {alg!r}")
    if not isinstance(kid, bytes) or not 1 <= len(kid) <= 32:
        raise _bad("thiếu mã khóa (kid) trong phần đầu được bảo vệ", "no key id (kid) in the protected header")
    claims = QrClaims.from_cbor_items(items)
    return DecodedPayload(alg, kid, protected, payload, signature, claims)


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


# --------------------------------------------------------------------------------------------------
# verification


@dataclass(frozen=True)
class FieldCheck:
    """One printed field compared with another source (the record, or what you read on the paper)."""

    field: str
    label_vi: str
    label_en: str
    qr: str | None
    other: str | None
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label_vi": self.label_vi,
            "label_en": self.label_en,
            "qr": self.qr,
            "other": self.other,
            "ok": self.ok,
        }


@dataclass
class QrReport:
    indication: Indication
    sub_indication: str | None = None
    claims: QrClaims | None = None
    kid: str | None = None
    alg: str | None = None
    key_issuer: str | None = None
    url_credential_id: str | None = None
    checks: list[FieldCheck] = field(default_factory=list)
    detail: str | None = None

    @property
    def message(self) -> Message:
        return qr_message(self.indication, self.sub_indication)

    @property
    def matches(self) -> bool | None:
        """Whether the compared source matches (None when nothing was compared)."""
        return all(c.ok for c in self.checks) if self.checks else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": self.message.to_dict(),
            "claims": self.claims.to_dict() if self.claims else None,
            "kid": self.kid,
            "alg": self.alg,
            "key_issuer": self.key_issuer,
            "url_credential_id": self.url_credential_id,
            "checks": [c.to_dict() for c in self.checks],
            "matches": self.matches,
            "detail": self.detail,
        }


def verify_qr(text: str, keys: QrKeyList, *, at: datetime | None = None) -> QrReport:
    """Decode and verify what a QR holds against ``keys``; never uses the network.

    ``at`` is the time of the check (default now). A verify URL whose path names a different
    credential than the signed payload is FAILED/QR_MISMATCH (a payload pasted behind another link).
    """
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    try:
        decoded = decode_payload(text)
    except QrPayloadError as e:
        return QrReport(FAILED, "FORMAT_FAILURE", detail=e.en)
    claims = decoded.claims
    report = QrReport(
        INDETERMINATE,
        None,
        claims=claims,
        kid=decoded.kid.hex(),
        alg=_ALG_NAMES[decoded.alg],
        url_credential_id=_url_credential_id(text) if isinstance(text, str) else None,
    )
    candidates = [k for k in keys.find(decoded.kid) if k.alg == _ALG_NAMES[decoded.alg]]
    if not candidates:
        report.sub_indication = "NO_SIGNING_CERTIFICATE_FOUND"
        report.detail = f"kid {decoded.kid.hex()} is not in the key list"
        return report
    key = next((k for k in candidates if k.verify(decoded.protected, decoded.payload, decoded.signature)), None)
    if key is None:
        report.indication, report.sub_indication = FAILED, "SIG_CRYPTO_FAILURE"
        return report
    report.key_issuer = key.issuer
    iat = claims.issued_at
    if key.status == "revoked":
        report.indication, report.sub_indication = FAILED, "REVOKED"
    elif key.not_before and iat < key.not_before:
        report.indication, report.sub_indication = FAILED, "NOT_YET_VALID"
    elif key.not_after and iat > key.not_after:
        report.indication, report.sub_indication = FAILED, "EXPIRED"
    elif iat > at + CLOCK_SKEW:
        report.indication, report.sub_indication = FAILED, "NOT_YET_VALID"
        report.detail = "issued in the future"
    elif report.url_credential_id and report.url_credential_id != claims.credential_id:
        report.indication, report.sub_indication = FAILED, "QR_MISMATCH"
        report.detail = "the URL names another credential than the signed payload"
    else:
        report.indication = PASSED
    return report


_FIELDS: list[tuple[str, str, str]] = [
    ("credential_id", "Mã học bạ số", "Credential id"),
    ("version", "Phiên bản", "Version"),
    ("full_name", "Họ và tên", "Full name"),
    ("date_of_birth", "Ngày sinh", "Date of birth"),
    ("school", "Trường", "School"),
    ("class", "Lớp", "Class"),
    ("school_year", "Năm học", "School year"),
    ("learning_result", "Kết quả học tập cả năm", "Year learning result"),
    ("conduct", "Kết quả rèn luyện cả năm", "Year conduct"),
    ("record_sha256", "Mã băm bản ghi", "Record SHA-256"),
]


def _norm(value: Any) -> str | None:
    if value is None:
        return None
    return " ".join(nfc(str(value)).split()).casefold()


def _same(field_name: str, qr: str | None, other: str | None) -> bool:
    a, b = _norm(qr), _norm(other)
    if field_name == "school" and a and b and a != b:  # shortened to fit: "Trường " dropped, "…" at the end
        bare = b.removeprefix("trường ")
        if a.endswith(ELLIPSIS):
            return bare.startswith(a[: -len(ELLIPSIS)].rstrip())
        return a == bare
    if field_name == "date_of_birth" and a and b:
        return _parse_day(a) == _parse_day(b)
    return a == b


def _parse_day(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _checks(claims: QrClaims, other: Mapping[str, Any], names: Iterable[str]) -> list[FieldCheck]:
    mine = claims.to_dict()
    wanted = set(names)
    out = []
    for name, vi, en in _FIELDS:
        if name not in wanted:
            continue
        q = None if mine.get(name) is None else str(mine[name])
        o = None if other.get(name) is None else str(other[name])
        out.append(FieldCheck(name, vi, en, q, o, _same(name, q, o)))
    return out


def record_fields(record: Mapping[str, Any], record_sha256: str) -> dict[str, Any]:
    """The record's values of the printed fields, keyed like :meth:`QrClaims.to_dict`."""
    c = claims_from_record(record, record_sha256)
    d = c.to_dict()
    d["school"] = nfc(str(record["school"]["name"]))
    return d


def compare_with_record(report: QrReport, record: Mapping[str, Any], record_sha256: str | None = None) -> QrReport:
    """Compare a verified payload with a ``hocba/1`` record (from the PDF, or the register).

    The record's hash is recomputed (RFC 8785, SHA-256) unless given. A PASSED report becomes
    FAILED/QR_MISMATCH when any field, or the hash, differs.
    """
    import rfc8785

    if report.claims is None:
        return report
    digest = record_sha256 or hashlib.sha256(rfc8785.dumps(dict(record))).hexdigest()
    report.checks = _checks(report.claims, record_fields(record, digest), [f for f, _, _ in _FIELDS])
    if report.indication == PASSED and not all(c.ok for c in report.checks):
        report.indication, report.sub_indication = FAILED, "QR_MISMATCH"
    return report


def compare_with_printed(report: QrReport, printed: Mapping[str, Any]) -> QrReport:
    """Compare a verified payload with what someone reads on the paper (only the fields given)."""
    if report.claims is None:
        return report
    report.checks = _checks(report.claims, printed, [k for k in printed if printed[k] not in (None, "")])
    if report.indication == PASSED and not all(c.ok for c in report.checks):
        report.indication, report.sub_indication = FAILED, "QR_MISMATCH"
    return report


# --------------------------------------------------------------------------------------------------
# reading QR codes from images and PDF pages


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise VerifierError(
            f"Cần cài gói Python «{module}» để đọc mã QR từ ảnh.",
            f"The Python package «{module}» is needed to read QR codes from images.",
            code="qr_reader_missing",
        ) from e


def read_qr_codes(image: bytes | str | Path | Any) -> list[str]:
    """Every QR code's text in an image (PNG/JPEG bytes, a path, or a Pillow image), largest first."""
    zxingcpp = _need("zxingcpp")
    pil = _need("PIL.Image")
    if isinstance(image, bytes | bytearray):
        img = pil.open(io.BytesIO(bytes(image)))
    elif isinstance(image, str | Path):
        img = pil.open(Path(image))
    else:
        img = image
    img.load()
    if img.mode not in ("L", "RGB"):
        img = img.convert("L")
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:  # small or blurred photos: a second try at double size
        found = zxingcpp.read_barcodes(
            img.resize((img.width * 2, img.height * 2)), formats=zxingcpp.BarcodeFormat.QRCode
        )
    return [b.text for b in found if b.valid and b.text]


def read_qr_from_pdf(pdf: bytes | str | Path, *, pages: Sequence[int] = (1,), dpi: int = 150) -> list[str]:
    """QR codes printed on PDF pages (1-based), rendered with ``pdftoppm`` (poppler-utils)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise VerifierError(
            "Cần pdftoppm (gói poppler-utils) để đọc mã QR trên trang PDF.",
            "pdftoppm (poppler-utils) is needed to read QR codes on PDF pages.",
            code="qr_reader_missing",
        )
    with tempfile.TemporaryDirectory(prefix="sogoc-qr-") as tmp:
        src = Path(tmp) / "in.pdf"
        if isinstance(pdf, bytes | bytearray):
            src.write_bytes(bytes(pdf))
        else:
            src = Path(pdf)
        texts: list[str] = []
        for page in pages:
            out = Path(tmp) / f"p{page}"
            proc = subprocess.run(
                [
                    exe,
                    "-r",
                    str(dpi),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-png",
                    "-gray",
                    "-singlefile",
                    str(src),
                    str(out),
                ],
                capture_output=True,
                timeout=20,
                check=False,
            )
            png = out.with_suffix(".png")
            if proc.returncode != 0 or not png.exists():
                continue
            texts.extend(read_qr_codes(png))
        return texts
