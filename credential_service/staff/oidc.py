"""Staff sign-in by OpenID Connect: the authorization code flow with PKCE (S256) and a nonce.

Framework-light: the routes call :meth:`OidcClient.begin`, keep the :class:`OidcPending` server-side
(``to_dict``/``from_dict``), send the browser to the URL, and on the callback call
:meth:`OidcClient.finish` with the query parameters and the pending state.

Requests go only to the configured issuer's discovery document and the endpoints it names, each over
HTTPS (HTTP on loopback only) to a host in ``OidcSettings.allowed_hosts``, with a time and size limit;
nothing from the callback is ever used as an address. The ID token's signature is checked with the
provider's JWKS by ``joserfc`` (the JOSE library Authlib builds on; ``authlib.jose`` is deprecated in
Authlib 1.9), public-key algorithms only; its claims (iss, aud, azp, exp, iat, nbf, nonce) by
:class:`authlib.oidc.core.CodeIDToken`, with "now" from the service :class:`Clock`.

Failures raise :class:`NotAuthenticated` (sign-in refused; ``extra["reason"]`` says why),
:class:`ServiceUnavailable` (provider unreachable or broken) or :class:`ConfigurationError` (settings or
discovery document break the rules). Messages never contain a code, a token or a secret.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TypeGuard
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from credential_service.platform.clock import Clock
from credential_service.platform.errors import ConfigurationError, Message, NotAuthenticated, ServiceUnavailable

__all__ = ["OidcClient", "OidcIdentity", "OidcPending", "OidcSettings"]

# Asymmetric algorithms only: "none" and HS* (keyed with the client secret) are never accepted.
SAFE_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
)
MAX_RESPONSE_BYTES = 256 * 1024
MAX_PARAM_LENGTH = 2048  # a callback's code/state longer than this is refused unread
DISCOVERY_PATH = "/.well-known/openid-configuration"
# OAuth error codes a provider may put on the callback; anything else is reported as "other".
KNOWN_PROVIDER_ERRORS = frozenset(
    {"access_denied", "invalid_request", "unauthorized_client", "invalid_scope", "server_error", "login_required"}
)

_HINT_RETRY = Message("Hãy đăng nhập lại từ đầu.", "Please sign in again from the start.")


@dataclass(frozen=True, kw_only=True)
class OidcSettings:
    """Where the provider is and who we are to it. ``client_secret`` is never shown in ``repr``."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    allowed_hosts: frozenset[str]
    scopes: str = "openid email profile"
    timeout_seconds: float = 5.0
    leeway_seconds: int = 60  # clock skew accepted on exp/iat/nbf
    pending_max_age_seconds: int = 600  # how long a begun sign-in may wait for its callback


@dataclass(frozen=True)
class OidcPending:
    """What the caller keeps between :meth:`OidcClient.begin` and :meth:`OidcClient.finish`.

    Keep it in a server-side session row (or a signed cookie), never in a URL: the ``code_verifier``
    is what makes an intercepted authorization code useless to anyone else. Use it once.
    """

    state: str
    nonce: str
    code_verifier: str = field(repr=False)
    created_at: float  # seconds since the epoch, from the service clock

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # {"state", "nonce", "code_verifier": str, "created_at": float}: JSON-ready

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OidcPending:
        try:
            state, nonce, verifier = data["state"], data["nonce"], data["code_verifier"]
            created_at = data["created_at"]
        except (KeyError, TypeError):
            raise _refused("pending-malformed") from None
        texts_ok = all(isinstance(v, str) and 0 < len(v) <= MAX_PARAM_LENGTH for v in (state, nonce, verifier))
        if not texts_ok or isinstance(created_at, bool) or not isinstance(created_at, int | float):
            raise _refused("pending-malformed")
        return cls(state=state, nonce=nonce, code_verifier=verifier, created_at=float(created_at))


@dataclass(frozen=True)
class OidcIdentity:
    """Who the provider says signed in. (issuer, subject) is the stable key; email/name are hints."""

    issuer: str
    subject: str
    email: str | None
    name: str | None
    email_verified: bool | None = None


@dataclass(frozen=True)
class _Provider:
    """The parts of the discovery document we use, every URL already checked against the rules."""

    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    algorithms: tuple[str, ...]
    token_auth_method: str  # "client_secret_basic" or "client_secret_post"


class OidcClient:
    """An OpenID Connect relying party for one provider. Thread-safe; share one per process."""

    def __init__(self, settings: OidcSettings, *, clock: Clock, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self._clock = clock
        self._allowed = frozenset(h.lower().rstrip(".") for h in settings.allowed_hosts)
        self._issuer = settings.issuer.rstrip("/")
        # Checked before anything else: a refused issuer never sees a request.
        self._check_url(self._issuer, "issuer", query_ok=False)
        self._check_url(settings.redirect_uri, "redirect_uri", query_ok=True, redirect=True)
        if "openid" not in settings.scopes.split():
            raise _config(Message("Phạm vi (scope) phải có 'openid'.", "The scopes must include 'openid'."))
        self._http = http if http is not None else httpx.Client(follow_redirects=False)
        self._lock = threading.Lock()
        self._provider: _Provider | None = None
        self._keys: KeySet | None = None

    # -- the flow ----------------------------------------------------------------------------------

    def begin(self) -> tuple[str, OidcPending]:
        """The authorization URL to send the browser to, and the state to keep until the callback."""
        provider = self._discover()
        pending = OidcPending(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),  # 86 characters, within RFC 7636's 43..128
            created_at=self._now(),
        )
        params = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": self.settings.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": create_s256_code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        return _add_query(provider.authorization_endpoint, params), pending

    def finish(self, params: Mapping[str, str], pending: OidcPending) -> OidcIdentity:
        """Check the callback against ``pending``, redeem the code and return the verified identity.

        Single use: the caller must delete ``pending`` before calling, whatever the outcome.
        """
        now = self._now()
        if now - pending.created_at > self.settings.pending_max_age_seconds or now < pending.created_at - 60:
            raise _refused("pending-expired")
        state = params.get("state")
        if not _short_text(state) or not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise _refused("state-mismatch")
        error = params.get("error")
        if error is not None:
            reason = error if error in KNOWN_PROVIDER_ERRORS else "other"
            raise _refused("provider-error", provider_error=reason)
        returned_issuer = params.get("iss")  # RFC 9207: when present it must be our issuer
        if returned_issuer is not None and returned_issuer.rstrip("/") != self._issuer:
            raise _refused("issuer-mismatch")
        code = params.get("code")
        if not _short_text(code):
            raise _refused("code-missing")
        provider = self._discover()
        tokens = self._redeem(provider, code, pending)
        claims = self._validate_id_token(provider, tokens, pending, now)
        return _identity(claims)

    # -- discovery and keys ------------------------------------------------------------------------

    def _discover(self) -> _Provider:
        with self._lock:
            if self._provider is None:
                self._provider = self._fetch_provider()
            return self._provider

    def _fetch_provider(self) -> _Provider:
        doc = self._get_json(self._issuer + DISCOVERY_PATH)
        if not isinstance(doc.get("issuer"), str) or doc["issuer"].rstrip("/") != self._issuer:
            raise _config(
                Message(
                    "Tài liệu khám phá của nhà cung cấp định danh ghi một issuer khác với cấu hình.",
                    "The identity provider's discovery document names a different issuer than configured.",
                )
            )
        urls: dict[str, str] = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = doc.get(name)
            if not isinstance(value, str):
                raise _config(Message(f"Tài liệu khám phá thiếu '{name}'.", f"The discovery document has no '{name}'."))
            self._check_url(value, name, query_ok=name != "jwks_uri")
            urls[name] = value
        offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = tuple(a for a in offered if isinstance(a, str) and a in SAFE_ALGORITHMS)
        if not algorithms:
            raise _config(
                Message(
                    "Nhà cung cấp định danh không ký ID token bằng thuật toán khoá công khai nào được chấp nhận.",
                    "The identity provider signs ID tokens with no accepted public-key algorithm.",
                )
            )
        methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        method = "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
        return _Provider(
            authorization_endpoint=urls["authorization_endpoint"],
            token_endpoint=urls["token_endpoint"],
            jwks_uri=urls["jwks_uri"],
            algorithms=algorithms,
            token_auth_method=method,
        )

    def _key_set(self, provider: _Provider, *, refresh: bool = False) -> KeySet:
        with self._lock:
            if self._keys is None or refresh:
                data = self._get_json(provider.jwks_uri)
                try:
                    self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError, KeyError):
                    raise _unavailable("jwks-invalid") from None
            return self._keys

    # -- the token endpoint and the ID token -------------------------------------------------------

    def _redeem(self, provider: _Provider, code: str, pending: OidcPending) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": pending.code_verifier,
        }
        headers = {"Accept": "application/json"}
        if provider.token_auth_method == "client_secret_basic":
            # RFC 6749 §2.3.1: form-encode the id and secret before Basic encoding
            auth = httpx.BasicAuth(quote(self.settings.client_id, safe=""), quote(self.settings.client_secret, safe=""))
        else:
            form |= {"client_id": self.settings.client_id, "client_secret": self.settings.client_secret}
            auth = None
        try:
            with self._http.stream(
                "POST",
                provider.token_endpoint,
                data=form,
                headers=headers,
                auth=auth,  # type: ignore[arg-type]
                timeout=self.settings.timeout_seconds,
                follow_redirects=False,
            ) as response:
                body = _read_json(response)
                status = response.status_code
        except httpx.HTTPError:
            raise _unavailable("token-endpoint-unreachable") from None
        if status >= 500:
            raise _unavailable("token-endpoint-error")
        if status != 200 or body is None:
            # invalid_grant: the code was already used, has expired, or the code_verifier does not match
            error = body.get("error") if isinstance(body, dict) else None
            reason = error if error in ("invalid_grant", "invalid_client", "unauthorized_client") else "other"
            raise _refused("code-refused", provider_error=reason)
        if not isinstance(body.get("id_token"), str):
            raise _refused("id-token-missing")
        return body

    def _validate_id_token(
        self, provider: _Provider, tokens: Mapping[str, Any], pending: OidcPending, now: float
    ) -> Mapping[str, Any]:
        raw = tokens["id_token"]
        try:
            try:
                token = jwt.decode(raw, self._key_set(provider), algorithms=list(provider.algorithms))
            except InvalidKeyIdError:  # the provider may have rotated its keys since we fetched them
                token = jwt.decode(raw, self._key_set(provider, refresh=True), algorithms=list(provider.algorithms))
        except (JoseError, ValueError, TypeError):
            raise _refused("id-token-signature") from None
        access_token = tokens.get("access_token")
        claims = CodeIDToken(
            token.claims,
            token.header,
            options={
                "iss": {"essential": True, "value": self._issuer},
                "aud": {"essential": True, "value": self.settings.client_id},
                "sub": {"essential": True},
                "nonce": {"essential": True},
            },
            params={
                "nonce": pending.nonce,
                "client_id": self.settings.client_id,
                "access_token": access_token if isinstance(access_token, str) else None,
            },
        )
        try:
            claims.validate(now=int(now), leeway=self.settings.leeway_seconds)
        except ExpiredTokenError:
            raise _refused("id-token-expired") from None
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            claim = getattr(exc, "claim", None)
            reason = "nonce-mismatch" if claim == "nonce" else "id-token-claims"
            raise _refused(reason, claim=claim if isinstance(claim, str) else None) from None
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), pending.nonce.encode()):
            raise _refused("nonce-mismatch")  # authlib checks this too; the rule is too important to rely on one check
        return claims

    # -- HTTP and URL rules ------------------------------------------------------------------------

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            with self._http.stream(
                "GET",
                url,
                headers={"Accept": "application/json"},
                timeout=self.settings.timeout_seconds,
                follow_redirects=False,
            ) as response:
                body = _read_json(response)
                status = response.status_code
        except httpx.HTTPError:
            raise _unavailable("provider-unreachable") from None
        if status != 200 or body is None:
            raise _unavailable("provider-bad-response")
        return body

    def _check_url(self, url: str, what: str, *, query_ok: bool, redirect: bool = False) -> None:
        """Refuse a URL unless it is absolute HTTPS (HTTP on loopback) to an allowed host.

        The redirect URI is our own address, never fetched: any host, and plain HTTP is tolerated
        (test clients); the provider checks it against the client's registration.
        """
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
            _ = parts.port  # raises ValueError when the port is malformed
        except ValueError:
            host, parts = "", urlsplit("")
        transport_ok = parts.scheme in ("http", "https") if redirect else is_secure_transport(url)
        bad = (
            not host
            or parts.username is not None
            or parts.password is not None
            or parts.fragment != ""
            or (not query_ok and parts.query != "")
            or not transport_ok
        )
        if bad:
            raise _config(
                Message(
                    f"Địa chỉ '{what}' của đăng nhập OpenID Connect không hợp lệ (cần https, hoặc http trên loopback).",
                    f"The OpenID Connect '{what}' URL is not valid (https is required; http only on loopback).",
                ),
                setting=what,
            )
        if not redirect and host not in self._allowed:
            raise _config(
                Message(
                    f"Máy chủ '{host}' ('{what}') không nằm trong danh sách nhà cung cấp định danh được phép.",
                    f"Host '{host}' ('{what}') is not in the list of allowed identity provider hosts.",
                ),
                hint=Message(
                    "Thêm máy chủ vào allowed_hosts nếu đúng là nhà cung cấp định danh của Sở.",
                    "Add the host to allowed_hosts if it really is the department's identity provider.",
                ),
                setting=what,
                host=host,
            )

    def _now(self) -> float:
        return self._clock.now().timestamp()


# -- helpers ---------------------------------------------------------------------------------------


def _read_json(response: httpx.Response) -> dict[str, Any] | None:
    """The response body as a JSON object, or None; never reads more than MAX_RESPONSE_BYTES."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            return None
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _add_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _short_text(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and 0 < len(value) <= MAX_PARAM_LENGTH


def _identity(claims: Mapping[str, Any]) -> OidcIdentity:
    def text(name: str) -> str | None:
        value = claims.get(name)
        return value if isinstance(value, str) and value.strip() else None

    verified = claims.get("email_verified")
    return OidcIdentity(
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=text("email"),
        name=text("name"),
        email_verified=verified if isinstance(verified, bool) else None,
    )


_REFUSALS: dict[str, Message] = {
    "pending-malformed": Message("Phiên đăng nhập không hợp lệ.", "The sign-in session is not valid."),
    "pending-expired": Message("Phiên đăng nhập đã quá hạn.", "The sign-in attempt has expired."),
    "state-mismatch": Message(
        "Phản hồi đăng nhập không khớp với phiên đăng nhập này (state).",
        "The sign-in response does not belong to this sign-in attempt (state).",
    ),
    "provider-error": Message(
        "Nhà cung cấp định danh đã từ chối hoặc huỷ đăng nhập.",
        "The identity provider refused or cancelled the sign-in.",
    ),
    "issuer-mismatch": Message(
        "Phản hồi đăng nhập đến từ một nhà cung cấp định danh khác.",
        "The sign-in response comes from a different identity provider.",
    ),
    "code-missing": Message(
        "Phản hồi đăng nhập không có mã uỷ quyền.", "The sign-in response carries no authorization code."
    ),
    "code-refused": Message(
        "Mã uỷ quyền không dùng được (đã dùng rồi, hết hạn hoặc không khớp).",
        "The authorization code was refused (already used, expired or not matching).",
    ),
    "id-token-missing": Message(
        "Nhà cung cấp định danh không trả về ID token.", "The identity provider returned no ID token."
    ),
    "id-token-signature": Message("Chữ ký của ID token không hợp lệ.", "The ID token's signature is not valid."),
    "id-token-expired": Message("ID token đã hết hạn.", "The ID token has expired."),
    "id-token-claims": Message(
        "ID token không dành cho dịch vụ này hoặc có thông tin không hợp lệ.",
        "The ID token is not meant for this service or carries invalid claims.",
    ),
    "nonce-mismatch": Message(
        "ID token không khớp với phiên đăng nhập này (nonce).",
        "The ID token does not belong to this sign-in attempt (nonce).",
    ),
}


def _refused(reason: str, **extra: Any) -> NotAuthenticated:
    return NotAuthenticated(
        _REFUSALS[reason], hint=_HINT_RETRY, reason=reason, **{k: v for k, v in extra.items() if v is not None}
    )


def _unavailable(reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        Message(
            "Không liên lạc được với nhà cung cấp định danh, hoặc phản hồi không hợp lệ.",
            "The identity provider could not be reached or answered with an invalid response.",
        ),
        hint=Message("Hãy thử lại sau ít phút.", "Please try again in a few minutes."),
        reason=reason,
    )


def _config(message: Message, *, hint: Message | None = None, **extra: Any) -> ConfigurationError:
    return ConfigurationError(message, hint=hint, reason="oidc-configuration", **extra)
