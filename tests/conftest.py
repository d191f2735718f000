"""Shared fixtures: a migrated database on SQLite and, when available, a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("SOGOC_TEST_POSTGRES_URL")
# Third-party test data, read in place and never copied into the project.
CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
CORPUS_FILES = ("pdf-signatures", "tlog/vectors.json")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI a missing corpus fails the run: the tests that read it would otherwise skip silently."""
    if not os.environ.get("CI"):
        return
    missing = [name for name in CORPUS_FILES if not (CORPORA / name).exists()]
    if missing:
        raise pytest.UsageError(
            f"CI: third-party corpora missing under {CORPORA}: {', '.join(missing)} "
            "(shared/ must sit beside the checkout)"
        )


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_database() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("SOGOC_TEST_POSTGRES_URL is not set (./scripts/test.sh starts a server)")
    admin_url = make_url(POSTGRES_URL)
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def dev_pki_served_by_the_test_session() -> None:
    """Serve the dev TSA/OCSP/CRL from the test processes themselves, before any test runs.

    The process that starts the dev PKI server owns it; at exit it hands it over to another process
    that uses it, and a process that uses it takes over when the owner dies (signing/devpki.py).
    Owned here, `sogoc demo` subprocesses are only users and exit at once.
    """
    from signing.devpki import ensure_dev_pki_server

    ensure_dev_pki_server()


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """An empty database (no schema) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/sogoc.db"
    else:
        yield from _postgres_database()


@pytest.fixture
def postgres_db_url() -> Iterator[str]:
    """An empty database on the real PostgreSQL server only (skipped without one)."""
    yield from _postgres_database()


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A database migrated to head, on each backend."""
    from credential_service.platform.db import migrate

    migrate(empty_db_url)
    return empty_db_url


@pytest.fixture
def sqlite_db_url(tmp_path: os.PathLike[str]) -> str:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path}/sogoc.db"
    migrate(url)
    return url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures tests record as ``("figure: <what>", n)`` user properties, summed over the run (the
    reports carry them from xdist workers too): e.g. how many requests the Schemathesis run sent."""
    totals: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "teardown":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if isinstance(name, str) and name.startswith("figure: "):
                    totals[name[8:]] = totals.get(name[8:], 0) + int(value)
    for what, total in sorted(totals.items()):
        terminalreporter.write_line(f"{what}: {total:,}")
