"""Verification reports for signed PDFs, in the vocabulary of ETSI EN 319 102-1.

A :class:`VerificationReport` holds one :class:`SignatureReport` per signature (document
timestamps included) and an overall verdict, the worst of the signatures. Every verdict comes
with a short explanation in Vietnamese and in English: what it means and what to do.

Indications: ``PASSED``, ``FAILED``, ``INDETERMINATE`` (EN 319 102-1 §5.1.3). Sub-indications use
the standard's names (``HASH_FAILURE``, ``SIG_CRYPTO_FAILURE``, ``FORMAT_FAILURE``, ``REVOKED``,
``NO_CERTIFICATE_CHAIN_FOUND``, ``OUT_OF_BOUNDS_NO_POE``, ``TRY_LATER``, ...). Two outcomes are
not signature verdicts and have their own ``document`` value: ``not_pdf`` (the bytes are not a
PDF) and ``unsigned`` (a PDF without any signature); for them ``indication`` is
``INDETERMINATE`` and ``sub_indication`` is ``NOT_A_PDF`` / ``NO_SIGNATURE`` (names of ours, not
ETSI's), and :attr:`VerificationReport.exit_code` is 3.

This module depends only on the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, Literal

__all__ = [
    "EXIT_CODES",
    "FAILED",
    "INDETERMINATE",
    "PASSED",
    "Indication",
    "Message",
    "SignatureReport",
    "VerificationReport",
    "explain",
    "worst",
]

Indication = Literal["PASSED", "FAILED", "INDETERMINATE"]
PASSED: Indication = "PASSED"
FAILED: Indication = "FAILED"
INDETERMINATE: Indication = "INDETERMINATE"
DocumentKind = Literal["signed", "unsigned", "not_pdf"]

EXIT_CODES: dict[str, int] = {PASSED: 0, FAILED: 1, INDETERMINATE: 2}
_RANK: dict[str, int] = {PASSED: 0, INDETERMINATE: 1, FAILED: 2}


@dataclass(frozen=True)
class Message:
    """A message for people, in Vietnamese and English."""

    vi: str
    en: str
    code: str = ""

    def to_dict(self) -> dict[str, str]:
        d = {"vi": self.vi, "en": self.en}
        if self.code:
            d["code"] = self.code
        return d

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


# What each (sub-)indication means and what to do about it.
_EXPLANATIONS: dict[str, tuple[str, str]] = {
    "PASSED": (
        "Chữ ký hợp lệ: tài liệu còn nguyên vẹn từ khi ký và người ký được tin cậy.",
        "The signature is valid: the document is unchanged since signing and the signer is trusted.",
    ),
    "HASH_FAILURE": (
        "Nội dung đã ký bị thay đổi (mã băm không khớp). Không chấp nhận tài liệu này; hãy xin bản gốc từ cơ quan cấp.",
        "The signed content was altered (hash mismatch). Do not accept this document; "
        "ask the issuing office for the original.",
    ),
    "SIG_CRYPTO_FAILURE": (
        "Giá trị chữ ký không đúng với khóa của người ký. Không chấp nhận tài liệu này.",
        "The signature value does not verify with the signer's key. Do not accept this document.",
    ),
    "FORMAT_FAILURE": (
        "Cấu trúc tệp hoặc chữ ký không hợp lệ, hoặc tài liệu bị sửa sau khi ký ngoài phạm vi được phép. "
        "Không chấp nhận tài liệu này; hãy xin bản gốc từ cơ quan cấp.",
        "The file or signature structure is invalid, or the document was changed after signing beyond "
        "what is allowed. Do not accept this document; ask the issuing office for the original.",
    ),
    "REVOKED": (
        "Chứng thư số của người ký đã bị thu hồi trước thời điểm ký. Không chấp nhận tài liệu này.",
        "The signer's certificate was revoked before the signing time. Do not accept this document.",
    ),
    "NOT_YET_VALID": (
        "Chứng thư số chưa có hiệu lực tại thời điểm ký.",
        "The signer's certificate was not yet valid at the signing time.",
    ),
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "Không xây dựng được chuỗi chứng thư tới một gốc tin cậy. Nếu bạn tin cơ quan cấp, "
        "hãy chỉ định chứng thư gốc của họ (--trust-root) rồi kiểm tra lại.",
        "No certificate chain to a trusted root was found. If you trust the issuer, give its root "
        "certificate (--trust-root) and check again.",
    ),
    "CHAIN_CONSTRAINTS_FAILURE": (
        "Chuỗi chứng thư không đáp ứng ràng buộc (ví dụ chứng thư tự ký hoặc không được tin cậy).",
        "The certificate chain does not meet the constraints (for example a self-signed or untrusted certificate).",
    ),
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": (
        "Không kiểm tra được chuỗi chứng thư của người ký.",
        "The signer's certificate chain could not be validated.",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE": (
        "Thuật toán mật mã đã dùng không còn được chấp nhận (quá yếu).",
        "A cryptographic algorithm used is no longer acceptable (too weak).",
    ),
    "CRYPTO_CONSTRAINTS_FAILURE_NO_POE": (
        "Thuật toán mật mã đã hết hạn chấp nhận và không có bằng chứng tồn tại trước đó.",
        "An algorithm is no longer acceptable and there is no proof of existence before that.",
    ),
    "SIG_CONSTRAINTS_FAILURE": (
        "Chữ ký không đáp ứng ràng buộc của chính sách (ví dụ mục đích sử dụng khóa).",
        "The signature does not meet the policy's constraints (for example key usage).",
    ),
    "EXPIRED": (
        "Chứng thư số đã hết hạn tại thời điểm kiểm tra.",
        "The certificate had expired at the validation time.",
    ),
    "OUT_OF_BOUNDS_NO_POE": (
        "Chứng thư số đã hết hạn hoặc chưa có hiệu lực tại thời điểm kiểm tra, và không có dấu thời gian "
        "chứng minh chữ ký có trước đó.",
        "The certificate was expired or not yet valid at the validation time and no timestamp proves "
        "the signature existed before.",
    ),
    "OUT_OF_BOUNDS_NOT_REVOKED": (
        "Chứng thư số ngoài thời hạn hiệu lực tại thời điểm kiểm tra nhưng không bị thu hồi.",
        "The certificate was outside its validity period at the validation time but not revoked.",
    ),
    "REVOKED_NO_POE": (
        "Chứng thư số đã bị thu hồi và không có bằng chứng chữ ký tồn tại trước thời điểm thu hồi.",
        "The certificate was revoked and nothing proves the signature existed before the revocation.",
    ),
    "REVOKED_CA_NO_POE": (
        "Một chứng thư CA trong chuỗi đã bị thu hồi và không có bằng chứng thời gian trước đó.",
        "A CA certificate in the chain was revoked and there is no proof of existence before that.",
    ),
    "REVOCATION_OUT_OF_BOUNDS_NO_POE": (
        "Không có thông tin thu hồi (OCSP/CRL) phù hợp với thời điểm ký. Hãy kiểm tra trực tuyến "
        "(bỏ --offline) hoặc yêu cầu bản có dữ liệu kiểm tra dài hạn (PAdES-LT).",
        "No revocation data (OCSP/CRL) fits the signing time. Check online (without --offline) or ask "
        "for a copy with long-term validation data (PAdES-LT).",
    ),
    "TRY_LATER": (
        "Chưa lấy được thông tin thu hồi; hãy thử lại sau hoặc khi có mạng.",
        "Revocation information is not available yet; try again later or online.",
    ),
    "NO_SIGNING_CERTIFICATE_FOUND": (
        "Không tìm thấy chứng thư của người ký trong chữ ký.",
        "The signer's certificate was not found in the signature.",
    ),
    "TIMESTAMP_ORDER_FAILURE": (
        "Thứ tự các dấu thời gian không hợp lý.",
        "The timestamps are not in a consistent order.",
    ),
    "NO_POE": (
        "Không có bằng chứng về thời điểm tồn tại của chữ ký.",
        "There is no proof of existence for the signature.",
    ),
    "NO_SIGNATURE": (
        "Tệp PDF này không có chữ ký số nào. Không thể xác minh nguồn gốc của nó.",
        "This PDF holds no digital signature. Its origin cannot be verified.",
    ),
    "NOT_A_PDF": (
        "Tệp này không phải PDF đọc được. Hãy kiểm tra bạn đã chọn đúng tệp.",
        "This file is not a readable PDF. Check that you chose the right file.",
    ),
    "GENERIC": (
        "Không xác định được kết quả. Hãy kiểm tra lại hoặc liên hệ cơ quan cấp.",
        "The result could not be determined. Check again or contact the issuing office.",
    ),
}

_GENERIC_INDICATION: dict[str, tuple[str, str]] = {
    FAILED: (
        "Chữ ký không hợp lệ. Không chấp nhận tài liệu này.",
        "The signature is not valid. Do not accept this document.",
    ),
    INDETERMINATE: (
        "Chưa đủ căn cứ để kết luận chữ ký hợp lệ.",
        "There is not enough evidence to conclude that the signature is valid.",
    ),
    PASSED: _EXPLANATIONS["PASSED"],
}


def explain(indication: str, sub_indication: str | None) -> Message:
    """The bilingual meaning of an indication / sub-indication pair, with advice."""
    key = sub_indication if sub_indication in _EXPLANATIONS else None
    vi, en = _EXPLANATIONS[key] if key else _GENERIC_INDICATION.get(indication, _EXPLANATIONS["GENERIC"])
    return Message(vi, en, sub_indication or indication)


def worst(indications: list[str]) -> Indication:
    """The worst of the indications (FAILED > INDETERMINATE > PASSED); PASSED if empty."""
    result: Indication = PASSED
    for ind in indications:
        if _RANK.get(ind, 1) > _RANK[result]:
            result = FAILED if ind == FAILED else INDETERMINATE
    return result


@dataclass
class SignatureReport:
    """What was found about one signature (or document timestamp).

    ``coverage`` is pyHanko's byte-range coverage (``ENTIRE_FILE``, ``ENTIRE_REVISION``,
    ``CONTIGUOUS_BLOCK_FROM_START``, ``UNCLEAR``); ``modification`` the strictest level that explains
    every later revision (``NONE``, ``LTA_UPDATES``, ``FORM_FILLING``, ``ANNOTATIONS``, ``OTHER``);
    ``docmdp`` the certification permission in force (``NO_CHANGES``, ``FILL_FORMS``, ``ANNOTATE``).
    Times are ISO 8601 strings in UTC.
    """

    field: str
    kind: Literal["signature", "document_timestamp"] = "signature"
    signer: str | None = None
    signer_certificate_sha256: str | None = None
    issuer: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    revoked: bool = False
    coverage: str | None = None
    modification: str | None = None
    docmdp: str | None = None
    docmdp_ok: bool | None = None
    changed_form_fields: list[str] = dc_field(default_factory=list)
    signing_time: str | None = None
    signing_time_source: Literal["timestamp", "claimed", None] = None
    timestamp: str | None = None
    timestamp_trusted: bool | None = None
    validation_time: str | None = None
    revision: int | None = None
    sub_filter: str | None = None
    pades_level: str | None = None
    indication: Indication = INDETERMINATE
    sub_indication: str | None = None
    warnings: list[Message] = dc_field(default_factory=list)
    detail: str | None = None

    @property
    def message(self) -> Message:
        return explain(self.indication, self.sub_indication)

    def to_dict(self) -> dict[str, Any]:
        m = self.message
        return {
            "field": self.field,
            "kind": self.kind,
            "signer": self.signer,
            "signer_certificate_sha256": self.signer_certificate_sha256,
            "issuer": self.issuer,
            "intact": self.intact,
            "valid": self.valid,
            "trusted": self.trusted,
            "revoked": self.revoked,
            "coverage": self.coverage,
            "modification": self.modification,
            "docmdp": self.docmdp,
            "docmdp_ok": self.docmdp_ok,
            "changed_form_fields": list(self.changed_form_fields),
            "signing_time": self.signing_time,
            "signing_time_source": self.signing_time_source,
            "timestamp": self.timestamp,
            "timestamp_trusted": self.timestamp_trusted,
            "validation_time": self.validation_time,
            "revision": self.revision,
            "sub_filter": self.sub_filter,
            "pades_level": self.pades_level,
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": m.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
            "detail": self.detail,
        }


@dataclass
class VerificationReport:
    """The verdict on a whole document: the worst of its signatures, plus document-level findings."""

    document: DocumentKind
    indication: Indication
    sub_indication: str | None = None
    signatures: list[SignatureReport] = dc_field(default_factory=list)
    warnings: list[Message] = dc_field(default_factory=list)
    pades_level: str | None = None
    file_size: int = 0
    sha256: str | None = None
    elapsed_ms: float | None = None
    trust_roots: int = 0

    @property
    def message(self) -> Message:
        return explain(self.indication, self.sub_indication)

    @property
    def exit_code(self) -> int:
        """0 PASSED, 1 FAILED, 2 INDETERMINATE, 3 not a PDF or no signature."""
        if self.document != "signed":
            return 3
        return EXIT_CODES[self.indication]

    def all_warnings(self) -> list[Message]:
        """Document warnings then every signature's, without duplicates."""
        seen: set[tuple[str, str]] = set()
        out: list[Message] = []
        for w in [*self.warnings, *(w for s in self.signatures for w in s.warnings)]:
            if (w.vi, w.en) not in seen:
                seen.add((w.vi, w.en))
                out.append(w)
        return out

    def to_dict(self) -> dict[str, Any]:
        m = self.message
        return {
            "document": self.document,
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": m.to_dict(),
            "pades_level": self.pades_level,
            "signatures": [s.to_dict() for s in self.signatures],
            "warnings": [w.to_dict() for w in self.all_warnings()],
            "file_size": self.file_size,
            "sha256": self.sha256,
            "trust_roots": self.trust_roots,
            "elapsed_ms": self.elapsed_ms,
        }
