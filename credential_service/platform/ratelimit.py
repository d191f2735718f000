"""Rate limits and back-off, in a store every worker shares: the service's database, or Redis when configured.

Built on the `limits` library. Its storage is :class:`~.ratelimit_storage.DatabaseStorage` by default, or
whatever ``rate_limit_storage_url`` names (``redis://host:6379/0``, ``rediss://…``, ``redis+unix://…``):
the counters are never in one process's memory, so N workers do not multiply a limit.

Two tools:

* :meth:`RateLimiter.hit` — "at most N per window" (the library's sliding window counter): the public
  diploma check per client address, the employer API per organisation. Over the limit it raises
  :class:`~.errors.RateLimited` (HTTP 429) with ``retry_after`` (seconds).
* :meth:`RateLimiter.credential_attempt` — exponential back-off for guessing a secret (a password, a TOTP
  code, an activation code). An attempt is counted as a failure *before* the secret is checked and
  given back on success, so parallel requests cannot slip past the count; after ``free`` failures each
  further failure makes the next attempt wait ``first_wait`` seconds, doubling up to ``max_wait``.
  Nothing is ever locked: once the wait is over the next attempt is checked normally.

Keys are HMACs of their parts under a secret derived from the settings: the store holds no usernames or
client addresses. Time is the injected clock (the Redis store keeps its own TTLs). If the store fails,
the request is refused (503): limits fail closed.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.errors import StorageError
from limits.storage import SlidingWindowCounterSupport, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from credential_service.platform.client_address import address_bucket
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, Message, RateLimited, ServiceUnavailable
from credential_service.platform.ratelimit_storage import DatabaseStorage
from credential_service.platform.settings import Settings

__all__ = [
    "Attempt",
    "Backoff",
    "CredentialPolicy",
    "RateLimitItem",
    "RateLimitItemPerMinute",
    "RateLimiter",
    "database_limiter",
    "limiter_from_settings",
    "parse",
    "too_many",
]

DAY = 86_400


def too_many(wait: int) -> Message:
    return Message(
        f"Quá nhiều lần thử; vui lòng thử lại sau {wait} giây.",
        f"Too many attempts; please try again in {wait} s.",
    )


@dataclass(frozen=True)
class Backoff:
    """After ``free`` failures, each failure makes the next attempt wait ``first_wait`` s, doubling up to
    ``max_wait``. Failures are forgotten ``memory`` seconds after the first of them."""

    name: str
    free: int
    first_wait: int = 30
    max_wait: int = 15 * 60
    memory: int = DAY
    forget_on_success: bool = False  # a success clears the count (else it only gives its own attempt back)

    def wait_after(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.max_wait, self.first_wait * 2 ** min(failures - self.free, 20))


@dataclass(frozen=True)
class CredentialPolicy:
    """Back-off for guessing the secret of a named account (``realm`` keeps holders and staff apart).

    * per account and client address: the attacker's own address waits; forgotten on success;
    * per client address, over every account: one address spraying many accounts;
    * per account, over every address: many addresses guessing one account. It is not applied from an
      address where the account signed in successfully within ``known_days``, so an attack from
      elsewhere does not keep the real user out of their usual address.
    """

    realm: str
    per_account_and_address: Backoff
    per_address: Backoff
    per_account: Backoff
    known_days: int = 30


def sign_in_policy(realm: str) -> CredentialPolicy:
    return CredentialPolicy(
        realm,
        Backoff(f"{realm}/account+address", free=5, forget_on_success=True),
        Backoff(f"{realm}/address", free=50),
        Backoff(f"{realm}/account", free=20),
    )


@dataclass
class Attempt:
    """An attempt counted as a failure until :meth:`succeeded` gives it back."""

    limiter: RateLimiter
    taken: list[tuple[Backoff, str, int]] = field(default_factory=list)  # (policy, key, number of this failure)
    known_key: str | None = None
    known_days: int = 0

    def succeeded(self) -> None:
        with self.limiter.guard():
            storage = self.limiter.storage
            for policy, key, number in self.taken:
                if policy.forget_on_success:
                    storage.clear(f"{key}/fails")
                elif storage.get(f"{key}/fails") > 0:
                    storage.incr(f"{key}/fails", policy.memory, amount=-1)
                if policy.wait_after(number):
                    storage.clear(f"{key}/wait/{number}")
            if self.known_key is not None and storage.get(self.known_key) == 0:
                storage.incr(self.known_key, self.known_days * DAY)
        self.taken = []


class RateLimiter:
    """Limits and back-off over one `limits` storage; see the module docstring."""

    def __init__(self, storage: Storage, clock: Clock, *, secret: bytes = b"") -> None:
        if not isinstance(storage, SlidingWindowCounterSupport):
            raise ConfigurationError(
                Message(
                    "Kho đếm giới hạn truy cập không hỗ trợ cửa sổ trượt.",
                    "The rate-limit store does not support the sliding window counter.",
                )
            )
        self.storage = storage
        self.clock = clock
        self._secret = secret
        self._window = SlidingWindowCounterRateLimiter(storage)

    def digest(self, *parts: str) -> str:
        """A key for some parts (a username, an address …) that does not reveal them."""
        joined = "\0".join(parts).encode("utf-8")
        return hmac.new(self._secret, joined, hashlib.sha256).hexdigest()[:40]

    @contextmanager
    def guard(self) -> Iterator[None]:
        try:
            yield
        except StorageError as err:
            raise ServiceUnavailable(
                Message(
                    "Không kiểm tra được giới hạn truy cập (kho đếm không phản hồi); vui lòng thử lại sau.",
                    "The rate limits cannot be checked (their store does not answer); try again later.",
                )
            ) from err

    # -- at most N per window -------------------------------------------------------------------------
    def hit(
        self, limit: RateLimitItem, purpose: str, *parts: str, cost: int = 1, message: Message | None = None
    ) -> None:
        """Take ``cost`` from the limit of (purpose, parts); RateLimited (with ``retry_after``) when over it."""
        ident = self.digest(*parts)
        with self.guard():
            if self._window.hit(limit, purpose, ident, cost=cost):
                return
            wait = self._retry_after(limit, limit.key_for(purpose, ident), cost)
        raise RateLimited(message or too_many(wait), retry_after=wait)

    def _retry_after(self, limit: RateLimitItem, key: str, cost: int) -> int:
        """Seconds until ``cost`` would fit again (the weighted count of the sliding window, solved for t)."""
        assert isinstance(self.storage, SlidingWindowCounterSupport)
        expiry, amount = limit.get_expiry(), limit.amount
        if cost > amount:
            return expiry
        previous, previous_ttl, current, current_ttl = self.storage.get_sliding_window(key, expiry)
        left = previous_ttl if previous else max(0.0, current_ttl - expiry)  # until the window turns
        wait = float(expiry)
        if previous and current + cost <= amount:  # the previous window's weight drops enough first
            wait = max(0.0, left - expiry * (amount - current - cost + 1) / previous)
        elif current:  # the current window becomes the previous one, then its weight drops
            wait = max(left, left + expiry - expiry * (amount - cost + 1) / current)
        return max(1, min(expiry, math.ceil(wait)))

    # -- back-off for guessing a secret -------------------------------------------------------------
    def credential_attempt(self, policy: CredentialPolicy, account: str, client: str | None) -> Attempt:
        """Count an attempt at ``account``'s secret from ``client``; RateLimited while a back-off runs."""
        address = address_bucket(client)
        known_key = f"known/{policy.realm}/{self.digest(policy.realm, account, address)}"
        checks: list[tuple[Backoff, tuple[str, ...]]] = [
            (policy.per_account_and_address, (account, address)),
            (policy.per_address, (address,)),
        ]
        with self.guard():
            if not (policy.known_days and self.storage.get(known_key) > 0):
                checks.append((policy.per_account, (account,)))
        attempt = self.attempt(checks)
        if policy.known_days:
            attempt.known_key, attempt.known_days = known_key, policy.known_days
        return attempt

    def attempt(self, checks: Sequence[tuple[Backoff, Sequence[str]]]) -> Attempt:
        """Count one attempt under each back-off; RateLimited (nothing counted) while any of them waits."""
        keys = [(policy, f"backoff/{policy.name}/{self.digest(policy.name, *parts)}") for policy, parts in checks]
        with self.guard():
            seen: list[int] = []
            wait = 0
            for policy, key in keys:
                failures = self.storage.get(f"{key}/fails")
                seen.append(failures)
                if policy.wait_after(failures) and self.storage.get(f"{key}/wait/{failures}"):
                    wait = max(wait, self._seconds_left(f"{key}/wait/{failures}"))
            if wait > 0:
                raise RateLimited(too_many(wait), retry_after=wait)
            attempt, raced = Attempt(self), 0
            for (policy, key), before in zip(keys, seen, strict=True):
                number = self.storage.incr(f"{key}/fails", policy.memory)
                attempt.taken.append((policy, key, number))
                if policy.wait_after(number):  # the wait this attempt imposes if it fails
                    self.storage.incr(f"{key}/wait/{number}", policy.wait_after(number))
                # another attempt got in first: it counted after our read, or it set the wait of the failure
                # before ours between our read and our count (it counts, then sets the wait: two steps)
                if policy.wait_after(number - 1) and (
                    number - 1 > before or self.storage.get(f"{key}/wait/{number - 1}")
                ):
                    raced = max(raced, policy.wait_after(number - 1))
        if raced:
            raise RateLimited(too_many(raced), retry_after=raced)
        return attempt

    def _seconds_left(self, key: str) -> int:
        """Seconds until a counter expires, by the store's own clock: the injected one for the database; for
        another store, the expiry it reports for a key that does not exist (its "now")."""
        if isinstance(self.storage, DatabaseStorage):
            now = self.clock.now().timestamp()
        else:
            now = self.storage.get_expiry(f"now/{self.digest('now')}")
        return max(1, math.ceil(self.storage.get_expiry(key) - now))

    def forget(self, backoff: Backoff, *parts: str) -> None:
        """Clear a back-off's count (e.g. when the school issues a new activation code)."""
        with self.guard():
            self.storage.clear(f"backoff/{backoff.name}/{self.digest(backoff.name, *parts)}/fails")


# -- construction --------------------------------------------------------------------------------------
def database_limiter(db: Database, clock: Clock, *, secret: bytes = b"") -> RateLimiter:
    """A limiter whose counters are in the service's database (shared by every worker using it)."""
    return RateLimiter(DatabaseStorage(db, clock), clock, secret=secret)


def limiter_from_settings(db: Database, settings: Settings, clock: Clock) -> RateLimiter:
    """The database's store, or the one ``rate_limit_storage_url`` names; keys under a secret of the settings."""
    secret = hmac.new(settings.view_secret, b"sogoc-rate-limits/1", hashlib.sha256).digest()
    url = settings.rate_limit_storage_url
    if not url:
        return database_limiter(db, clock, secret=secret)
    scheme = urlsplit(url).scheme
    if scheme.startswith("async+") or (scheme == "memory" and not settings.is_dev):
        raise ConfigurationError(
            Message(
                f"SOGOC_RATE_LIMIT_STORAGE_URL «{scheme}://» không dùng được: cần một kho chung cho mọi tiến trình.",
                f"SOGOC_RATE_LIMIT_STORAGE_URL «{scheme}://» cannot be used: every worker must share the store.",
            ),
            hint=Message(
                "Bỏ trống (dùng cơ sở dữ liệu) hoặc đặt redis://máy-chủ:6379/0.",
                "Leave it unset (the database) or set redis://host:6379/0.",
            ),
        )
    storage = storage_from_string(url, wrap_exceptions=True)
    assert isinstance(storage, Storage)
    return RateLimiter(storage, clock, secret=secret)
