"""A real OpenID Connect provider for the tests: ``oidc-provider-mock`` on loopback, in a thread.

The mock accepts any client id and secret (no registration needed, ``require_client_registration``
is off) and any redirect URI. Its authorization page is a form with one ``sub`` field: the tests act
as the browser, GET the page, POST ``sub`` and read the callback from the ``Location`` header, so
nothing needs to listen at the redirect URI. Claims (email, name) come from a predefined ``User``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlsplit

import httpx
from oidc_provider_mock import User, run_server_in_thread

from credential_service.staff.oidc import OidcSettings

PRINCIPAL_SUB = "principal-demo"
PRINCIPAL_CLAIMS: dict[str, object] = {
    "email": "hieutruong.demo@haiphong.edu.vn",
    "email_verified": True,
    "name": "Nguyễn Thị Hiệu Trưởng",
}
REDIRECT_URI = "http://localhost:8000/staff/oidc/callback"
CLIENT_ID = "sogoc-staff"
CLIENT_SECRET = "test-secret-not-for-production"


@contextmanager
def running_provider() -> Iterator[str]:
    """Start the provider on a free loopback port; yield its issuer (``http://localhost:<port>``)."""
    users = [User(sub=PRINCIPAL_SUB, claims=dict(PRINCIPAL_CLAIMS))]
    with run_server_in_thread(port=0, require_nonce=True, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def settings_for(issuer: str, **overrides: object) -> OidcSettings:
    values: dict[str, object] = {
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "allowed_hosts": frozenset({"localhost"}),
    }
    values.update(overrides)
    return OidcSettings(**values)  # type: ignore[arg-type]


def sign_in_at_provider(browser: httpx.Client, authorization_url: str, sub: str = PRINCIPAL_SUB) -> dict[str, str]:
    """Act as the browser at the provider: open the page, choose ``sub``, return the callback's query."""
    page = browser.get(authorization_url)
    assert page.status_code == 200, page.text
    assert 'name="sub"' in page.text
    answer = browser.post(authorization_url, data={"sub": sub})  # the form posts back to the same URL
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    return dict(parse_qsl(urlsplit(location).query))


class RecordingTransport(httpx.BaseTransport):
    """Real HTTP, but every request is recorded; optionally rewrites the ID token's payload.

    With ``tamper`` set, the token endpoint's answer keeps the provider's signature but carries other
    claims: what an attacker between us and the provider (or a forged response) would look like.
    """

    def __init__(self, tamper: dict[str, object] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._inner = httpx.HTTPTransport()
        self._tamper = tamper

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        response = self._inner.handle_request(request)
        if self._tamper is None or not request.url.path.endswith("/oauth2/token"):
            return response
        response.read()
        body = json.loads(response.content)
        if "id_token" in body:
            header, payload, signature = body["id_token"].split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims.update(self._tamper)
            forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            body["id_token"] = f"{header}.{forged}.{signature}"
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self._inner.close()
