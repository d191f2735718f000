"""Anonymous verification checks counted per day (issue #16 item 1: "QR scans, PDF checks ... per day, and the
share that failed"), with no log of the checks themselves: only (Vietnam day, channel, outcome) → count is kept
(``verification_daily_counts``), never a client address, a document or a credential id.

The design, the simplest that keeps the public endpoints fast and is exact under tests:

* the public verification routes call :func:`count_check`, which adds one to an in-process counter under a lock
  (no database round trip on the request);
* the counter is written to the database in one statement (an ``INSERT … ON CONFLICT DO UPDATE`` adding to each
  key's count, SQLite and PostgreSQL) when :data:`EVERY` has passed on the injected clock since its last write,
  at the next check, by one background writer thread: the check that finds the write due does not wait for it
  (the public routes run their answer on the event loop, and a write there would stall every request of the
  worker); before the traffic section is read (:func:`flush_checks`, which also waits for a write in flight:
  what this process counted is seen at once, so a test reads exactly what it counted); and when the process
  exits (``atexit``);
* a write that fails puts its counts back, to be tried with the next.

What is not exact: another worker process's counts of the last few seconds are not yet visible, and a process
killed without exiting loses at most those. Counts are of requests, not students: no suppression applies.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any, cast
from weakref import WeakKeyDictionary, ref

from sqlalchemy import Engine, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.reporting.tables import VerificationDailyCount
from credential_service.reporting.traffic_rules import CHANNELS, OUTCOMES

log = logging.getLogger(__name__)

EVERY = timedelta(seconds=5)
_TABLE = cast(Table, VerificationDailyCount.__table__)


class CheckCounter:
    """The counts of one database not yet written, and when they were last written."""

    def __init__(self, db: Database, clock: Clock, every: timedelta = EVERY) -> None:
        self._db = ref(db)  # weakly: the counter is kept per engine, and must not keep its database alive
        self.clock, self.every = clock, every
        self._lock = threading.Lock()  # the pending counts and the write's timing
        self._write_lock = threading.Lock()  # one write at a time: a reader's flush waits for one in flight
        self._writing = False  # a due write is queued or running on the writer thread
        self._pending: Counter[tuple[date, str, str]] = Counter()
        self._written = clock.now()

    def count(self, channel: str, outcome: str) -> Future[int] | None:
        """Add one; when a write is due, start it on the writer thread and return it (the caller need not wait)."""
        if channel not in CHANNELS or outcome not in OUTCOMES:
            raise ValueError(f"unknown channel or outcome: {channel}/{outcome}")
        with self._lock:
            self._pending[(self.clock.today(), channel, outcome)] += 1
            now = self.clock.now()
            due = not self._writing and now - self._written >= self.every
            if due:
                self._writing, self._written = True, now
        return _writer().submit(self._write_due) if due else None

    def _write_due(self) -> int:
        try:
            return self.flush()
        except Exception:  # the counts were put back: the next write takes them
            log.warning("verification counts not written; kept for the next write", exc_info=True)
            return 0
        finally:
            with self._lock:
                self._writing = False

    def flush(self) -> int:
        """Write what was counted since the last write (one statement), after any write in flight; returns the
        keys written."""
        with self._write_lock:
            with self._lock:
                pending, self._pending = self._pending, Counter()
                self._written = self.clock.now()
            if not pending:
                return 0
            rows = [{"day": d, "channel": ch, "outcome": o, "checks": n} for (d, ch, o), n in sorted(pending.items())]
            db = self._db()
            if db is None:  # the database was closed and dropped: nowhere to write
                return 0
            try:
                with db.transaction() as session:
                    session.execute(_upsert(session.get_bind().dialect.name), rows)
            except Exception:
                with self._lock:
                    self._pending.update(pending)  # tried again with the next write
                raise
            return len(rows)


def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(_TABLE)
    return stmt.on_conflict_do_update(
        index_elements=["day", "channel", "outcome"], set_={"checks": _TABLE.c.checks + stmt.excluded.checks}
    )


_COUNTERS: WeakKeyDictionary[Engine, CheckCounter] = WeakKeyDictionary()
_GUARD = threading.Lock()


_WRITER: ThreadPoolExecutor | None = None


def _writer() -> ThreadPoolExecutor:
    """The one background thread that writes every counter's due counts (created on first use)."""
    global _WRITER
    with _GUARD:
        if _WRITER is None:
            _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-counts")
        return _WRITER


def counter_for(db: Database, clock: Clock) -> CheckCounter:
    """The one counter of ``db`` in this process (written at exit)."""
    with _GUARD:
        found = _COUNTERS.get(db.engine)
        if found is None:
            found = _COUNTERS[db.engine] = CheckCounter(db, clock)
            atexit.register(_flush_quietly, ref(found))
        return found


def _flush_quietly(counter: ref[CheckCounter]) -> None:
    found = counter()
    try:
        if found is not None:
            found.flush()
    except Exception:  # the database is gone at exit: nothing more can be done
        return


def count_check(db: Database, clock: Clock, channel: str, outcome: str) -> Future[int] | None:
    """One anonymous check of ``channel`` with ``outcome`` (``traffic_rules.check_outcome``); the write it
    started, if one was due."""
    return counter_for(db, clock).count(channel, outcome)


def flush_checks(db: Database, clock: Clock) -> None:
    """Write this process's counts before they are read."""
    counter_for(db, clock).flush()


def read_counts(db: Database, clock: Clock, since: date) -> list[tuple[date, str, str, int]]:
    """(day, channel, outcome, checks) from ``since`` on, this process's latest counts written first."""
    flush_checks(db, clock)
    t = _TABLE.c
    query = select(t.day, t.channel, t.outcome, t.checks).where(t.day >= since)
    with db.reader() as session:
        return [(day, channel, outcome, int(n)) for day, channel, outcome, n in session.execute(query)]
