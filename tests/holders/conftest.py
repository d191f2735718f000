"""Fixtures for the holder and employer tests (helpers live in holders_fixtures.py)."""

from __future__ import annotations

from holders_fixtures import holders_env, issued_only
from released_fixtures import holder_with_diploma

__all__ = ["holder_with_diploma", "holders_env", "issued_only"]
