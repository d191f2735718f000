"""Drive the system Chromium headless from pytest.

Two context managers, usable directly or wrapped in fixtures:

    from .harness import live_server, open_browser, require_chromium

    def test_page(tmp_path):
        require_chromium()                     # skips when no Chromium is installed
        with live_server(app) as base_url, open_browser() as page:
            page.goto(base_url + "/")
            page.screenshot(path=tmp_path / "home.png")

* ``live_server(app)`` serves any ASGI app with uvicorn in a background thread on a
  free 127.0.0.1 port and yields its base URL (no trailing slash).
* ``open_browser()`` starts the Chromium given by ``SOGOC_TEST_CHROMIUM``
  (default ``/usr/bin/chromium``, Debian's package) through Playwright and yields
  a fresh ``playwright.sync_api.Page``. No Playwright-downloaded browser is used.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from real_clock import real_clock_env

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The Chromium executable to use, or None when none is installed."""
    wanted = os.environ.get("SOGOC_TEST_CHROMIUM", "/usr/bin/chromium")
    if os.path.isfile(wanted) and os.access(wanted, os.X_OK):
        return wanted
    return shutil.which(wanted)


def require_chromium() -> str:
    """Return the Chromium path, or skip the calling test when it is absent."""
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium not installed (set SOGOC_TEST_CHROMIUM or run ./scripts/test.sh)")
    pytest.importorskip("playwright.sync_api")
    return path


@contextmanager
def open_browser(
    *, viewport: tuple[int, int] = (1280, 900), locale: str = "vi-VN", timeout_ms: int = 15_000
) -> Iterator[Page]:
    """Launch headless Chromium and yield a new page; everything is closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium not found; set SOGOC_TEST_CHROMIUM")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS, env=real_clock_env()
        )
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale)
            context.set_default_timeout(timeout_ms)
            page = context.new_page()
            try:
                yield page
            finally:
                context.close()
        finally:
            browser.close()


@contextmanager
def live_server(app: Any, *, startup_timeout: float = 15.0) -> Iterator[str]:
    """Run an ASGI ``app`` with uvicorn in a daemon thread; yield ``http://127.0.0.1:PORT``."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto")
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced to the caller below
            errors.append(exc)

    thread = threading.Thread(target=serve, name=f"live-server-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if errors or not thread.is_alive():
                raise RuntimeError(f"live server failed to start: {errors!r}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"live server did not start within {startup_timeout}s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
