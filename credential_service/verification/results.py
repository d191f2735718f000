"""What a verification answers: the checks and their verdicts, the credential's status, the ledger check,
and the messages the service adds to the PDF report's (its own sub-indications: NOT_IN_LEDGER,
SUPERSEDED, RECORD_MISMATCH, QR_MISMATCH, KEY_COMPROMISED …); :func:`overall_verdict` combines them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from verifier.book_years import book_years_signed
from verifier.qr import QrReport
from verifier.report import FAILED, INDETERMINATE, PASSED, Message, VerificationReport, explain

Status = Literal["valid", "superseded", "revoked", "not_issued", "unknown"]

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "valid": ("Hợp lệ — đã được nhà trường ký số và phát hành", "Valid — signed and issued by the school"),
    "superseded": ("Đã được đính chính và thay bằng bản mới", "Corrected and replaced by a newer version"),
    "revoked": ("Đã bị thu hồi", "Revoked"),
    "not_issued": ("Chưa được phát hành", "Not issued yet"),
    "unknown": ("Không có trong sổ gốc", "Not in the register"),
}

OWN_MESSAGES: dict[str, tuple[str, str]] = {
    "NOT_IN_LEDGER": (
        "Học bạ này không có (hoặc chưa được công bố) trong sổ gốc số của Sở GDĐT Hải Phòng. "
        "Không chấp nhận; hãy liên hệ nhà trường đã cấp.",
        "This transcript is not (or not yet published) in the Hải Phòng Department of Education's "
        "register. Do not accept it; contact the issuing school.",
    ),
    "SUPERSEDED": (
        "Học bạ này đã được đính chính và thay bằng một bản mới; bản bạn có không còn giá trị. "
        "Hãy đề nghị người nộp xuất trình bản mới.",
        "This transcript was corrected and replaced by a newer version; the copy you have is no longer "
        "valid. Ask the holder for the new version.",
    ),
    "RECORD_MISMATCH": (
        "Dữ liệu học bạ gắn trong tệp không khớp với sổ gốc (bị thay, bị xóa hoặc bị sửa). Không chấp nhận tài "
        "liệu này; hãy báo nhà trường hoặc Sở GDĐT.",
        "The transcript data embedded in the file does not match the register (replaced, removed or "
        "altered). Do not accept this document; report it to the school or the Department.",
    ),
    "QR_MISMATCH": (
        "Mã QR in trên học bạ không khớp với học bạ này (mã của văn bằng khác hoặc thông tin khác). "
        "Không chấp nhận; hãy báo nhà trường hoặc Sở GDĐT.",
        "The QR code printed on the transcript does not belong to it (another credential's code or "
        "different details). Do not accept it; report it to the school or the Department.",
    ),
    "KEY_COMPROMISED": (
        "Một chữ ký trên tài liệu được tạo bằng khóa đã bị lộ và không có dấu thời gian chứng minh nó được ký "
        "trước thời điểm đó. Hãy đề nghị người nộp xuất trình bản đã được nhà trường đóng dấu lại.",
        "A signature on this document was made with a key declared compromised, and no timestamp proves it "
        "was made before then. Ask the holder for the copy the school re-sealed.",
    ),
    "SIG_CONSTRAINTS_FAILURE": (
        "Tài liệu có chữ ký không thuộc quy trình phát hành (chữ ký thêm hoặc không được tin cậy). "
        "Không chấp nhận bản này; hãy xin bản gốc từ nhà trường.",
        "The document carries a signature that is not part of the issuance (an extra or untrusted "
        "signature). Do not accept this copy; ask the school for the original.",
    ),
    "REVOKED": (
        "Học bạ này đã bị thu hồi. Không chấp nhận.",
        "This transcript has been revoked. Do not accept it.",
    ),
    "LEDGER_UNREACHABLE": (
        "Chưa kiểm tra được sổ cái: không có gói xác minh bên cạnh tệp, sổ gốc tại đây không phải của đơn vị cấp và "
        "chưa hỏi được sổ cái công khai của đơn vị cấp. Chưa thể kết luận; hãy đề nghị người nộp gửi kèm gói xác minh "
        "(.sogoc-bundle.json, dùng --bundle) hoặc thử lại khi có mạng.",
        "The ledger could not be asked: no verification bundle beside the file, the register here is not the "
        "issuer's, and the issuer's public ledger could not be reached. No conclusion yet; ask the holder for the "
        "verification bundle (.sogoc-bundle.json, --bundle) or try again online.",
    ),
    "ISSUER_NOT_ALLOWED": (
        "Địa chỉ đơn vị cấp in trên mã QR không có trong danh sách đơn vị cấp được tin cậy: đã từ chối hỏi sổ cái "
        "ở đó. Chưa thể kết luận; hãy dùng gói xác minh (--bundle) hoặc hỏi Sở GDĐT.",
        "The issuer address in the QR code is not on the trust list's allow-list of issuers: refused to ask its "
        "ledger. No conclusion yet; use the verification bundle (--bundle) or ask the Department.",
    ),
    "NOT_WITNESSED": (
        "Checkpoint trong bằng chứng chưa có đồng chữ ký của nhân chứng độc lập đã cấu hình. Chưa thể kết luận; "
        "hãy thử lại sau hoặc tải gói xác minh mới.",
        "The evidence's checkpoint has no cosignature from a configured independent witness yet. No conclusion "
        "yet; try again later or download a fresh bundle.",
    ),
    "STATUS_UNSIGNED": (
        "Gói xác minh này theo định dạng cũ (/1): trạng thái trong đó không có chữ ký của đơn vị cấp nên chưa được "
        "chứng minh. Chưa thể kết luận; hãy tải gói xác minh mới (/2) từ trang của người sở hữu (hoặc `sogoc bundle`).",
        "This verification bundle is in the old format (/1): its status carries no signature by the issuer, so it "
        "proves nothing. No conclusion yet; download a fresh bundle (/2) from the holder's page (or `sogoc bundle`).",
    ),
    "STATUS_TAMPERED": (
        "Trạng thái trong gói xác minh không khớp với tuyên bố đã ký của đơn vị cấp (đã bị sửa hoặc giả mạo). "
        "Không chấp nhận; hãy xin gói xác minh từ chính người sở hữu hoặc kiểm tra trực tuyến.",
        "The status in the verification bundle does not match the issuer's signed statement (edited or forged). "
        "Do not accept it; get the bundle from the holder themselves or check online.",
    ),
    "PASSED": (
        "Học bạ số hợp lệ: chữ ký số đúng, dữ liệu khớp sổ gốc, đã được công bố trong sổ cái và còn hiệu lực.",
        "The transcript is valid: the signatures verify, the data matches the register, it is published "
        "in the ledger and still in force.",
    ),
}


def message_for(indication: str, sub_indication: str | None) -> Message:
    key = sub_indication or (indication if indication == PASSED else None)
    if key in OWN_MESSAGES:
        vi, en = OWN_MESSAGES[key]
        return Message(vi, en, key)
    return explain(indication, sub_indication)


@dataclass
class LedgerCheck:
    included: bool = False
    index: int | None = None
    checkpoint_size: int | None = None
    root_hash: str | None = None
    error: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "included": self.included,
            "index": self.index,
            "checkpoint_size": self.checkpoint_size,
            "root_hash": self.root_hash,
            "error": self.error.to_dict() if self.error else None,
        }


@dataclass
class CredentialStatus:
    id: str
    status: Status
    register_status: str | None = None
    version: int | None = None
    issued_at: str | None = None
    record_sha256: str | None = None
    superseded_by: str | None = None
    decision: str | None = None
    revoked_at: str | None = None
    reason: str | None = None
    ledger: LedgerCheck = field(default_factory=LedgerCheck)
    continued_in: str | None = None  # superseded by the book's next school year (a học bạ), that year

    @property
    def label(self) -> Message:
        vi, en = STATUS_LABELS[self.status]
        return Message(vi, en, self.status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "status_label": self.label.to_dict(),
            "register_status": self.register_status,
            "version": self.version,
            "issued_at": self.issued_at,
            "record_sha256": self.record_sha256,
            "superseded_by": self.superseded_by,
            "decision": self.decision,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
            "ledger": self.ledger.to_dict(),
            **({"continued_in": self.continued_in} if self.continued_in else {}),
        }


@dataclass
class Check:
    name: str
    indication: str
    sub_indication: str | None = None
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": message_for(self.indication, self.sub_indication).to_dict(),
            "detail": self.detail,
        }


@dataclass
class CredentialVerification:
    pdf: VerificationReport
    indication: str
    sub_indication: str | None
    checks: list[Check]
    credential: CredentialStatus | None = None
    qr: QrReport | None = None
    record: dict[str, Any] | None = None
    identical_to_issued: bool | None = None
    warnings: list[Message] = field(default_factory=list)
    # where the ledger and status came from, and when: {"source": "register" | "bundle", "checked_at": …}
    ledger_source: dict[str, Any] | None = None

    @property
    def message(self) -> Message:
        return message_for(self.indication, self.sub_indication)

    def to_dict(self) -> dict[str, Any]:
        d = self.pdf.to_dict()
        d["pdf"] = {"indication": d["indication"], "sub_indication": d["sub_indication"], "message": d["message"]}
        d["indication"] = self.indication
        d["sub_indication"] = self.sub_indication
        d["message"] = self.message.to_dict()
        d["warnings"] = [*d["warnings"], *(w.to_dict() for w in self.warnings)]
        d["checks"] = [c.to_dict() for c in self.checks]
        d["credential"] = self.credential.to_dict() if self.credential else None
        d["qr"] = self.qr.to_dict() if self.qr else None
        d["identical_to_issued"] = self.identical_to_issued
        d["ledger_source"] = self.ledger_source
        years = self.book_years()
        if years:
            d["years"] = years
        return d

    def book_years(self) -> list[dict[str, Any]]:
        """A học bạ book's every year and who signed it (the earlier years as the record carries them; this year's
        signers are the file's signatures); empty for a single year or a record not shaped like ours."""
        signatures = [(s.field, s.signer, s.indication) for s in self.pdf.signatures if s.kind == "signature"]
        return book_years_signed(self.record, signatures)


def overall_verdict(result: CredentialVerification) -> CredentialVerification:
    """Overall verdict: a failed signature check first, then the first failed credential check, then
    an indeterminate signature check, then the first indeterminate credential check."""
    pdf = result.pdf
    failed = [c for c in result.checks[1:] if c.indication == FAILED]
    undetermined = [c for c in result.checks[1:] if c.indication == INDETERMINATE]
    if pdf.indication == FAILED:
        result.indication, result.sub_indication = FAILED, pdf.sub_indication
    elif failed:
        result.indication, result.sub_indication = FAILED, failed[0].sub_indication
    elif pdf.indication == INDETERMINATE:
        result.indication, result.sub_indication = INDETERMINATE, pdf.sub_indication
    elif undetermined:
        result.indication, result.sub_indication = INDETERMINATE, undetermined[0].sub_indication
    else:
        result.indication, result.sub_indication = PASSED, None
    return result
