from __future__ import annotations

from typing import Any

from fastapi import Request

from credential_service.app.bootstrap import Container


async def container(request: Request) -> Container:
    """``async``: it only reads the app's state, so FastAPI calls it on the event loop instead of sending it to a
    thread (each thread hop costs about as much as a status lookup)."""
    c: Container = request.app.state.container
    return c


def file_response(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that answers with a file (with ``response_class=Response``): the OpenAPI
    document then names the file's media type instead of JSON."""
    schema = {"type": "string", "format": "binary"}
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


PDF = file_response("application/pdf", "Tệp PDF / the PDF file")
