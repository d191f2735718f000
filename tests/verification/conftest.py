"""Fixtures for the verification tests (helpers live in verification_fixtures.py)."""

from __future__ import annotations

from verification_fixtures import issued

__all__ = ["issued"]
