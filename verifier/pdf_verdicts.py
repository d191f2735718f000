"""Verdicts of :func:`verifier.pdf.verify_pdf`: pyHanko's validation status turned into ETSI
indications per signature, the PAdES baseline level reached, and warnings about the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from verifier.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    Indication,
    Message,
    SignatureReport,
    VerificationReport,
)

__all__ = [
    "PADES_LEVELS",
    "PADES_SUBFILTER",
    "CheckedSignature",
    "add_document_findings",
    "assign_pades_levels",
    "first_sub_indication",
    "fmt_time",
    "judge",
    "short_text",
    "timestamp_ok",
]

PADES_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
PADES_SUBFILTER = "/ETSI.CAdES.detached"


@dataclass
class CheckedSignature:
    """One signature (or document timestamp) while it is verified: pyHanko's object, status and our report."""

    embedded: Any
    index: int
    kind: Literal["signature", "document_timestamp"]
    own_tst_time: datetime | None = None
    report: SignatureReport = field(default_factory=lambda: SignatureReport(field="?"))
    status: Any = None
    poe_from: int | None = None


def fmt_time(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def short_text(e: BaseException, n: int = 160) -> str:
    text = str(e).replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def judge(s: CheckedSignature, status: Any) -> None:
    from pyhanko.sign.ades.report import AdESFailure
    from pyhanko.sign.diff_analysis import DiffResult
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    rep = s.report
    rep.intact, rep.valid = bool(status.intact), bool(status.valid)
    rep.trusted = bool(status.trusted)
    rep.revoked = bool(status.revoked)
    coverage = status.coverage
    rep.coverage = coverage.name if coverage is not None else None
    level = status.modification_level
    rep.modification = level.name if level is not None else None
    rep.docmdp_ok = status.docmdp_ok
    diff = status.diff_result
    if isinstance(diff, DiffResult):
        # plain str: a PDF string would keep its reader, and every object it parsed, alive with the report
        rep.changed_form_fields = sorted(str(f) for f in diff.changed_form_fields)
    elif diff is not None:
        rep.detail = short_text(diff, 300)
    if s.kind == "document_timestamp":
        rep.timestamp = fmt_time(status.timestamp)
        rep.timestamp_trusted = rep.trusted
    else:
        tst = status.timestamp_validity
        if tst is not None:
            rep.timestamp = fmt_time(tst.timestamp)
            rep.timestamp_trusted = bool(tst.intact and tst.valid and tst.trusted)

    def verdict(ind: Indication, sub: str | None, detail: str | None = None) -> None:
        rep.indication, rep.sub_indication = ind, sub
        if detail:
            rep.detail = detail

    if not status.intact:
        return verdict(FAILED, "HASH_FAILURE", "the signed byte ranges do not match the signed digest")
    if not status.valid:
        return verdict(FAILED, "SIG_CRYPTO_FAILURE", "the signature value does not verify")
    if coverage not in (SignatureCoverageLevel.ENTIRE_FILE, SignatureCoverageLevel.ENTIRE_REVISION):
        return verdict(FAILED, "FORMAT_FAILURE", f"the byte range does not cover the signed revision ({rep.coverage})")
    if coverage == SignatureCoverageLevel.ENTIRE_REVISION and not status.docmdp_ok:
        return verdict(
            FAILED,
            "FORMAT_FAILURE",
            f"changed after signing beyond what is allowed (modification {rep.modification}, DocMDP {rep.docmdp})"
            + (f": {rep.detail}" if rep.detail else ""),
        )
    if s.kind == "signature":
        tst = status.timestamp_validity
        if tst is not None and not (tst.intact and tst.valid):
            return verdict(FAILED, "FORMAT_FAILURE", "the signature timestamp token does not verify")
        if not status.seed_value_ok:
            return verdict(INDETERMINATE, "SIG_CONSTRAINTS_FAILURE", str(status.seed_value_constraint_error))
    problem = status.trust_problem_indic
    if problem is not None:
        return verdict(FAILED if isinstance(problem, AdESFailure) else INDETERMINATE, problem.name)
    if status.validation_path is None:
        return verdict(INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND")
    if s.kind == "signature":
        tst = status.timestamp_validity
        if tst is not None and not tst.trusted:
            indic = tst.trust_problem_indic
            return verdict(
                INDETERMINATE,
                indic.name if indic is not None else "NO_CERTIFICATE_CHAIN_FOUND",
                "the signature timestamp's TSA is not trusted",
            )
    return verdict(PASSED, None)


def timestamp_ok(s: CheckedSignature) -> bool:
    status = s.status
    if status is None:
        return False
    if s.kind == "document_timestamp":
        return bool(status.intact and status.valid and status.trusted)
    tst = status.timestamp_validity
    return bool(tst is not None and tst.intact and tst.valid and tst.trusted)


def _ts_crypto_ok(s: CheckedSignature) -> bool:
    status = s.status
    if status is None:
        return False
    if s.kind == "document_timestamp":
        return bool(status.intact and status.valid)
    tst = status.timestamp_validity
    return bool(tst is not None and tst.intact and tst.valid)


def assign_pades_levels(sigs: list[CheckedSignature], dss_revision: int | None, dss_has_revinfo: bool) -> None:
    """PAdES baseline level reached by each signature (ETSI EN 319 142-1), as far as the file shows.

    B-B: CAdES-detached sub-filter. B-T: its own signature timestamp, or a document timestamp over a
    later revision, verifies. B-LT: B-T and a DSS with revocation data present in its revision or a
    later one (whether that data covers this signer's chain is shown by ``trusted`` under an offline
    policy, not re-checked here). B-LTA: B-LT and a document timestamp over the revision with the DSS.
    """
    doc_ts = [t for t in sigs if t.kind == "document_timestamp" and _ts_crypto_ok(t)]
    for s in sigs:
        rep = s.report
        if s.kind != "signature" or rep.sub_filter != PADES_SUBFILTER.lstrip("/") or rep.indication == FAILED:
            continue
        rev = rep.revision if rep.revision is not None else -1
        level = "B-B"
        if _ts_crypto_ok(s) or any((t.report.revision or -1) > rev for t in doc_ts):
            level = "B-T"
            if dss_has_revinfo and dss_revision is not None and dss_revision >= rev:
                level = "B-LT"
                if any((t.report.revision or -1) >= dss_revision for t in doc_ts):
                    level = "B-LTA"
        rep.pades_level = level


def add_document_findings(sigs: list[CheckedSignature], report: VerificationReport) -> None:
    sig_fields = {s.report.field for s in sigs}
    for s in sigs:
        rep = s.report
        if rep.sub_filter is not None and rep.sub_filter not in (
            PADES_SUBFILTER.lstrip("/"),
            "ETSI.RFC3161",
        ):
            rep.warnings.append(
                Message(
                    f"Chữ ký {rep.field} dùng định dạng cũ {rep.sub_filter}, không phải PAdES.",
                    f"Signature {rep.field} uses the legacy format {rep.sub_filter}, not PAdES.",
                    "not_pades",
                )
            )
        others = [f for f in rep.changed_form_fields if f not in sig_fields]
        if others and rep.indication != FAILED:
            names = ", ".join(others)
            rep.warnings.append(
                Message(
                    f"Giá trị trường biểu mẫu đã đổi sau chữ ký {rep.field}: {names}. Hãy so nội dung với bản gốc.",
                    f"Form field values changed after signature {rep.field}: {names}. Compare the content with "
                    "the original.",
                    "form_changed",
                )
            )
        if rep.signing_time_source == "claimed" and s.poe_from is None and rep.indication == PASSED:
            rep.warnings.append(
                Message(
                    f"Thời điểm ký của {rep.field} do người ký tự khai, không có dấu thời gian chứng minh.",
                    f"The signing time of {rep.field} is claimed by the signer; no timestamp proves it.",
                    "claimed_time",
                )
            )
    if sigs:
        last = sigs[-1].report
        if (
            last.coverage == "ENTIRE_REVISION"
            and last.modification not in (None, "NONE", "LTA_UPDATES")
            and last.indication != FAILED
        ):
            report.warnings.append(
                Message(
                    f"Tệp có cập nhật sau chữ ký cuối cùng ({last.modification}), trong phạm vi được phép.",
                    f"The file was updated after the last signature ({last.modification}), within what is allowed.",
                    "updated_after_last_signature",
                )
            )


def first_sub_indication(sigs: list[CheckedSignature], indication: str) -> str | None:
    for s in sigs:
        if s.report.indication == indication:
            return s.report.sub_indication
    return None
