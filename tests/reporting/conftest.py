"""The demo city (one school, two classes of imported results) behind the progress API, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from progress_fixtures import add_so_seal

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo
from credential_service.app.factory import create_app
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.settings import Settings

_DOCUMENTS: dict[str, DocumentFactory] = {}


@pytest.fixture
def clock() -> FixedClock:
    """Stopped at the moment the test starts: signing checks certificates against the dev OCSP/CRL, which
    answer with the real time."""
    return FixedClock(SystemClock().now())


@pytest.fixture
def container(sqlite_db_url: str, clock: FixedClock) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url), clock=clock)
    if "dev" not in _DOCUMENTS:
        _DOCUMENTS["dev"] = c.documents  # the dev keys are loaded once for the module's tests
    c.__dict__["documents"] = _DOCUMENTS["dev"]
    seed_demo(c.transcripts, import_results=True)
    yield c
    c.db.dispose()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container)) as tc:
        yield tc


@pytest.fixture
def signing(tmp_path: Path) -> Iterator[Container]:
    """A city of its own (its own dev CA state and document factory), with the demo school's results, the Sở's
    seal and the dev PKI (TSA, OCSP)."""
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path}/report.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url), clock=FixedClock(SystemClock().now()))
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=True)
    add_so_seal(c)
    yield c
    c.db.dispose()
