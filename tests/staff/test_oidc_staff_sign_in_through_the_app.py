"""Staff single sign-on through the app against a real OIDC provider: the SSO subject bound to the
principal's account signs them in; an unbound subject is refused; the round trip's state is signed."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_fixtures import CLIENT_ID, CLIENT_SECRET, PRINCIPAL_SUB, running_provider

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings

BASE = "http://localhost:8000"


@pytest.fixture
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture
def container(sqlite_db_url: str, issuer: str) -> Iterator[Container]:
    c = build(
        Settings(
            env="test",
            database_url=sqlite_db_url,
            public_base_url=BASE,
            oidc_issuer=issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
        )
    )
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


def _through_the_provider(app_client: TestClient, sub: str) -> httpx.Response:
    start = app_client.get("/dang-nhap/sso", follow_redirects=False)
    assert start.status_code == 303, start.text
    with httpx.Client(trust_env=False) as browser:
        page = browser.get(start.headers["location"])
        assert 'name="sub"' in page.text
        answer = browser.post(start.headers["location"], data={"sub": sub})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/dang-nhap/sso/callback"
    return app_client.get(f"{back.path}?{back.query}", follow_redirects=False)  # type: ignore[return-value]


def test_a_bound_sso_subject_signs_in_as_the_principal(container: Container, issuer: str) -> None:
    container.staff_auth.bind_oidc("principal", issuer=issuer, subject=PRINCIPAL_SUB)
    client = TestClient(create_app(container), base_url=BASE)
    assert 'href="/dang-nhap/sso"' in client.get("/dang-nhap").text
    done = _through_the_provider(client, PRINCIPAL_SUB)
    assert done.status_code == 303 and done.headers["location"] == "/", done.text
    me = client.get("/api/v1/staff/me").json()
    assert me["username"] == "principal" and me["via"] == "session"
    assert {r["role"] for r in me["roles"]} == {"principal"}


def test_an_unbound_subject_and_a_forged_state_are_refused(container: Container) -> None:
    client = TestClient(create_app(container), base_url=BASE)
    refused = _through_the_provider(client, "someone-else")
    assert refused.status_code == 401 and "not bound" in refused.json()["detail_en"]
    assert client.get("/api/v1/staff/me").status_code == 401
    client.cookies.set("sogoc_sso", "eyJzdGF0ZSI6IngifQ.00", path="/dang-nhap")
    forged = client.get("/dang-nhap/sso/callback?code=x&state=x", follow_redirects=False)
    assert forged.status_code == 401
