"""The issuer's app served by uvicorn on a loopback port (real HTTP, no mocks), and a trust list naming it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import rfc8785

from credential_service.app.bootstrap import Container
from verifier.note import sign_note


@contextmanager
def serve(app: Any, *, startup_timeout: float = 15.0) -> Iterator[str]:
    """Run ``app`` with uvicorn in a daemon thread; yield ``http://127.0.0.1:PORT``."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto"))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"issuer-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if errors or not thread.is_alive():
                raise RuntimeError(f"the issuer's server failed to start: {errors!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("the issuer's server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def trust_list_note(c: Container, issuers: list[str], **extra: Any) -> str:
    """The issuer's signed trust list, as if it were configured with ``issuers`` as its public addresses."""
    doc = c.key_rotation.trust_list()
    doc["issuers"] = [{"url": u, "ledger_origin": c.settings.ledger_origin} for u in issuers]
    doc.update(extra)
    return sign_note(rfc8785.dumps(doc).decode("utf-8") + "\n", c.ledger.publisher.signer)
