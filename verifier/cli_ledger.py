"""The ledger part of ``sogoc-verify``: for a PDF that embeds a Sổ Gốc Số record, its ledger inclusion and
status (:mod:`verifier.credential_check`), from a bundle or from the allow-listed issuer's public ledger.

Options: ``--bundle B`` (default: ``FILE.sogoc-bundle.json`` beside the PDF, if there), ``--trust-list T``
(the issuer's ``/.well-known/sogoc-trust-list``, kept by the verifier: its pin), ``--log-key VKEY`` (pin
the key that must have signed the trust list), ``--issuer URL`` (instead of the address in the QR code;
it must be on the allow-list all the same).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from verifier.bundle import Bundle, bundle_path_for
from verifier.clock import SystemClock
from verifier.credential_check import LedgerCheckReport, check_credential, issuer_url_from_qr
from verifier.errors import VerifierError
from verifier.pdf_contents import ContentRequest, PdfContents
from verifier.report import FAILED, INDETERMINATE, VerificationReport, worst
from verifier.trust_list import TrustList

__all__ = ["RECORD_CONTENTS", "add_ledger_arguments", "combined", "embedded_record", "ledger_check", "ledger_lines"]

RECORD_NAMES = ("hocba-record.json", "vanbang-record.json")
RECORD_CONTENTS = ContentRequest(attachments=RECORD_NAMES, max_attachment_size=256 * 1024)


def add_ledger_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--bundle",
        metavar="JSON",
        help="gói xác minh (mặc định: FILE.sogoc-bundle.json bên cạnh) / verification bundle (default: beside FILE)",
    )
    p.add_argument(
        "--trust-list",
        metavar="FILE",
        help="danh sách tin cậy của đơn vị cấp (/.well-known/sogoc-trust-list) / the issuer's trust list",
    )
    p.add_argument(
        "--log-key",
        action="append",
        default=[],
        metavar="VKEY",
        help="khóa sổ cái phải ký danh sách tin cậy (có thể lặp lại) / log key that must sign the trust list",
    )
    p.add_argument(
        "--issuer",
        metavar="URL",
        help="địa chỉ đơn vị cấp thay cho mã QR (phải có trong danh sách) / issuer address instead of the QR's",
    )


def embedded_record(contents: PdfContents | None) -> dict[str, Any] | None:
    """The one embedded Sổ Gốc Số record as JSON, or None (none, several, or unreadable)."""
    found = [a for a in (contents.attachments if contents is not None else []) if a.name in RECORD_NAMES]
    if len(found) != 1 or found[0].data is None:
        return None
    try:
        record = json.loads(found[0].data)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _record(contents: PdfContents | None) -> tuple[str, str] | str | None:
    """(credential id, RFC 8785 SHA-256) of the one embedded record; ``None`` if none; a reason if unreadable."""
    found = [a for a in (contents.attachments if contents is not None else []) if a.name in RECORD_NAMES]
    if not found:
        return None
    if len(found) != 1 or found[0].data is None:
        return f"{len(found)} embedded records"
    try:
        import rfc8785

        record = json.loads(found[0].data)
        canonical = rfc8785.dumps(record)
    except Exception as e:  # JSON, UTF-8, numbers RFC 8785 cannot hold: a verdict, not a crash
        return f"the embedded record cannot be read ({type(e).__name__})"
    cid = record.get("credential_id") if isinstance(record, dict) else None
    if not isinstance(cid, str) or not 0 < len(cid) <= 64 or canonical != found[0].data:
        return "the embedded record is not canonical or has no credential_id"
    return cid, hashlib.sha256(canonical).hexdigest()


def ledger_check(args: argparse.Namespace, data: bytes, contents: PdfContents | None) -> LedgerCheckReport | None:
    """The ledger check of the file, or ``None`` when it embeds no Sổ Gốc Số record. Raises
    :class:`VerifierError` for an unreadable trust list or an explicitly given unreadable bundle."""
    from verifier.report import Message

    rec = _record(contents)
    now = SystemClock().now()
    if rec is None:
        return None
    if isinstance(rec, str):
        return LedgerCheckReport(FAILED, "RECORD_MISMATCH", Message(rec, rec), checked_at=now.isoformat())
    cid, digest = rec
    trust = TrustList.load(args.trust_list, args.log_key) if getattr(args, "trust_list", None) else None
    path = Path(args.bundle) if getattr(args, "bundle", None) else bundle_path_for(args.file)
    bundle = Bundle.load(path) if getattr(args, "bundle", None) or path.is_file() else None

    def from_qr() -> str | None:
        from verifier.qr_image import read_qr_from_pdf

        page = contents.first_page if contents is not None else None
        try:
            texts = read_qr_from_pdf(data, pages=(1,), page_info={1: page} if page is not None else None)
        except VerifierError:
            return None
        return issuer_url_from_qr(texts)

    return check_credential(
        cid,
        digest,
        trust=trust,
        now=now,
        bundle=bundle,
        bundle_location=str(path) if bundle is not None else None,
        offline=bool(getattr(args, "offline", False)),
        issuer_url=getattr(args, "issuer", None) or from_qr,
    )


def combined(report: VerificationReport, ledger: LedgerCheckReport | None) -> tuple[str, str | None]:
    """The overall (indication, sub-indication): the signatures' unless the ledger's is worse."""
    if ledger is None or report.document != "signed":
        return report.indication, report.sub_indication
    overall = worst([report.indication, ledger.indication])
    if overall == report.indication:
        return report.indication, report.sub_indication
    return overall, ledger.sub_indication


def ledger_lines(ledger: LedgerCheckReport) -> tuple[list[str], list[str]]:
    """Human lines, Vietnamese then English."""
    sub = f" ({ledger.sub_indication})" if ledger.sub_indication else ""
    label = {"PASSED": "HỢP LỆ", "FAILED": "KHÔNG HỢP LỆ", INDETERMINATE: "CHƯA XÁC ĐỊNH"}[ledger.indication]
    source = ledger.source or ""
    src_vi = {"bundle": "gói xác minh", "issuer": "sổ cái công khai của đơn vị cấp"}.get(source, "không có")
    src_en = {"bundle": "verification bundle", "issuer": "the issuer's public ledger"}.get(source, "none")
    where = f" {ledger.location}" if ledger.location else ""
    as_of_vi = as_of_en = ""
    if ledger.status_as_of:
        as_of_vi = f"; trạng thái tính đến {ledger.status_as_of} ({'đã ký' if ledger.status_signed else 'không ký'})"
        as_of_en = f"; status as of {ledger.status_as_of} ({'signed' if ledger.status_signed else 'unsigned'})"
    vi = [
        f"  • Sổ cái và trạng thái: {label}{sub}",
        f"      nguồn: {src_vi}{where}; kiểm tra lúc {ledger.checked_at}{as_of_vi}",
        f"      {ledger.detail.vi}",
    ]
    en = [
        f"  • Ledger and status: {ledger.indication}{sub}",
        f"      source: {src_en}{where}; checked at {ledger.checked_at}{as_of_en}",
        f"      {ledger.detail.en}",
    ]
    if ledger.indication != "PASSED" and ledger.message.vi:
        vi.append(f"      Gợi ý: {ledger.message.vi}")
        en.append(f"      Hint: {ledger.message.en}")
    return vi, en


def report_dict(report: VerificationReport, ledger: LedgerCheckReport | None) -> dict[str, Any]:
    """The JSON report: the signatures' report, the ledger check, and the overall verdict."""
    d = report.to_dict()
    if ledger is not None:
        d["pdf"] = {"indication": d["indication"], "sub_indication": d["sub_indication"]}
        d["indication"], d["sub_indication"] = combined(report, ledger)
        d["ledger"] = ledger.to_dict()
    return d
