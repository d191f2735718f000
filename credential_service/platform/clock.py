"""The service's clock: services take a :class:`Clock`; the container holds the one instance.

The implementation is :mod:`verifier.clock`, shared with the signing and verifier libraries, so that
there is exactly one place in the repository that reads the wall clock.
"""

from __future__ import annotations

from verifier.clock import VN_TZ, Clock, FixedClock, SystemClock, as_utc, vn_date

__all__ = ["VN_TZ", "Clock", "FixedClock", "SystemClock", "as_utc", "vn_date"]
