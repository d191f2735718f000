"""Deny by default, checked from the route table itself: every route × every role × (own organisation,
another organisation, anonymous). Generated: a new route is in the matrix the day it is added."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from staff_world import ALL_USERNAMES, World, fill, today_of

from credential_service.app.factory import create_app
from credential_service.staff.access import Guard, RouteInfo, check_every_route_has_a_policy, route_policies
from credential_service.staff.policy import Actor, Audience, Policy, permits
from credential_service.staff.service import grants_of
from credential_service.staff.tables import StaffAccount

PROBLEM = "application/problem+json"


def _routes(world: World) -> list[tuple[RouteInfo, Policy]]:
    return [(r, ps[0]) for r, ps in route_policies(world.app)]


def _actor(world: World, username: str) -> Actor:
    with world.container.db.reader() as s:
        from sqlalchemy import select

        account = s.execute(select(StaffAccount).where(StaffAccount.username == username)).scalar_one()
        grants = grants_of(s, account.staff_id)
    return Actor(account.id, username, account.staff_id, username, grants, via="session")


def _call(world: World, username: str | None, method: str, path: str) -> tuple[int, str, dict]:
    client = world.client(username)
    r = client.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
    body = r.json() if r.headers.get("content-type", "").startswith(PROBLEM) else {}
    return r.status_code, r.headers.get("content-type", ""), body


def test_an_app_with_a_route_without_a_policy_refuses_to_start() -> None:
    app = create_app()
    check_every_route_has_a_policy(app)  # the real app passes

    @app.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(RuntimeError, match="/forgotten"):
        check_every_route_has_a_policy(app)


def test_every_route_declares_exactly_one_policy(world: World) -> None:
    for route, policies in route_policies(world.app):
        assert len(policies) == 1, (route.path, policies)


def test_anonymous_requests_to_staff_and_holder_routes_get_a_401_problem(world: World) -> None:
    checked = 0
    for route, policy in _routes(world):
        if policy.audience not in (Audience.STAFF, Audience.HOLDER):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            status, ctype, body = _call(world, None, method, fill(route.path, world.params))
            assert status == 401 and ctype.startswith(PROBLEM), (method, route.path, status)
            assert body["detail_vi"] and body["detail_en"]
            checked += 1
    assert checked > 60


def test_every_staff_route_refuses_the_wrong_role_and_another_organisation(world: World) -> None:
    """For each route and each person: refused (403 problem) unless a role of theirs covers the resource;
    a read they are allowed is answered (their own organisation)."""
    on = today_of(world)
    actors = {u: _actor(world, u) for u in ALL_USERNAMES}
    refused = allowed = 0
    for route, policy in _routes(world):
        if policy.audience is not Audience.STAFF:
            continue
        path = fill(route.path, world.params)
        place = world.container.resource_place(policy.scope, {**world.params, **_path_params(route, path)})
        for username, actor in actors.items():
            may = permits(policy, actor, place, on)
            for method in sorted(route.methods - {"HEAD"}):
                if may and method != "GET":
                    continue  # an allowed write would run: its rights are tested in the domain tests
                status, _, body = _call(world, username, method, path)
                if may:
                    assert status not in (401, 403), (username, method, route.path, status, body)
                    allowed += 1
                else:
                    assert status == 403 and body.get("code") == "not-authorised", (
                        username, method, route.path, status, body,
                    )  # fmt: skip
                    refused += 1
    print(f"route matrix: {refused} requests refused, {allowed} allowed reads answered")
    assert refused > 500 and allowed > 50, (refused, allowed)


def _path_params(route: RouteInfo, path: str) -> dict[str, str]:
    match = route.path_regex.match(path)
    return match.groupdict() if match else {}


def test_a_state_change_with_the_session_cookie_but_no_csrf_token_is_refused(world: World) -> None:
    client = world.client("gvcn-10a1")
    token = client.headers.pop("X-CSRF-Token")
    try:
        r = client.post(f"/api/v1/classes/{world.params['class_id']}/lock")
        assert r.status_code == 403 and r.json()["code"] == "csrf"
    finally:
        client.headers["X-CSRF-Token"] = token


def test_the_guard_is_what_every_policy_uses(world: World) -> None:
    app: FastAPI = world.app
    routes = list(route_policies(app))
    assert len(routes) > 100
    for route, _policies in routes:
        calls = [d.call for d in route.dependant.dependencies]
        assert any(isinstance(call, Guard) for call in calls), route.path
