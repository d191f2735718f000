"""Test modules need unique names: the test folders are not packages (pytest's default import mode)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_no_two_test_modules_or_helper_modules_share_a_name() -> None:
    root = Path(__file__).parent
    names = Counter(p.name for p in root.rglob("*.py") if p.name not in ("conftest.py", "__init__.py"))
    assert [n for n, count in names.items() if count > 1] == []
