"""Fixtures for the ledger tests (helpers live in ledger_fixtures.py)."""

from __future__ import annotations

from ledger_fixtures import led

__all__ = ["led"]
