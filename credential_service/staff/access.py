"""The HTTP side of the policies: who is calling, and may they (a FastAPI dependency per route).

Every route declares ``Depends(Guard(policy))`` — usually through :func:`allow` — and
:func:`check_every_route_has_a_policy` refuses to start an app with a route that declares none.

* Staff present a session cookie (``sogoc_staff``: HttpOnly, SameSite=Strict, Secure outside dev) or
  a service token (``Authorization: Bearer sgt_…``) limited to named policies.
* A state-changing request made with the cookie carries the CSRF token (header ``X-CSRF-Token`` or
  form field ``csrf_token``).
* The place of the resource (school, class, commune) comes from the path, resolved by the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from credential_service.platform.clock import Clock
from credential_service.platform.errors import Message, NotAuthorised
from credential_service.staff.policy import Actor, Audience, Policy, Scope, permits
from credential_service.staff.roles import LABELS, Place
from credential_service.staff.service import StaffAuthService

COOKIE = "sogoc_staff"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class AccessPorts(Protocol):
    """What the guard needs from the app (the container provides it)."""

    staff_auth: StaffAuthService
    clock: Clock

    def resource_place(self, scope: Scope, params: Mapping[str, str]) -> Place | None: ...

    def check_holder_session(self, request: Request) -> None: ...

    def log_staff_read(self, scope: Scope, params: Mapping[str, str], actor: str, purpose: str) -> None: ...


def ports(request: Request) -> AccessPorts:
    p: AccessPorts = request.app.state.access
    return p


async def authenticate(request: Request, p: AccessPorts) -> Actor:
    """The staff member behind the request's service token or session cookie (401 if none)."""
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return p.staff_auth.actor_for_service_token(authorization[7:].strip())
    actor = p.staff_auth.actor_for_session(request.cookies.get(COOKIE))
    if request.method not in SAFE_METHODS:
        token = request.headers.get("x-csrf-token")
        if token is None and "form" in request.headers.get("content-type", ""):
            token = str((await request.form()).get("csrf_token") or "") or None
        assert actor.session_hash is not None
        p.staff_auth.check_csrf(actor.session_hash, token)
    return actor


class Guard:
    """The dependency that enforces one policy; FastAPI calls it before the route."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    async def __call__(self, request: Request) -> Actor | None:
        policy = self.policy
        p = ports(request)
        if policy.audience is Audience.PUBLIC:
            return None
        if policy.audience is Audience.HOLDER:
            p.check_holder_session(request)
            return None
        if policy.audience is Audience.EMPLOYER:
            return None  # the employer's API key is checked by employers.service on every call
        actor = await authenticate(request, p)
        place = p.resource_place(policy.scope, request.path_params)
        if not permits(policy, actor, place, p.clock.today()):
            raise refused(policy, actor)
        if policy.logs_reads and request.method in SAFE_METHODS:
            p.log_staff_read(policy.scope, request.path_params, actor.display, policy.name)
        request.state.actor = actor
        if actor.session_hash:
            request.state.csrf_token = p.staff_auth.csrf_token(actor.session_hash)
        return actor


def refused(policy: Policy, actor: Actor) -> NotAuthorised:
    roles = ", ".join(sorted(LABELS[r].vi for r in policy.roles))
    roles_en = ", ".join(sorted(LABELS[r].en for r in policy.roles))
    if actor.scopes is not None and policy.name not in actor.scopes:
        return NotAuthorised(
            Message(
                f"Khóa dịch vụ này không có quyền «{policy.name}».",
                f"This service token does not carry the scope «{policy.name}».",
            ),
            policy=policy.name,
        )
    return NotAuthorised(
        Message(
            f"{actor.full_name} không có vai trò phù hợp ({roles}) tại đơn vị này.",
            f"{actor.full_name} holds no suitable role ({roles_en}) for this organisation.",
        ),
        hint=Message(
            "Đăng nhập bằng tài khoản của người được phân công, hoặc đề nghị quản trị Sở phân công.",
            "Sign in as the assigned person, or ask the Sở administrator for the assignment.",
        ),
        policy=policy.name,
    )


def require(policy: Policy, actor: Actor, place: Place | None, on: date) -> None:
    """For a route whose place comes from the body (a school code): the same check as the guard's."""
    if not permits(policy, actor, place, on):
        raise refused(policy, actor)


def visible_classes(actor: Actor, policy: Policy, rows: list[dict[str, Any]], on: date) -> list[dict[str, Any]]:
    """Only the classes the person covers under ``policy`` (a list route narrows by itself)."""
    return [r for r in rows if permits(policy, actor, Place(school_id=r["school_id"], class_id=r["class_id"]), on)]


def allow(policy: Policy) -> Any:
    """``Depends`` for a route parameter: ``actor: Annotated[Actor, allow(P.CLASS_SIGN)]``."""
    return Depends(Guard(policy))


def _guards(dependant: Dependant) -> Iterator[Policy]:
    if isinstance(dependant.call, Guard):
        yield dependant.call.policy
    for sub in dependant.dependencies:
        yield from _guards(sub)


@dataclass(frozen=True)
class RouteInfo:
    """One operation as the app serves it (the full path, after every router prefix)."""

    path: str
    methods: frozenset[str]
    path_regex: Any
    dependant: Dependant
    endpoint: Callable[..., Any]


def api_routes(app: FastAPI) -> Iterator[RouteInfo]:
    """Every API route of the app with its full path (FastAPI's route contexts resolve included routers)."""
    for ctx in iter_route_contexts(app.router.routes):
        original = ctx.original_route
        if not isinstance(original, APIRoute):
            continue
        dependant = getattr(ctx, "dependant", None) or original.dependant
        yield RouteInfo(
            path=str(ctx.path),
            methods=frozenset(ctx.methods or ()),
            path_regex=getattr(ctx, "path_regex", None) or original.path_regex,
            dependant=dependant,
            endpoint=original.endpoint,
        )


def route_policies(app: FastAPI) -> Iterator[tuple[RouteInfo, list[Policy]]]:
    for route in api_routes(app):
        yield route, list(dict.fromkeys(_guards(route.dependant)))


def check_every_route_has_a_policy(app: FastAPI) -> None:
    """Deny by default: refuse to build an app with a route that declares no policy, or two."""
    bad = [
        f"{','.join(sorted(r.methods or ()))} {r.path} ({len(ps)} policies)"
        for r, ps in route_policies(app)
        if len(ps) != 1
    ]
    if not any(True for _ in api_routes(app)):
        raise RuntimeError("no API routes found: the policy check cannot see the app's routes")
    if bad:
        raise RuntimeError("routes without exactly one access policy: " + "; ".join(bad))


PolicyCheck = Callable[[Request], Any]
