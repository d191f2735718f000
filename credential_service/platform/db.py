"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from credential_service.platform.settings import PROJECT_ROOT


class Base(DeclarativeBase):
    """The one declarative base; each domain's ``tables`` module adds its tables to it."""


class UTCDateTime(TypeDecorator[datetime]):
    """A ``timestamp with time zone`` that always reads back as timezone-aware UTC.

    SQLite keeps no zone and returns naive values; they were written as UTC, so UTC is attached.
    Writing a naive datetime is a bug (whose "now" was it?) and is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError(f"naive datetime {value!r} written to a UTCDateTime column; use the clock")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, *, for_writing: bool = True) -> Engine:
    """An engine; on SQLite a writing engine takes the write lock when each transaction begins."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL for concurrent readers; foreign keys on; writers wait instead of failing at once.
            dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock at the start of every transaction so that read-then-write
            # sequences (next ledger sequence number) serialise across processes; readers don't.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if for_writing else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``; migrations are the only way the schema is made."""
    command.upgrade(alembic_config(url), revision)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite, reads go through a second engine that does not take the write lock.
        file_backed_sqlite = url.startswith("sqlite") and url.split("///", 1)[-1] not in ("", ":memory:", url)
        self._read_engine = make_engine(url, for_writing=False) if file_backed_sqlite else self.engine
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back everything on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only unit of work (never commits)."""
        with self._read_sessions() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        self._read_engine.dispose()

    has_replica = False  # reads may come from a streaming replica (``platform/read_replica.py``)

    @contextmanager
    def primary_reads(self) -> Iterator[None]:
        """Within this block, reads come from the primary (there is no other database here)."""
        yield


def rows_changed(result: Any) -> int:
    """Rows an UPDATE or DELETE touched (a CursorResult's rowcount, which SQLAlchemy types loosely)."""
    return int(getattr(result, "rowcount", 0) or 0)
