"""Verify every signature in a PDF, ours or anyone's, and say plainly what it means.

:func:`verify_pdf` checks, per signature (document timestamps included): integrity of the signed
bytes, byte-range coverage, what changed in later incremental updates (pyHanko's difference
analysis, judged against the DocMDP/FieldMDP permissions), the signer's chain to the given trust
roots, revocation at the signing time (the document's DSS first, online only when the policy allows
it), timestamps, and the PAdES baseline level reached. The document's verdict is the worst of its
signatures.

"Not valid" is a result (a report with ``FAILED``), never an exception. "Could not process" is an
exception: :class:`PdfTooLargeError` (over :attr:`VerificationPolicy.max_file_size`) or
:class:`VerifierError`. Bytes that are not a PDF, and PDFs with no signature, give a report whose
``document`` is ``not_pdf`` / ``unsigned`` (exit code 3 in the CLI).

Hostile input
-------------
* File size: refused above ``max_file_size`` before anything is parsed.
* Object count: a byte scan counts ``N G obj`` headers and the largest xref ``/Size``; above
  ``max_objects`` the document is FAILED/FORMAT_FAILURE without being parsed.
* Decompression: pyHanko 0.38's decode limits (per stream ratio and size, per-document budget),
  tightened by :attr:`VerificationPolicy.decode_budget`; exceeding them is FORMAT_FAILURE.
* Recursion: deep nesting raises ``RecursionError`` in the parser, caught as FORMAT_FAILURE.
* Wall clock: the pyHanko work runs in a daemon worker thread. The caller waits at most
  ``time_limit`` seconds; then it returns FAILED/FORMAT_FAILURE and asks the interpreter to raise an
  exception inside the worker (``PyThreadState_SetAsyncExc``), which stops pure-Python loops at the
  next bytecode. We chose a thread over a process because it costs nothing per call (a process
  pool would add tens of milliseconds and pickling) and pyHanko is pure Python; the limit of the
  choice is that a single long C call (e.g. one huge zlib stream, already bounded by the decode
  limits) finishes before the worker stops. The worker thread also lets callers that are already
  inside an asyncio event loop call this synchronous function.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import hashlib
import importlib
import io
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from asn1crypto import x509

from verifier.errors import VerifierError
from verifier.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    Indication,
    Message,
    SignatureReport,
    VerificationReport,
    worst,
)

__all__ = [
    "DEFAULT_POLICY",
    "PdfTooLargeError",
    "VerificationPolicy",
    "verify_pdf",
]

MiB = 1024 * 1024
_PADES_LEVELS = ("B-B", "B-T", "B-LT", "B-LTA")
_PADES_SUBFILTER = "/ETSI.CAdES.detached"


class PdfTooLargeError(VerifierError):
    """The file is larger than the policy allows; it was not examined."""

    code = "file_too_large"


@dataclass(frozen=True)
class VerificationPolicy:
    """Limits and choices for :func:`verify_pdf`. The defaults suit files from strangers, offline."""

    max_file_size: int = 25 * MiB
    """Larger files are refused with :class:`PdfTooLargeError`."""
    max_objects: int = 500_000
    """Upper bound on object headers and on any xref ``/Size``."""
    max_signatures: int = 32
    """More signature fields than this: FAILED/FORMAT_FAILURE."""
    time_limit: float = 2.5
    """Seconds of wall-clock time for the parsing and validation work."""
    decode_budget: int = 64 * MiB
    """Bytes all stream decoders together may produce (at least; 20x the file size is also allowed)."""
    allow_fetching: bool = False
    """Fetch OCSP/CRL (and missing certificates) over the network when the embedded data is not enough."""
    revocation_mode: Literal["soft-fail", "hard-fail", "require"] = "hard-fail"
    """pyhanko-certvalidator revocation mode: ``hard-fail`` (default) fails when revocation data
    that should exist cannot be found or is stale; ``require`` demands it for every certificate."""
    allow_lenient_syntax: bool = True
    """Re-read files that pyHanko's strict parser refuses (e.g. xref quirks) in lenient mode, with a
    warning; all signature and difference checks still apply and the result is at best INDETERMINATE.
    ``False``: FAILED/FORMAT_FAILURE."""


DEFAULT_POLICY = VerificationPolicy()


class _Deadline(BaseException):
    """Raised inside the worker thread when the caller gave up waiting (not an Exception on purpose)."""


class _Hostile(Exception):
    def __init__(self, vi: str, en: str, detail: str) -> None:
        super().__init__(detail)
        self.message = Message(vi, en, "limit_exceeded")
        self.detail = detail


# --------------------------------------------------------------------------------------------------
# public entry point


def verify_pdf(
    data: bytes,
    *,
    trust: Sequence[x509.Certificate],
    at: datetime | None = None,
    policy: VerificationPolicy = DEFAULT_POLICY,
) -> VerificationReport:
    """Verify every signature in ``data`` against the ``trust`` roots.

    ``at`` fixes the validation time for every signature (timezone-aware; naive means UTC). When
    it is ``None`` each signature is validated at its best proof of existence: the earliest
    timestamp (its own or a later document/signature timestamp that covers it), else now.
    """
    started = time.perf_counter()
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be bytes")
    data = bytes(data)
    if len(data) > policy.max_file_size:
        raise PdfTooLargeError(
            f"Tệp quá lớn ({len(data):,} byte; giới hạn {policy.max_file_size:,} byte), không kiểm tra.",
            f"File too large ({len(data):,} bytes; limit {policy.max_file_size:,} bytes); not examined.",
        )
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    roots = list(trust)
    base = VerificationReport(
        document="signed",
        indication=INDETERMINATE,
        file_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        trust_roots=len(roots),
    )

    if not _has_pdf_header(data):
        report = replace(base, document="not_pdf", sub_indication="NOT_A_PDF")
    else:
        try:
            _prescan(data, policy)
        except _Hostile as e:
            report = _format_failure(base, e.message, e.detail)
        else:
            report = _run_with_deadline(data, roots, at, policy, base)
    report.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return report


# --------------------------------------------------------------------------------------------------
# cheap checks before parsing

_OBJ_HEADER = re.compile(rb"\d{1,10}\s+\d{1,5}\s+obj\b")
_SIZE = re.compile(rb"/Size\s+(\d{1,12})")


def _has_pdf_header(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def _looks_signed(data: bytes) -> bool:
    return b"/ByteRange" in data


def _prescan(data: bytes, policy: VerificationPolicy) -> None:
    for count, _ in enumerate(_OBJ_HEADER.finditer(data), 1):
        if count > policy.max_objects:
            raise _Hostile(
                f"Tệp có hơn {policy.max_objects:,} đối tượng PDF (giới hạn an toàn).",
                f"The file has more than {policy.max_objects:,} PDF objects (safety limit).",
                "object count limit",
            )
    sizes = [int(m.group(1)) for m in _SIZE.finditer(data)]
    if sizes and max(sizes) > policy.max_objects:
        raise _Hostile(
            f"Bảng tham chiếu khai báo {max(sizes):,} đối tượng (giới hạn {policy.max_objects:,}).",
            f"A cross-reference section declares {max(sizes):,} objects (limit {policy.max_objects:,}).",
            "xref /Size limit",
        )


def _format_failure(base: VerificationReport, warning: Message, detail: str) -> VerificationReport:
    return replace(
        base,
        document="signed",
        indication=FAILED,
        sub_indication="FORMAT_FAILURE",
        warnings=[*base.warnings, warning],
        signatures=[],
        pades_level=None,
    )


# --------------------------------------------------------------------------------------------------
# the worker thread with a deadline


def _run_with_deadline(
    data: bytes,
    roots: list[x509.Certificate],
    at: datetime | None,
    policy: VerificationPolicy,
    base: VerificationReport,
) -> VerificationReport:
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["report"] = asyncio.run(_analyse(data, roots, at, policy, base))
        except _Deadline:
            box["deadline"] = True
        except BaseException as e:  # reported to the caller below
            box["error"] = e

    _preload()  # import pyHanko here: an interrupt must never land in the middle of an import
    worker = threading.Thread(target=work, name="verifier-pdf", daemon=True)
    worker.start()
    worker.join(policy.time_limit)
    if worker.is_alive():
        _interrupt(worker)
        return _format_failure(
            base,
            Message(
                f"Việc kiểm tra vượt quá {policy.time_limit:g} giây; tệp có thể được tạo ra để gây treo.",
                f"Checking took longer than {policy.time_limit:g} s; the file may be crafted to hang verifiers.",
                "time_limit",
            ),
            "time limit",
        )
    if "report" in box:
        report: VerificationReport = box["report"]
        return report
    error = box.get("error")
    if isinstance(error, VerifierError):
        raise error
    if isinstance(error, RecursionError | MemoryError):
        return _format_failure(
            base,
            Message(
                "Cấu trúc tệp lồng nhau quá sâu hoặc quá lớn (giới hạn an toàn).",
                "The file's structure is nested too deeply or is too large (safety limit).",
                "limit_exceeded",
            ),
            type(error).__name__,
        )
    raise VerifierError(
        f"Không xử lý được tệp do lỗi nội bộ: {error!r}",
        f"The file could not be processed because of an internal error: {error!r}",
        code="internal_error",
    ) from error


def _interrupt(worker: threading.Thread) -> None:
    ident = worker.ident
    if ident is None:  # pragma: no cover - the thread has started
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_Deadline))


# --------------------------------------------------------------------------------------------------
# pyHanko work (runs in the worker thread)


_PRELOAD = (
    "pyhanko.pdf_utils.reader",
    "pyhanko.sign.ades.report",
    "pyhanko.sign.diff_analysis",
    "pyhanko.sign.validation.dss",
    "pyhanko.sign.validation.generic_cms",
    "pyhanko.sign.validation.pdf_embedded",
    "pyhanko.sign.validation.status",
    "pyhanko_certvalidator",
)


def _preload() -> None:
    for module in _PRELOAD:
        importlib.import_module(module)
    _install_speedups()


def _install_speedups() -> None:
    try:
        from signing.speedups import install
    except ImportError:  # pragma: no cover - verifier installed without the signing package
        return
    install()


@dataclass
class _Sig:
    embedded: Any
    index: int
    kind: Literal["signature", "document_timestamp"]
    own_tst_time: datetime | None = None
    report: SignatureReport = field(default_factory=lambda: SignatureReport(field="?"))
    status: Any = None
    poe_from: int | None = None


def _open_reader(data: bytes, policy: VerificationPolicy) -> tuple[Any, bool]:
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget
    from pyhanko.pdf_utils.misc import PdfStrictReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    limits = DecodeLimits(document_budget=DocumentDecodeBudget(base_allowance=policy.decode_budget, max_ratio=20))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True, decode_limits=limits)
        _ = reader.embedded_signatures
        return reader, False
    except PdfStrictReadError:
        if not policy.allow_lenient_syntax:
            raise
    reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=limits)
    return reader, True


def _fmt(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _name(cert: x509.Certificate | None, which: str = "subject") -> str | None:
    if cert is None:
        return None
    name = getattr(cert, which)
    native = name.native
    cn = native.get("common_name") if isinstance(native, dict) else None
    if isinstance(cn, list):
        cn = cn[0] if cn else None
    org = native.get("organization_name") if isinstance(native, dict) else None
    if isinstance(org, list):
        org = org[0] if org else None
    if cn and org and org != cn:
        return f"{cn} ({org})"
    return str(cn) if cn else str(name.human_friendly)


def _tst_gen_time(signed_data: Any) -> datetime | None:
    try:
        gen_time = signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    except Exception:
        return None
    return gen_time if isinstance(gen_time, datetime) else None


def _own_tst_time(embedded: Any, kind: str) -> datetime | None:
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    if kind == "document_timestamp":
        return _tst_gen_time(embedded.signed_data)
    try:
        for sd in extract_tst_data_iter(embedded.signer_info, signed=False):
            return _tst_gen_time(sd)
    except Exception:
        return None
    return None


async def _analyse(
    data: bytes,
    roots: list[x509.Certificate],
    at: datetime | None,
    policy: VerificationPolicy,
    base: VerificationReport,
) -> VerificationReport:
    report = replace(base, warnings=list(base.warnings), signatures=[])
    try:
        reader, lenient = _open_reader(data, policy)
        embedded = list(reader.embedded_signatures)
    except (RecursionError, MemoryError):
        raise
    except Exception as e:
        if not _looks_signed(data):
            return replace(report, document="not_pdf", indication=INDETERMINATE, sub_indication="NOT_A_PDF")
        return _format_failure(
            report,
            Message(
                f"Không đọc được cấu trúc tệp PDF đã ký ({type(e).__name__}).",
                f"The signed PDF's structure cannot be read ({type(e).__name__}: {_short(e)}).",
                "unreadable",
            ),
            str(e),
        )
    if lenient:
        report.warnings.append(
            Message(
                "Tệp có lỗi cú pháp PDF nhỏ và đã được đọc ở chế độ dễ dãi; các kiểm tra chữ ký vẫn áp dụng đầy đủ "
                "và kết quả tốt nhất là CHƯA XÁC ĐỊNH.",
                "The file has minor PDF syntax errors and was read in lenient mode; all signature checks still apply, "
                "and the result is at best INDETERMINATE.",
                "lenient_syntax",
            )
        )
    if not embedded:
        return replace(report, document="unsigned", indication=INDETERMINATE, sub_indication="NO_SIGNATURE")
    if len(embedded) > policy.max_signatures:
        return _format_failure(
            report,
            Message(
                f"Tệp có {len(embedded)} chữ ký (giới hạn {policy.max_signatures}).",
                f"The file has {len(embedded)} signatures (limit {policy.max_signatures}).",
                "limit_exceeded",
            ),
            "signature count",
        )

    sigs: list[_Sig] = []
    for i, emb in enumerate(embedded):
        kind: Literal["signature", "document_timestamp"] = (
            "document_timestamp" if _safe(lambda e=emb: e.sig_object_type) == "/DocTimeStamp" else "signature"
        )
        sigs.append(_Sig(emb, i, kind, _own_tst_time(emb, kind)))

    dss, dss_revision, dss_has_revinfo = _read_dss(reader, report)
    certification = _safe(lambda: _certification_level(reader))

    # Proof of existence for signature i: the earliest timestamp at or after it (its own, or one over
    # a later revision, which covers i's revision too).
    for s in sigs:
        candidates = [(t.own_tst_time, t.index) for t in sigs[s.index :] if t.own_tst_time is not None]
        if candidates:
            _, s.poe_from = min(candidates, key=lambda c: c[0])

    for s in sigs:
        moment = at or (sigs[s.poe_from].own_tst_time if s.poe_from is not None else None)
        await _validate(s, roots, dss, moment, policy, certification)

    # A timestamp used as proof of existence must itself hold; otherwise validate at the current time.
    if at is None:
        for s in sigs:
            if s.poe_from is None:
                continue
            src = sigs[s.poe_from]
            if not _timestamp_ok(src):
                s.poe_from = None
                await _validate(s, roots, dss, None, policy, certification)
                if not roots:  # nothing can be trusted anyway; the hint about trust roots says enough
                    continue
                s.report.warnings.append(
                    Message(
                        "Dấu thời gian dùng làm bằng chứng thời điểm ký không hợp lệ hoặc không tin cậy; "
                        "chữ ký được kiểm tra tại thời điểm hiện tại.",
                        "The timestamp used as proof of the signing time is not valid or not trusted; "
                        "the signature was checked at the current time.",
                        "timestamp_not_usable",
                    )
                )

    _levels(sigs, dss_revision, dss_has_revinfo)
    _document_findings(sigs, report)
    report.signatures = [s.report for s in sigs]
    report.indication = worst([s.report.indication for s in sigs])
    report.sub_indication = _first_sub(sigs, report.indication)
    if lenient and report.indication == PASSED:
        # A file only a lenient parser can read is never a clean PASS: viewers may read it differently.
        report.indication, report.sub_indication = INDETERMINATE, "FORMAT_FAILURE"
    levels = [s.report.pades_level for s in sigs if s.kind == "signature"]
    report.pades_level = (
        None if not levels or any(lv is None for lv in levels) else min(levels, key=_PADES_LEVELS.index)  # type: ignore[arg-type]
    )
    return report


def _short(e: BaseException, n: int = 160) -> str:
    text = str(e).replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def _safe(fn: Any) -> Any:
    try:
        return fn()
    except Exception:
        return None


def _certification_level(reader: Any) -> str | None:
    from pyhanko.sign.validation.pdf_embedded import read_certification_data

    info = read_certification_data(reader)
    return None if info is None else str(info.permission.name)


def _read_dss(reader: Any, report: VerificationReport) -> tuple[Any, int | None, bool]:
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return None, None, False
    except Exception as e:
        report.warnings.append(
            Message(
                "Kho dữ liệu kiểm tra (DSS) trong tệp bị hỏng và đã bị bỏ qua.",
                f"The document security store (DSS) is damaged and was ignored ({_short(e, 80)}).",
                "dss_damaged",
            )
        )
        return None, None, False
    revision = None
    try:
        for r in range(reader.xrefs.total_revisions):
            if "/DSS" in reader.get_historical_root(r):
                revision = r
                break
    except Exception:
        revision = None
    has_revinfo = bool(list(dss.ocsps) or list(dss.crls))
    return dss, revision, has_revinfo


def _validation_context(
    roots: list[x509.Certificate], dss: Any, moment: datetime | None, policy: VerificationPolicy
) -> Any:
    from pyhanko_certvalidator import ValidationContext

    kwargs: dict[str, Any] = {
        "trust_roots": roots,
        "allow_fetching": policy.allow_fetching,
        "revocation_mode": policy.revocation_mode,
        # A "good" OCSP response or a CRL issued after the signing time still shows the certificate
        # was not revoked at that time (revocation is permanent), so accept revocation data newer
        # than the validation moment: this is what makes PAdES-LT data added after signing usable.
        "retroactive_revinfo": True,
        "crls": [],
        "ocsps": [],
    }
    if moment is not None:
        kwargs["moment"] = moment
        kwargs["best_signature_time"] = moment
    if dss is not None:
        return dss.as_validation_context(kwargs)
    return ValidationContext(**kwargs)


async def _validate(
    s: _Sig,
    roots: list[x509.Certificate],
    dss: Any,
    moment: datetime | None,
    policy: VerificationPolicy,
    certification: str | None,
) -> None:
    from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature, async_validate_pdf_timestamp

    emb = s.embedded
    rep = SignatureReport(field=str(_safe(lambda: emb.field_name) or f"#{s.index + 1}"), kind=s.kind)
    s.report = rep
    rep.revision = _safe(lambda: emb.signed_revision)
    sub_filter = _safe(lambda: emb.sig_object.get("/SubFilter"))
    rep.sub_filter = str(sub_filter).lstrip("/") if sub_filter is not None else None
    cert = _safe(lambda: emb.signer_cert)
    rep.signer = _name(cert)
    rep.issuer = _name(cert, "issuer")
    rep.signer_certificate_sha256 = _safe(lambda: hashlib.sha256(cert.dump()).hexdigest()) if cert else None
    docmdp = _safe(lambda: emb.docmdp_level)
    rep.docmdp = docmdp.name if docmdp is not None else certification
    if s.own_tst_time is not None:
        rep.signing_time, rep.signing_time_source = _fmt(s.own_tst_time), "timestamp"
        rep.timestamp = _fmt(s.own_tst_time)
    else:
        claimed = _safe(lambda: emb.self_reported_timestamp)
        if claimed is not None:
            rep.signing_time, rep.signing_time_source = _fmt(claimed), "claimed"
    rep.validation_time = _fmt(moment or datetime.now(UTC))

    vc = _validation_context(roots, dss, moment, policy)
    status: Any
    try:
        if s.kind == "document_timestamp":
            status = await async_validate_pdf_timestamp(emb, validation_context=vc)
        else:
            status = await async_validate_pdf_signature(emb, signer_validation_context=vc, ts_validation_context=vc)
    except (RecursionError, MemoryError):
        raise
    except Exception as e:
        rep.indication, rep.sub_indication = FAILED, "FORMAT_FAILURE"
        rep.detail = f"{type(e).__name__}: {_short(e, 300)}"
        return
    finally:
        with contextlib.suppress(Exception):
            await vc.aclose()
    s.status = status
    _judge(s, status)


def _judge(s: _Sig, status: Any) -> None:
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
        rep.changed_form_fields = sorted(diff.changed_form_fields)
    elif diff is not None:
        rep.detail = _short(diff, 300)
    if s.kind == "document_timestamp":
        rep.timestamp = _fmt(status.timestamp)
        rep.timestamp_trusted = rep.trusted
    else:
        tst = status.timestamp_validity
        if tst is not None:
            rep.timestamp = _fmt(tst.timestamp)
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


def _timestamp_ok(s: _Sig) -> bool:
    status = s.status
    if status is None:
        return False
    if s.kind == "document_timestamp":
        return bool(status.intact and status.valid and status.trusted)
    tst = status.timestamp_validity
    return bool(tst is not None and tst.intact and tst.valid and tst.trusted)


def _ts_crypto_ok(s: _Sig) -> bool:
    status = s.status
    if status is None:
        return False
    if s.kind == "document_timestamp":
        return bool(status.intact and status.valid)
    tst = status.timestamp_validity
    return bool(tst is not None and tst.intact and tst.valid)


def _levels(sigs: list[_Sig], dss_revision: int | None, dss_has_revinfo: bool) -> None:
    """PAdES baseline level reached by each signature (ETSI EN 319 142-1), as far as the file shows.

    B-B: CAdES-detached sub-filter. B-T: its own signature timestamp, or a document timestamp over a
    later revision, verifies. B-LT: B-T and a DSS with revocation data present in its revision or a
    later one (whether that data covers this signer's chain is shown by ``trusted`` under an offline
    policy, not re-checked here). B-LTA: B-LT and a document timestamp over the revision with the DSS.
    """
    doc_ts = [t for t in sigs if t.kind == "document_timestamp" and _ts_crypto_ok(t)]
    for s in sigs:
        rep = s.report
        if s.kind != "signature" or rep.sub_filter != _PADES_SUBFILTER.lstrip("/") or rep.indication == FAILED:
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


def _document_findings(sigs: list[_Sig], report: VerificationReport) -> None:
    sig_fields = {s.report.field for s in sigs}
    for s in sigs:
        rep = s.report
        if rep.sub_filter is not None and rep.sub_filter not in (
            _PADES_SUBFILTER.lstrip("/"),
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


def _first_sub(sigs: list[_Sig], indication: str) -> str | None:
    for s in sigs:
        if s.report.indication == indication:
            return s.report.sub_indication
    return None
