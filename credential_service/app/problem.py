"""The one place where errors become RFC 9457 problem+json responses.

Errors declare an :class:`ErrorCategory`; :data:`HTTP_STATUS` turns a category into an HTTP
status (nowhere else does). Errors of the ``signing`` and ``verifier`` libraries that escape a
route are translated by :func:`credential_service.platform.library_errors.from_library_error`.
:func:`install_problem_openapi` declares these responses for every operation of the OpenAPI document.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError

from credential_service.platform.db_errors import from_database_error
from credential_service.platform.errors import ErrorCategory, InvalidInput, Message, SogocError
from credential_service.platform.errors import Problem as LocatedProblem
from credential_service.platform.library_errors import from_library_error
from signing.errors import SigningError
from verifier.errors import VerifierError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

HTTP_STATUS: dict[ErrorCategory, int] = {
    ErrorCategory.INTERNAL: 500,
    ErrorCategory.NOT_FOUND: 404,
    ErrorCategory.CONFLICT: 409,
    ErrorCategory.INVALID_INPUT: 422,
    ErrorCategory.REFUSED: 403,
    ErrorCategory.UNAUTHENTICATED: 401,
    ErrorCategory.GONE: 410,
    ErrorCategory.TOO_LARGE: 413,
    ErrorCategory.RATE_LIMITED: 429,
    ErrorCategory.UNAVAILABLE: 503,
}


def http_status(exc: SogocError) -> int:
    """The HTTP status of an error, from its category."""
    return HTTP_STATUS[exc.category]


def problem_body(exc: SogocError, instance: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "type": f"https://sogoc.example/problems/{exc.code}",
        "title": f"{exc.title.vi} / {exc.title.en}",
        "status": http_status(exc),
        "detail": str(exc.message),
        "detail_vi": exc.message.vi,
        "detail_en": exc.message.en,
        "code": exc.code,
    }
    if instance:
        body["instance"] = instance
    if exc.problems:
        body["errors"] = [p.to_dict() for p in exc.problems]
    if exc.hint is not None:
        body["hint_vi"] = exc.hint.vi
        body["hint_en"] = exc.hint.en
    for key, value in exc.extra.items():
        if isinstance(value, str | int | float | bool | list | dict) or value is None:
            body.setdefault(key, value)
    return body


def problem_response(request: Request, exc: SogocError) -> JSONResponse:
    response = JSONResponse(problem_body(exc, request.url.path), status_code=http_status(exc), media_type=PROBLEM_JSON)
    retry_after = exc.extra.get("retry_after")
    if isinstance(retry_after, int):  # every 429 and 503 that knows when to come back
        response.headers["Retry-After"] = str(retry_after)
    return response


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(SogocError)
    async def _sogoc_error(request: Request, exc: SogocError) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(SigningError)
    async def _signing_error(request: Request, exc: SigningError) -> JSONResponse:
        return problem_response(request, from_library_error(exc))

    @app.exception_handler(VerifierError)
    async def _verifier_error(request: Request, exc: VerifierError) -> JSONResponse:
        return problem_response(request, from_library_error(exc))

    @app.exception_handler(SQLAlchemyError)
    async def _database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        translated = from_database_error(exc)  # busy, read-only, full, unreachable: say what to do
        if translated is None:
            return await _unexpected(request, exc)
        response = problem_response(request, translated)
        if isinstance(translated.extra.get("retry_after"), int):
            response.headers["Retry-After"] = str(translated.extra["retry_after"])
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            LocatedProblem(
                Message(f"Trường không hợp lệ: {err.get('msg')}", f"Invalid field: {err.get('msg')}"),
                location={"field": ".".join(str(p) for p in err.get("loc", ()))},
            )
            for err in exc.errors()
        ]
        wrapped = InvalidInput(Message("Yêu cầu không đúng định dạng.", "The request is malformed."), problems=problems)
        return problem_response(request, wrapped)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        wrapped = SogocError(
            Message(
                "Đã xảy ra lỗi không mong muốn; dữ liệu không bị thay đổi. Vui lòng thử lại hoặc báo quản trị.",
                "An unexpected error occurred; no data was changed. Try again or tell the administrator.",
            )
        )
        return problem_response(request, wrapped)


# -- OpenAPI ----------------------------------------------------------------------------------------
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
    403: "Không có quyền / Not authorised",
    404: "Không tìm thấy / Not found",
    409: "Xung đột với trạng thái hiện tại / Conflicts with the current state",
    422: "Dữ liệu không hợp lệ / Invalid input",
    500: "Lỗi hệ thống / Internal error",
    503: "Dịch vụ tạm thời không khả dụng / Service unavailable",
}
READ_ERRORS = (404, 422, 500, 503)  # every operation
WRITE_ERRORS = (403, 409)  # and these for operations that change something


def _problem_schemas() -> dict[str, Any]:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {**defs, "Problem": schema}


def add_problem_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Declare ``application/problem+json`` error responses (a ``Problem``) on every operation of ``spec``.

    FastAPI's default 422 ``HTTPValidationError`` is replaced: validation errors are problems too.
    """
    ref = {"$ref": "#/components/schemas/Problem"}
    for item in spec.get("paths", {}).values():
        for method, op in item.items():
            if method not in {"get", "put", "post", "delete", "patch", "head", "options", "trace"}:
                continue
            responses = op.setdefault("responses", {})
            statuses = [*READ_ERRORS, *(() if method in {"get", "head", "options"} else WRITE_ERRORS)]
            statuses += [int(s) for s in responses if s.isdigit() and int(s) >= 400]
            for status in sorted(set(statuses)):
                entry = responses.setdefault(str(status), {})
                entry.setdefault("description", ERROR_DESCRIPTIONS.get(status, "Lỗi / Error"))
                entry["content"] = {PROBLEM_JSON: {"schema": ref}}
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_problem_schemas())
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, now unused
        others = {k: v for k, v in schemas.items() if k != name}
        if f'#/components/schemas/{name}"' not in json.dumps([spec.get("paths"), others]):
            schemas.pop(name, None)
    return spec


def install_problem_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare the problem+json error responses of every operation."""

    generate = app.openapi  # FastAPI's own (cached) generator; the post-processing is idempotent

    def openapi() -> dict[str, Any]:
        return add_problem_responses(generate())

    app.openapi = openapi  # type: ignore[method-assign]
