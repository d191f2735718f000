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

Callers that need more of the file than its signatures (an embedded attachment, the first page's
geometry) use :func:`examine_pdf`: the same parse, in the same worker and under the same limits and
deadline, also collects them (:mod:`verifier.pdf_contents`), so the file is never read a second
time by an unguarded reader. :func:`read_pdf_contents` collects them without validating signatures.

The work is split by concern: :mod:`verifier.pdf_policy` (limits and choices),
:mod:`verifier.pdf_guards` (hostile-input checks and the deadline worker),
:mod:`verifier.pdf_signatures` (pyHanko parsing and validation) and :mod:`verifier.pdf_verdicts`
(verdicts, PAdES levels and document findings).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509

from verifier.pdf_contents import ContentRequest, PdfContents, collect_contents
from verifier.pdf_guards import HostileInput, format_failure, has_pdf_header, prescan, run_with_deadline
from verifier.pdf_policy import DEFAULT_POLICY, Deadline, MiB, PdfTooLargeError, VerificationPolicy
from verifier.pdf_signatures import analyse, forget_parsed_objects, open_reader, preload
from verifier.report import INDETERMINATE, VerificationReport

__all__ = [
    "DEFAULT_POLICY",
    "ContentRequest",
    "Deadline",
    "MiB",
    "PdfContents",
    "PdfExamination",
    "PdfTooLargeError",
    "VerificationPolicy",
    "VerificationReport",
    "examine_pdf",
    "read_pdf_contents",
    "verify_pdf",
]


@dataclass
class PdfExamination:
    """The signatures' report and, when asked for, what was collected from the same parse."""

    report: VerificationReport
    contents: PdfContents | None
    """``None`` when nothing was asked, or the file could not be parsed within the limits."""
    deadline: Deadline
    """The deadline the parse ran under: pass it on to later work on the same file."""


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
    return examine_pdf(data, trust=trust, at=at, policy=policy).report


def examine_pdf(
    data: bytes,
    *,
    trust: Sequence[x509.Certificate],
    at: datetime | None = None,
    policy: VerificationPolicy = DEFAULT_POLICY,
    contents: ContentRequest | None = None,
    deadline: Deadline | None = None,
) -> PdfExamination:
    """:func:`verify_pdf`, collecting ``contents`` from the same parse, within ``deadline``.

    Without a ``deadline`` one of ``policy.time_limit`` starts once pyHanko is imported (importing
    is not work on the file). It is returned (:attr:`PdfExamination.deadline`) for the caller's
    later work on the same file, e.g. rendering a page with :func:`verifier.qr_image.read_qr_from_pdf`.
    """
    started = time.perf_counter()
    data = _checked_size(data, policy)
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    roots = list(trust)
    collected: list[PdfContents] = []
    base = VerificationReport(
        document="signed",
        indication=INDETERMINATE,
        file_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        trust_roots=len(roots),
    )

    if not has_pdf_header(data):
        report = replace(base, document="not_pdf", sub_indication="NOT_A_PDF")
    else:
        preload()  # import pyHanko here: an interrupt must never land in the middle of an import
        deadline = deadline or Deadline.after(policy.time_limit)
        try:
            prescan(data, policy)
        except HostileInput as e:
            report = format_failure(base, e.message, e.detail)
        else:
            collect = None if contents is None else _collector(contents, collected)
            report = run_with_deadline(lambda: analyse(data, roots, at, policy, base, collect), policy, base, deadline)
    report.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return PdfExamination(report, collected[0] if collected else None, deadline or Deadline.after(policy.time_limit))


def read_pdf_contents(
    data: bytes,
    request: ContentRequest,
    *,
    policy: VerificationPolicy = DEFAULT_POLICY,
    deadline: Deadline | None = None,
) -> PdfContents | None:
    """Only collect ``request`` from ``data`` (no signature validation), under the same guards as
    :func:`examine_pdf`. ``None`` when the file is not a PDF or cannot be parsed within the limits."""
    data = _checked_size(data, policy)
    if not has_pdf_header(data):
        return None
    base = VerificationReport(document="not_pdf", indication=INDETERMINATE, file_size=len(data), sha256="")
    try:
        prescan(data, policy)
    except HostileInput:
        return None
    preload()
    collected: list[PdfContents] = []
    collect = _collector(request, collected)

    async def parse_and_collect() -> VerificationReport:
        try:
            reader, _ = open_reader(data, policy, signatures=False)
        except Exception:  # not readable: nothing to collect
            return base
        try:
            collect(reader)
        finally:
            forget_parsed_objects(reader)
        return base

    run_with_deadline(parse_and_collect, policy, base, deadline)
    return collected[0] if collected else None


def _checked_size(data: bytes, policy: VerificationPolicy) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be bytes")
    data = bytes(data)
    if len(data) > policy.max_file_size:
        raise PdfTooLargeError(
            f"Tệp quá lớn ({len(data):,} byte; giới hạn {policy.max_file_size:,} byte), không kiểm tra.",
            f"File too large ({len(data):,} bytes; limit {policy.max_file_size:,} bytes); not examined.",
        )
    return data


def _collector(request: ContentRequest, collected: list[PdfContents]) -> Callable[[Any], None]:
    def collect(reader: Any) -> None:
        collected.append(collect_contents(reader, request))

    return collect
