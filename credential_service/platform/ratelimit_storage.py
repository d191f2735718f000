"""A `limits` storage in the service's own database (SQLite or PostgreSQL): counters every worker shares.

One table, ``rate_limits`` (key, hits, expires_ms). It serves two of the library's strategies:

* fixed window (:meth:`DatabaseStorage.incr`, ``get``, ``get_expiry``): one ``INSERT … ON CONFLICT DO
  UPDATE … RETURNING`` statement per hit. A counter whose window has passed starts again from the hit
  (the ``CASE`` in the update), so a row is reused, never read-modified-written by the caller;
* sliding window counter (:meth:`DatabaseStorage.acquire_sliding_window_entry`): one row per key and
  window number (``<key>/<n>``, windows aligned on the clock as in the library's memory storage). The
  previous window's count is read, then the current window's row is created or incremented by one
  conditional upsert, ``… DO UPDATE … WHERE hits <= threshold RETURNING hits``: no row comes back when
  the hit would go over the limit.

Why it is atomic: each change is a single statement on one row. PostgreSQL takes the row lock for
``ON CONFLICT DO UPDATE`` and evaluates its ``WHERE`` on the newest committed version, so two workers
hitting the same key queue on that row and the second sees the first's count (no lost update, no
over-admission). On SQLite every writing transaction of :class:`~credential_service.platform.db.Database`
begins ``IMMEDIATE`` and so holds the database's write lock. The only approximation is at the turn of a
window: a hit that computed the previous window an instant before the turn may still add to it after
another worker has read it (the library's Redis storage has the same edge).

Time is the injected :class:`~credential_service.platform.clock.Clock` (milliseconds since the epoch),
so tests move it with a ``FixedClock``. Expired rows are deleted at most once a minute per storage
instance, after a write, skipping rows other transactions hold (``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from limits.storage import SlidingWindowCounterSupport, Storage
from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from credential_service.platform.clock import Clock
from credential_service.platform.db import Base, Database, rows_changed

log = logging.getLogger(__name__)

KEY_LENGTH = 255
PURGE_EVERY_MS = 60_000
PURGE_BATCH = 5_000

RATE_LIMITS = Table(
    "rate_limits",
    Base.metadata,
    Column("key", String(KEY_LENGTH), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_rate_limits_expires_ms", "expires_ms"),
)
_C = RATE_LIMITS.c


def _stored_key(key: str) -> str:
    """The key as stored: itself, or a digest when it is longer than the column."""
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


class DatabaseStorage(Storage, SlidingWindowCounterSupport):
    """``limits`` storage on the service's database; see the module docstring for the design."""

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(None, wrap_exceptions=True)
        self.db = db
        self.clock = clock
        self._purged_ms = 0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    # -- time ---------------------------------------------------------------------------------------
    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    @staticmethod
    def _window(now_ms: int, expiry: int) -> tuple[int, int]:
        """(window number, milliseconds left in it) for windows of ``expiry`` seconds aligned on the epoch."""
        span = expiry * 1000
        number = now_ms // span
        return number, span - (now_ms - number * span)

    def _upsert(self) -> Any:
        """The dialect's INSERT with ``on_conflict_do_update`` (PostgreSQL and SQLite spell it alike)."""
        return (postgresql.insert if self.db.engine.dialect.name == "postgresql" else sqlite.insert)(RATE_LIMITS)

    def _writing(self) -> Any:
        """A short Core transaction on the writing engine (BEGIN IMMEDIATE on SQLite; no ORM session)."""
        return self.db.engine.begin()

    # -- fixed window -------------------------------------------------------------------------------
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the counter; a missing or expired counter starts at ``amount`` for ``expiry`` s."""
        now = self.now_ms()
        with self._writing() as session:
            ins = self._upsert().values(key=_stored_key(key), hits=amount, expires_ms=now + int(expiry * 1000))
            expired = _C.expires_ms <= now
            stmt = ins.on_conflict_do_update(
                index_elements=[_C.key],
                set_={
                    "hits": case((expired, ins.excluded.hits), else_=_C.hits + ins.excluded.hits),
                    "expires_ms": case((expired, ins.excluded.expires_ms), else_=_C.expires_ms),
                },
            ).returning(_C.hits)
            hits = int(session.execute(stmt).scalar_one())
        self._maybe_purge(now)
        return hits

    def get(self, key: str) -> int:
        now = self.now_ms()
        with self.db.reader() as session:
            hits = session.execute(
                select(_C.hits).where(_C.key == _stored_key(key), _C.expires_ms > now)
            ).scalar_one_or_none()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        """When the counter expires (seconds since the epoch); now when there is none."""
        now = self.now_ms()
        with self.db.reader() as session:
            expires = session.execute(
                select(_C.expires_ms).where(_C.key == _stored_key(key), _C.expires_ms > now)
            ).scalar_one_or_none()
        return (expires if expires is not None else now) / 1000

    def clear(self, key: str) -> None:
        with self._writing() as session:
            session.execute(delete(RATE_LIMITS).where(_C.key == _stored_key(key)))

    def reset(self) -> int | None:
        with self._writing() as session:
            return rows_changed(session.execute(delete(RATE_LIMITS)))

    def check(self) -> bool:
        try:
            with self.db.reader() as session:
                session.execute(select(func.count()).select_from(RATE_LIMITS).where(_C.key == ""))
            return True
        except SQLAlchemyError:
            return False

    # -- sliding window counter ---------------------------------------------------------------------
    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self.now_ms()
        number, left = self._window(now, expiry)
        previous_key, current_key = _stored_key(f"{key}/{number - 1}"), _stored_key(f"{key}/{number}")
        span = expiry * 1000
        with self._writing() as session:
            previous = session.execute(
                select(_C.hits).where(_C.key == previous_key, _C.expires_ms > now)
            ).scalar_one_or_none()
            # the previous window weighs what is left of the current one (the library's weighted count)
            threshold = limit - amount - (int(previous or 0) * left) // span
            if threshold < 0:
                return False
            ins = self._upsert().values(key=current_key, hits=amount, expires_ms=now + left + span)
            stmt = ins.on_conflict_do_update(
                index_elements=[_C.key],
                set_={"hits": _C.hits + ins.excluded.hits},
                where=_C.hits <= threshold,
            ).returning(_C.hits)
            taken = session.execute(stmt).first() is not None
        self._maybe_purge(now)
        return taken

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        """(previous count, seconds it still weighs, current count, seconds until the current row expires)."""
        now = self.now_ms()
        number, left = self._window(now, expiry)
        keys = {_stored_key(f"{key}/{number - 1}"): "previous", _stored_key(f"{key}/{number}"): "current"}
        with self.db.reader() as session:
            rows = dict(
                session.execute(select(_C.key, _C.hits).where(_C.key.in_(list(keys)), _C.expires_ms > now)).all()
            )
        counts = {role: int(rows.get(k) or 0) for k, role in keys.items()}
        previous_ttl = left / 1000 if counts["previous"] else 0.0
        return counts["previous"], previous_ttl, counts["current"], (left + expiry * 1000) / 1000

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        number, _ = self._window(self.now_ms(), expiry)
        with self._writing() as session:
            session.execute(
                delete(RATE_LIMITS).where(
                    _C.key.in_([_stored_key(f"{key}/{number - 1}"), _stored_key(f"{key}/{number}")])
                )
            )

    # -- housekeeping -------------------------------------------------------------------------------
    def _maybe_purge(self, now: int) -> None:
        if now - self._purged_ms < PURGE_EVERY_MS:
            return
        self._purged_ms = now
        try:
            with self._writing() as session:
                stale = (
                    select(_C.key)
                    .where(_C.expires_ms <= now)
                    .limit(PURGE_BATCH)
                    .with_for_update(skip_locked=True)
                    .scalar_subquery()
                )
                removed = rows_changed(session.execute(delete(RATE_LIMITS).where(_C.key.in_(stale))))
            if removed:
                log.debug("rate limits: %d expired counters removed", removed)
        except SQLAlchemyError:  # housekeeping only: the next minute tries again
            log.warning("rate limits: removing expired counters failed", exc_info=True)
