"""Who may call what: named policies and the acting person (pure; the HTTP side is ``staff/access.py``).

Deny by default: every route declares one of these policies, and an app with a route that declares
none refuses to start (``app/factory.py``). The acting person always comes from the session or a
service token, never from the request body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from credential_service.staff.roles import SO_ROLES, Grant, Place, Role, holds


class Scope(StrEnum):
    """How a route finds the place of the resource it touches (resolved in ``app/resource_places.py``)."""

    NONE = "none"  # a city-wide resource: only Sở roles cover it, unless the policy says ``anywhere``
    CLASS = "class"  # path parameter class_id
    TRANSCRIPT = "transcript"  # transcript_id
    DIPLOMA = "diploma"  # diploma_id
    DECISION = "decision"  # decision_id (a graduation decision)
    SIGNER = "signer"  # staff_id (a signer's registry page)
    DOCUMENT = "document"  # document_id (a signed grade book, decision, report)
    SCHOOL = "school"  # school_id
    JOB = "job"  # job_id (a batch job: the school it works for)


class Audience(StrEnum):
    PUBLIC = "public"  # anyone; the route shows nothing personal or checks its own secret
    STAFF = "staff"  # a signed-in staff member with one of the roles at the resource's place
    HOLDER = "holder"  # the holder's own session (holders/routes.py)
    EMPLOYER = "employer"  # an approved organisation's API key (employers/routes.py)


@dataclass(frozen=True)
class Policy:
    name: str
    audience: Audience
    roles: frozenset[Role] = frozenset()
    scope: Scope = Scope.NONE
    anywhere: bool = False  # True: a role held at any place suffices (the route narrows by itself)
    note: str = ""
    logs_reads: bool = False  # a GET shows personal data: each read goes to the holder's access log


@dataclass(frozen=True)
class Actor:
    """The person acting, from their session or their service token."""

    account_id: str
    username: str
    staff_id: str
    full_name: str
    grants: tuple[Grant, ...]
    via: str  # session | token
    scopes: frozenset[str] | None = None  # a token's policy names; None for a session
    session_hash: str | None = None
    roles_today: frozenset[Role] = field(default=frozenset())

    @property
    def display(self) -> str:
        return f"{self.full_name} ({self.username})"


def permits(policy: Policy, actor: Actor, place: Place | None, on: date) -> bool:
    """True if ``actor`` may use ``policy`` on a resource at ``place`` (None: the place is not known here)."""
    if policy.audience is not Audience.STAFF:
        return False
    if actor.scopes is not None and policy.name not in actor.scopes:
        return False
    if place is None or (policy.anywhere and place.school_id is None):
        return any(g.role in policy.roles and g.in_force(on) for g in actor.grants)
    return holds(actor.grants, policy.roles, place, on)


def public(name: str, note: str) -> Policy:
    return Policy(name, Audience.PUBLIC, note=note)


def staff(
    name: str,
    roles: set[Role],
    scope: Scope = Scope.NONE,
    *,
    anywhere: bool = False,
    note: str = "",
    logs_reads: bool = False,
) -> Policy:
    return Policy(name, Audience.STAFF, frozenset(roles), scope, anywhere, note, logs_reads)


SCHOOL_READERS = {Role.PRINCIPAL, Role.SCHOOL_CLERK, *SO_ROLES}
CLASS_READERS = {Role.GVCN, Role.SUBJECT_TEACHER, *SCHOOL_READERS}
