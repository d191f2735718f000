from __future__ import annotations

from fastapi import Request

from credential_service.app.bootstrap import Container


def container(request: Request) -> Container:
    c: Container = request.app.state.container
    return c
