"""Fixtures of the transcript tests: a service container on a migrated database with the demo school and
the dev PKI served; and a học bạ record for the PDF / QR rendering tests (data in ``hocba_fixture``)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hocba_fixture import RECORD, VERIFY_URL, canonical_json

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


@pytest.fixture
def record() -> dict[str, Any]:
    return copy.deepcopy(RECORD)


@pytest.fixture
def record_json(record: dict[str, Any]) -> bytes:
    return canonical_json(record)


@pytest.fixture
def verify_url() -> str:
    return VERIFY_URL
