"""Asking an allow-listed issuer's public ledger for a credential's evidence, over HTTP(S).

:func:`fetch_bundle` asks ``GET {issuer}/api/v1/credentials/{id}/bundle.json?record_sha256=<hex>`` (a public
route of the service: it answers a verification bundle, format ``/2``, to whoever holds the record, since
the bundle carries the salt that opens the ledger entry's commitment). The answer is *evidence*, checked
like any bundle against the log keys pinned in the trust list (:mod:`verifier.credential_check`); nothing
the issuer says is taken on its word.

Only an issuer on the trust list's allow-list is contacted (the caller looks it up with
:meth:`verifier.trust_list.TrustList.issuer_for`); redirects are not followed; the timeouts are short
and the answer is read up to :data:`verifier.bundle.MAX_BUNDLE_BYTES`. ``httpx`` is imported lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from verifier.bundle import MAX_BUNDLE_BYTES, Bundle
from verifier.errors import VerifierError
from verifier.trust_list import Issuer

__all__ = ["DEFAULT_TIMEOUT", "OnlineAnswer", "bundle_url", "fetch_bundle"]

DEFAULT_TIMEOUT = 5.0
Outcome = Literal["found", "absent", "unreachable"]


@dataclass(frozen=True)
class OnlineAnswer:
    """What the issuer answered: a bundle (``found``), no proof (``absent``: 404), or nothing usable."""

    outcome: Outcome
    url: str
    bundle: Bundle | None = None
    vi: str = ""
    en: str = ""


def bundle_url(issuer: Issuer, credential_id: str, record_sha256: str) -> str:
    return (
        f"{issuer.url}/api/v1/credentials/{quote(credential_id, safe='')}/bundle.json"
        f"?record_sha256={quote(record_sha256, safe='')}"
    )


def fetch_bundle(
    issuer: Issuer,
    credential_id: str,
    record_sha256: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    transport: Any = None,
) -> OnlineAnswer:
    """Ask ``issuer`` (already allow-listed) for the bundle of ``credential_id`` with ``record_sha256``."""
    import httpx

    url = bundle_url(issuer, credential_id, record_sha256)

    def unreachable(vi: str, en: str) -> OnlineAnswer:
        return OnlineAnswer("unreachable", url, None, vi, en)

    try:
        with (
            httpx.Client(
                timeout=httpx.Timeout(timeout, connect=min(timeout, 3.0)),
                follow_redirects=False,
                trust_env=False,
                transport=transport,
                headers={"Accept": "application/json"},
            ) as client,
            client.stream("GET", url) as r,
        ):
            body = bytearray()
            for chunk in r.iter_bytes():
                body += chunk
                if len(body) > MAX_BUNDLE_BYTES:
                    return unreachable("câu trả lời quá lớn", "the answer is too large")
            status = r.status_code
    except httpx.HTTPError as e:
        return unreachable(
            f"không kết nối được tới {issuer.url} ({type(e).__name__})",
            f"cannot reach {issuer.url} ({type(e).__name__}: {e})",
        )
    if status == 404:
        return OnlineAnswer(
            "absent",
            url,
            None,
            "sổ cái của đơn vị cấp không có mục nào cho văn bằng/học bạ và bản ghi này",
            "the issuer's ledger has no entry for this credential and record",
        )
    if status != 200:
        return unreachable(f"đơn vị cấp trả lời HTTP {status}", f"the issuer answered HTTP {status}")
    try:
        return OnlineAnswer("found", url, Bundle.from_json(bytes(body)))
    except VerifierError as e:
        return unreachable(f"câu trả lời không phải gói xác minh: {e.vi}", f"the answer is not a bundle: {e.en}")
