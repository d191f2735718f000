"""Fixtures for the holder and employer tests (helpers live in holders_fixtures.py)."""

from __future__ import annotations

from holders_fixtures import holders_env, issued_only

__all__ = ["holders_env", "issued_only"]
