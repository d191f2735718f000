"""Every crash the fuzzers found, replayed: ``fuzz/regressions/<harness>/*`` through the same harness.

A regression input goes through the harness's ``test_one_input`` exactly as under the fuzzer (without
coverage instrumentation) and must pass within the per-input time budget. A finding that is not fixed
yet is listed in ``fuzz.common.KNOWN_FINDINGS`` and replayed as ``xfail(strict=True)``: it must still
fail, and in the same place; once it is fixed the test XPASSes, which fails the run until the entry is
removed. See ``fuzz/README.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from fuzz.common import HARNESSES, KNOWN_FINDINGS, REGRESSIONS_DIR, KnownFinding, replay, signature  # noqa: E402


class KnownFindingReproduced(Exception):
    """The input still fails as its :class:`KnownFinding` says (what an expected failure expects)."""


def _inputs() -> list[tuple[str, Path]]:
    return [
        (name, path)
        for name in HARNESSES
        for path in sorted((REGRESSIONS_DIR / name).glob("*"))
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".md"
    ]


KNOWN = {(k.harness, k.regression): k for k in KNOWN_FINDINGS}


def _param(name: str, path: Path) -> object:
    known = KNOWN.get((name, path.name))
    marks = [pytest.mark.xfail(strict=True, raises=KnownFindingReproduced, reason=known.reason)] if known else []
    return pytest.param(name, path, known, id=f"{name}/{path.name}", marks=marks)


@pytest.mark.parametrize(("harness", "path", "known"), [_param(n, p) for n, p in _inputs()])
def test_regression_input_passes_its_harness(harness: str, path: Path, known: KnownFinding | None) -> None:
    data = path.read_bytes()
    if known is None:
        replay(harness, data)
        return
    try:
        replay(harness, data)
    except Exception as e:
        if signature(e) != (known.exception, known.where):
            raise  # a different failure than the known one: a real test failure
        raise KnownFindingReproduced(f"{known.exception} in {known.where}") from e


def test_every_known_finding_has_its_regression_input() -> None:
    missing = [
        f"{k.harness}/{k.regression}"
        for k in KNOWN_FINDINGS
        if not (REGRESSIONS_DIR / k.harness / k.regression).is_file()
    ]
    assert missing == []


def test_every_harness_has_seeds() -> None:
    corpus = REGRESSIONS_DIR.parent / "corpus"
    assert [name for name in HARNESSES if not any((corpus / name).glob("*"))] == []
