"""docs/deploy.md: the backup and restore blocks marked "tested" are run here exactly as written, on a register
with ledger entries, and the restored ledger audits clean with the same latest checkpoint (issue #17 item 5)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from credential_service.app.bootstrap import Container, build
from credential_service.diplomas.register_book import BookInfo
from credential_service.diplomas.register_demo import demo_register_rows, register_xlsx
from credential_service.diplomas.register_import import RegisterImporter
from credential_service.diplomas.rules import DiplomaType
from credential_service.platform.db import migrate
from credential_service.platform.settings import Settings

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "deploy.md"
BIN = Path(sys.executable).parent  # the venv's sogoc
BOOK = BookInfo("SG-THPT-2004-Q1", "SO-GDDT-HP", "Sở Giáo dục và Đào tạo Hải Phòng", DiplomaType.THPT,
                signer_name="Giám đốc Sở")  # fmt: skip


def block(name: str) -> str:
    """The shell block that follows ``<!-- tested: NAME -->`` in the guide."""
    match = re.search(rf"<!-- tested: {re.escape(name)} -->\s*```sh\n(.*?)```", GUIDE.read_text(), re.S)
    assert match, f"docs/deploy.md has no tested block {name!r}"
    return match.group(1)


def run(name: str, **env: str) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block(name)],
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **env},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (name, done.stdout, done.stderr)
    return done.stdout


def _register_with_a_ledger(url: str) -> Container:
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    RegisterImporter(c.db, c.settings).import_file(register_xlsx(demo_register_rows(12)), "b.xlsx", BOOK, actor="t")
    return c


def _checkpoint(url: str) -> str:
    out = subprocess.run(
        [str(BIN / "sogoc"), "--database-url", url, "ledger", "checkpoint"], capture_output=True, text=True, check=True
    )
    return out.stdout


def test_the_sqlite_backup_restores_a_ledger_that_audits_clean_with_the_same_checkpoint(tmp_path: Path) -> None:
    db, backup, restored = tmp_path / "sogoc.db", tmp_path / "backup.db", tmp_path / "restored.db"
    c = _register_with_a_ledger(f"sqlite:///{db}")
    c.ledger.publish()
    before = _checkpoint(f"sqlite:///{db}")
    assert "ok" in run("backup-sqlite", DB=str(db), BACKUP=str(backup))
    out = run("restore-sqlite", BACKUP=str(backup), RESTORED=str(restored))
    assert before.strip() and before.strip() in out
    c.db.dispose()


@contextmanager
def _two_postgres_databases() -> Iterator[tuple[str, str]]:
    """Two empty databases on the test server (the source, and the one to restore into), dropped after."""
    url = os.environ.get("SOGOC_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("SOGOC_TEST_POSTGRES_URL is not set (./scripts/test.sh starts a server)")
    admin = create_engine(make_url(url), isolation_level="AUTOCOMMIT")
    names = [f"t_{uuid.uuid4().hex[:16]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        first, second = (make_url(url).set(database=n).render_as_string(hide_password=False) for n in names)
        yield first, second
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_postgres_backup_restores_a_ledger_that_audits_clean_with_the_same_checkpoint(tmp_path: Path) -> None:
    with _two_postgres_databases() as (url, restored_url):
        c = _register_with_a_ledger(url)
        c.ledger.publish()
        before = _checkpoint(url)
        libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        restored_libpq = make_url(restored_url).set(drivername="postgresql").render_as_string(hide_password=False)
        backup = tmp_path / "sogoc.dump"
        run("backup-postgres", PGURL=libpq, BACKUP=str(backup))
        out = run("restore-postgres", BACKUP=str(backup), RESTORED_PGURL=restored_libpq,
                  RESTORED_SQLALCHEMY_URL=restored_url)  # fmt: skip
        assert before.strip() and before.strip() in out
        c.db.dispose()
