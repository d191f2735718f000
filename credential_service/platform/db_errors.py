"""Database conditions an operator or a user can act on, as service errors (problem+json, exit codes).

SQLAlchemy raises ``OperationalError``/``DatabaseError`` (the driver's error inside, as ``orig``) for a
busy or locked database, a read-only database, a full disk or a server that cannot be reached. Left
alone they reach the catch-all handler as a generic 500 "try again", which is wrong for a full disk
and useless for a busy one. :func:`from_database_error` recognises them:

* SQLite: the driver's result code (``sqlite_errorname``) or, failing that, its message;
* PostgreSQL: the SQLSTATE (``orig.sqlstate``); a connection that never opened has none and is
  recognised by its message.

Anything else stays ``None``: a bug, reported by the catch-all handler as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import exc as sa_exc

from credential_service.platform.errors import Message, ServiceUnavailable, SogocError

log = logging.getLogger(__name__)

SQLITE_BUSY_WAIT = 30  # seconds a writer already waited (busy_timeout in platform/db.py)
BUSY_RETRY_AFTER = 30  # seconds: a long batch holds the write lock only while it records
CONFLICT_RETRY_AFTER = 2  # seconds: a serialization failure or deadlock clears at once
DOWN_RETRY_AFTER = 60  # seconds: a database server restarting or out of connections
UNCHANGED = Message("Dữ liệu không bị thay đổi.", "No data was changed.")


class DatabaseBusy(ServiceUnavailable):
    """Another writer held the database for longer than a writer waits; retry after ``retry_after`` s."""

    code = "database-busy"
    title = Message("Cơ sở dữ liệu đang bận", "Database busy")


class DatabaseReadOnly(ServiceUnavailable):
    """The database refuses writes (read-only file or mount, read-only replica); the operator must act."""

    code = "database-read-only"
    title = Message("Cơ sở dữ liệu chỉ cho phép đọc", "Database is read-only")


class DatabaseFull(ServiceUnavailable):
    """The disk (or the database's size limit) is full; the operator must free space."""

    code = "database-full"
    title = Message("Hết dung lượng lưu trữ", "Out of storage space")


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or opened (server down, file missing or not accessible)."""

    code = "database-unavailable"
    title = Message("Không kết nối được cơ sở dữ liệu", "Database unavailable")


def _busy(wait: int | None = SQLITE_BUSY_WAIT, retry_after: int = BUSY_RETRY_AFTER) -> SogocError:
    waited = Message(f" (đã chờ {wait} giây)", f" (waited {wait} s)") if wait else Message("", "")
    return DatabaseBusy(
        Message(
            f"Cơ sở dữ liệu đang bận ghi việc khác{waited.vi}. Dữ liệu không bị thay đổi; "
            f"vui lòng thử lại sau {retry_after} giây.",
            f"The database is busy with another write{waited.en}. No data was changed; try again in {retry_after} s.",
        ),
        retry_after=retry_after,
    )


def _conflict() -> SogocError:
    return DatabaseBusy(
        Message(
            "Hai thao tác ghi cùng lúc vào cùng dữ liệu; thao tác này đã bị hủy, dữ liệu không bị thay đổi. "
            f"Vui lòng thử lại sau {CONFLICT_RETRY_AFTER} giây.",
            "Two writes touched the same data at once; this one was undone and no data was changed. "
            f"Try again in {CONFLICT_RETRY_AFTER} s.",
        ),
        retry_after=CONFLICT_RETRY_AFTER,
    )


def _read_only() -> SogocError:
    return DatabaseReadOnly(
        Message(
            "Cơ sở dữ liệu đang ở chế độ chỉ đọc nên không ghi được; dữ liệu không bị thay đổi. Thử lại "
            "không có tác dụng cho đến khi quản trị hệ thống cho phép ghi trở lại.",
            "The database is read-only, so nothing can be written; no data was changed. Retrying will not "
            "help until the administrator makes it writable again.",
        ),
        hint=Message(
            "Quản trị: kiểm tra quyền ghi của tệp và thư mục cơ sở dữ liệu (và tệp -wal, -shm), ổ đĩa có bị gắn "
            "chỉ đọc không, hoặc máy chủ PostgreSQL có đang là bản sao chỉ đọc/default_transaction_read_only.",
            "Administrator: check write permission on the database file and folder (and its -wal, -shm files), "
            "whether the disk is mounted read-only, or whether the PostgreSQL server is a read-only replica or "
            "has default_transaction_read_only set.",
        ),
    )


def _full() -> SogocError:
    return DatabaseFull(
        Message(
            "Ổ đĩa của cơ sở dữ liệu đã đầy nên không ghi được; dữ liệu không bị thay đổi. Thử lại không có "
            "tác dụng cho đến khi quản trị giải phóng dung lượng.",
            "The database's disk is full, so nothing can be written; no data was changed. Retrying will not help "
            "until the administrator frees space.",
        ),
        hint=Message(
            "Quản trị: giải phóng hoặc mở rộng dung lượng ổ chứa cơ sở dữ liệu (xóa bản sao lưu/nhật ký cũ), "
            "rồi thử lại.",
            "Administrator: free or extend space on the disk that holds the database (old backups, logs), "
            "then try again.",
        ),
    )


def _unavailable() -> SogocError:
    return DatabaseUnavailable(
        Message(
            "Không kết nối hoặc không mở được cơ sở dữ liệu; dữ liệu không bị thay đổi. Vui lòng thử lại sau "
            f"{DOWN_RETRY_AFTER} giây; nếu vẫn lỗi, báo quản trị hệ thống.",
            f"The database cannot be reached or opened; no data was changed. Try again in {DOWN_RETRY_AFTER} s; "
            "if it persists, tell the administrator.",
        ),
        hint=Message(
            "Quản trị: kiểm tra máy chủ PostgreSQL có đang chạy và nhận kết nối (SOGOC_DATABASE_URL), hoặc tệp "
            "SQLite có tồn tại, mở được và nằm trên ổ ghi được.",
            "Administrator: check that the PostgreSQL server is running and accepting connections "
            "(SOGOC_DATABASE_URL), or that the SQLite file exists, can be opened and is on a writable disk.",
        ),
        retry_after=DOWN_RETRY_AFTER,
    )


# SQLite result codes (the primary code's name; extended codes such as SQLITE_BUSY_SNAPSHOT share the prefix)
SQLITE_CODES: dict[str, Callable[[], SogocError]] = {
    "SQLITE_BUSY": _busy,
    "SQLITE_LOCKED": _busy,
    "SQLITE_READONLY": _read_only,
    "SQLITE_FULL": _full,
    "SQLITE_CANTOPEN": _unavailable,
}
# Messages, for drivers or versions without result-code names
SQLITE_MESSAGES: dict[str, Callable[[], SogocError]] = {
    "database is locked": _busy,
    "database table is locked": _busy,
    "attempt to write a readonly database": _read_only,
    "database or disk is full": _full,
    "unable to open database file": _unavailable,
}
# PostgreSQL SQLSTATEs (exact codes first, then classes)
PG_STATES: dict[str, Callable[[], SogocError]] = {
    "40001": _conflict,  # serialization_failure
    "40P01": _conflict,  # deadlock_detected
    "55P03": lambda: _busy(None),  # lock_not_available (lock_timeout)
    "53100": _full,  # disk_full
    "25006": _read_only,  # read_only_sql_transaction
    "57P01": _unavailable,  # admin_shutdown
    "57P02": _unavailable,  # crash_shutdown
    "57P03": _unavailable,  # cannot_connect_now (starting up, recovering)
    "53300": _unavailable,  # too_many_connections
}
PG_CLASSES: dict[str, Callable[[], SogocError]] = {
    "08": _unavailable,  # connection exception (08000, 08003, 08006, …)
}
CONNECTION_MESSAGES = ("connection refused", "could not connect", "connection failed", "server closed the connection")


def _from_sqlite(orig: BaseException) -> SogocError | None:
    name = str(getattr(orig, "sqlite_errorname", "") or "")
    for prefix, make in SQLITE_CODES.items():
        if name == prefix or name.startswith(prefix + "_"):
            return make()
    text = str(orig).lower()
    for needle, make in SQLITE_MESSAGES.items():
        if needle in text:
            return make()
    return None


def _from_postgres(orig: BaseException) -> SogocError | None:
    state = str(getattr(orig, "sqlstate", "") or "")
    if state in PG_STATES:
        return PG_STATES[state]()
    if state[:2] in PG_CLASSES:
        return PG_CLASSES[state[:2]]()
    text = str(orig).lower()
    if not state and any(needle in text for needle in CONNECTION_MESSAGES):
        return _unavailable()
    return None


def from_database_error(error: BaseException) -> SogocError | None:
    """The service error for a database condition people can act on, or None (a bug: a generic 500)."""
    if isinstance(error, sa_exc.TimeoutError):  # every pooled connection busy for pool_timeout
        return _busy(None)
    if not isinstance(error, sa_exc.DBAPIError) or isinstance(error, sa_exc.IntegrityError):
        return None
    orig = error.orig
    if orig is None:
        return None
    module = type(orig).__module__
    translated = _from_sqlite(orig) if module.startswith("sqlite3") else _from_postgres(orig)
    if translated is not None:
        log.warning("database condition %s: %s", translated.code, orig)
    return translated
