"""The client's address: the TCP peer, or what trusted reverse proxies say in ``X-Forwarded-For``.

``X-Forwarded-For`` is believed only from the proxies listed in the ``trusted_proxies`` setting (CIDRs):
the header is read from the right, each hop that is a trusted proxy hands over to the address it
received the request from, and the first hop that is not a trusted proxy is the client. From anyone
else the header is ignored, so a client cannot choose its own rate-limit bucket by sending one, and
behind a proxy the clients are not all lumped together as the proxy's address.

Rate limits count IPv6 clients per /64 (:func:`address_bucket`): one subscriber usually holds a whole /64.
Nothing here imports a web framework; :func:`request_client` takes anything shaped like a Starlette request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from credential_service.platform.errors import ConfigurationError, Message

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"
IPV6_BUCKET_PREFIX = 64


@lru_cache(maxsize=32)
def trusted_networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The trusted proxies as networks; a malformed entry is a configuration error."""
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted)
    except ValueError as err:
        raise ConfigurationError(
            Message(
                f"SOGOC_TRUSTED_PROXIES có mục không phải địa chỉ IP hoặc dải CIDR: {err}",
                f"SOGOC_TRUSTED_PROXIES has an entry that is not an IP address or CIDR range: {err}",
            ),
            hint=Message(
                'Ví dụ: SOGOC_TRUSTED_PROXIES=\'["10.0.0.0/8", "192.168.1.5"]\'',
                'For example: SOGOC_TRUSTED_PROXIES=\'["10.0.0.0/8", "192.168.1.5"]\'',
            ),
        ) from err


def parse_address(value: str) -> IPAddress | None:
    """An address from a peer or a forwarded hop (``[v6]:port`` and ``v4:port`` accepted); None if malformed."""
    text = value.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(peer: str | None, forwarded_for: str | None, trusted: Sequence[str]) -> str:
    """The client's address, given the TCP peer and the (joined) ``X-Forwarded-For`` values.

    With no trusted proxies the peer is the client. A peer that is not an IP address (a test client,
    a Unix socket) is returned as it is; a malformed hop stops the walk at the proxy that passed it on.
    """
    if not peer:
        return UNKNOWN
    current = parse_address(peer)
    if current is None:
        return peer
    networks = trusted_networks(tuple(trusted))
    hops = [h for h in (forwarded_for or "").split(",") if h.strip()] if networks else []
    while hops and any(current in net for net in networks):
        hop = parse_address(hops.pop())
        if hop is None:
            break
        current = hop
    return str(current)


def address_bucket(address: str | None) -> str:
    """What a per-address rate limit counts: the address, or its /64 for IPv6."""
    parsed = parse_address(address) if address else None
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_BUCKET_PREFIX), strict=False))
    return str(parsed) if parsed is not None else (address or UNKNOWN)


class _Peer(Protocol):
    @property
    def host(self) -> str: ...


class _Headers(Protocol):
    def getlist(self, key: str) -> list[str]: ...


class RequestLike(Protocol):
    """What :func:`request_client` reads of a request (a Starlette ``Request`` has it)."""

    @property
    def client(self) -> _Peer | None: ...

    @property
    def headers(self) -> _Headers: ...


def request_client(request: RequestLike, trusted: Sequence[str]) -> str:
    """:func:`client_address` of a web request (every ``X-Forwarded-For`` header, in order)."""
    peer = request.client.host if request.client is not None else None
    forwarded = ",".join(request.headers.getlist("x-forwarded-for")) or None
    return client_address(peer, forwarded, trusted)
