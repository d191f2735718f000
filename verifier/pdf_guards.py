"""Hostile-input guards of :func:`verifier.pdf.verify_pdf`: cheap checks before parsing, and the
worker thread with a time budget around the parsing and validation (see :mod:`verifier.pdf`).

The budget is the worker's own CPU time, not the wall clock: a crafted file that makes the parser spin
uses it up whatever the load, while a genuine document on a busy machine (other requests, other test
workers) waits for the CPU without being taken for a hostile one. A worker that is blocked rather than
computing is stopped by a wall-clock cap of several times the budget.
"""

from __future__ import annotations

import asyncio
import ctypes
import re
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from verifier.errors import VerifierError
from verifier.pdf_policy import Deadline, VerificationPolicy
from verifier.report import (
    FAILED,
    Message,
    VerificationReport,
)

__all__ = [
    "HostileInput",
    "format_failure",
    "has_pdf_header",
    "looks_signed",
    "prescan",
    "run_with_deadline",
]


# A worker that waits (blocked I/O, a starved CPU) instead of computing may take this many times its CPU
# budget, plus a few seconds, in wall-clock time before it is stopped.
WALL_FACTOR = 4
WALL_EXTRA = 5.0
_POLL = 0.02


class _Deadline(BaseException):
    """Raised inside the worker thread when the caller gave up waiting (not an Exception on purpose)."""


class HostileInput(Exception):
    def __init__(self, vi: str, en: str, detail: str) -> None:
        super().__init__(detail)
        self.message = Message(vi, en, "limit_exceeded")
        self.detail = detail


# --------------------------------------------------------------------------------------------------
# cheap checks before parsing

_OBJ_HEADER = re.compile(rb"\d{1,10}\s+\d{1,5}\s+obj\b")
_SIZE = re.compile(rb"/Size\s+(\d{1,12})")


def has_pdf_header(data: bytes) -> bool:
    return b"%PDF-" in data[:1024]


def looks_signed(data: bytes) -> bool:
    return b"/ByteRange" in data


def prescan(data: bytes, policy: VerificationPolicy) -> None:
    # Every object header contains "obj": a C-speed count bounds the headers from above, and only a file over the
    # limit pays for the exact (regex) count, which took ~10 ms on a 230 KB transcript.
    if data.count(b"obj") <= policy.max_objects:
        _check_declared_size(data, policy)
        return
    for count, _ in enumerate(_OBJ_HEADER.finditer(data), 1):
        if count > policy.max_objects:
            raise HostileInput(
                f"Tệp có hơn {policy.max_objects:,} đối tượng PDF (giới hạn an toàn).",
                f"The file has more than {policy.max_objects:,} PDF objects (safety limit).",
                "object count limit",
            )
    _check_declared_size(data, policy)


def _check_declared_size(data: bytes, policy: VerificationPolicy) -> None:
    sizes = [int(m.group(1)) for m in _SIZE.finditer(data)]
    if sizes and max(sizes) > policy.max_objects:
        raise HostileInput(
            f"Bảng tham chiếu khai báo {max(sizes):,} đối tượng (giới hạn {policy.max_objects:,}).",
            f"A cross-reference section declares {max(sizes):,} objects (limit {policy.max_objects:,}).",
            "xref /Size limit",
        )


def format_failure(base: VerificationReport, warning: Message, detail: str) -> VerificationReport:
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


def run_with_deadline(
    analysis: Callable[[], Coroutine[Any, Any, VerificationReport]],
    policy: VerificationPolicy,
    base: VerificationReport,
    deadline: Deadline | None = None,
) -> VerificationReport:
    """Run ``analysis()`` in a daemon worker thread for at most ``policy.time_limit`` seconds, and
    never past ``deadline`` (shared with the caller's later reads of the same file).

    Import pyHanko (:func:`verifier.pdf_signatures.preload`) before calling: an interrupt must never
    land in the middle of an import.
    """
    limit = policy.time_limit if deadline is None else min(policy.time_limit, deadline.remaining())
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["report"] = asyncio.run(analysis())
        except _Deadline:
            box["deadline"] = True
        except BaseException as e:  # reported to the caller below
            box["error"] = e

    worker = threading.Thread(target=work, name="verifier-pdf", daemon=True)
    worker.start()
    if _wait(worker, limit):
        _interrupt(worker)
        return format_failure(
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
        return format_failure(
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


def _cpu_seconds(worker: threading.Thread) -> Callable[[], float | None] | None:
    """The worker's CPU time so far (None once it has ended), or None where threads have no CPU clock."""
    try:
        clock_id = time.pthread_getcpuclockid(worker.ident or 0)
    except (AttributeError, OSError):  # pragma: no cover - not Linux/BSD
        return None

    def read() -> float | None:
        try:
            return time.clock_gettime(clock_id)
        except OSError:  # the thread has ended
            return None

    return read


def _wait(worker: threading.Thread, budget: float) -> bool:
    """Wait for ``worker``; True when it overran: more than ``budget`` seconds of its own CPU time, or
    ``WALL_FACTOR`` times that (plus ``WALL_EXTRA``) on the wall clock."""
    cpu = _cpu_seconds(worker)
    if cpu is None:  # pragma: no cover - no per-thread CPU clock: the wall clock alone
        worker.join(budget)
        return worker.is_alive()
    started_cpu = cpu() or 0.0
    wall_cap = time.monotonic() + budget * WALL_FACTOR + WALL_EXTRA
    while True:
        worker.join(_POLL)
        if not worker.is_alive():
            return False
        used = cpu()
        if used is None:
            return False
        if used - started_cpu > budget or time.monotonic() > wall_cap:
            return worker.is_alive()


def _interrupt(worker: threading.Thread) -> None:
    ident = worker.ident
    if ident is None:  # pragma: no cover - the thread has started
        return
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(_Deadline))
