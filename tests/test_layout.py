"""Test modules need unique names: the test folders are not packages (pytest's default import mode)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path


def test_no_two_test_modules_or_helper_modules_share_a_name() -> None:
    root = Path(__file__).parent
    names = Counter(p.name for p in root.rglob("*.py") if p.name not in ("conftest.py", "__init__.py"))
    assert [n for n, count in names.items() if count > 1] == []


# Suites that cut across the packages on purpose; every other folder is named after the package it tests.
CROSS_CUTTING_SUITES = {
    "browser": "pages in a real headless Chromium",
    "e2e": "the demo and third-party tools end to end",
    "faults": "kill -9, races, dependencies down, storage conditions",
    "fuzz": "the fuzz harnesses' regression inputs",
    "hostile": "hostile input: bombs, rate limits, the OpenAPI document under schemathesis",
}


def test_test_folders_mirror_the_packages() -> None:
    root = Path(__file__).parent
    repo = root.parent
    packages = {p.name for p in (repo / "credential_service").iterdir() if (p / "__init__.py").is_file()}
    libraries = {p.name for p in repo.iterdir() if (p / "__init__.py").is_file() and p.name != "credential_service"}
    folders = {p.name for p in root.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - packages - libraries - set(CROSS_CUTTING_SUITES) == set()


def test_no_module_outside_tests_and_migrations_is_over_500_lines() -> None:
    repo = Path(__file__).parent.parent
    sources = [
        p
        for folder in ("credential_service", "signing", "verifier", "fuzz", "benchmarks", "scripts")
        for p in (repo / folder).rglob("*.py")
    ]
    assert len(sources) > 100
    too_long = {
        str(p.relative_to(repo)): n for p in sources if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert too_long == {}
