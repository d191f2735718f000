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

The work is split by concern: :mod:`verifier.pdf_policy` (limits and choices),
:mod:`verifier.pdf_guards` (hostile-input checks and the deadline worker),
:mod:`verifier.pdf_signatures` (pyHanko parsing and validation) and :mod:`verifier.pdf_verdicts`
(verdicts, PAdES levels and document findings).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from asn1crypto import x509

from verifier.pdf_guards import HostileInput, format_failure, has_pdf_header, prescan, run_with_deadline
from verifier.pdf_policy import DEFAULT_POLICY, MiB, PdfTooLargeError, VerificationPolicy
from verifier.pdf_signatures import analyse, preload
from verifier.report import INDETERMINATE, VerificationReport

__all__ = [
    "DEFAULT_POLICY",
    "MiB",
    "PdfTooLargeError",
    "VerificationPolicy",
    "VerificationReport",
    "verify_pdf",
]


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

    if not has_pdf_header(data):
        report = replace(base, document="not_pdf", sub_indication="NOT_A_PDF")
    else:
        try:
            prescan(data, policy)
        except HostileInput as e:
            report = format_failure(base, e.message, e.detail)
        else:
            preload()  # import pyHanko here: an interrupt must never land in the middle of an import
            report = run_with_deadline(lambda: analyse(data, roots, at, policy, base), policy, base)
    report.elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
    return report
