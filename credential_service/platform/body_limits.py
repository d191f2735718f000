"""A size limit on every request body, per route: an ASGI middleware that refuses a larger body with a 413.

Without it a client can send a body of any size: JSON is read whole into memory, and a multipart upload is spooled
to disk before the route's own cap (:func:`credential_service.platform.upload_limits.read_limited`) sees it.

* A body that declares its size (``Content-Length``) over the limit is refused before any of it is read.
* A body sent without a size (``Transfer-Encoding: chunked``) is counted as it arrives, and refused as soon as it
  passes the limit: the app stops reading, and whatever it would have answered is replaced by the 413.

The limit of each request comes from ``limit_for(method, path)`` (the routes' table is in the app layer,
:mod:`credential_service.app.route_limits`); the refusal is :func:`body_too_large`, rendered by ``render`` (the app's
problem+json). The module is plain ASGI and imports no web framework.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from credential_service.platform.errors import Message, Problem, TooLarge

Scope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[ASGIMessage]]
Send = Callable[[ASGIMessage], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
# (status, headers, body) of the answer to a refused request; the app renders its problem+json.
Render = Callable[[TooLarge, str], tuple[int, list[tuple[bytes, bytes]], bytes]]
LimitFor = Callable[[str, str], int]

KB = 1024
MB = 1024 * KB
LIMIT_NAME = "max_body_bytes"


def size_text(n: int) -> str:
    """``n`` bytes for people: whole megabytes or kilobytes where they are whole, else bytes."""
    if n % MB == 0:
        return f"{n // MB} MB"
    if n % KB == 0:
        return f"{n // KB} KB"
    return f"{n} B"


def body_too_large(limit: int, received: int | None = None) -> TooLarge:
    """The 413 for a body over ``limit`` bytes (``received``: its declared size, or what had arrived)."""
    top = size_text(limit)
    message = Message(
        f"Nội dung yêu cầu lớn hơn giới hạn {top} của địa chỉ này.",
        f"The request body is larger than this address's limit of {top}.",
    )
    hint = Message(
        f"Gửi nội dung nhỏ hơn {top}: chia dữ liệu thành nhiều lần gửi, hoặc nén/bỏ bớt phần không cần thiết của tệp.",
        f"Send less than {top}: split the data over several requests, or shrink the file (remove what is not needed).",
    )
    problem = Problem(message, location={"limit": LIMIT_NAME}, value=received)
    return TooLarge(message, problems=[problem], hint=hint, limit=LIMIT_NAME, maximum=limit)


class _Over(Exception):
    """Raised into the app when a streamed body passes its limit, so that it stops reading."""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


class BodyLimits:
    """ASGI middleware: each request's body may hold at most ``limit_for(method, path)`` bytes."""

    def __init__(self, app: ASGIApp, *, limit_for: LimitFor, render: Render) -> None:
        self.app = app
        self.limit_for = limit_for
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, send, body_too_large(limit, declared))
            return

        received = 0
        over = False
        started = False

        async def counted() -> ASGIMessage:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not started:
                    over = True
                    raise _Over
            return message

        async def guarded(message: ASGIMessage) -> None:
            nonlocal started
            if over:
                return  # the app's answer to a body it could not finish reading; the 413 replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over:
            await self._refuse(scope, send, body_too_large(limit, received))

    async def _refuse(self, scope: Scope, send: Send, error: TooLarge) -> None:
        status, headers, body = self.render(error, scope["path"])
        headers = [*headers, (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
