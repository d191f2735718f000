"""Signing under the signer's sole control: no key signs without its holder's own fresh confirmation; one
confirmation covers a class; nobody else (a clerk, an admin, a script) can make a principal's key sign."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from staff_login import confirm, sign_as, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.signers.tables import SigningAudit
from credential_service.transcripts.tables import SigningEvent

A1 = class_id("10A1")
N = 45


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    seed_demo(c.transcripts)
    c.transcripts.lock_class(A1)
    yield c
    c.db.dispose()


@pytest.fixture
def client(container: Container) -> TestClient:
    return TestClient(create_app(container))


def _sign(client: TestClient, step: str, confirmation: str | None) -> object:
    body = {"confirmation_id": confirmation} if confirmation is not None else {}
    return client.post(f"/api/v1/classes/{A1}/sign/{step}", json=body)


def _events(container: Container) -> int:
    with container.db.reader() as s:
        return int(s.execute(select(func.count()).select_from(SigningEvent)).scalar_one())


def test_one_confirmation_signs_the_whole_class_and_is_used_once(client: TestClient, container: Container) -> None:
    sign_in(client, "gvcn-10a1")
    confirmation = confirm(client, "gvcn-10a1", f"sign:class:{A1}:gvcn")
    r = _sign(client, "gvcn", confirmation)
    assert r.status_code == 200 and r.json()["transcripts"] == N, r.text  # type: ignore[attr-defined]
    assert _events(container) == N
    with container.db.reader() as s:
        actors = set(s.execute(select(SigningAudit.actor).where(SigningAudit.outcome == "signed")).scalars())
    assert actors == {"Nguyễn Thị Hương (gvcn-10a1)"}  # the audit names the person who confirmed
    sign_in(client, "principal")
    again = _sign(client, "principal", confirmation)  # someone else's, and already used
    assert again.status_code == 403 and again.json()["reason"] == "confirmation_required"  # type: ignore[attr-defined]


def test_the_principal_key_does_not_sign_without_the_principals_own_fresh_confirmation(
    client: TestClient, container: Container
) -> None:
    sign_as(client, A1, "gvcn", "gvcn-10a1")
    before = _events(container)
    sign_in(client, "principal")
    assert _sign(client, "principal", None).status_code == 422  # type: ignore[attr-defined]
    assert _sign(client, "principal", "not-a-confirmation").status_code == 403  # type: ignore[attr-defined]
    other_step = confirm(client, "principal", f"sign:class:{A1}:seal")
    assert _sign(client, "principal", other_step).status_code == 403  # type: ignore[attr-defined]
    other_class = confirm(client, "principal", f"sign:class:{class_id('10A2')}:principal")
    assert _sign(client, "principal", other_class).status_code == 403  # type: ignore[attr-defined]
    assert _events(container) == before
    for username in ("school-clerk", "so-admin", "inspector", "gvcn-10a1"):
        sign_in(client, username)
        if username == "gvcn-10a1":
            forged = confirm(client, username, f"sign:class:{A1}:principal")
            r = _sign(client, "principal", forged)  # her own confirmation makes her key sign, not his
            assert r.status_code == 403 and "hiệu trưởng" in r.json()["detail_vi"], r.text  # type: ignore[attr-defined]
        else:
            assert _sign(client, "principal", "x").status_code == 403, username  # type: ignore[attr-defined]
    assert _events(container) == before
    sign_as(client, A1, "principal", "principal")
    assert _events(container) == before + N


def test_only_the_assigned_seal_operator_applies_the_school_seal(client: TestClient, container: Container) -> None:
    sign_as(client, A1, "gvcn", "gvcn-10a1")
    sign_as(client, A1, "principal", "principal")
    sign_in(client, "principal")
    own = confirm(client, "principal", f"sign:class:{A1}:seal")
    r = _sign(client, "seal", own)
    assert r.status_code == 403 and r.json()["reason"] == "not_seal_operator"  # type: ignore[attr-defined]
    report = sign_as(client, A1, "seal", "seal-operator")
    assert report["status"] == "issued" and report["transcripts"] == N


def test_a_service_token_cannot_sign(client: TestClient) -> None:
    sign_in(client, "principal")
    token = client.post("/api/v1/staff/tokens", json={"name": "s", "scopes": ["class.sign"], "days": 1}).json()
    script = TestClient(client.app, headers={"Authorization": f"Bearer {token['token']}"})
    r = script.post("/api/v1/staff/confirmations", json={"purpose": f"sign:class:{A1}:principal", "totp": "000000"})
    assert r.status_code == 403
    assert script.post(f"/api/v1/classes/{A1}/sign/principal", json={"confirmation_id": "x"}).status_code == 403
