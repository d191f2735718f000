"""Revocation data (OCSP, CRL) and issuer certificates (AIA) are fetched only from allowed hosts.

The addresses come from inside certificates, and a certificate can be uploaded by anyone who can import
one: without this guard a crafted certificate would make the server call any address (SSRF). Every
request pyHanko's fetchers make goes through one aiohttp session whose request hook refuses a host that
is not on the list, before a connection is opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiohttp
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession
from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

from .errors import SigningError

PER_REQUEST_TIMEOUT = 10


class FetchRefused(aiohttp.ClientError, SigningError):
    """A certificate asked for a fetch from a host that is not allowed. A ``ClientError`` too, so pyHanko's
    fetchers treat it as a fetch that failed (revocation unavailable: hard-fail refuses the signer)."""

    reason = "fetch_host_refused"


def normalise_hosts(hosts: Iterable[str]) -> frozenset[str]:
    return frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip())


class AllowListSession(LazySession):
    """A lazily created aiohttp session that refuses requests to hosts outside ``allowed``."""

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__()
        self.allowed = allowed
        self.refused: list[str] = []

    def get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            trace = aiohttp.TraceConfig()
            trace.on_request_start.append(self._check)
            self._session = aiohttp.ClientSession(trace_configs=[trace])
        session: aiohttp.ClientSession = self._session
        return session

    async def _check(self, session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        host = (params.url.host or "").lower().rstrip(".")
        if host not in self.allowed:
            self.refused.append(host)
            raise FetchRefused(
                f"Không tải dữ liệu thu hồi/chứng thư từ máy chủ không được phép: {host}",
                f"Refused to fetch revocation data or certificates from a host that is not allowed: {host}",
            )


def guarded_backend(allowed_hosts: Iterable[str]) -> OwnedFetcherBackend:
    """A fetcher backend for one validation context; the context closes it with itself."""
    session = AllowListSession(normalise_hosts(allowed_hosts))
    # pyHanko's own default session is a LazySession too; its annotation names only ClientSession
    backend = AIOHttpFetcherBackend(session=session, per_request_timeout=PER_REQUEST_TIMEOUT)  # type: ignore[arg-type]
    return OwnedFetcherBackend(backend)
