"""Named locks that serialise long work (signing a batch) without holding the database's write lock.

A long batch signs first and records in a short transaction afterwards; what it recorded must still be
right (the transaction re-checks, e.g. that the register counter did not move). When two batches
would take numbers from the same counter, the second would sign in vain and be refused; a named lock
makes it wait for the first instead. The lock is a courtesy, never the guarantee: correctness comes
from the re-check under the write lock.

* PostgreSQL: a session advisory lock (``pg_try_advisory_lock``) on a connection of its own, released
  when the block ends or when the process dies (the server drops the connection);
* SQLite (one host): ``flock`` on a file in the temporary folder, named after the database file and the
  lock, released by the kernel when the process dies; an in-memory database uses a process lock.

Waiting is bounded: after ``wait`` seconds :class:`LockBusy` (409, with ``retry_after``) is raised.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message

log = logging.getLogger(__name__)
POLL_SECONDS = 0.1
_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


class LockBusy(Conflict):
    """Someone else is doing the same long work right now; try again after ``retry_after`` seconds."""

    code = "busy-elsewhere"
    title = Message("Đang có thao tác khác cùng loại", "Another operation of the same kind is running")


def _key(name: str) -> int:
    """A signed 64-bit advisory-lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _busy(what: Message, wait: float) -> LockBusy:
    retry = max(5, int(wait))
    return LockBusy(
        Message(
            f"{what.vi} đang được thực hiện bởi một yêu cầu khác (đã chờ {wait:.0f} giây). Chưa ghi gì; "
            f"vui lòng thử lại sau {retry} giây.",
            f"{what.en} is being done by another request (waited {wait:.0f} s). Nothing was recorded; "
            f"try again in {retry} s.",
        ),
        retry_after=retry,
    )


def _sqlite_path(db: Database) -> str | None:
    path = db.url.split("///", 1)[-1].split("?", 1)[0]
    return None if path in ("", ":memory:", db.url) else os.path.abspath(path)


@contextmanager
def named_lock(db: Database, name: str, *, what: Message, wait: float = 60.0) -> Iterator[None]:
    """Hold the lock ``name`` (one per database) for the block, waiting at most ``wait`` seconds."""
    deadline = time.monotonic() + wait
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            key = _key(name)
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                if time.monotonic() > deadline:
                    raise _busy(what, wait)
                time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                except Exception:  # the connection is gone: so is its lock; keep the block's own error
                    log.warning("could not release the lock %s; the server released it with the connection", name)
        return
    path = _sqlite_path(db)
    if path is None:
        with _process_locks_guard:
            lock = _process_locks.setdefault(f"{id(db)}:{name}", threading.Lock())
        if not lock.acquire(timeout=wait):
            raise _busy(what, wait)
        try:
            yield
        finally:
            lock.release()
        return
    folder = Path(tempfile.gettempdir()) / "sogoc-locks"
    digest = hashlib.sha256(f"{path}\0{name}".encode()).hexdigest()[:32]
    try:
        folder.mkdir(mode=0o1777, exist_ok=True)
        handle = open(folder / f"{digest}.lock", "a+b")  # noqa: SIM115 - flock is per open file: threads exclude too
    except OSError as e:  # the lock is a courtesy: without it the re-check still refuses a stale batch
        log.warning("no lock file for %s (%s); going on without waiting for others", name, e)
        yield
        return
    with handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _busy(what, wait) from None
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
