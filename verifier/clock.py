"""The one clock. Nothing else in ``verifier``, ``signing`` or the service reads the wall clock.

It lives here, in the lowest of the three packages, because the verifier library (which third
parties run without the service) and the signing library need "now" too; the service re-exports it
as :mod:`credential_service.platform.clock`. Code takes a :class:`Clock` (or an explicit moment);
production uses :class:`SystemClock`; tests build the container with a :class:`FixedClock` and set
the moment they need, so the suite passes whatever today's date is.

"Today" is the calendar date in Vietnam (UTC+7, no daylight saving): deadlines such as the 5-day
rule for diplomas count Vietnamese days, whatever the server's own time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

VN_TZ = timezone(timedelta(hours=7), "ICT")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...

    def today(self) -> date:
        """Today's date in Vietnam."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return vn_date(self.now())


class FixedClock:
    """A clock that stands still until told to move (tests, replays, benchmarks)."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def now(self) -> datetime:
        return self._at

    def today(self) -> date:
        return vn_date(self._at)


def vn_date(moment: datetime) -> date:
    """The calendar date in Vietnam of a moment (what a decision, a deadline or an issue date means)."""
    return as_utc(moment).astimezone(VN_TZ).date()


def as_utc(moment: datetime) -> datetime:
    """A datetime read back from a database as timezone-aware UTC (SQLite returns naive values)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
