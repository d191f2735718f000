"""Fixtures of the hostile-upload tests (spreadsheets): the demo school on SQLite behind FastAPI's
TestClient, with the upload worker processes started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.platform.upload_limits import start_worker_pool


@pytest.fixture(scope="session")
def upload_workers() -> None:
    """Start the worker processes once (what the app should do at startup), so that a test's first
    upload does not also pay for starting them."""
    start_worker_pool()


@pytest.fixture
def school(sqlite_db_url: str, upload_workers: None) -> Iterator[Container]:
    """The demo school and its staff accounts, classes empty."""
    c = build(Settings(env="test", database_url=sqlite_db_url))
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


@pytest.fixture
def school_client(school: Container) -> Iterator[TestClient]:
    with TestClient(create_app(school)) as c:
        yield c
