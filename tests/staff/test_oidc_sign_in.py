"""Staff sign-in by OpenID Connect against a real provider (oidc-provider-mock on loopback).

The whole flow runs over HTTP: begin() → the provider's authorization page → its form → the callback
(read from the Location header) → finish() (token endpoint, JWKS, ID token checks).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from oidc_fixtures import (
    CLIENT_ID,
    PRINCIPAL_CLAIMS,
    PRINCIPAL_SUB,
    REDIRECT_URI,
    RecordingTransport,
    running_provider,
    settings_for,
    sign_in_at_provider,
)

from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.errors import ConfigurationError, NotAuthenticated
from credential_service.staff.oidc import OidcClient, OidcIdentity, OidcPending


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture
def transport() -> Iterator[RecordingTransport]:
    t = RecordingTransport()
    yield t
    t.close()


@pytest.fixture
def browser() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, follow_redirects=False, timeout=5) as client:
        yield client


def make_client(
    issuer: str, transport: httpx.BaseTransport, clock: object = None, /, **overrides: object
) -> OidcClient:
    http = httpx.Client(transport=transport, trust_env=False)
    settings = settings_for(str(overrides.pop("issuer", issuer)), **overrides)
    return OidcClient(settings, clock=clock or SystemClock(), http=http)  # type: ignore[arg-type]


def refusal(exc: pytest.ExceptionInfo[NotAuthenticated]) -> str:
    return str(exc.value.extra["reason"])


# -- the happy path --------------------------------------------------------------------------------


def test_full_sign_in_returns_the_provider_identity(
    issuer: str, transport: RecordingTransport, browser: httpx.Client
) -> None:
    client = make_client(issuer, transport)
    url, pending = client.begin()

    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(issuer + "/oauth2/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI and query["scope"] == "openid email profile"
    assert query["state"] == pending.state and query["nonce"] == pending.nonce
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == create_s256_code_challenge(pending.code_verifier)
    assert pending.code_verifier not in url

    # the pending state survives a round trip through a session row (JSON)
    stored = json.loads(json.dumps(pending.to_dict()))
    assert OidcPending.from_dict(stored) == pending
    assert pending.code_verifier not in repr(pending)

    callback = sign_in_at_provider(browser, url)
    identity = client.finish(callback, OidcPending.from_dict(stored))

    assert identity == OidcIdentity(
        issuer=issuer,
        subject=PRINCIPAL_SUB,
        email=str(PRINCIPAL_CLAIMS["email"]),
        name=str(PRINCIPAL_CLAIMS["name"]),
        email_verified=True,
    )
    # discovery, then the token endpoint (with the PKCE verifier, client authenticated), then the keys
    paths = [(r.method, r.url.path) for r in transport.requests]
    assert paths == [
        ("GET", "/.well-known/openid-configuration"),
        ("POST", "/oauth2/token"),
        ("GET", "/jwks"),
    ]
    token_request = transport.requests[1]
    form = parse_qs(token_request.content.decode())
    assert form["code_verifier"] == [pending.code_verifier] and form["code"] == [callback["code"]]
    assert token_request.headers["authorization"].startswith("Basic ")
    assert all(r.url.host == "localhost" for r in transport.requests)


def test_discovery_and_keys_are_fetched_once_per_client(
    issuer: str, transport: RecordingTransport, browser: httpx.Client
) -> None:
    client = make_client(issuer, transport)
    for _ in range(2):
        url, pending = client.begin()
        assert client.finish(sign_in_at_provider(browser, url), pending).subject == PRINCIPAL_SUB
    assert [r.url.path for r in transport.requests].count("/.well-known/openid-configuration") == 1
    assert [r.url.path for r in transport.requests].count("/jwks") == 1


# -- refusals --------------------------------------------------------------------------------------


def test_wrong_state_is_refused_before_the_code_is_redeemed(
    issuer: str, transport: RecordingTransport, browser: httpx.Client
) -> None:
    client = make_client(issuer, transport)
    url, pending = client.begin()
    callback = sign_in_at_provider(browser, url)
    before = len(transport.requests)

    for wrong in ({**callback, "state": "x" + callback["state"]}, {"code": callback["code"]}):
        with pytest.raises(NotAuthenticated) as exc:
            client.finish(wrong, pending)
        assert refusal(exc) == "state-mismatch"
    # a callback meant for another sign-in attempt (another browser) is refused too
    _, other_pending = client.begin()
    with pytest.raises(NotAuthenticated) as exc:
        client.finish(callback, other_pending)
    assert refusal(exc) == "state-mismatch"
    assert len(transport.requests) == before  # the code was never sent anywhere


def test_replayed_code_is_refused(issuer: str, transport: RecordingTransport, browser: httpx.Client) -> None:
    client = make_client(issuer, transport)
    url, pending = client.begin()
    callback = sign_in_at_provider(browser, url)
    assert client.finish(callback, pending).subject == PRINCIPAL_SUB

    with pytest.raises(NotAuthenticated) as exc:
        client.finish(callback, pending)
    assert refusal(exc) == "code-refused"
    assert exc.value.extra["provider_error"] == "invalid_grant"
    text = str(exc.value) + repr(exc.value.extra) + repr(exc.value.hint)
    assert callback["code"] not in text and pending.code_verifier not in text and pending.nonce not in text


def test_nonce_mismatch_is_refused(issuer: str, transport: RecordingTransport, browser: httpx.Client) -> None:
    client = make_client(issuer, transport)
    url, pending = client.begin()
    callback = sign_in_at_provider(browser, url)
    # the provider put the nonce of *this* request in the ID token; the session expects another one
    with pytest.raises(NotAuthenticated) as exc:
        client.finish(callback, replace(pending, nonce="a-different-nonce-" + pending.nonce[:8]))
    assert refusal(exc) == "nonce-mismatch"


def test_tampered_id_token_is_refused(issuer: str, browser: httpx.Client) -> None:
    tampering = RecordingTransport(tamper={"sub": "admin", "email": "admin@haiphong.edu.vn"})
    client = make_client(issuer, tampering)
    url, pending = client.begin()
    with pytest.raises(NotAuthenticated) as exc:
        client.finish(sign_in_at_provider(browser, url), pending)
    assert refusal(exc) == "id-token-signature"
    tampering.close()


def test_expired_id_token_is_refused_by_the_injected_clock(
    issuer: str, transport: RecordingTransport, browser: httpx.Client
) -> None:
    # the provider issues ID tokens valid for one hour; our clock says it is two hours later
    clock = FixedClock(SystemClock().now() + timedelta(hours=2))
    client = make_client(issuer, transport, clock)
    url, pending = client.begin()
    with pytest.raises(NotAuthenticated) as exc:
        client.finish(sign_in_at_provider(browser, url), pending)
    assert refusal(exc) == "id-token-expired"


def test_a_stale_sign_in_attempt_is_refused_without_a_request(
    issuer: str, transport: RecordingTransport, browser: httpx.Client
) -> None:
    clock = FixedClock(SystemClock().now())
    client = make_client(issuer, transport, clock)
    url, pending = client.begin()
    callback = sign_in_at_provider(browser, url)
    clock.advance(timedelta(minutes=11))
    before = len(transport.requests)
    with pytest.raises(NotAuthenticated) as exc:
        client.finish(callback, pending)
    assert refusal(exc) == "pending-expired" and len(transport.requests) == before


def test_a_provider_error_on_the_callback_is_refused(issuer: str, transport: RecordingTransport) -> None:
    client = make_client(issuer, transport)
    _, pending = client.begin()
    before = len(transport.requests)
    for error, reported in (("access_denied", "access_denied"), ("<script>", "other")):
        with pytest.raises(NotAuthenticated) as exc:
            client.finish({"state": pending.state, "error": error}, pending)
        assert refusal(exc) == "provider-error" and exc.value.extra["provider_error"] == reported
    with pytest.raises(NotAuthenticated) as exc:
        client.finish({"state": pending.state, "code": "c", "iss": "https://evil.example"}, pending)
    assert refusal(exc) == "issuer-mismatch"
    assert len(transport.requests) == before


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"state": "s", "nonce": "n", "code_verifier": "v"},
        {"state": 1, "nonce": "n", "code_verifier": "v", "created_at": 0},
        "not a dict",
    ],
)
def test_a_malformed_pending_row_is_refused(data: object) -> None:
    with pytest.raises(NotAuthenticated) as exc:
        OidcPending.from_dict(data)  # type: ignore[arg-type]
    assert refusal(exc) == "pending-malformed"


# -- where requests may go -------------------------------------------------------------------------


def test_issuer_host_not_in_the_allow_list_is_refused_before_any_request(issuer: str) -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    for settings in (
        {"allowed_hosts": frozenset({"idp.haiphong.edu.vn"})},  # the real provider, but not allowed
        {"issuer": "https://evil.example", "allowed_hosts": frozenset({"localhost"})},
        {"issuer": "http://idp.haiphong.edu.vn", "allowed_hosts": frozenset({"idp.haiphong.edu.vn"})},  # no TLS
        {"issuer": "https://user:pw@localhost", "allowed_hosts": frozenset({"localhost"})},
    ):
        with pytest.raises(ConfigurationError):
            make_client(issuer, httpx.MockTransport(record), **settings)
    assert seen == []


def test_discovery_naming_endpoints_on_another_host_is_refused(issuer: str) -> None:
    discovery = {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/oauth2/authorize",
        "token_endpoint": "https://collector.evil.example/token",
        "jwks_uri": issuer + "/jwks",
    }
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=discovery)

    client = make_client(issuer, httpx.MockTransport(answer))
    with pytest.raises(ConfigurationError) as exc:
        client.begin()
    assert exc.value.extra["host"] == "collector.evil.example"
    assert seen == [issuer + "/.well-known/openid-configuration"]

    # and a discovery document for another issuer is refused as well
    discovery["issuer"], discovery["token_endpoint"] = "https://other.example", issuer + "/oauth2/token"
    with pytest.raises(ConfigurationError):
        make_client(issuer, httpx.MockTransport(answer)).begin()
