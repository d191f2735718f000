"""The pyHanko work of :func:`verifier.pdf.verify_pdf` (runs in the worker thread): read the PDF, find
each signature's proof of existence, validate it against the trust roots, and build the report
with :mod:`verifier.pdf_verdicts`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from asn1crypto import x509

from verifier.clock import SystemClock
from verifier.pdf_guards import format_failure, looks_signed
from verifier.pdf_policy import VerificationPolicy
from verifier.pdf_verdicts import (
    PADES_LEVELS,
    CheckedSignature,
    add_document_findings,
    assign_pades_levels,
    first_sub_indication,
    fmt_time,
    judge,
    short_text,
    timestamp_ok,
)
from verifier.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    Message,
    SignatureReport,
    VerificationReport,
    worst,
)

__all__ = ["analyse", "forget_parsed_objects", "open_reader", "preload"]


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


def preload() -> None:
    for module in _PRELOAD:
        importlib.import_module(module)
    _install_speedups()


def _install_speedups() -> None:
    from verifier.pdf_speedups import install

    install()


def open_reader(data: bytes, policy: VerificationPolicy, *, signatures: bool = True) -> tuple[Any, bool]:
    """A reader with the policy's decode limits, and whether it had to be lenient. ``signatures``:
    the strict attempt also reads the signature fields (a strict error there means lenient too)."""
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget
    from pyhanko.pdf_utils.misc import PdfStrictReadError
    from pyhanko.pdf_utils.reader import PdfFileReader

    limits = DecodeLimits(document_budget=DocumentDecodeBudget(base_allowance=policy.decode_budget, max_ratio=20))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=True, decode_limits=limits)
        if signatures:
            _ = reader.embedded_signatures
        return reader, False
    except PdfStrictReadError:
        if not policy.allow_lenient_syntax:
            raise
    reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=limits)
    return reader, True


def forget_parsed_objects(reader: Any) -> None:
    """Empty ``reader``'s object caches once its report is built.

    pyHanko's parsed objects point back at the reader that parsed them (``container_ref``), and the reader and its
    revisions' resolvers keep them: each verification left about 6,000 objects in reference cycles, which only the
    garbage collector frees, mostly in its slower older generations. Emptied, reference counting frees all but about
    360 of them (the reader and its revisions, which point at each other) as soon as the report is returned
    (collection per verification, on average over 240 of them: 8.6 ms before, 3.7 ms after)."""
    for resolver in getattr(reader, "_historical_resolver_cache", {}).values():
        resolver.cache.clear()
        resolver._indirect_object_access_cache = None
    for cache in ("_historical_resolver_cache", "resolved_objects"):
        getattr(reader, cache, {}).clear()
    reader._embedded_signatures = None


def _undecodable(cert: x509.Certificate) -> str | None:
    """Why the certificate's subject or issuer Name cannot be decoded, or ``None`` when both can.

    asn1crypto parses lazily: a truncated Name, or a UTF8String that is not UTF-8, only raises when
    the value is read, here by the report (:func:`_name`) and by pyhanko-certvalidator (``hashable``).
    """
    try:
        for which in ("subject", "issuer"):
            _name(cert, which)
            _ = getattr(cert, which).hashable
    except Exception as e:  # asn1crypto's decoder errors: ValueError, UnicodeDecodeError, ...
        return f"{type(e).__name__}: {short_text(e, 120)}"
    return None


def _name(cert: x509.Certificate | None, which: str = "subject") -> str | None:
    """The certificate's Name for people; only for certificates :func:`_undecodable` accepts."""
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


async def analyse(
    data: bytes,
    roots: list[x509.Certificate],
    at: datetime | None,
    policy: VerificationPolicy,
    base: VerificationReport,
    collect: Callable[[Any], None] | None = None,
) -> VerificationReport:
    """Validate every signature. ``collect(reader)``, when given, is called with the open reader
    before the signatures are validated (same limits, same deadline: see :mod:`verifier.pdf_contents`)."""
    from verifier.asn1_speedups import new_verification

    new_verification()
    report = replace(base, warnings=list(base.warnings), signatures=[])
    try:
        reader, lenient = open_reader(data, policy)
        if collect is not None:
            collect(reader)
        embedded = list(reader.embedded_signatures)
    except (RecursionError, MemoryError):
        raise
    except Exception as e:
        if not looks_signed(data):
            return replace(report, document="not_pdf", indication=INDETERMINATE, sub_indication="NOT_A_PDF")
        return format_failure(
            report,
            Message(
                f"Không đọc được cấu trúc tệp PDF đã ký ({type(e).__name__}).",
                f"The signed PDF's structure cannot be read ({type(e).__name__}: {short_text(e)}).",
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
    try:
        return await _judge_signatures(reader, lenient, embedded, report, roots, at, policy)
    finally:
        forget_parsed_objects(reader)


async def _judge_signatures(
    reader: Any,
    lenient: bool,
    embedded: list[Any],
    report: VerificationReport,
    roots: list[x509.Certificate],
    at: datetime | None,
    policy: VerificationPolicy,
) -> VerificationReport:
    if not embedded:
        return replace(report, document="unsigned", indication=INDETERMINATE, sub_indication="NO_SIGNATURE")
    if len(embedded) > policy.max_signatures:
        return format_failure(
            report,
            Message(
                f"Tệp có {len(embedded)} chữ ký (giới hạn {policy.max_signatures}).",
                f"The file has {len(embedded)} signatures (limit {policy.max_signatures}).",
                "limit_exceeded",
            ),
            "signature count",
        )

    sigs: list[CheckedSignature] = []
    for i, emb in enumerate(embedded):
        kind: Literal["signature", "document_timestamp"] = (
            "document_timestamp" if _safe(lambda e=emb: e.sig_object_type) == "/DocTimeStamp" else "signature"
        )
        sigs.append(CheckedSignature(emb, i, kind, _own_tst_time(emb, kind)))

    dss, dss_revision, dss_has_revinfo = _read_dss(reader, report)
    certification = _safe(lambda: _certification_level(reader))

    # Proof of existence for signature i: the earliest timestamp at or after it (its own, or one over
    # a later revision, which covers i's revision too).
    for s in sigs:
        candidates = [(t.own_tst_time, t.index) for t in sigs[s.index :] if t.own_tst_time is not None]
        if candidates:
            _, s.poe_from = min(candidates, key=lambda c: c[0])

    contexts = _Contexts(roots, dss, policy)
    try:
        await _validate_all(sigs, at, contexts, certification)
    finally:
        await contexts.aclose()
    assign_pades_levels(sigs, dss_revision, dss_has_revinfo)
    add_document_findings(sigs, report)
    report.signatures = [s.report for s in sigs]
    report.indication = worst([s.report.indication for s in sigs])
    report.sub_indication = first_sub_indication(sigs, report.indication)
    if lenient and report.indication == PASSED:
        # A file only a lenient parser can read is never a clean PASS: viewers may read it differently.
        report.indication, report.sub_indication = INDETERMINATE, "FORMAT_FAILURE"
    levels = [s.report.pades_level for s in sigs if s.kind == "signature"]
    report.pades_level = (
        None if not levels or any(lv is None for lv in levels) else min(levels, key=PADES_LEVELS.index)  # type: ignore[arg-type]
    )
    return report


async def _validate_all(
    sigs: list[CheckedSignature], at: datetime | None, contexts: _Contexts, certification: str | None
) -> None:
    for s in sigs:
        moment = at or (sigs[s.poe_from].own_tst_time if s.poe_from is not None else None)
        await _validate(s, contexts, moment, certification)

    # A timestamp used as proof of existence must itself hold; otherwise validate at the current time.
    if at is None:
        for s in sigs:
            if s.poe_from is None:
                continue
            src = sigs[s.poe_from]
            if not timestamp_ok(src):
                s.poe_from = None
                await _validate(s, contexts, None, certification)
                if not contexts.roots:  # nothing can be trusted anyway; the hint about trust roots says enough
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


def _safe(fn: Any) -> Any:
    try:
        return fn()
    except Exception:
        return None


def _certification_level(reader: Any) -> str | None:
    from pyhanko.sign.validation.pdf_embedded import read_certification_data

    info = read_certification_data(reader)
    return None if info is None else str(info.permission.name)


@dataclass(frozen=True)
class DssMaterial:
    """The DSS's certificates, OCSP responses and CRLs, parsed once per document.

    pyHanko's ``DocumentSecurityStore.as_validation_context`` decodes and parses every one of them again for each
    signature's validation context. Handing every context the same parsed objects gives the same contexts (the
    same DER, in the same order) while asn1crypto's per-object caches (parsed children, key identifiers, names)
    are filled once, not once per signature: about a fifth of a three-signature transcript's verification.
    """

    certs: tuple[x509.Certificate, ...]
    ocsps: tuple[Any, ...]
    crls: tuple[Any, ...]

    @classmethod
    def parse(cls, dss: Any) -> DssMaterial:
        """What ``as_validation_context`` parses, in its order (pyHanko 0.38, ``validation/dss.py``)."""
        from asn1crypto import crl as asn1_crl
        from asn1crypto import ocsp as asn1_ocsp
        from pyhanko.pdf_utils.decode_limits import DecodePurpose

        from verifier.asn1_speedups import interned

        ocsps = [asn1_ocsp.OCSPResponse.load(r.get_object().read_data(DecodePurpose.OCSP_RESPONSE)) for r in dss.ocsps]
        crls = [asn1_crl.CertificateList.load(r.get_object().read_data(DecodePurpose.CRL)) for r in dss.crls]
        return cls(
            tuple(interned(c) for c in dss.load_certs()),
            tuple(interned(o) for o in ocsps),
            tuple(interned(c) for c in crls),
        )


def _read_dss(reader: Any, report: VerificationReport) -> tuple[DssMaterial | None, int | None, bool]:
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError
    from pyhanko_certvalidator import ValidationContext

    try:
        dss = DocumentSecurityStore.read_dss(reader)
        # Decode and parse the certificates, OCSP responses and CRLs once, here, and check that a validation
        # context accepts them: malformed content is a damaged DSS like any other, not an error in the middle
        # of validation.
        material = DssMaterial.parse(dss)
        ValidationContext(
            trust_roots=[], allow_fetching=False, other_certs=list(material.certs), ocsps=list(material.ocsps),
            crls=list(material.crls),
        )  # fmt: skip
    except NoDSSFoundError:
        return None, None, False
    except Exception as e:
        report.warnings.append(
            Message(
                "Kho dữ liệu kiểm tra (DSS) trong tệp bị hỏng và đã bị bỏ qua.",
                f"The document security store (DSS) is damaged and was ignored ({short_text(e, 80)}).",
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
    has_revinfo = bool(material.ocsps or material.crls)
    return material, revision, has_revinfo


def _validation_context(
    roots: list[x509.Certificate], dss: DssMaterial | None, moment: datetime | None, policy: VerificationPolicy
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
    if dss is not None:  # as pyHanko's DocumentSecurityStore.as_validation_context, from the parsed material
        kwargs.update(other_certs=list(dss.certs), ocsps=list(dss.ocsps), crls=list(dss.crls))
    return ValidationContext(**kwargs)


class _Contexts:
    """One validation context per validation moment, shared by the document's signatures validated at it.

    The signatures of a transcript are all validated at the time of the seal's timestamp, with the same trust
    roots, DSS and policy: the same context for each. Sharing it builds the context once instead of three times
    and lets pyhanko-certvalidator reuse what it records (a CRL whose signature it has checked, a validated path),
    about 1–2 ms per transcript. A context is only shared within one document; the reports on every corpus PDF
    are the same as with one context per signature.
    """

    def __init__(self, roots: list[x509.Certificate], dss: DssMaterial | None, policy: VerificationPolicy) -> None:
        self.roots, self.dss, self.policy = roots, dss, policy
        self._by_moment: dict[datetime | None, Any] = {}

    def at(self, moment: datetime | None) -> Any:
        vc = self._by_moment.get(moment)
        if vc is None:
            vc = self._by_moment[moment] = _validation_context(self.roots, self.dss, moment, self.policy)
        return vc

    async def aclose(self) -> None:
        for vc in self._by_moment.values():
            with contextlib.suppress(Exception):
                await vc.aclose()


async def _validate(
    s: CheckedSignature, contexts: _Contexts, moment: datetime | None, certification: str | None
) -> None:
    from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature, async_validate_pdf_timestamp

    emb = s.embedded
    rep = SignatureReport(field=str(_safe(lambda: emb.field_name) or f"#{s.index + 1}"), kind=s.kind)
    s.report = rep
    rep.revision = _safe(lambda: emb.signed_revision)
    sub_filter = _safe(lambda: emb.sig_object.get("/SubFilter"))
    rep.sub_filter = str(sub_filter).lstrip("/") if sub_filter is not None else None
    cert = _safe(lambda: emb.signer_cert)
    undecodable = _undecodable(cert) if cert is not None else None
    if undecodable is None:
        rep.signer = _name(cert)
        rep.issuer = _name(cert, "issuer")
    rep.signer_certificate_sha256 = _safe(lambda: hashlib.sha256(cert.dump()).hexdigest()) if cert else None
    docmdp = _safe(lambda: emb.docmdp_level)
    rep.docmdp = docmdp.name if docmdp is not None else certification
    if s.own_tst_time is not None:
        rep.signing_time, rep.signing_time_source = fmt_time(s.own_tst_time), "timestamp"
        rep.timestamp = fmt_time(s.own_tst_time)
    else:
        claimed = _safe(lambda: emb.self_reported_timestamp)
        if claimed is not None:
            rep.signing_time, rep.signing_time_source = fmt_time(claimed), "claimed"
    rep.validation_time = fmt_time(moment or SystemClock().now())
    if undecodable is not None:
        rep.indication, rep.sub_indication = FAILED, "FORMAT_FAILURE"
        rep.detail = f"the signer's certificate cannot be decoded ({undecodable})"
        rep.warnings.append(
            Message(
                f"Chứng thư số của người ký trong chữ ký {rep.field} bị hỏng (không giải mã được tên).",
                f"The signer's certificate in signature {rep.field} is malformed (its name cannot be decoded).",
                "certificate_malformed",
            )
        )
        return

    vc = contexts.at(moment)
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
        rep.detail = f"{type(e).__name__}: {short_text(e, 300)}"
        return
    s.status = status
    judge(s, status)
