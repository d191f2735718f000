"""What the Schemathesis run of the OpenAPI document needs: who calls each operation (nobody, or the demo account
of a staff role), how much it generates (CI or nightly size), and how many requests it sent.

CI size is the default. ``SOGOC_SCHEMATHESIS=nightly`` selects the nightly size (every staff role calls every staff
operation, 30 fuzzing examples each: well over 10,000 requests); ``SOGOC_SCHEMATHESIS_EXAMPLES=N`` sets the fuzzing
phase's examples directly.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_login import CSRF, sign_in

from credential_service.app.bootstrap import Container
from credential_service.staff.access import COOKIE, route_policies
from credential_service.staff.policy import Audience
from credential_service.staff.roles import Role
from credential_service.staff.service import sha256_hex
from credential_service.staff.tables import StaffAccount, StaffSession

# One demo account per staff role (app/demo_accounts.py; the seal is a signer, not a person); None: nobody.
ROLE_ACCOUNTS: dict[Role, str] = {
    Role.SO_ADMIN: "so-admin",
    Role.SO_CLERK: "so-clerk",
    Role.INSPECTOR: "inspector",
    Role.COMMUNE_OFFICER: "commune-officer",
    Role.PRINCIPAL: "principal",
    Role.GVCN: "gvcn-10a1",
    Role.SUBJECT_TEACHER: "subject-teacher",
    Role.SCHOOL_CLERK: "school-clerk",
    Role.SEAL_OPERATOR: "seal-operator",
}


@dataclass(frozen=True)
class RunSize:
    """How much the run generates: ``examples`` per operation and caller in the fuzzing phase (the coverage and
    examples phases add their own cases); each staff operation is called by the roles its policy admits, or with
    ``every_role`` by every staff role (the others' refusals too)."""

    name: str
    examples: int
    every_role: bool

    def config(self) -> schemathesis.Config:
        """The run's configuration (the schemathesis.toml keys): the examples, coverage and fuzzing phases, no
        stateful phase, deterministic generation (derandomized: the same cases on every run), no example database."""
        return schemathesis.Config.from_dict(
            {
                "generation": {"deterministic": True, "database": "none", "max-examples": self.examples},
                "phases": {
                    "examples": {"enabled": True},
                    "coverage": {"enabled": True},
                    "fuzzing": {"enabled": True},
                    "stateful": {"enabled": False},
                },
                # Generating for an operation that filters heavily is slow, not wrong.
                "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            }
        )


CI = RunSize("CI", examples=4, every_role=False)
NIGHTLY = RunSize("nightly", examples=30, every_role=True)


def run_size() -> RunSize:
    """CI size, unless ``SOGOC_SCHEMATHESIS=nightly``; ``SOGOC_SCHEMATHESIS_EXAMPLES=N`` sets the examples."""
    size = NIGHTLY if os.environ.get("SOGOC_SCHEMATHESIS") == "nightly" else CI
    examples = os.environ.get("SOGOC_SCHEMATHESIS_EXAMPLES")
    return replace(size, examples=max(1, int(examples))) if examples else size


def callers_of(app: FastAPI, *, every_role: bool) -> dict[tuple[str, str], list[str | None]]:
    """Who calls each operation, by (METHOD, path): nobody, and for a staff operation the staff roles its policy
    admits (with ``every_role``: every staff role)."""
    callers: dict[tuple[str, str], list[str | None]] = {}
    for route, policies in route_policies(app):
        staff = policies[0] if policies and policies[0].audience is Audience.STAFF else None
        roles = [r for r in ROLE_ACCOUNTS if staff is not None and (every_role or r in staff.roles)]
        for method in route.methods:
            callers[(method, route.path)] = [None, *(ROLE_ACCOUNTS[r] for r in roles)]
    return callers


@dataclass
class Identity:
    """Who sends the requests: nobody, or a staff member's session (cookie and CSRF header).

    The fuzzer may end the session itself (sign out, sign out everywhere): a request answered 401 opens a new
    one for the next request. It is opened in the database as sign-in does, because sign-in accepts each TOTP
    step once and the fuzzer may sign out more than twice a minute."""

    username: str | None
    container: Container
    headers: dict[str, str] = field(default_factory=dict)
    requests: int = 0  # sent so far

    def sign_in(self, client: TestClient) -> None:
        """The first session through the real sign-in (password and TOTP)."""
        if self.username is None:
            return
        csrf = sign_in(client, self.username)
        self._use(str(client.cookies[COOKIE]), csrf)

    def renew(self) -> None:
        """A new session, opened in the database (what sign-in records)."""
        if self.username is None:
            return
        c = self.container
        token, now = secrets.token_urlsafe(32), c.clock.now()
        with c.db.transaction() as s:
            account_id = s.execute(select(StaffAccount.id).where(StaffAccount.username == self.username)).scalar_one()
            s.add(StaffSession(token_hash=sha256_hex(token), account_id=account_id, created_at=now, last_seen_at=now,
                               expires_at=now + timedelta(hours=1), method="password+totp"))  # fmt: skip
        self._use(token, c.staff_auth.csrf_token(sha256_hex(token)))

    def _use(self, token: str, csrf: str) -> None:
        self.headers = {"Cookie": f"{COOKIE}={token}", CSRF: csrf}

    def answered(self, status: int) -> None:
        self.requests += 1
        if status == 401:
            self.renew()
