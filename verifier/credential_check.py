"""A Sổ Gốc Số credential's ledger inclusion and status, checked by a third party (``sogoc-verify``).

Given the record embedded in the PDF (its RFC 8785 SHA-256) and the trust list the verifier pinned
(:mod:`verifier.trust_list`), :func:`check_credential` takes its evidence, in this order:

1. a **bundle** (:mod:`verifier.bundle`) given or found beside the PDF: offline;
2. else, unless offline, the **issuer's public ledger** (:mod:`verifier.online`), at the address printed
   in the QR code (or ``--issuer``), only if that address is on the trust list's allow-list;
3. else nothing: INDETERMINATE (``LEDGER_UNREACHABLE``), with a hint. "I could not ask" is never
   ``NOT_IN_LEDGER``: that is said only when the issuer's log gives no proof (HTTP 404) or the proof
   given fails.

The evidence must hold against the pinned log keys: the checkpoint's signature (and the witnesses'
cosignatures when the trust list names witnesses), the inclusion proof, the commitment to the record,
and the issuer's signed status statement (a ``/1`` bundle's unsigned status is INDETERMINATE).
The report says which source was used, where, and when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from verifier.bundle import Bundle, verify_bundle_ledger, verify_bundle_status
from verifier.checkpoint import verify_cosignatures
from verifier.errors import VerifierError
from verifier.online import OnlineAnswer, fetch_bundle
from verifier.report import FAILED, INDETERMINATE, PASSED, Indication, Message
from verifier.trust_list import TrustList

__all__ = ["LedgerCheckReport", "check_credential", "issuer_url_from_qr"]

_HINTS: dict[str, tuple[str, str]] = {
    "NO_TRUST_LIST": (
        "Chưa chỉ định danh sách tin cậy nên không kiểm tra được sổ cái. Tải /.well-known/sogoc-trust-list của "
        "đơn vị cấp một lần rồi dùng --trust-list.",
        "No trust list was given, so the ledger cannot be checked. Download the issuer's "
        "/.well-known/sogoc-trust-list once and use --trust-list.",
    ),
    "LEDGER_UNREACHABLE": (
        "Chưa hỏi được sổ cái của đơn vị cấp. Chưa thể kết luận: hãy dùng gói xác minh (--bundle, "
        "TỆP.sogoc-bundle.json bên cạnh tệp PDF) hoặc thử lại khi có mạng.",
        "The issuer's ledger could not be asked. No conclusion yet: use the verification bundle (--bundle, or "
        "FILE.sogoc-bundle.json beside the PDF) or try again online.",
    ),
    "ISSUER_NOT_ALLOWED": (
        "Địa chỉ đơn vị cấp không có trong danh sách đơn vị cấp được tin cậy: đã từ chối liên hệ. Đừng chấp nhận "
        "tài liệu dựa trên địa chỉ này; hãy dùng gói xác minh hoặc hỏi Sở GDĐT.",
        "The issuer's address is not on the trust list's allow-list of issuers: refused to contact it. Do not "
        "accept the document on this address; use a verification bundle or ask the Department.",
    ),
    "NOT_IN_LEDGER": (
        "Sổ cái của đơn vị cấp không chứng minh được tài liệu này đã được phát hành. Không chấp nhận.",
        "The issuer's ledger does not prove this document was issued. Do not accept it.",
    ),
    "NOT_WITNESSED": (
        "Checkpoint chưa có đủ đồng chữ ký của nhân chứng. Hãy thử lại sau.",
        "The checkpoint does not have enough witness cosignatures yet. Try again later.",
    ),
    "RECORD_MISMATCH": (
        "Dữ liệu gắn trong tệp không đọc được hoặc không ở dạng chuẩn. Không chấp nhận.",
        "The record embedded in the file cannot be read or is not canonical. Do not accept it.",
    ),
    "STATUS_UNSIGNED": (
        "Trạng thái trong gói xác minh cũ (/1) không có chữ ký của đơn vị cấp. Hãy tải gói xác minh mới.",
        "The status in an old (/1) bundle is not signed by the issuer. Download a fresh bundle.",
    ),
    "STATUS_TAMPERED": (
        "Trạng thái trong gói xác minh đã bị sửa hoặc giả mạo. Không chấp nhận.",
        "The status in the verification bundle was edited or forged. Do not accept it.",
    ),
    "REVOKED": ("Văn bằng/học bạ đã bị thu hồi. Không chấp nhận.", "The credential was revoked. Do not accept it."),
    "SUPERSEDED": (
        "Văn bằng/học bạ đã được đính chính và thay bằng bản mới. Hãy xin bản mới.",
        "The credential was corrected and replaced. Ask for the new version.",
    ),
    "PASSED": (
        "Có trong sổ cái của đơn vị cấp (bằng chứng bao hàm và checkpoint đã ký) và còn hiệu lực.",
        "In the issuer's ledger (inclusion proof and signed checkpoint) and in force.",
    ),
}


@dataclass
class LedgerCheckReport:
    """The ledger and status verdict, where it came from (``bundle`` or ``issuer``), and when."""

    indication: Indication
    sub_indication: str | None
    detail: Message
    source: str | None = None
    location: str | None = None
    checked_at: str | None = None
    status: str | None = None
    status_as_of: str | None = None
    status_signed: bool = False
    index: int | None = None
    checkpoint_size: int | None = None
    witnesses: tuple[str, ...] = ()

    @property
    def message(self) -> Message:
        vi, en = _HINTS.get(self.sub_indication or self.indication, ("", ""))
        return Message(vi, en, self.sub_indication or self.indication)

    def to_dict(self) -> dict[str, Any]:
        return {
            "indication": self.indication,
            "sub_indication": self.sub_indication,
            "message": self.message.to_dict(),
            "detail": self.detail.to_dict(),
            "source": self.source,
            "location": self.location,
            "checked_at": self.checked_at,
            "status": self.status,
            "status_as_of": self.status_as_of,
            "status_signed": self.status_signed,
            "index": self.index,
            "checkpoint_size": self.checkpoint_size,
            "witnesses": list(self.witnesses),
        }


def issuer_url_from_qr(texts: list[str]) -> str | None:
    """The issuer's address from the printed QR (``https://host/v/<id>…``): the part before ``/v/``."""
    for text in texts:
        head, sep, _ = text.partition("/v/")
        if sep and head.startswith(("https://", "http://")):
            return head
    return None


def _evaluate(
    bundle: Bundle, cid: str, digest: str, trust: TrustList, origins: set[str], base: dict[str, Any]
) -> LedgerCheckReport:
    def out(ind: Indication, sub: str | None, vi: str, en: str, **kw: Any) -> LedgerCheckReport:
        return LedgerCheckReport(ind, sub, Message(vi, en), **{**base, **kw})

    if bundle.credential_id != cid:
        return out(
            FAILED,
            "NOT_IN_LEDGER",
            f"Bằng chứng dành cho {bundle.credential_id}.",
            f"The evidence is for {bundle.credential_id}.",
        )
    if bundle.origin not in origins:
        return out(
            FAILED,
            "NOT_IN_LEDGER",
            f"Bằng chứng dẫn tới sổ cái {bundle.origin!r}, không phải sổ cái trong danh sách tin cậy.",
            f"The evidence points to the log {bundle.origin!r}, not a log on the trust list.",
        )
    led = verify_bundle_ledger(bundle, record_sha256=digest, verifiers=trust.log_keys)
    if not led.included:
        return out(FAILED, "NOT_IN_LEDGER", led.vi or "", led.en or "", index=led.index)
    where: dict[str, Any] = {"index": led.index, "checkpoint_size": led.checkpoint_size}
    cosigned: tuple[str, ...] = ()
    if trust.witnesses:
        try:
            cosigned = tuple(sorted(verify_cosignatures(bundle.checkpoint, trust.witnesses)))
        except VerifierError as e:
            return out(FAILED, "NOT_IN_LEDGER", e.vi, e.en, **where)
        if len(cosigned) < trust.witness_quorum:
            return out(
                INDETERMINATE,
                "NOT_WITNESSED",
                f"{len(cosigned)}/{trust.witness_quorum} đồng chữ ký nhân chứng.",
                f"{len(cosigned)}/{trust.witness_quorum} witness cosignatures.",
                witnesses=cosigned,
                **where,
            )
    where["witnesses"] = cosigned
    st = verify_bundle_status(bundle, verifiers=trust.log_keys)
    as_of = st.statement.as_of if st.statement else bundle.status.get("as_of")
    common = {**where, "status": st.status, "status_as_of": as_of, "status_signed": st.indication == PASSED}
    if st.indication == FAILED:
        return out(FAILED, "STATUS_TAMPERED", st.vi or "", st.en or "", **common)
    if st.indication == INDETERMINATE:
        return out(INDETERMINATE, "STATUS_UNSIGNED", st.vi or "", st.en or "", **common)
    sub = {"valid": None, "revoked": "REVOKED", "superseded": "SUPERSEDED"}.get(st.status or "", "NOT_IN_LEDGER")
    ind = PASSED if sub is None else FAILED
    return out(ind, sub, f"Trạng thái đã ký: {st.status}.", f"Signed status: {st.status}.", **common)


def check_credential(
    cid: str,
    digest: str,
    *,
    trust: TrustList | None,
    now: datetime,
    bundle: Bundle | None = None,
    bundle_location: str | None = None,
    offline: bool = False,
    issuer_url: Callable[[], str | None] | str | None = None,
    fetch: Callable[..., OnlineAnswer] = fetch_bundle,
) -> LedgerCheckReport:
    """Check that the record ``digest`` of credential ``cid`` is in the pinned issuer's ledger, and in force.

    ``issuer_url`` may be a callable (reading the QR is slow: it is only called when the network is asked)."""
    checked_at = now.isoformat()
    if trust is None:
        return LedgerCheckReport(
            INDETERMINATE, "NO_TRUST_LIST", Message("Không có --trust-list.", "No --trust-list."), checked_at=checked_at
        )
    origins = {trust.ledger_origin, *(i.ledger_origin for i in trust.issuers)}
    if bundle is not None:
        base: dict[str, Any] = {"source": "bundle", "location": bundle_location, "checked_at": checked_at}
        return _evaluate(bundle, cid, digest, trust, origins, base)
    if offline:
        return LedgerCheckReport(
            INDETERMINATE,
            "LEDGER_UNREACHABLE",
            Message("Ngoại tuyến và không có gói xác minh.", "Offline and no verification bundle."),
            checked_at=checked_at,
        )
    url = issuer_url() if callable(issuer_url) else issuer_url
    if not url:
        return LedgerCheckReport(
            INDETERMINATE,
            "LEDGER_UNREACHABLE",
            Message(
                "Không đọc được địa chỉ đơn vị cấp từ mã QR; dùng --issuer URL.",
                "The issuer's address cannot be read from the QR code; use --issuer URL.",
            ),
            checked_at=checked_at,
        )
    issuer = trust.issuer_for(url)
    if issuer is None:
        allowed = ", ".join(i.url for i in trust.issuers) or "-"
        return LedgerCheckReport(
            INDETERMINATE,
            "ISSUER_NOT_ALLOWED",
            Message(
                f"Từ chối liên hệ {url}: không có trong danh sách đơn vị cấp được tin cậy ({allowed}).",
                f"Refused to contact {url}: not on the trust list's allow-list of issuers ({allowed}).",
            ),
            location=url,
            checked_at=checked_at,
        )
    answer = fetch(issuer, cid, digest)
    base = {"source": "issuer", "location": answer.url, "checked_at": checked_at}
    if answer.outcome == "unreachable":
        return LedgerCheckReport(INDETERMINATE, "LEDGER_UNREACHABLE", Message(answer.vi, answer.en), **base)
    if answer.outcome == "absent" or answer.bundle is None:
        return LedgerCheckReport(FAILED, "NOT_IN_LEDGER", Message(answer.vi, answer.en), **base)
    return _evaluate(answer.bundle, cid, digest, trust, {issuer.ledger_origin}, base)
