"""A service container on a migrated database with the demo school, and the dev PKI served."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.settings import Settings

_DOCUMENTS: dict[str, DocumentFactory] = {}


def _container(url: str) -> Container:
    c = build(Settings(env="test", database_url=url))
    if "dev" not in _DOCUMENTS:  # keys and the signing context once per test process
        _DOCUMENTS["dev"] = c.documents
    c.__dict__["documents"] = _DOCUMENTS["dev"]
    c.start_dev_services()
    return c


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = _container(sqlite_db_url)
    yield c
    c.db.dispose()


@pytest.fixture
def any_container(db_url: str) -> Iterator[Container]:
    """The same on SQLite and PostgreSQL."""
    c = _container(db_url)
    yield c
    c.db.dispose()
