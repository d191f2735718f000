"""Verification reads from a PostgreSQL streaming replica, while it keeps up (issue #17 item 5).

Verification is the public, read-only, high-traffic part of the service: QR scans, PDF checks, status requests. A
deployment can point it at a hot standby (``SOGOC_DATABASE_REPLICA_URL``) so that this traffic does not load the
primary, which takes the register's writes. :class:`ReplicaDatabase` is a :class:`Database` whose

* ``reader()`` uses the replica while it is fresh, else the primary;
* ``transaction()`` always uses the primary (a standby refuses writes);
* ``primary_reads()`` sends the reads of a block to the primary: a credential issued a moment ago may not have
  reached the replica yet, so "not found" on the replica is asked again of the primary before it is said.

Fresh means: the server is in recovery (a standby), and either it has replayed everything its WAL receiver has
received while streaming, or its last replayed transaction is at most ``max_lag_seconds`` old. A standby whose
receiver has stopped, or which lags further, is left alone until it catches up; the check runs at most once per
``recheck_seconds`` (a monotonic interval, not a date). Reading ``pg_stat_wal_receiver`` needs the role
``pg_read_all_stats``; without it an idle primary (no recent transaction to replay) sends reads to the primary,
which is safe, only slower.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from credential_service.platform.db import Database

log = logging.getLogger(__name__)

_FRESHNESS = text(
    """
    SELECT pg_is_in_recovery(),
           COALESCE((SELECT status = 'streaming' FROM pg_stat_wal_receiver LIMIT 1), false),
           COALESCE(pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(), false),
           EXTRACT(EPOCH FROM (now() - pg_last_xact_replay_timestamp()))
    """
)


def is_fresh(in_recovery: bool, streaming: bool, caught_up: bool, lag_seconds: float | None, max_lag: float) -> bool:
    """Whether a standby's state allows reading from it (pure; see the module docstring)."""
    if not in_recovery:
        return False  # a promoted or misconfigured "replica" is not the standby we were given
    if streaming and caught_up:
        return True
    return lag_seconds is not None and lag_seconds <= max_lag


class ReplicaDatabase(Database):
    """The primary for writes; a streaming replica for reads while it is fresh."""

    has_replica = True

    def __init__(
        self, primary: Database, replica_url: str, *, max_lag_seconds: float = 5.0, recheck_seconds: float = 1.0
    ) -> None:
        # the primary's engines and sessions are this database's own: writes and fallback reads go there
        self.__dict__.update(primary.__dict__)
        self.primary = primary
        self.replica = Database(replica_url)
        self.max_lag_seconds = max_lag_seconds
        self.recheck_seconds = recheck_seconds
        self._checked_at = float("-inf")
        self._fresh = False
        self._lock = threading.Lock()
        self._local = threading.local()

    def fresh(self) -> bool:
        """The replica's freshness, checked at most once per ``recheck_seconds``."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < self.recheck_seconds:
                return self._fresh
            self._checked_at = now
        try:
            with self.replica.reader() as session:
                row = session.execute(_FRESHNESS).one()
            fresh = is_fresh(bool(row[0]), bool(row[1]), bool(row[2]),
                             None if row[3] is None else float(row[3]), self.max_lag_seconds)  # fmt: skip
        except SQLAlchemyError as e:  # the replica is down: read from the primary
            log.warning("read replica unavailable, reading from the primary: %s", type(e).__name__)
            fresh = False
        with self._lock:
            if fresh != self._fresh:
                log.info("read replica %s", "in use" if fresh else "lagging or down: reading from the primary")
            self._fresh = fresh
        return fresh

    @contextmanager
    def reader(self) -> Iterator[Session]:
        use_replica = not getattr(self._local, "primary", False) and self.fresh()
        with (self.replica if use_replica else self.primary).reader() as session:
            yield session

    @contextmanager
    def primary_reads(self) -> Iterator[None]:
        before = getattr(self._local, "primary", False)
        self._local.primary = True
        try:
            yield
        finally:
            self._local.primary = before

    def dispose(self) -> None:
        self.replica.dispose()  # the primary belongs to whoever made it
