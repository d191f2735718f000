"""The Sở admin creates an account (which grants nothing); a role comes only through four eyes; the
role's place is checked (a Sở role is city-wide, a commune officer's a commune, a teacher's a class)."""

from __future__ import annotations

from collections.abc import Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from staff_login import sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


def test_a_new_account_has_no_rights_until_a_second_admin_approves_its_role(container: Container) -> None:
    admin = TestClient(create_app(container))
    sign_in(admin, "so-admin")
    new = {"full_name": "Đỗ Văn Mới", "username": "new-clerk", "password": "a-long-initial-pass"}
    created = admin.post("/api/v1/staff/accounts", json=new)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["provisioning_uri"].startswith("otpauth://totp/")
    assert admin.post("/api/v1/staff/accounts", json=new).status_code == 409  # the username is taken

    clerk = TestClient(admin.app)
    code = pyotp.TOTP(body["totp_secret"]).now()
    signed = clerk.post("/api/v1/staff/session", json={"username": "new-clerk", "password": new["password"],
                                                       "totp": code})  # fmt: skip
    assert signed.status_code == 200 and signed.json()["roles"] == []
    clerk.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
    assert clerk.get("/api/v1/reconciliation").status_code == 403

    bad = admin.post(f"/api/v1/signers/{body['staff_id']}/assignments",
                     json={"role": "commune_officer", "valid_from": "2025-08-01"})  # fmt: skip
    assert bad.status_code == 422 and "commune" in bad.json()["detail_en"]
    proposed = admin.post(f"/api/v1/signers/{body['staff_id']}/assignments",
                          json={"role": "so_clerk", "valid_from": "2025-08-01"})  # fmt: skip
    assert proposed.status_code == 202, proposed.text
    assert clerk.get("/api/v1/reconciliation").status_code == 403  # not before the second admin
    second = TestClient(admin.app)
    sign_in(second, "so-admin-2")
    assert second.post(f"/api/v1/approvals/{proposed.json()['approval_id']}/approve", json={}).status_code == 200
    assert clerk.get("/api/v1/reconciliation").status_code == 200


def test_only_the_so_admin_creates_accounts(container: Container) -> None:
    client = TestClient(create_app(container))
    new = {"full_name": "X", "username": "sneaky", "password": "a-long-initial-pass"}
    assert client.post("/api/v1/staff/accounts", json=new).status_code == 401
    sign_in(client, "principal")
    assert client.post("/api/v1/staff/accounts", json=new).status_code == 403
