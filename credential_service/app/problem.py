"""The one place where errors become RFC 9457 problem+json responses.

Errors declare an :class:`ErrorCategory`; :data:`HTTP_STATUS` turns a category into an HTTP
status (nowhere else does). Errors of the ``signing`` and ``verifier`` libraries that escape a
route are translated by :func:`credential_service.platform.library_errors.from_library_error`.
:mod:`credential_service.app.openapi_errors` declares these responses for every operation of the OpenAPI document.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from credential_service.platform.db_errors import from_database_error
from credential_service.platform.errors import ErrorCategory, InvalidInput, Message, NotFound, SogocError
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


def problem_body(exc: SogocError, instance: str | None = None, *, status: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "type": f"https://sogoc.example/problems/{exc.code}",
        "title": f"{exc.title.vi} / {exc.title.en}",
        "status": status or http_status(exc),
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


def problem_response(request: Request, exc: SogocError, *, status: int | None = None) -> JSONResponse:
    """The problem+json answer to ``exc``; ``status`` only for an HTTP status that no category has (405)."""
    status = status or http_status(exc)
    response = JSONResponse(
        problem_body(exc, request.url.path, status=status), status_code=status, media_type=PROBLEM_JSON
    )
    retry_after = exc.extra.get("retry_after")
    if isinstance(retry_after, int):  # every 429 and 503 that knows when to come back
        response.headers["Retry-After"] = str(retry_after)
    return response


UNREADABLE_BODY = Message(
    "Không đọc được nội dung yêu cầu: JSON hoặc biểu mẫu bị hỏng, hoặc không phải UTF-8.",
    "The request body cannot be read: broken JSON or form data, or not UTF-8.",
)
NO_SUCH_ADDRESS = Message("Không có địa chỉ này.", "There is no such address.")
METHOD_NOT_ALLOWED = Message(
    "Địa chỉ này không nhận phương thức HTTP này.", "This address does not take this HTTP method."
)


class MethodNotAllowed(SogocError):
    code = "method-not-allowed"
    category = ErrorCategory.INVALID_INPUT  # no category of its own: the status (405) is set where it is answered
    title = Message("Phương thức không được hỗ trợ", "Method not allowed")


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

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """The framework's own refusals, before a route runs: problems like every other answer."""
        if exc.status_code == 400:  # a body that cannot be parsed (not UTF-8 JSON, broken multipart): invalid input
            return problem_response(request, InvalidInput(UNREADABLE_BODY))
        if exc.status_code == 404:
            return problem_response(request, NotFound(NO_SUCH_ADDRESS))
        if exc.status_code == 405:
            response = problem_response(request, MethodNotAllowed(METHOD_NOT_ALLOWED), status=405)
        else:
            refused = Message(
                f"Yêu cầu bị từ chối (HTTP {exc.status_code}).", f"The request was refused: {exc.detail}."
            )
            response = problem_response(request, SogocError(refused), status=exc.status_code)
        response.headers.update(exc.headers or {})  # Allow, on a 405
        return response

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
