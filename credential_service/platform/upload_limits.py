"""Limits on uploaded files, and the worker processes that read them.

A hostile spreadsheet can be small and still cost minutes of CPU or gigabytes of memory to read (a
declared dimension of ``A1:XFD1048576``, a zip bomb, a billion laughs). Uploads are therefore

* read with a byte cap (:func:`read_limited`), never whole;
* parsed in a worker process (:func:`run_limited`) with a wall-clock limit (the worker is killed when
  it runs over) and an address-space limit (``RLIMIT_AS``), so the server's event loop and memory are
  never at stake;
* checked against :class:`SpreadsheetLimits` measured on what is really in the file, not on what the
  file declares (:mod:`credential_service.platform.spreadsheet_input`).

Every refusal is a :class:`TooLarge` (413) or :class:`InvalidInput` (422) that names the limit and
what to do. The numbers of each kind of upload live with its domain (a class import, a register
book); the generic ones are here.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from credential_service.platform.errors import (
    InvalidInput,
    Message,
    Problem,
    ServiceUnavailable,
    SogocError,
    TooLarge,
)

T = TypeVar("T")

MB = 1024 * 1024
EXCEL_MAX_ROWS = 1_048_576  # the largest row number an .xlsx sheet can have
EXCEL_MAX_COLUMNS = 16_384  # column XFD
MAX_ZIP_ENTRIES = 1_000  # parts in one .xlsx package (a plain workbook has about a dozen)
TAGS_PER_CELL = 8  # XML tags one part may hold per allowed cell (<row><c><is><t>...</t></is></c></row>)
WORKER_PROCESSES = 2  # uploads parsed at the same time per server process; more wait in a queue
WORKER_MAX_TASKS = 50  # a worker is replaced after this many files (memory an earlier file left mapped)
QUEUE_WAIT_SECONDS = 30.0  # how long an upload waits for a free worker before a 503
_PRELOAD = ["openpyxl", "defusedxml.ElementTree", "credential_service.platform.spreadsheet_input"]


@dataclass(frozen=True)
class SpreadsheetLimits:
    """What one kind of spreadsheet upload may hold; every number is a limit on what is in the file.

    ``label`` names the kind of file in messages ("tệp nhập điểm lớp" / "class import file").
    """

    label: Message
    max_bytes: int  # the uploaded (compressed) file
    max_unzipped_bytes: int  # all parts of an .xlsx package, decompressed (zip bombs)
    max_sheets: int
    max_rows: int  # rows holding at least one value, per sheet or CSV file
    max_columns: int  # the column of the right-most value
    max_cells: int  # cell elements per sheet (empty formatted cells included) or values per CSV file
    max_line_chars: int  # one physical line of a CSV file
    seconds: float  # wall-clock time to read the file in the worker
    memory_bytes: int  # address space the worker may add while it reads the file


def thousands(n: int) -> tuple[str, str]:
    """``n`` written the Vietnamese way (2.000) and the English way (2,000)."""
    en = f"{n:,}"
    return en.replace(",", "."), en


def megabytes(n: int) -> str:
    return f"{n / MB:g} MB"


def over_limit(
    limits: SpreadsheetLimits,
    limit: str,
    what: Message,
    todo: Message,
    *,
    maximum: int | float,
    actual: int | float | None = None,
    **location: Any,
) -> TooLarge:
    """A 413 naming the limit (``limit``, ``maximum``), what was found (``actual``) and what to do."""
    message = Message(
        f"{limits.label.vi[:1].upper()}{limits.label.vi[1:]} vượt giới hạn: {what.vi}.",
        f"The {limits.label.en} is over a limit: {what.en}.",
    )
    problem = Problem(message, location={"limit": limit, **location}, value=actual)
    return TooLarge(message, problems=[problem], hint=todo, limit=limit, maximum=maximum)


def malformed(what: Message, todo: Message, **location: Any) -> InvalidInput:
    """A 422 for a file that cannot be read (not a workbook, a broken zip, bad XML)."""
    return InvalidInput(what, problems=[Problem(what, location=dict(location))], hint=todo)


RESAVE = Message(
    "Mở tệp bằng Excel hoặc LibreOffice, lưu lại dạng .xlsx (không đặt mật khẩu) rồi tải lên lại.",
    "Open the file in Excel or LibreOffice, save it again as .xlsx (without a password) and upload it again.",
)


# ------------------------------------------------------------------------------------ reading the upload


def read_limited(stream: IO[bytes], limits: SpreadsheetLimits, *, field: str = "file") -> bytes:
    """The uploaded bytes, reading at most ``limits.max_bytes + 1``: a larger file is refused (413)."""
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise over_limit(
            limits,
            "max_bytes",
            Message(
                f"tệp lớn hơn {megabytes(limits.max_bytes)}", f"the file is larger than {megabytes(limits.max_bytes)}"
            ),
            Message(
                "Xoá các trang tính, hình ảnh và định dạng không cần thiết, hoặc chia dữ liệu thành nhiều tệp.",
                "Remove unneeded sheets, pictures and formatting, or split the data into several files.",
            ),
            maximum=limits.max_bytes,
            field=field,
        )
    if not data:
        raise InvalidInput(
            Message(f"Tệp rỗng (trường '{field}').", f"The file is empty (field '{field}')."),
            problems=[Problem(Message("Tệp rỗng.", "The file is empty."), location={"field": field})],
        )
    return data


# ------------------------------------------------------------------------------------ the worker processes

_pool: Any = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _worker_pool() -> Any:
    """The process pool of this server process (created on first use, again after a fork or a break)."""
    global _pool, _pool_pid
    from pebble import ProcessPool

    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid() or not _pool.active:
            context = multiprocessing.get_context("forkserver")  # never fork a threaded server
            context.set_forkserver_preload(_PRELOAD)
            _pool = ProcessPool(max_workers=WORKER_PROCESSES, max_tasks=WORKER_MAX_TASKS, context=context)
            _pool_pid = os.getpid()
        return _pool


def start_worker_pool() -> None:
    """Start the workers now (the first upload otherwise waits a second or so for them); call at startup."""
    pool = _worker_pool()
    for future in [pool.schedule(os.getpid) for _ in range(WORKER_PROCESSES)]:
        future.result(timeout=60)


def _address_space() -> int:
    """The worker's current address-space size (0 where /proc is not there)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _set_memory_limit(limit: int | None) -> None:
    """The worker's address-space limit: ``limit`` bytes, or back to the hard limit for ``None``."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if limit is None:
        soft = hard
    elif hard == resource.RLIM_INFINITY:
        soft = limit
    else:
        soft = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _run_in_worker(
    memory_bytes: int, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[str, Any]:
    """In the worker: run ``function`` under the memory limit; errors come back as plain values (a
    :class:`SogocError` does not survive pickling with its problems and hint)."""
    try:
        _set_memory_limit(_address_space() + memory_bytes)  # what an earlier file left mapped is not counted
        return "ok", function(*args, **kwargs)
    except SogocError as e:
        return "error", (type(e), e.message, e.problems, e.hint, e.extra)
    except MemoryError:
        return "memory", None
    finally:
        _set_memory_limit(None)


def _out_of_time(limits: SpreadsheetLimits) -> TooLarge:
    return over_limit(
        limits,
        "seconds",
        Message(f"đọc tệp mất hơn {limits.seconds:g} giây", f"reading the file took more than {limits.seconds:g} s"),
        Message(
            "Tệp quá phức tạp: hãy chép chỉ dữ liệu cần nhập sang một tệp mới (không định dạng thừa) hoặc chia nhỏ.",
            "The file is too complex: copy only the data to import into a new file (no extra formatting) or split it.",
        ),
        maximum=limits.seconds,
    )


def _out_of_memory(limits: SpreadsheetLimits, detail: str = "") -> TooLarge:
    mb = megabytes(limits.memory_bytes)
    return over_limit(
        limits,
        "memory_bytes",
        Message(f"đọc tệp cần hơn {mb} bộ nhớ{detail}", f"reading the file needs more than {mb} of memory{detail}"),
        Message(
            "Chia dữ liệu thành nhiều tệp nhỏ hơn, hoặc xoá các ô, hàng và cột thừa rồi lưu lại.",
            "Split the data into smaller files, or delete unused cells, rows and columns and save again.",
        ),
        maximum=limits.memory_bytes,
    )


def run_limited(limits: SpreadsheetLimits, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` in a worker process, within ``limits.seconds`` and ``limits.memory_bytes``.

    Blocks the calling thread (call it from a thread, never from the event loop); ``function`` and its
    arguments and result must pickle. A :class:`SogocError` raised by ``function`` is raised here.
    """
    from pebble import ProcessExpired

    future = _worker_pool().schedule(
        _run_in_worker, args=(limits.memory_bytes, function, args, kwargs), timeout=limits.seconds
    )
    try:
        status, value = future.result(timeout=limits.seconds + QUEUE_WAIT_SECONDS)
    except TimeoutError:
        if not future.done():  # still queued (or stuck): give up, and kill it if it started
            future.cancel()
            raise ServiceUnavailable(
                Message("Máy chủ đang bận đọc các tệp khác.", "The server is busy reading other files."),
                hint=Message("Thử lại sau ít phút.", "Try again in a few minutes."),
            ) from None
        raise _out_of_time(limits) from None  # pebble killed the worker at the time limit
    except ProcessExpired as e:  # the worker died: killed by the kernel, or a crash in a C library
        raise _out_of_memory(limits, f" (mã thoát/exit code {e.exitcode})") from None
    except CancelledError:
        raise _out_of_time(limits) from None
    if status == "memory":
        raise _out_of_memory(limits)
    if status == "error":
        kind, message, problems, hint, extra = value
        raise kind(message, problems=problems, hint=hint, **extra)
    result: T = value
    return result
