"""Sign a test client in as one of the demo accounts (password + TOTP, through the real API)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pyotp
from fastapi.testclient import TestClient

from credential_service.app.demo_accounts import DemoAccount
from credential_service.app.demo_accounts import account as demo_account
from credential_service.staff.roles import Role
from credential_service.staff.tables import RoleAssignment, Staff

_EXTRA: dict[str, DemoAccount] = {}


def account(username: str) -> DemoAccount:
    return _EXTRA.get(username) or demo_account(username)


CSRF = "X-CSRF-Token"


def _codes(client: TestClient, username: str) -> list[str]:
    """The codes of the app clock's current and adjacent steps (a step is accepted once per sign-in)."""
    totp = pyotp.TOTP(account(username).totp_secret)
    now = client.app.state.container.clock.now()  # type: ignore[attr-defined]
    step = totp.timecode(now)
    return [totp.generate_otp(step + k) for k in (0, 1, -1)]


def sign_in(client: TestClient, username: str) -> str:
    """Sign in as ``username``; the client then sends the session cookie and the CSRF header."""
    if getattr(client, "_sogoc_user", None) == username:
        return str(client.headers[CSRF])
    response = None
    for code in _codes(client, username):
        response = client.post(
            "/api/v1/staff/session",
            json={"username": username, "password": account(username).password, "totp": code},
        )
        if response.status_code == 200:
            client.headers[CSRF] = response.json()["csrf_token"]
            client._sogoc_user = username  # type: ignore[attr-defined]
            return str(response.json()["csrf_token"])
    raise AssertionError(f"sign-in as {username} failed: {response.text if response else ''}")


def sign_out(client: TestClient) -> None:
    client.cookies.clear()
    client.headers.pop(CSRF, None)
    client._sogoc_user = None  # type: ignore[attr-defined]


def confirm(client: TestClient, username: str, purpose: str) -> str:
    """The signed-in signer's own fresh confirmation for one batch; returns its id."""
    for code in _codes(client, username):
        response = client.post("/api/v1/staff/confirmations", json={"purpose": purpose, "totp": code})
        if response.status_code == 200:
            return str(response.json()["confirmation_id"])
    raise AssertionError(f"confirmation by {username} failed: {response.text}")


def sign_step(client: TestClient, class_id: str, step: str) -> dict:
    """The signer of ``step`` signs in, confirms and signs the whole class (the seal by the seal operator)."""
    username = {"gvcn": None, "principal": "principal", "seal": "seal-operator"}[step]
    return _sign(client, class_id, step, username)


def _sign(client: TestClient, class_id: str, step: str, username: str | None) -> dict:
    if username is None:
        raise ValueError("pass the homeroom teacher's username: sign_as(client, class_id, 'gvcn', 'gvcn-10a1')")
    sign_in(client, username)
    confirmation = confirm(client, username, f"sign:class:{class_id}:{step}")
    r = client.post(f"/api/v1/classes/{class_id}/sign/{step}", json={"confirmation_id": confirmation})
    assert r.status_code == 200, r.text
    return dict(r.json())


def sign_as(client: TestClient, class_id: str, step: str, username: str) -> dict:
    return _sign(client, class_id, step, username)


def add_account(
    container: Any,
    username: str,
    role: Role,
    *,
    school_id: str | None = None,
    class_id: str | None = None,
    commune: str | None = None,
    staff_id: str | None = None,
    on: date = date(2020, 1, 1),
) -> str:
    """A person with one role and an account (password and TOTP as for the demo accounts); their staff id.
    With ``staff_id``, the account is for an existing signer and the role is added to them."""
    demo = DemoAccount(username, username, role, "")
    with container.db.transaction() as session:
        if staff_id is None:
            staff_id = str(uuid.uuid4())
            session.add(Staff(id=staff_id, full_name=f"Cán bộ {username}", kind="person", key_label=username))
            session.flush()
        session.add(
            RoleAssignment(
                id=str(uuid.uuid4()),
                staff_id=staff_id,
                role=role.value,
                school_id=school_id,
                class_id=class_id,
                commune=commune,
                valid_from=on,
                valid_to=None,
            )
        )
    container.staff_auth.create_account(
        staff_id=staff_id, username=username, password=demo.password, totp_secret=demo.totp_secret
    )
    _EXTRA[username] = demo
    return staff_id
