"""Staff sign-in: password + TOTP with one answer for every failure, sessions with idle and absolute limits,
sign-out everywhere, scoped and expiring service tokens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from staff_login import sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.demo_accounts import account
from credential_service.app.factory import create_app
from credential_service.platform.clock import FixedClock
from credential_service.platform.settings import Settings

A1 = class_id("10A1")
T0 = datetime(2026, 5, 25, 1, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def container(sqlite_db_url: str, clock: FixedClock) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url), clock=clock)
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


@pytest.fixture
def client(container: Container) -> TestClient:
    return TestClient(create_app(container))


def _code(username: str, at: datetime) -> str:
    return pyotp.TOTP(account(username).totp_secret).at(at)


def _sign_in(client: TestClient, username: str, password: str, code: str) -> object:
    return client.post("/api/v1/staff/session", json={"username": username, "password": password, "totp": code})


def test_unknown_user_wrong_password_and_wrong_code_get_the_same_answer(client: TestClient) -> None:
    good = account("principal")
    answers = [
        _sign_in(client, "nobody", good.password, _code("principal", T0)),
        _sign_in(client, "principal", "wrong-password-123", _code("principal", T0)),
        _sign_in(client, "principal", good.password, "000000" if _code("principal", T0) != "000000" else "111111"),
    ]
    bodies = [(r.status_code, r.json()["detail_en"]) for r in answers]  # type: ignore[attr-defined]
    assert len(set(bodies)) == 1 and bodies[0][0] == 401, bodies


def test_a_totp_code_signs_in_once(client: TestClient) -> None:
    good = account("principal")
    code = _code("principal", T0)
    assert _sign_in(client, "principal", good.password, code).status_code == 200  # type: ignore[attr-defined]
    replay = TestClient(client.app)
    assert _sign_in(replay, "principal", good.password, code).status_code == 401  # type: ignore[attr-defined]


def test_a_session_ends_after_idle_time_and_at_its_absolute_limit(client: TestClient, clock: FixedClock) -> None:
    sign_in(client, "gvcn-10a1")
    assert client.get("/api/v1/staff/me").status_code == 200
    clock.advance(timedelta(minutes=29))
    assert client.get("/api/v1/staff/me").status_code == 200  # active: the idle clock restarts
    clock.advance(timedelta(minutes=31))
    r = client.get("/api/v1/staff/me")
    assert r.status_code == 401 and "expired" in r.json()["detail_en"]
    fresh = TestClient(client.app)
    sign_in(fresh, "gvcn-10a1")
    for _ in range(21):  # busy all day, never idle: still ends at the absolute limit (10 h)
        clock.advance(timedelta(minutes=29))
        last = fresh.get("/api/v1/staff/me")
    assert last.status_code == 401


def test_sign_out_everywhere_ends_every_session_and_token(client: TestClient, clock: FixedClock) -> None:
    laptop, phone = client, TestClient(client.app)
    sign_in(laptop, "so-admin")
    clock.advance(timedelta(seconds=30))
    sign_in(phone, "so-admin")
    token = laptop.post("/api/v1/staff/tokens", json={"name": "nightly", "scopes": ["class.list"], "days": 7})
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['token']}"}
    assert TestClient(client.app).get("/api/v1/classes", headers=bearer).status_code == 200
    assert phone.post("/api/v1/staff/sessions/end-all").json()["sessions_ended"] == 2
    assert laptop.get("/api/v1/staff/me").status_code == 401
    assert TestClient(client.app).get("/api/v1/classes", headers=bearer).status_code == 401


def test_a_service_token_works_only_for_its_scopes_and_until_it_expires(client: TestClient, clock: FixedClock) -> None:
    sign_in(client, "gvcn-10a1")
    r = client.post("/api/v1/staff/tokens", json={"name": "import script", "scopes": ["class.import"], "days": 1})
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    script = TestClient(client.app)
    imported = script.post(f"/api/v1/classes/{A1}/results", json={"students": []}, headers=bearer)
    assert imported.status_code != 403, imported.text  # in scope (the empty payload itself is refused)
    locked = script.post(f"/api/v1/classes/{A1}/lock", headers=bearer)
    assert locked.status_code == 403 and "class.lock" in locked.json()["detail_en"]
    confirm = script.post("/api/v1/staff/confirmations", json={"purpose": "x", "totp": "123456"}, headers=bearer)
    assert confirm.status_code == 403  # a script can never confirm a signing
    clock.advance(timedelta(days=1, seconds=1))
    assert script.post(f"/api/v1/classes/{A1}/results", json={}, headers=bearer).status_code == 401


def test_security_headers_are_on_every_response(client: TestClient) -> None:
    for path in ("/v", "/dang-nhap", "/api/v1/ledger/key", "/nowhere"):
        h = client.get(path).headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], path
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"


def test_a_page_without_a_session_goes_to_the_sign_in_page(client: TestClient) -> None:
    r = client.get(f"/classes/{A1}", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/dang-nhap?next=/classes/{A1}"
    form = client.get("/dang-nhap").text
    assert "Đăng nhập cán bộ" in form and 'name="totp"' in form


def test_the_sign_in_page_lands_each_role_on_its_own_work(client: TestClient) -> None:
    for username, landing in (("so-clerk", "/so/van-bang"), ("gvcn-10a1", "/")):
        c = TestClient(client.app)
        good = account(username)
        r = c.post(
            "/dang-nhap",
            data={"username": username, "password": good.password, "totp": _code(username, T0)},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == landing, r.text
    evil = TestClient(client.app).post(
        "/dang-nhap",
        data={"username": "inspector", "password": account("inspector").password, "totp": _code("inspector", T0),
              "next": "//evil.example/phish"},
        follow_redirects=False,
    )  # fmt: skip
    assert evil.headers["location"] == "/so/van-bang"  # no open redirect
