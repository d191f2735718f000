"""Schemathesis against the app, in process (ASGI): every operation of the OpenAPI document, with the examples,
coverage and fuzzing phases. No answer is a server error, and every status code, content type and body is one the
document declares for that operation.

Who calls: nobody (every operation), and, on each staff operation, the demo account of every staff role its policy
admits (a session cookie and the CSRF header); at nightly size every staff role calls every staff operation. CI
size by default; ``SOGOC_SCHEMATHESIS=nightly`` for the nightly size (openapi_run.py). The number of requests sent
is printed at the end of the run (``requests sent by schemathesis``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openapi_run import Identity, RunSize, callers_of, run_size
from schemathesis import checks
from schemathesis.generation.hypothesis.builder import ApiOperationMark

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
SIZE: RunSize = run_size()
# The document of an app built on a database it never opens; the requests go to the app of the fixtures.
DOCUMENT_APP = create_app(build(Settings(env="test", database_url="sqlite://")))
schema = schemathesis.openapi.from_asgi("/openapi.json", DOCUMENT_APP, config=SIZE.config())
CALLERS = callers_of(DOCUMENT_APP, every_role=SIZE.every_role)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each operation's callers (openapi_run.callers_of), one test per operation and caller."""
    operation = ApiOperationMark.get(metafunc.function)
    if operation is not None and "identity" in metafunc.fixturenames:
        names = CALLERS[(operation.method.upper(), operation.path)]
        metafunc.parametrize("identity", names, ids=[n or "anonymous" for n in names], indirect=True, scope="module")


@pytest.fixture(scope="module")
def api_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'sogoc.db'}"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    c.start_dev_services()
    seed_demo(c.transcripts)
    yield c
    c.db.dispose()


@pytest.fixture(scope="module")
def api_app(api_container: Container) -> FastAPI:
    return create_app(api_container)


@pytest.fixture(scope="module")
def identity(request: pytest.FixtureRequest, api_container: Container, api_app: FastAPI) -> Identity:
    who = Identity(request.param, api_container)
    with TestClient(api_app) as client:
        who.sign_in(client)
    return who


@pytest.fixture(autouse=True)
def requests_sent(request: pytest.FixtureRequest, identity: Identity) -> Iterator[None]:
    """Records how many requests this test sent (summed in the terminal summary, also under xdist)."""
    before = identity.requests
    yield
    figure = f"figure: requests sent by schemathesis ({SIZE.name} size)"
    request.node.user_properties.append((figure, identity.requests - before))


@schema.parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case, identity: Identity, api_app: FastAPI) -> None:
    response = case.call(headers=identity.headers, app=api_app)
    identity.answered(response.status_code)
    case.validate_response(response, checks=CHECKS, headers=identity.headers)
