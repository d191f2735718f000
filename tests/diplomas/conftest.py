"""A service container on a migrated database with the demo school and signers, and the diploma service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credential_service.bootstrap import Container, build
from credential_service.services.demo import seed_demo
from credential_service.services.diplomas import DiplomaService, TokenBucket
from credential_service.services.documents import DocumentFactory
from credential_service.settings import Settings

_DOCUMENTS: dict[str, DocumentFactory] = {}


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=db_url))
    if "dev" not in _DOCUMENTS:
        _DOCUMENTS["dev"] = c.documents
    c.__dict__["documents"] = _DOCUMENTS["dev"]
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


@pytest.fixture
def svc(container: Container) -> DiplomaService:
    service = DiplomaService(container.db, container.documents, bucket=TokenBucket(capacity=1000))
    container.__dict__["_diplomas"] = service
    return service
