"""Database conditions people can act on: busy/locked, read-only, disk full, server down. Each is a clear
bilingual problem that says what to do (retry after N s, or what the administrator must fix), never a
generic 500 "try again", and a failed write leaves nothing half-written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fault_drills import audit_ok, closed_port, decide, issue, state
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from staff_login import confirm, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.app.problem import PROBLEM_JSON, install_problem_handlers
from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.db import Database, migrate
from credential_service.platform.db_errors import (
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    from_database_error,
)
from credential_service.platform.settings import Settings

PG_ADMIN_URL = os.environ.get("SOGOC_TEST_POSTGRES_URL")


def _sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def _short_busy_timeout(c: Container, ms: int = 300) -> None:
    """New connections give up waiting for the write lock after ``ms`` (the service waits 30 s)."""
    c.db.dispose()

    @event.listens_for(c.db.engine, "connect")
    def _short(dbapi_conn: object, _record: object) -> None:  # runs after the engine's own PRAGMAs
        dbapi_conn.execute(f"PRAGMA busy_timeout={ms}")  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------------------- busy
def test_a_database_locked_by_another_writer_is_a_503_with_retry_after(sqlite_db_url: str) -> None:
    c = build(Settings(env="test", database_url=sqlite_db_url), clock=FixedClock(SystemClock().now()))
    c.start_dev_services()
    decision = decide(c)
    with TestClient(create_app(c)) as client:
        sign_in(client, "principal")
        body = {"confirmation_id": confirm(client, "principal", f"issue:decision:{decision}")}
        _short_busy_timeout(c)
        holder = sqlite3.connect(_sqlite_path(sqlite_db_url), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            r = client.post(f"/api/v1/graduation-decisions/{decision}/issue", json=body)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM_JSON), r.text
    problem = r.json()
    assert problem["code"] == "database-busy" and r.headers["Retry-After"] == str(problem["retry_after"]) == "30"
    assert "bận" in problem["detail_vi"] and "try again in 30 s" in problem["detail_en"]
    assert state(c).register_seqs == []
    c.db.dispose()


# -------------------------------------------------------------------------------------------- read-only
@contextmanager
def _read_only(c: Container, url: str) -> Iterator[None]:
    """Make the database refuse writes for real: an immutable file (chmod does not stop root), or a
    PostgreSQL database whose transactions are read-only (as on a standby)."""
    c.db.dispose()
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if os.geteuid() == 0:
            if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("chattr +i is not available here")
            undo = ["chattr", "-i", str(path)]
        else:
            path.chmod(0o444)
            undo = ["chmod", "644", str(path)]
        try:
            yield
        finally:
            subprocess.run(undo, check=True)
            c.db.dispose()
        return
    assert PG_ADMIN_URL
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
        admin.dispose()
        c.db.dispose()


def test_a_read_only_database_is_a_clear_error_that_names_the_fix_and_nothing_is_half_written(
    container: Container, db_url: str
) -> None:
    c = container
    decision = decide(c)
    before = state(c)
    with _read_only(c, db_url):
        with pytest.raises(DBAPIError) as info:  # SQLite: OperationalError; psycopg: InternalError (25006)
            issue(c, decision)
        err = from_database_error(info.value)
        assert isinstance(err, DatabaseReadOnly) and err.hint is not None
        assert "chỉ đọc" in err.message.vi and "read-only" in err.message.en and "will not help" in err.message.en
        assert "write permission" in err.hint.en and "read-only" in err.hint.en
        assert state(c) == before  # reading still works, and nothing was written
    assert len(issue(c, decision).issued) == 3  # writable again: issued, numbered from 1
    assert state(c).register_seqs == [1, 2, 3]
    audit_ok(c)


# -------------------------------------------------------------------------------------------- disk full
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 32 MB tmpfs (root only); None where mounting is not allowed (the drill then caps the file size)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)], capture_output=True
        ).returncode
    ):
        yield None
        return
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _cap_size(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
    dbapi_conn.execute(f"PRAGMA max_page_count={pages + 2}")


def test_a_full_disk_is_a_clear_error_for_the_administrator_and_nothing_is_half_written(
    small_disk: Path | None, tmp_path: Path
) -> None:
    url = f"sqlite:///{small_disk or tmp_path}/sogoc.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url), clock=FixedClock(SystemClock().now()))
    c.start_dev_services()
    decision = decide(c)
    before = state(c)
    filler = (small_disk or tmp_path) / "filler"
    c.db.dispose()
    if small_disk is not None:  # fill the disk but for 64 KiB: the three signed PDFs do not fit
        stat = os.statvfs(small_disk)
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - 64 * 1024))
    else:  # cap the database file at its current size: SQLite's own "database or disk is full"
        event.listen(c.db.engine, "connect", _cap_size)
    with pytest.raises(OperationalError) as info:
        issue(c, decision)
    err = from_database_error(info.value)
    assert isinstance(err, DatabaseFull), info.value
    assert "đầy" in err.message.vi and "disk is full" in err.message.en and err.hint is not None
    assert "free" in err.hint.en and "giải phóng" in err.hint.vi
    filler.unlink(missing_ok=True)
    c.db.dispose()
    if small_disk is None:
        event.remove(c.db.engine, "connect", _cap_size)
    assert state(c) == before  # nothing half-written
    assert len(issue(c, decision).issued) == 3 and state(c).register_seqs == [1, 2, 3]
    audit_ok(c)
    c.db.dispose()


# -------------------------------------------------------------------------------------------- server down
def test_postgresql_down_is_a_503_with_a_retry_time() -> None:
    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/sogoc")
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/read")
    def _read() -> None:
        with db.reader() as session:
            session.execute(text("SELECT 1"))

    with pytest.raises(SQLAlchemyError) as info, db.reader() as session:
        session.execute(text("SELECT 1"))
    assert isinstance(from_database_error(info.value), DatabaseUnavailable)
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/read")
    assert r.status_code == 503 and r.headers["Retry-After"] == "60", r.text
    problem = r.json()
    assert problem["code"] == "database-unavailable"
    assert "PostgreSQL" in problem["hint_en"] and "Connection refused" not in problem["detail_en"]
    db.dispose()
