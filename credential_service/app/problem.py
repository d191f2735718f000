"""The one place where errors become RFC 9457 problem+json responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from credential_service.platform.errors import InvalidInput, Message, Problem, SogocError

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem_body(exc: SogocError, instance: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "type": f"https://sogoc.example/problems/{exc.code}",
        "title": f"{exc.title.vi} / {exc.title.en}",
        "status": exc.status,
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


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(SogocError)
    async def _sogoc_error(request: Request, exc: SogocError) -> JSONResponse:
        return JSONResponse(problem_body(exc, request.url.path), status_code=exc.status, media_type=PROBLEM_JSON)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            Problem(
                Message(f"Trường không hợp lệ: {err.get('msg')}", f"Invalid field: {err.get('msg')}"),
                location={"field": ".".join(str(p) for p in err.get("loc", ()))},
            )
            for err in exc.errors()
        ]
        wrapped = InvalidInput(Message("Yêu cầu không đúng định dạng.", "The request is malformed."), problems=problems)
        return JSONResponse(problem_body(wrapped, request.url.path), status_code=422, media_type=PROBLEM_JSON)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        wrapped = SogocError(
            Message(
                "Đã xảy ra lỗi không mong muốn; dữ liệu không bị thay đổi. Vui lòng thử lại hoặc báo quản trị.",
                "An unexpected error occurred; no data was changed. Try again or tell the administrator.",
            )
        )
        return JSONResponse(problem_body(wrapped, request.url.path), status_code=500, media_type=PROBLEM_JSON)
