"""``sogoc sign-agent``: the process that holds the key for external signing.

It runs on the signer's computer next to the USB token (or with a file key in development) and
answers :class:`~signing.external.SigningRequest` objects with
:class:`~signing.external.SigningResponse` objects. Two ways to use it:

* ``serve`` — an HTTP server on **loopback only** (127.0.0.1 / ::1), like the signing plug-ins
  Vietnamese CAs ship: the school web page (or any client on that computer) posts the request
  the service handed out and posts the agent's answer back to the service.

  - ``POST /sign`` — body: request JSON → 200 response JSON; refusals are 409 (400 for bad JSON)
    with ``{"reason", "vi", "en"}``.
  - ``GET /certificate`` → ``{"certificate": b64 DER, "certificate_sha256", "subject"}`` (what
    the service needs to prepare a request).
  - ``GET /health`` → ``{"ok": true}``.

  With ``--port 0`` a free port is chosen; the first line on stdout is
  ``sign-agent listening on http://127.0.0.1:PORT`` (also written to ``--port-file``).
* ``sign`` — one request from a file (or ``-`` for stdin), the response to a file (or stdout).

The key: ``--key KEY.pem --cert CERT.pem`` (development only), or ``--pkcs11-module``,
``--token-label``, ``--key-label`` with the PIN in the environment variable named by
``--pin-env`` (default ``SOGOC_PKCS11_PIN``; never on the command line, never logged).

Before signing the agent refuses a request that has expired, names another certificate, or whose
digest is not the SHA-256 of the signed attributes it carries.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Protocol

from asn1crypto import x509
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from verifier.clock import SystemClock

from .errors import AgentSigningError, SigningError
from .external_messages import SigningRequest, SigningResponse, cert_sha256
from .keys import load_private_key

__all__ = [
    "AgentKey",
    "FileAgentKey",
    "Pkcs11AgentKey",
    "answer_request",
    "build_parser",
    "fetch_agent_certificate",
    "main",
    "make_server",
    "request_signature",
]

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


class AgentKey(Protocol):
    @property
    def certificate(self) -> x509.Certificate: ...

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes: ...


class FileAgentKey:
    """DEV ONLY: a PEM/DER key file and its certificate."""

    def __init__(self, key_path: str | os.PathLike[str], cert_path: str | os.PathLike[str]) -> None:
        self._key = load_private_key(key_path)
        self._cert = load_cert_from_pemder(str(cert_path))
        self._lock = threading.Lock()

    @property
    def certificate(self) -> x509.Certificate:
        return self._cert

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        algo = Prehashed(get_pyca_cryptography_hash(digest_algorithm))
        if isinstance(self._key, RSAPrivateKey):
            return self._key.sign(digest, PKCS1v15(), algo)
        if isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(digest, ECDSA(algo))
        raise AgentSigningError("Loại khóa không được hỗ trợ", "Unsupported key type", reason="unsupported_key")


class Pkcs11AgentKey:
    """A key in a token (USB token, HSM, SoftHSM), via :mod:`signing.pkcs11`."""

    def __init__(self, module_path: str, token_label: str, key_label: str, pin_env: str) -> None:
        from .pkcs11 import Pkcs11Config, get_pkcs11_signer

        self._signer = get_pkcs11_signer(
            Pkcs11Config(module_path=module_path, token_label=token_label, key_label=key_label, pin_env=pin_env)
        )

    @property
    def certificate(self) -> x509.Certificate:
        cert = self._signer.signing_cert
        assert cert is not None
        return cert

    def sign_digest(self, digest: bytes, digest_algorithm: str) -> bytes:
        return self._signer.sign_digest(digest, digest_algorithm)


def answer_request(key: AgentKey, request: SigningRequest, *, now: datetime | None = None) -> SigningResponse:
    """Check the request and sign its digest."""
    now = now or SystemClock().now()
    if now > request.expires_at:
        raise AgentSigningError("Yêu cầu ký đã hết hạn", "The signing request has expired", reason="request_expired")
    cert_der = key.certificate.dump()
    if cert_sha256(cert_der) != request.certificate_sha256:
        raise AgentSigningError(
            "Yêu cầu ký dành cho một chứng thư khác với chứng thư trong token",
            "The request is for another certificate than the one this agent holds",
            reason="wrong_certificate",
        )
    if request.digest_algorithm != "sha256" or hashlib.sha256(request.signed_attributes).digest() != request.digest:
        raise AgentSigningError(
            "Giá trị băm trong yêu cầu không khớp với dữ liệu cần ký",
            "The digest in the request does not match the data to be signed",
            reason="digest_mismatch",
        )
    signature = key.sign_digest(request.digest, request.digest_algorithm)
    return SigningResponse(
        request_id=request.request_id,
        nonce=request.nonce,
        digest=request.digest,
        certificate=cert_der,
        signature=signature,
        signed_at=now,
    )


# ------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------


def _handler(key: AgentKey) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sogoc-sign-agent/1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per request to stderr
            sys.stderr.write(f"sign-agent {self.command} {self.path}\n")

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._json(200, {"ok": True})
            elif self.path == "/certificate":
                cert = key.certificate
                self._json(
                    200,
                    {
                        "certificate": base64.b64encode(cert.dump()).decode(),
                        "certificate_sha256": cert_sha256(cert),
                        "subject": cert.subject.human_friendly,
                    },
                )
            else:
                self._json(404, {"reason": "not_found", "vi": "Không có", "en": "Not found"})

        def do_POST(self) -> None:
            if self.path != "/sign":
                self._json(404, {"reason": "not_found", "vi": "Không có", "en": "Not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > 1_000_000:
                self._json(400, {"reason": "bad_request", "vi": "Yêu cầu không hợp lệ", "en": "Bad request"})
                return
            try:
                request = SigningRequest.from_json(self.rfile.read(length))
            except (ValueError, KeyError, TypeError) as e:
                self._json(
                    400, {"reason": "bad_request", "vi": "Yêu cầu ký không hợp lệ", "en": f"Bad signing request: {e}"}
                )
                return
            try:
                response = answer_request(key, request)
            except SigningError as e:
                self._json(409, e.to_dict())
                return
            self._json(200, response.to_dict())

    return Handler


def make_server(key: AgentKey, host: str = "127.0.0.1", port: int = 0) -> HTTPServer:
    """An HTTP server for ``key`` bound to loopback (call ``serve_forever``)."""
    if host not in LOOPBACK:
        raise AgentSigningError(
            "Dịch vụ ký chỉ được lắng nghe trên 127.0.0.1",
            "The sign agent only listens on loopback (127.0.0.1 / ::1)",
            reason="agent_not_loopback",
        )
    return HTTPServer((host, port), _handler(key))


def request_signature(agent_url: str, request: SigningRequest, *, timeout: float = 30) -> SigningResponse:
    """POST ``request`` to an agent; its refusal is raised as :class:`AgentSigningError`."""
    req = urllib.request.Request(
        f"{agent_url.rstrip('/')}/sign",
        data=request.to_json().encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return SigningResponse.from_json(resp.read())
    except urllib.error.HTTPError as e:
        try:
            body = json.loads(e.read())
        except ValueError:
            body = {}
        raise AgentSigningError(
            body.get("vi", "Dịch vụ ký từ chối yêu cầu"),
            body.get("en", f"The sign agent refused the request (HTTP {e.code})"),
            reason=body.get("reason", "agent_refused"),
        ) from e
    except (urllib.error.URLError, OSError) as e:
        raise AgentSigningError(
            "Không kết nối được với dịch vụ ký trên máy người ký",
            f"Cannot reach the sign agent at {agent_url}: {e}",
            reason="agent_unreachable",
        ) from e


def fetch_agent_certificate(agent_url: str, *, timeout: float = 10) -> x509.Certificate:
    with urllib.request.urlopen(f"{agent_url.rstrip('/')}/certificate", timeout=timeout) as resp:
        body = json.loads(resp.read())
    return x509.Certificate.load(base64.b64decode(body["certificate"]))


# ------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sogoc sign-agent",
        description="Dịch vụ ký trên máy người ký / sign agent holding the signer's key (external signing)",
    )
    sub = p.add_subparsers(dest="mode", required=True)

    def key_args(q: argparse.ArgumentParser) -> None:
        q.add_argument("--key", help="tệp khóa PEM (chỉ dùng khi phát triển) / key file, development only")
        q.add_argument("--cert", help="chứng thư PEM đi kèm --key / certificate for --key")
        q.add_argument("--pkcs11-module", help="mô-đun PKCS#11 / PKCS#11 module (.so)")
        q.add_argument("--token-label", help="nhãn token / token label")
        q.add_argument("--key-label", help="nhãn khóa trong token / key label in the token")
        q.add_argument("--pin-env", default="SOGOC_PKCS11_PIN", help="biến môi trường chứa PIN / env var with the PIN")

    s = sub.add_parser("serve", help="phục vụ HTTP trên 127.0.0.1 / serve HTTP on loopback")
    key_args(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 = cổng trống bất kỳ / any free port")
    s.add_argument("--port-file", help="ghi URL vào tệp này / write the URL to this file")

    one = sub.add_parser("sign", help="ký một yêu cầu từ tệp / answer one request from a file")
    key_args(one)
    one.add_argument("--request", required=True, help="tệp yêu cầu JSON hoặc - / request JSON file or -")
    one.add_argument("--out", default="-", help="tệp phản hồi JSON hoặc - / response JSON file or -")
    return p


def _load_key(args: argparse.Namespace) -> AgentKey:
    if args.key or args.cert:
        if not (args.key and args.cert):
            raise AgentSigningError("Cần cả --key và --cert", "Both --key and --cert are required", reason="usage")
        return FileAgentKey(args.key, args.cert)
    if args.pkcs11_module and args.token_label and args.key_label:
        return Pkcs11AgentKey(args.pkcs11_module, args.token_label, args.key_label, args.pin_env)
    raise AgentSigningError(
        "Chưa chỉ định khóa: --key/--cert hoặc --pkcs11-module/--token-label/--key-label",
        "No key given: --key/--cert or --pkcs11-module/--token-label/--key-label",
        reason="usage",
    )


def _serve(args: argparse.Namespace, key: AgentKey, ready: Callable[[str], None] | None = None) -> int:
    server = make_server(key, args.host, args.port)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    url = f"http://{host}:{port}" if ":" not in host else f"http://[{host}]:{port}"
    if args.port_file:
        Path(args.port_file).write_text(url + "\n", encoding="utf-8")
    print(f"sign-agent listening on {url}", flush=True)
    if ready is not None:
        ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        key = _load_key(args)
        if args.mode == "serve":
            return _serve(args, key)
        raw = sys.stdin.read() if args.request == "-" else Path(args.request).read_text(encoding="utf-8")
        response = answer_request(key, SigningRequest.from_json(raw))
        if args.out == "-":
            print(response.to_json())
        else:
            Path(args.out).write_text(response.to_json(), encoding="utf-8")
        return 0
    except SigningError as e:
        print(f"Lỗi / Error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError, KeyError) as e:
        print(f"Lỗi / Error: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
