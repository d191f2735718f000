"""Proves the browser harness: a real headless Chromium against a live ASGI server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from .harness import live_server, open_browser, require_chromium

pytestmark = pytest.mark.browser

FORM = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thử nghiệm</title></head>
<body>
  <h1>Sổ Gốc Số</h1>
  <form method="post" action="/greet">
    <label>Họ và tên <input name="name" id="name"></label>
    <button type="submit" id="send">Gửi</button>
  </form>
</body></html>"""


async def index(request: Request) -> HTMLResponse:
    return HTMLResponse(FORM)


async def greet(request: Request) -> HTMLResponse:
    form = await request.form()
    name = str(form.get("name", ""))
    return HTMLResponse(f'<!doctype html><meta charset="utf-8"><p id="msg">Xin chào, {name}!</p>')


app = Starlette(routes=[Route("/", index), Route("/greet", greet, methods=["POST"])])


def test_live_server_serves_app() -> None:
    with live_server(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        response = httpx.get(base_url + "/")
        assert response.status_code == 200
        assert "Sổ Gốc Số" in response.text


def test_live_server_stops_on_exit() -> None:
    with live_server(app) as base_url:
        pass
    with pytest.raises(httpx.TransportError):
        httpx.get(base_url + "/", timeout=2)


def test_chromium_fills_form_clicks_and_screenshots(tmp_path: Path) -> None:
    require_chromium()
    shot = tmp_path / "after-click.png"
    with live_server(app) as base_url, open_browser() as page:
        page.goto(base_url + "/")
        assert page.title() == "Thử nghiệm"
        page.fill("#name", "Nguyễn Thị Hải")
        page.click("#send")
        page.wait_for_selector("#msg")
        assert page.inner_text("#msg") == "Xin chào, Nguyễn Thị Hải!"
        page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
