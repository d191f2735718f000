"""Every route has a body limit (app/route_limits.py), enforced before the route reads the body: real HTTP to the
app served by uvicorn, so that ``Content-Length`` and chunked bodies arrive as a client sends them."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from browser.harness import live_server
from http_checks import assert_problem

from credential_service.app.bootstrap import build
from credential_service.app.factory import create_app
from credential_service.app.route_limits import DEFAULT_BODY_LIMIT, ROUTE_BODY_LIMITS
from credential_service.platform.settings import Settings

QR = "/api/v1/verify/qr"  # a public JSON route: the default limit
VERIFY = "/api/v1/verify"  # a public upload route: a PDF of up to 10 MB
VERIFY_LIMIT = ROUTE_BODY_LIMITS[f"POST {VERIFY}"]
NOTHING: Iterator[bytes] = iter(())


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('body-limits') / 'sogoc.db'}"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    with live_server(create_app(c)) as base:
        yield base
    c.db.dispose()


def exchange(base_url: str, head: bytes, body: Iterator[bytes] = NOTHING) -> tuple[int, dict[str, str], bytes]:
    """Send ``head``, then the parts of ``body`` until the server answers; the answer's status, headers and body.

    A refusal closes the connection with the rest of the body unread, which resets it: the answer is read as soon
    as it arrives, before the reset."""
    where = urlsplit(base_url)
    received = b""
    with socket.create_connection((where.hostname, where.port), timeout=20) as s:
        s.sendall(head)
        for part in body:
            if select.select([s], [], [], 0)[0]:
                break  # answered before the body was over
            try:
                s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break
        try:
            while chunk := s.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    head_part, _, rest = received.partition(b"\r\n\r\n")
    return int(head_part.split(b" ", 2)[1]), _headers(head_part), rest


def _headers(head: bytes) -> dict[str, str]:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}


class Answer:
    """What :func:`assert_problem` reads from a response."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code, self.headers, self.text = status, headers, body.decode()

    def json(self) -> Any:
        return json.loads(self.text)


def assert_body_too_large(answer: Any, limit: int, size: str) -> dict[str, Any]:
    body = assert_problem(answer, 413, "too-large")
    assert body["limit"] == "max_body_bytes" and body["maximum"] == limit, body
    assert size in body["detail_vi"] and size in body["detail_en"], body  # the limit, in both languages
    assert size in body["hint_vi"] and size in body["hint_en"], body  # and what to do
    return body


def test_a_json_body_declared_over_the_default_limit_is_refused_before_it_is_sent(base_url: str) -> None:
    head = (
        f"POST {QR} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {DEFAULT_BODY_LIMIT + 1}\r\n\r\n"
    ).encode()
    status, headers, body = exchange(base_url, head)  # headers only: the answer does not wait for the body
    body_json = assert_body_too_large(Answer(status, headers, body), DEFAULT_BODY_LIMIT, "1 MB")
    assert body_json["errors"][0]["value"] == DEFAULT_BODY_LIMIT + 1
    assert headers["x-content-type-options"] == "nosniff"  # the security headers are on the refusal too


def test_an_oversize_json_body_gets_a_413_problem_in_both_languages(base_url: str) -> None:
    text = "x" * (DEFAULT_BODY_LIMIT + 10)
    r = httpx.post(base_url + QR, json={"text": text}, timeout=30)
    assert_body_too_large(r, DEFAULT_BODY_LIMIT, "1 MB")
    assert httpx.post(base_url + QR, json={"text": "HB1:x"}, timeout=30).status_code != 413  # a small one is read


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit(base_url: str) -> None:
    head = f"POST {QR} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    piece = b"x" * 32768

    def chunks() -> Iterator[bytes]:
        yield b'8\r\n{"text":\r\n'
        for _ in range(4 * DEFAULT_BODY_LIMIT // len(piece)):  # four times the limit, never finished
            yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"

    status, headers, body = exchange(base_url, head.encode(), chunks())
    refused = assert_body_too_large(Answer(status, headers, body), DEFAULT_BODY_LIMIT, "1 MB")
    assert DEFAULT_BODY_LIMIT < refused["errors"][0]["value"] < 2 * DEFAULT_BODY_LIMIT  # stopped near the limit


def test_an_upload_route_takes_a_file_over_the_default_limit_up_to_its_own(base_url: str) -> None:
    assert VERIFY_LIMIT > 3 * DEFAULT_BODY_LIMIT
    file = b"%PDF-1.7\n" + b"0" * (3 * DEFAULT_BODY_LIMIT)
    r = httpx.post(base_url + VERIFY, files={"file": ("big.pdf", file, "application/pdf")}, timeout=60)
    assert r.status_code != 413, r.text  # the verifier read it and gave its own answer
    assert r.status_code in (200, 422), r.text

    over = b"%PDF-1.7\n" + b"0" * VERIFY_LIMIT
    r = httpx.post(base_url + VERIFY, files={"file": ("huge.pdf", over, "application/pdf")}, timeout=60)
    assert_body_too_large(r, VERIFY_LIMIT, "11 MB")


def test_the_openapi_document_names_each_operations_body_limit(base_url: str) -> None:
    spec = httpx.get(base_url + "/openapi.json", timeout=30).json()
    assert "11 MB" in spec["paths"][VERIFY]["post"]["responses"]["413"]["description"]
    assert "1 MB" in spec["paths"][QR]["post"]["responses"]["413"]["description"]
    assert "413" not in spec["paths"]["/api/v1/classes"]["get"]["responses"]  # no body, no 413
