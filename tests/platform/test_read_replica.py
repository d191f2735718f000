"""Verification reads from a real PostgreSQL hot standby while it keeps up (issue #17 item 5): a standby is made
from the test server with ``pg_basebackup`` and streams from it. A credential issued a moment ago that has not
reached the standby is still found (asked again of the primary), and a standby whose replay stops is left
alone until it catches up."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from seal_job_fixture import ready_classes
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import make_url

from credential_service.app.bootstrap import build
from credential_service.app.demo import seed_demo, staff_id
from credential_service.platform.db import migrate
from credential_service.platform.read_replica import ReplicaDatabase, is_fresh
from credential_service.platform.settings import Settings
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step

# settings a hot standby must have at least as high as its primary's, or it will not start
_AT_LEAST_THE_PRIMARY = ("max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
                         "max_locks_per_transaction")  # fmt: skip


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_basebackup"), reverse=True)
    if not found:
        pytest.skip("pg_basebackup is not installed")
    return found[0].parent


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def standby(postgres_db_url: str) -> Iterator[Callable[[], str]]:
    """Start a hot standby of the test server (call it once the primary has data); its URL for the same database."""
    url = make_url(postgres_db_url)
    binary = _pg_bin()
    home = Path(tempfile.mkdtemp(prefix="sogoc-standby-"))
    data = home / "data"
    if os.geteuid() == 0:
        shutil.chown(home, "postgres")
    port = _free_port()

    def start() -> str:
        admin = create_engine(url.set(database="postgres"))
        with admin.connect() as conn:
            settings = {name: conn.execute(text(f"SHOW {name}")).scalar_one() for name in _AT_LEAST_THE_PRIMARY}
        admin.dispose()
        backup = [str(binary / "pg_basebackup"), "-h", str(url.host), "-p", str(url.port), "-U", "postgres",
                  "-D", str(data), "-R", "-X", "stream", "-c", "fast", "--no-sync"]  # fmt: skip
        subprocess.run(_as_server_user(backup), check=True, capture_output=True, cwd="/")
        options = f"-h 127.0.0.1 -p {port} -k {home} -c fsync=off -c hot_standby=on " + " ".join(
            f"-c {k}={v}" for k, v in settings.items()
        )
        subprocess.run(_as_server_user([str(binary / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w",
                                        "-t", "60", "start", "-o", options]), check=True, capture_output=True,
                       cwd="/")  # fmt: skip
        return url.set(port=port).render_as_string(hide_password=False)

    try:
        yield start
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_server_user([str(binary / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True, cwd="/", check=False)  # fmt: skip
        shutil.rmtree(home, ignore_errors=True)


def _issued_id(c: object, class_id: str) -> str:
    with c.db.reader() as s:  # type: ignore[attr-defined]
        return str(s.execute(select(Transcript.id).where(Transcript.class_id == class_id)).scalars().first())


def test_verification_reads_the_standby_and_asks_the_primary_for_what_has_not_reached_it(
    postgres_db_url: str, standby: Callable[[], str]
) -> None:
    migrate(postgres_db_url)
    primary = build(Settings(env="test", database_url=postgres_db_url))
    primary.start_dev_services()
    seed_demo(primary.transcripts, import_results=False)
    _, (first_class, second_class) = ready_classes(primary, classes=2, students=1)
    primary.transcripts.sign_class(first_class, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    first = _issued_id(primary, first_class)

    replica_url = standby()
    c = build(Settings(env="test", database_url=postgres_db_url, database_replica_url=replica_url))
    reads = c.verification.db
    assert isinstance(reads, ReplicaDatabase)
    reads.recheck_seconds = 0.0
    on_replica: list[str] = []
    event.listen(reads.replica.engine, "before_cursor_execute", lambda *a: on_replica.append(a[2]))
    deadline = time.monotonic() + 30
    while not reads.fresh() and time.monotonic() < deadline:  # the standby catches up after starting
        time.sleep(0.2)
    assert reads.fresh()

    assert c.verification.credential_status(first).status == "valid"
    assert any("transcripts" in sql for sql in on_replica), on_replica  # the standby answered

    with reads.replica.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_wal_replay_pause()"))
    primary.transcripts.sign_class(second_class, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    second = _issued_id(primary, second_class)
    assert c.verification.credential_status(second).status == "valid"  # not issued on the standby yet: the primary

    reads.max_lag_seconds = 0.0  # replay paused: once the new WAL is received, the standby lags and is left alone
    deadline = time.monotonic() + 30  # the primary may write its WAL a moment later (synchronous_commit=off)
    while reads.fresh() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not reads.fresh()
    with reads.replica.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SELECT pg_wal_replay_resume()"))
    deadline = time.monotonic() + 30
    while not reads.fresh() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert reads.fresh()  # caught up again: back in use
    on_replica.clear()
    assert c.verification.credential_status(second).status == "valid"
    assert on_replica  # read from the standby again (the status itself may come from memory: same register stamp)
    c.db.dispose()
    reads.dispose()
    primary.db.dispose()


@pytest.mark.parametrize(
    ("in_recovery", "streaming", "caught_up", "lag", "fresh"),
    [
        (True, True, True, 600.0, True),  # idle primary: nothing to replay, everything received is replayed
        (True, True, False, 1.0, True),  # busy, within the allowed lag
        (True, True, False, 9.0, False),  # busy, too far behind
        (True, False, True, 600.0, False),  # the receiver stopped: "caught up" with nothing is not fresh
        (True, False, False, None, False),  # never replayed anything
        (False, True, True, 0.0, False),  # promoted: not a standby any more
    ],
)
def test_a_standby_is_read_only_while_it_keeps_up(
    in_recovery: bool, streaming: bool, caught_up: bool, lag: float | None, fresh: bool
) -> None:
    assert is_fresh(in_recovery, streaming, caught_up, lag, max_lag=5.0) is fresh
