"""A service container on a migrated database with the demo school, and the dev PKI served."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.settings import Settings

_DOCUMENTS: dict[str, DocumentFactory] = {}


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=db_url))
    # Keys and the signing context are loaded once per test process, as in production workers.
    if "dev" not in _DOCUMENTS:
        _DOCUMENTS["dev"] = c.documents
    c.__dict__["documents"] = _DOCUMENTS["dev"]
    c.start_dev_services()
    yield c
    c.db.dispose()
