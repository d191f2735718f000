"""The progress sections beyond the học bạ counts (issue #16 item 1): what each needs from another domain's
service (Protocols: read through the services, never their tables) and the call that computes it.

* digital signatures: the signer registry (``SignerRegistry``) → ``signature_rules.py``;
* verification traffic: the holders' access log (``HolderService.access_events``) and the public diploma
  check's log (``DiplomaService.public_check_outcomes``) → ``traffic_rules.py``;
* digitisation of the paper registers: ``DiplomaService.digitisation_counts`` → ``digitisation_rules.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from credential_service.platform.clock import VN_TZ, Clock
from credential_service.reporting import digitisation_rules, signature_rules, traffic_rules


class SignerReads(Protocol):
    """What the signature section needs from the signer registry (``signers/service.py:SignerRegistry``)."""

    def certificates(self, staff_id: str | None = None) -> list[dict[str, Any]]: ...

    def role_assignments(self) -> list[dict[str, Any]]: ...


def signatures(signers: SignerReads | None, clock: Clock, schools: frozenset[str] | None) -> dict[str, Any]:
    """The digital-signature section for the schools in scope (None: the whole city); with no registry
    wired in, the same shape with nothing counted."""
    assignments = signers.role_assignments() if signers is not None else []
    certificates = signers.certificates() if signers is not None else []
    return signature_rules.signature_section(assignments, certificates, clock.now(), schools)


class AccessLogReads(Protocol):
    """What the traffic section needs from the holders domain (``holders/service.py:HolderService``)."""

    def access_events(self, since: datetime, events: Sequence[str]) -> list[tuple[datetime, str, str]]: ...


class PublicCheckReads(Protocol):
    """What the traffic section needs from the diplomas domain (``diplomas/service.py:DiplomaService``)."""

    def public_check_outcomes(self, since: datetime) -> list[tuple[datetime, str]]: ...


def traffic(
    access_log: AccessLogReads | None,
    public_checks: PublicCheckReads | None,
    clock: Clock,
    *,
    city: bool,
    daily_counts: Callable[[date], list[tuple[date, str, str, int]]] | None = None,
) -> dict[str, Any]:
    """The verification-traffic section: the last ``traffic_rules.DAYS`` Vietnam days, the whole city only;
    ``daily_counts``: the anonymous checks counted per day from a first day (``check_counter.read_counts``)."""
    today = clock.today()
    first = today - timedelta(days=traffic_rules.DAYS - 1)
    since = datetime.combine(first, time(0), tzinfo=VN_TZ)
    events = access_log.access_events(since, traffic_rules.LOG_EVENTS) if access_log is not None and city else []
    checks = public_checks.public_check_outcomes(since) if public_checks is not None and city else []
    counted = daily_counts(first) if daily_counts is not None and city else []
    return traffic_rules.traffic_section(events, checks, today, city=city, daily_counts=counted)


class RegisterCounts(Protocol):
    """What the digitisation section needs from the diplomas domain (``DiplomaService``)."""

    def digitisation_counts(self) -> dict[str, Any]: ...


def digitisation(registers: RegisterCounts | None, clock: Clock, *, city: bool) -> dict[str, Any]:
    """The paper registers' digitisation: the whole city only (the books are the Sở's, not a commune's)."""
    empty: dict[str, Any] = {"years": [], "books": {"books": 0, "book_rows": 0}, "queue": []}
    counts = registers.digitisation_counts() if registers is not None and city else empty
    return digitisation_rules.digitisation_section(counts, clock.today(), city=city)
