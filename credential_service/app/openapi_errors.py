"""The error answers the OpenAPI document declares: every operation's ``application/problem+json`` responses.

Each status is declared on the operations that can give it:

* 404, 422, 500 and 503 on every operation (an unknown resource, invalid input, a fault, a dependency down);
* 403 and 409 on every operation that changes something (CSRF, the state of what it changes);
* 401 on every operation that needs a caller (a staff session or token, the holder's session, an employer's API
  key), and 403 on the staff and employer ones (a role or scope that does not fit);
* 413 on every operation that takes a body, naming the route's body limit (:mod:`credential_service.app.route_limits`);
* whatever a route declares itself (410, 429, …).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

from credential_service.app.problem import PROBLEM_JSON
from credential_service.platform.body_limits import size_text
from credential_service.staff.access import route_policies
from credential_service.staff.policy import Audience


class ProblemError(BaseModel):
    """One located problem in the input (a cell, a field, a row)."""

    model_config = ConfigDict(extra="allow")

    location: dict[str, Any] = Field(default_factory=dict, examples=[{"sheet": "Diem", "row": 4, "column": "HK1 GK"}])
    vi: str
    en: str
    value: Any = None
    expected_vi: str | None = None
    expected_en: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem, with the message in Vietnamese and English (``detail`` is both)."""

    model_config = ConfigDict(extra="allow")  # an error may add its own members (e.g. reason, retry_after)

    type: str = Field(examples=["https://sogoc.example/problems/not-found"])
    title: str = Field(examples=["Không tìm thấy / Not found"])
    status: int = Field(examples=[404])
    detail: str
    detail_vi: str
    detail_en: str
    code: str = Field(examples=["not-found"])
    instance: str | None = None
    errors: list[ProblemError] | None = None
    hint_vi: str | None = None
    hint_en: str | None = None


ERROR_DESCRIPTIONS: dict[int, str] = {
    401: "Chưa đăng nhập hoặc khóa không hợp lệ / Not signed in, or the key is not valid",
    403: "Không có quyền / Not authorised",
    404: "Không tìm thấy / Not found",
    409: "Xung đột với trạng thái hiện tại / Conflicts with the current state",
    413: "Dữ liệu vượt giới hạn / Input too large",
    422: "Dữ liệu không hợp lệ / Invalid input",
    429: "Quá nhiều yêu cầu, chờ retry_after giây / Too many requests: wait retry_after seconds",
    500: "Lỗi hệ thống / Internal error",
    503: "Dịch vụ tạm thời không khả dụng / Service unavailable",
}
READ_ERRORS = (404, 422, 500, 503)  # every operation
WRITE_ERRORS = (403, 409)  # and these for operations that change something
CALLER_ERRORS: dict[Audience, tuple[int, ...]] = {  # and these for operations that need a caller
    Audience.PUBLIC: (),
    Audience.STAFF: (401, 403),
    Audience.HOLDER: (401,),
    Audience.EMPLOYER: (401, 403),
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

BodyLimit = Callable[[str, str], int]  # (METHOD, path) -> bytes


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {**defs, "Problem": schema}


def _too_large(limit: int) -> str:
    top = size_text(limit)
    return f"Dữ liệu vượt giới hạn (nội dung yêu cầu tối đa {top}) / Input too large (a request body of at most {top})"


def add_problem_responses(
    spec: dict[str, Any],
    *,
    audiences: Mapping[tuple[str, str], Audience] | None = None,
    body_limit: BodyLimit | None = None,
) -> dict[str, Any]:
    """Declare ``application/problem+json`` error responses (a ``Problem``) on every operation of ``spec``.

    ``audiences`` gives each operation's caller, by (method, path); ``body_limit`` the body limit of a route.
    FastAPI's default 422 ``HTTPValidationError`` is replaced: validation errors are problems too.
    """
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            responses = op.setdefault("responses", {})
            statuses = [*READ_ERRORS, *(() if method in {"get", "head", "options"} else WRITE_ERRORS)]
            statuses += CALLER_ERRORS[(audiences or {}).get((method.upper(), path), Audience.PUBLIC)]
            if "requestBody" in op:
                statuses.append(413)
            statuses += [int(s) for s in responses if s.isdigit() and int(s) >= 400]
            for status in sorted(set(statuses)):
                entry = responses.setdefault(str(status), {})
                if status == 413 and body_limit is not None and "requestBody" in op:
                    entry.setdefault("description", _too_large(body_limit(method.upper(), path)))
                entry.setdefault("description", ERROR_DESCRIPTIONS.get(status, "Lỗi / Error"))
                entry["content"] = {PROBLEM_JSON: {"schema": ref}}
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, now unused
        others = {k: v for k, v in schemas.items() if k != name}
        if f'#/components/schemas/{name}"' not in json.dumps([spec.get("paths"), others]):
            schemas.pop(name, None)
    return spec


def route_audiences(app: FastAPI) -> dict[tuple[str, str], Audience]:
    """Who may call each operation of the app, by (METHOD, path), from its access policy."""
    return {
        (method, route.path): policies[0].audience
        for route, policies in route_policies(app)
        for method in route.methods
        if policies
    }


def install_problem_openapi(app: FastAPI, *, body_limit: BodyLimit | None = None) -> None:
    """Make ``app.openapi()`` declare the problem+json error responses of every operation (call it after the
    routes are included: the callers come from the routes' access policies)."""

    generate = app.openapi  # FastAPI's own (cached) generator; the post-processing is idempotent
    audiences = route_audiences(app)

    def openapi() -> dict[str, Any]:
        return add_problem_responses(generate(), audiences=audiences, body_limit=body_limit)

    app.openapi = openapi  # type: ignore[method-assign]
