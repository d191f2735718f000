"""The test environment is real: a PostgreSQL server and the system tools are there.

In CI (``CI`` set and ``SOGOC_ENV=test``, as ``./scripts/test.sh`` sets it) a missing
tool or database fails here, so a broken install step turns the run red instead of
letting the tests that need it skip quietly. Elsewhere these tests skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

TOOLS = ["pdfsig", "pdftotext", "pdftoppm", "pdfdetach", "zbarimg", "softhsm2-util"]


def _strict() -> bool:
    ci = os.environ.get("CI", "").strip().lower()
    return os.environ.get("SOGOC_ENV") == "test" and ci not in ("", "0", "false", "no")


def _chromium() -> str:
    return os.environ.get("SOGOC_TEST_CHROMIUM", "/usr/bin/chromium")


def test_postgres_url_is_provided_in_ci() -> None:
    if not _strict():
        pytest.skip("only enforced in CI (CI set and SOGOC_ENV=test)")
    assert os.environ.get("SOGOC_TEST_POSTGRES_URL"), (
        "SOGOC_TEST_POSTGRES_URL is not set: run the suite through ./scripts/test.sh"
    )


@pytest.mark.postgres
def test_postgres_server_is_real() -> None:
    url = os.environ.get("SOGOC_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("SOGOC_TEST_POSTGRES_URL not set")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            version = conn.execute(text("select version()")).scalar_one()
            number = int(conn.execute(text("show server_version_num")).scalar_one())
            assert version.startswith("PostgreSQL ")
            assert number >= 150000, version
            assert conn.execute(text("select current_database()")).scalar_one() == "sogoc_test"
            # The server really stores and returns Vietnamese text (UTF-8 database).
            conn.execute(text("create temporary table env_probe (t text)"))
            conn.execute(text("insert into env_probe values (:t)"), {"t": "Sổ Gốc Số"})
            assert conn.execute(text("select t from env_probe")).scalar_one() == "Sổ Gốc Số"
    finally:
        engine.dispose()


@pytest.mark.parametrize("tool", TOOLS)
def test_system_tool_installed(tool: str) -> None:
    found = shutil.which(tool)
    if found is None:
        if _strict():
            pytest.fail(f"{tool} missing in CI: scripts/test.sh should have installed it")
        pytest.skip(f"{tool} not installed")
    assert os.access(found, os.X_OK)


def test_chromium_installed() -> None:
    path = _chromium()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if _strict():
            pytest.fail(f"Chromium missing at {path} in CI: scripts/test.sh should have installed it")
        pytest.skip(f"Chromium not installed at {path}")
    out = subprocess.run(
        [path, "--headless", "--no-sandbox", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Chromium" in out.stdout or "Chrome" in out.stdout, out.stdout
