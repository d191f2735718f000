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

This module verifies and compares; the format itself (claims, COSE_Sign1, Base45) is in
:mod:`verifier.qr_codec`, the key list in :mod:`verifier.qr_keys` and the image and PDF readers in
:mod:`verifier.qr_image`. Their public names are re-exported here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from verifier.clock import SystemClock
from verifier.qr_codec import (
    ALG_EDDSA,
    ALG_ES256,
    ALG_NAMES,
    ELLIPSIS,
    KEY_LIST_FORMAT,
    LEVEL_CODES,
    MAX_PAYLOAD_CHARS,
    PREFIX,
    DecodedPayload,
    QrClaims,
    QrPayloadError,
    claims_from_record,
    decode_payload,
    encode_cose_sign1,
    extract_payload,
    kid_for_public_key,
    nfc,
    protected_header,
    sig_structure,
    url_credential_id,
    wrap,
)
from verifier.qr_image import read_qr_codes, read_qr_from_pdf
from verifier.qr_keys import QrKey, QrKeyList
from verifier.report import FAILED, INDETERMINATE, PASSED, Indication, Message, explain

__all__ = [
    "ALG_EDDSA",
    "ALG_ES256",
    "ELLIPSIS",
    "KEY_LIST_FORMAT",
    "LEVEL_CODES",
    "MAX_PAYLOAD_CHARS",
    "PREFIX",
    "DecodedPayload",
    "FieldCheck",
    "QrClaims",
    "QrKey",
    "QrKeyList",
    "QrPayloadError",
    "QrReport",
    "claims_from_record",
    "compare_with_printed",
    "compare_with_record",
    "decode_payload",
    "encode_cose_sign1",
    "extract_payload",
    "kid_for_public_key",
    "nfc",
    "protected_header",
    "qr_message",
    "read_qr_codes",
    "read_qr_from_pdf",
    "record_fields",
    "sig_structure",
    "verify_qr",
    "wrap",
]

CLOCK_SKEW = timedelta(days=1)

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
    at = at or SystemClock().now()
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
        alg=ALG_NAMES[decoded.alg],
        url_credential_id=url_credential_id(text) if isinstance(text, str) else None,
    )
    candidates = [k for k in keys.find(decoded.kid) if k.alg == ALG_NAMES[decoded.alg]]
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
    checks = _checks(report.claims, record_fields(record, digest), [f for f, _, _ in _FIELDS])
    # QR codes printed before issue #14's fix carry the year's level, not the one after re-assessment or
    # summer training: both are in the same signed record, so either matches (nothing can be forged this way).
    results = record.get("results") or {}
    year_level = {
        "learning_result": (results.get("learning_result") or {}).get("year"),
        "conduct": (results.get("conduct") or {}).get("year"),
    }
    report.checks = [
        replace(c, ok=True) if not c.ok and c.qr is not None and c.qr == year_level.get(c.field) else c for c in checks
    ]
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
