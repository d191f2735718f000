"""A service container on a migrated database with the demo school and signers, and the diploma service."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo
from credential_service.diplomas.service import DiplomaService
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.ratelimit import parse
from credential_service.platform.settings import Settings

_DOCUMENTS: dict[str, DocumentFactory] = {}


@pytest.fixture
def clock() -> FixedClock:
    """The service's clock, stopped at the moment the test starts.

    Signing checks certificates against the dev OCSP/CRL, which answer with the real time, so the clock
    starts now; a test that needs "today" (deadlines count days from the decision) reads ``clock.today()``
    and dates its decisions from it, never from a hard-coded calendar date.
    """
    return FixedClock(SystemClock().now())


@pytest.fixture
def container(db_url: str, clock: FixedClock) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=db_url), clock=clock)
    if "dev" not in _DOCUMENTS:
        _DOCUMENTS["dev"] = c.documents
    c.__dict__["documents"] = _DOCUMENTS["dev"]
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


@pytest.fixture
def svc(container: Container) -> DiplomaService:
    service = DiplomaService(container.db, container.documents, clock=container.clock)
    service.public.check_limits = (parse("1000/day"),)
    container.__dict__["diplomas"] = service
    return service
