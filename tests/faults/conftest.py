"""Fault drills: a service container on each database engine, with the dev PKI served by the test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.settings import Settings


@pytest.fixture
def container(db_url: str) -> Iterator[Container]:
    # the clock is stopped at the real time: the dev OCSP answers with the real time
    c = build(Settings(env="test", database_url=db_url), clock=FixedClock(SystemClock().now()))
    c.start_dev_services()
    yield c
    c.db.dispose()
