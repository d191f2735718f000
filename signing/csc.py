"""Remote signing through the Cloud Signature Consortium API (CSC) behind :class:`signing.keys.SignerPort`.

The key stays with the trust service (a QTSP's HSM: VNPT SmartCA, Viettel MySign, …); we send
hashes and get signature values back. The signer authorises each **batch**: their PIN and/or OTP
goes into one ``credentials/authorize`` call with ``numSignatures=N``, the service answers with
signature activation data (SAD) good for N signatures, and every ``signatures/signHash`` call of
the batch presents that SAD.

* :class:`CscConfig` — service URL, credential id, API dialect (``"v2"`` by default, ``"v1"`` for
  CSC 1.0.4.0 services), an optional service access token (OAuth2 bearer of *our* application,
  not the signer's secret; never in ``repr``).
* :class:`CscAuthorization` — the signer's PIN/OTP for **one** batch, passed in by the caller per
  batch (never read from the environment, never in ``repr``, messages or logs; not kept after the
  ``credentials/authorize`` call).
* :func:`authorize_batch` / :func:`async_authorize_batch` — ``credentials/info`` (certificate,
  chain, algorithms), then ``credentials/authorize`` once; returns a :class:`CscBatchSigner`
  whose :meth:`~CscBatchSigner.pyhanko_signer` (pyHanko's ``CSCSigner``) signs up to N times
  with that one SAD and then refuses (``csc_batch_exhausted``) instead of asking the service.
* :func:`fetch_credential` / :func:`async_fetch_credential` — only ``credentials/info``: show
  the signer the certificate before asking for the PIN.

Errors are :class:`signing.errors.CscError` with a ``reason``: ``csc_unavailable`` (service
down, timeout, 5xx), ``csc_credential_unknown``, ``csc_credential_disabled``,
``csc_authorization_refused`` (wrong PIN/OTP), ``csc_authorization_failed`` (other refusals of
``credentials/authorize``), ``csc_access_denied`` (our access token refused),
``csc_sad_refused`` (``signHash`` refused the SAD: expired, used up, revoked),
``csc_sad_expired`` and ``csc_batch_exhausted`` (found locally, no call made),
``csc_hash_pinning_unsupported``, ``csc_invalid_batch``, ``csc_bad_response``.

Wire format
-----------
pyHanko's ``CSCSigner`` implements CSC 1.0.4.0 (``hash``/``hashAlgo`` in ``signHash``, ``PIN``/
``OTP`` in ``credentials/authorize``). For ``api_version="v2"`` (CSC 2.0) the requests use the v2
names: ``hashes``/``hashAlgorithmOID`` in ``signatures/signHash`` and
``authData: [{"id": "PIN", "value": …}, {"id": "OTP", "value": …}]`` in
``credentials/authorize``; the ``credentials/info`` request and the fields we read from its
answer (``cert.certificates``, ``key.algo``, ``multisign``, ``SCAL``) are the same in both.

Scope: SAD **not** bound to hashes (SCAL 1), so one authorisation can precede the documents. A
credential that requires hash-bound SAD (SCAL 2) is refused with ``csc_hash_pinning_unsupported``.

Threads and event loops
-----------------------
Each HTTP request opens its own short ``aiohttp`` session, so the signer works from the
synchronous :mod:`signing.pades` functions (one event loop per signature) and from the async ones.
A batch signer belongs to one signer's batch: sign its documents one after another, or from one
event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import aiohttp
from asn1crypto import algos, x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import Signer
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)

from verifier.clock import SystemClock

from .errors import CscError

__all__ = [
    "CscApiVersion",
    "CscAuthorization",
    "CscBatchSigner",
    "CscConfig",
    "async_authorize_batch",
    "async_fetch_credential",
    "authorize_batch",
    "fetch_credential",
]

logger = logging.getLogger(__name__)

CscApiVersion = Literal["v1", "v2"]
DEFAULT_SAD_LIFETIME_SECONDS = 3600  # the CSC default when the service sends no ``expiresIn``


@dataclass(frozen=True)
class CscConfig:
    """Where the credential lives. No signer secret here: see :class:`CscAuthorization`."""

    service_url: str  # the part before ``/csc/v2/…``
    credential_id: str
    api_version: CscApiVersion = "v2"
    access_token: str | None = field(default=None, repr=False)  # the service's OAuth2 token for this application
    timeout: float = 30.0  # seconds per HTTP request
    chain_paths: tuple[str, ...] = ()  # CA certificates to embed when the service does not return the chain
    client_data: str | None = None  # ``clientData`` sent with every request (vendor-specific)

    def __post_init__(self) -> None:
        if self.api_version not in ("v1", "v2"):
            raise ValueError(f"unsupported CSC API version {self.api_version!r} (use 'v1' or 'v2')")
        object.__setattr__(self, "service_url", self.service_url.rstrip("/"))

    @property
    def session_info(self) -> CSCServiceSessionInfo:
        return CSCServiceSessionInfo(
            service_url=self.service_url,
            credential_id=self.credential_id,
            oauth_token=self.access_token,
            api_ver=self.api_version,
        )


@dataclass(frozen=True)
class CscAuthorization:
    """The signer's consent for one batch: PIN and/or OTP (both empty: the service authorises by itself,
    e.g. a push notification to the signer's phone)."""

    pin: str | None = field(default=None, repr=False)
    otp: str | None = field(default=None, repr=False)
    description: str | None = None  # shown to the signer by some services ("Ký 35 học bạ lớp 10A1")

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.pin, self.otp) if s)


# ------------------------------------------------------------------------------------------
# HTTP
# ------------------------------------------------------------------------------------------

_CODE_RE = re.compile(r"[^A-Za-z0-9_.\-]")


def _redact(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        text = text.replace(s, "***")
    return text[:200]


class _Transport:
    """JSON POSTs to the service: one short session per request (any event loop), errors as :class:`CscError`."""

    def __init__(self, config: CscConfig) -> None:
        self.config = config
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def url(self, endpoint: str) -> str:
        return str(self.config.session_info.endpoint_url(endpoint))

    def endpoint_of(self, url: str) -> str:
        return url.split(f"/csc/{self.config.api_version}/", 1)[-1]

    async def call(self, endpoint: str, body: dict[str, Any], *, secrets: Sequence[str] = ()) -> dict[str, Any]:
        if self.config.client_data is not None:
            body.setdefault("clientData", self.config.client_data)
        with self._lock:
            self.calls[endpoint] += 1
        headers = dict(self.config.session_info.auth_headers)
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.post(self.url(endpoint), json=body, headers=headers) as resp,
            ):
                status, raw = resp.status, await resp.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            raise CscError(
                f"Không kết nối được dịch vụ ký số từ xa {self.config.service_url}",
                f"Cannot reach the remote signing service {self.config.service_url}: {type(e).__name__}",
                reason="csc_unavailable",
            ) from e
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = None
        if status >= 400:
            raise self._http_error(endpoint, status, data if isinstance(data, dict) else {}, secrets)
        if not isinstance(data, dict):
            raise _bad_response(self.config, endpoint, "not a JSON object")
        return data

    def _http_error(self, endpoint: str, status: int, data: dict[str, Any], secrets: Sequence[str]) -> CscError:
        cfg = self.config
        code = _CODE_RE.sub("", str(data.get("error", "")))[:40]
        desc = _redact(str(data.get("error_description", "")), secrets)
        detail = f"HTTP {status}" + (f" {code}" if code else "") + (f": {desc}" if desc else "")
        text = f"{code} {desc}".lower()
        if status >= 500:
            return CscError(
                f"Dịch vụ ký số từ xa {cfg.service_url} đang gặp lỗi",
                f"The remote signing service {cfg.service_url} failed ({detail})",
                reason="csc_unavailable",
            )
        if endpoint == "credentials/authorize" and re.search(r"\b(pin|otp)\b|invalid_pin|invalid_otp", text):
            return CscError(
                "Mã PIN/OTP không đúng hoặc người ký không cho phép ký",
                f"The signer's PIN/OTP was refused for credential {cfg.credential_id!r} ({detail})",
                reason="csc_authorization_refused",
            )
        if endpoint.startswith("credentials/") and (status == 404 or "credential" in text):
            return CscError(
                f"Dịch vụ ký số không có chứng thư «{cfg.credential_id}»",
                f"Unknown credential {cfg.credential_id!r} at {self.url(endpoint)} ({detail}); "
                f"check the credential id and the API version ({cfg.api_version})",
                reason="csc_credential_unknown",
            )
        if status in (401, 403):
            return CscError(
                "Dịch vụ ký số từ chối quyền truy cập của ứng dụng",
                f"The remote signing service refused our access token ({detail})",
                reason="csc_access_denied",
            )
        if endpoint == "credentials/authorize":
            return CscError(
                "Dịch vụ ký số từ chối ủy quyền ký cho lô này",
                f"The remote signing service refused to authorise the batch ({detail})",
                reason="csc_authorization_failed",
            )
        if endpoint == "signatures/signHash":
            return CscError(
                "Dịch vụ ký số từ chối ký: phiên ủy quyền đã hết hạn, đã dùng hết hoặc không hợp lệ",
                f"The remote signing service refused the signature activation data ({detail})",
                reason="csc_sad_refused",
            )
        return CscError(
            "Dịch vụ ký số từ xa từ chối yêu cầu",
            f"The remote signing service refused {endpoint} ({detail})",
        )


def _bad_response(config: CscConfig, endpoint: str, what: str) -> CscError:
    return CscError(
        "Dịch vụ ký số từ xa trả lời không đúng định dạng",
        f"Unexpected answer from {config.service_url} to {endpoint}: {what}",
        reason="csc_bad_response",
    )


class _JsonBody:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    async def json(self) -> dict[str, Any]:
        return self._data


class _PyHankoSession:
    """What pyHanko's CSC code needs of an ``aiohttp.ClientSession`` (``async with session.post(...)``)."""

    def __init__(self, transport: _Transport) -> None:
        self.transport = transport

    @contextlib.asynccontextmanager
    async def post(self, url: str, **kwargs: Any) -> AsyncIterator[_JsonBody]:
        body = dict(kwargs.get("json") or {})
        yield _JsonBody(await self.transport.call(self.transport.endpoint_of(url), body))


# ------------------------------------------------------------------------------------------
# the batch
# ------------------------------------------------------------------------------------------


class _BatchAuthorizationManager(CSCAuthorizationManager):
    """Hands out the batch's one SAD for at most ``num_signatures`` signatures, until it expires."""

    def __init__(
        self,
        session_info: CSCServiceSessionInfo,
        credential_info: CSCCredentialInfo,
        auth_info: CSCAuthorizationInfo,
        num_signatures: int,
        lifetime_seconds: float,
    ) -> None:
        super().__init__(session_info, credential_info)
        self.auth_info = auth_info
        self.num_signatures = num_signatures
        self.remaining = num_signatures
        self._deadline = time.monotonic() + lifetime_seconds
        self._lock = threading.Lock()

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        with self._lock:
            if time.monotonic() >= self._deadline:
                raise CscError(
                    "Phiên ủy quyền ký của lô đã hết hạn, người ký cần xác nhận lại",
                    "The batch's signature activation data has expired; the signer must authorise again",
                    reason="csc_sad_expired",
                )
            if len(hash_b64s) > self.remaining:
                raise CscError(
                    f"Người ký chỉ ủy quyền {self.num_signatures} chữ ký cho lô này",
                    f"The signer authorised {self.num_signatures} signatures for this batch; all are used",
                    reason="csc_batch_exhausted",
                )
            self.remaining -= len(hash_b64s)
        return self.auth_info


class _CscSigner(CSCSigner):
    """pyHanko's ``CSCSigner`` with the v2 names in ``signatures/signHash`` when asked for."""

    def __init__(self, transport: _Transport, manager: _BatchAuthorizationManager, est_size: int) -> None:
        super().__init__(
            cast(aiohttp.ClientSession, _PyHankoSession(transport)),
            manager,
            sign_timeout=int(transport.config.timeout),
            client_data=transport.config.client_data,
            batch_size=1,
            est_raw_signature_size=est_size,
        )
        self._v2 = transport.config.api_version == "v2"

    def get_signature_mechanism_for_digest(self, digest_algorithm: str | None) -> algos.SignedDigestAlgorithm:
        try:
            mech: algos.SignedDigestAlgorithm = super().get_signature_mechanism_for_digest(digest_algorithm)
            return mech
        except PyHankoSigningError:
            # services often list only rsaEncryption (1.2.840.113549.1.1.1) and take the hash from hashAlgo
            supported = self.auth_manager.credential_info.supported_mechanisms
            cert = self.signing_cert
            if "rsassa_pkcs1v15" in supported and cert is not None and cert.public_key.algorithm == "rsa":
                return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
            raise

    async def format_csc_signing_req(self, tbs_hashes: list[str], digest_algorithm: str) -> dict[str, Any]:
        req: dict[str, Any] = await super().format_csc_signing_req(tbs_hashes, digest_algorithm)
        if self._v2:
            req["hashes"] = req.pop("hash")
            req["hashAlgorithmOID"] = req.pop("hashAlgo")
        return req


class CscBatchSigner:
    """A :class:`~signing.keys.SignerPort` for one authorised batch: N signatures, one SAD."""

    def __init__(
        self,
        config: CscConfig,
        credential: CSCCredentialInfo,
        auth_info: CSCAuthorizationInfo,
        num_signatures: int,
        lifetime_seconds: float,
        transport: _Transport,
    ) -> None:
        self.config = config
        self.credential = credential
        self._transport = transport
        self._manager = _BatchAuthorizationManager(
            config.session_info, credential, auth_info, num_signatures, lifetime_seconds
        )
        try:
            est_size = int(credential.response_data["key"]["len"]) // 8
        except (KeyError, TypeError, ValueError):
            est_size = 512  # pyHanko's default guess
        self._signer = _CscSigner(transport, self._manager, est_size)

    @property
    def num_signatures(self) -> int:
        return self._manager.num_signatures

    @property
    def remaining(self) -> int:
        """Signatures this batch may still make (counted locally; the service counts too)."""
        return self._manager.remaining

    @property
    def expires_at(self) -> datetime | None:
        return self._manager.auth_info.expires_at

    @property
    def calls(self) -> dict[str, int]:
        """HTTP calls made for this batch, by endpoint (``credentials/authorize`` is 1)."""
        return dict(self._transport.calls)

    # SignerPort
    @property
    def signing_cert(self) -> x509.Certificate | None:
        return self.credential.signing_cert

    def pyhanko_signer(self) -> Signer:
        return self._signer


def _authorize_body(config: CscConfig, authorization: CscAuthorization, num_signatures: int) -> dict[str, Any]:
    body: dict[str, Any] = {"credentialID": config.credential_id, "numSignatures": num_signatures}
    if config.api_version == "v1":
        if authorization.pin:
            body["PIN"] = authorization.pin
        if authorization.otp:
            body["OTP"] = authorization.otp
    else:
        auth_data = [{"id": k, "value": v} for k, v in (("PIN", authorization.pin), ("OTP", authorization.otp)) if v]
        if auth_data:
            body["authData"] = auth_data
    if authorization.description:
        body["description"] = authorization.description[:500]
    return body


async def _fetch(transport: _Transport) -> CSCCredentialInfo:
    config = transport.config
    try:
        info = await fetch_certs_in_csc_credential(
            cast(aiohttp.ClientSession, _PyHankoSession(transport)), config.session_info, timeout=int(config.timeout)
        )
    except PyHankoSigningError as e:
        raise _bad_response(config, "credentials/info", str(e)) from e
    status = str(info.response_data.get("key", {}).get("status", "enabled"))
    if status != "enabled":
        raise CscError(
            f"Chứng thư «{config.credential_id}» đang bị khóa ở dịch vụ ký số",
            f"Credential {config.credential_id!r} is {status} at {config.service_url}",
            reason="csc_credential_disabled",
        )
    if config.chain_paths:
        extra = list(load_certs_from_pemder(list(config.chain_paths)))
        info = dataclasses.replace(info, chain=[*info.chain, *extra])
    return info


async def async_fetch_credential(config: CscConfig) -> CSCCredentialInfo:
    """``credentials/info``: the signer's certificate, the chain, algorithms, SCAL and batch size."""
    return await _fetch(_Transport(config))


def fetch_credential(config: CscConfig) -> CSCCredentialInfo:
    """Synchronous :func:`async_fetch_credential` (its own event loop: not from async code)."""
    return asyncio.run(async_fetch_credential(config))


async def async_authorize_batch(
    config: CscConfig, authorization: CscAuthorization, num_signatures: int
) -> CscBatchSigner:
    """Authorise one batch of ``num_signatures`` signatures (one ``credentials/authorize`` call)."""
    if num_signatures < 1:
        raise CscError(
            "Lô ký phải có ít nhất một tài liệu",
            f"A batch needs at least one signature (got {num_signatures})",
            reason="csc_invalid_batch",
        )
    transport = _Transport(config)
    credential = await _fetch(transport)
    if credential.hash_pinning_required:
        raise CscError(
            f"Chứng thư «{config.credential_id}» yêu cầu ủy quyền theo từng giá trị băm (SCAL 2), chưa được hỗ trợ",
            f"Credential {config.credential_id!r} requires hash-bound activation data (SCAL 2), not supported yet",
            reason="csc_hash_pinning_unsupported",
        )
    if num_signatures > credential.max_batch_size:  # ``multisign``: most signatures per authorisation
        raise CscError(
            f"Dịch vụ ký số chỉ cho phép {credential.max_batch_size} chữ ký mỗi lần xác nhận; hãy chia nhỏ lô",
            f"The service allows {credential.max_batch_size} signatures per authorisation "
            f"(asked for {num_signatures}); split the batch",
            reason="csc_invalid_batch",
        )
    data = await transport.call(
        "credentials/authorize",
        _authorize_body(config, authorization, num_signatures),
        secrets=authorization.secrets,
    )
    try:
        sad = str(data["SAD"])
        lifetime = int(data.get("expiresIn", DEFAULT_SAD_LIFETIME_SECONDS))
    except (KeyError, TypeError, ValueError) as e:
        raise _bad_response(config, "credentials/authorize", "no SAD / bad expiresIn") from e
    auth_info = CSCAuthorizationInfo(sad=sad, expires_at=SystemClock().now() + timedelta(seconds=lifetime))
    logger.info("CSC batch authorised: credential %s, %d signatures", config.credential_id, num_signatures)
    return CscBatchSigner(config, credential, auth_info, num_signatures, lifetime, transport)


def authorize_batch(config: CscConfig, authorization: CscAuthorization, num_signatures: int) -> CscBatchSigner:
    """Synchronous :func:`async_authorize_batch` (its own event loop: not from async code)."""
    return asyncio.run(async_authorize_batch(config, authorization, num_signatures))
