"""A service container on a migrated database with the demo school, and a `sogoc sign-agent` process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.settings import Settings

REPO = Path(__file__).resolve().parents[3]
DEV_KEYS = REPO / "keys" / "dev"
_DOCUMENTS: dict[str, DocumentFactory] = {}


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=db_url))
    if "dev" not in _DOCUMENTS:  # keys and the signing context once per test process, as in a worker
        _DOCUMENTS["dev"] = c.documents
    c.__dict__["documents"] = _DOCUMENTS["dev"]
    c.start_dev_services()
    yield c
    c.db.dispose()


@pytest.fixture(scope="module")
def sign_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The homeroom teacher's sign agent: another process holding gvcn-10a1's key (a file key, dev only)."""
    port_file = tmp_path_factory.mktemp("agent") / "url"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "credential_service.app.cli",
            "sign-agent",
            "serve",
            "--key",
            str(DEV_KEYS / "keys" / "gvcn-10a1.key.pem"),
            "--cert",
            str(DEV_KEYS / "out" / "gvcn-10a1.cert.pem"),
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"sign agent did not start (exit code {proc.returncode})")
            time.sleep(0.05)
        yield port_file.read_text().strip()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
