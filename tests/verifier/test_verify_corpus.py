"""The third-party attack corpus: every file gets the verdict its legend in expected.json demands.

The corpus is read in place from ``../shared/corpora/pdf-signatures/`` (relative to the project root)
and is never copied into the project; the tests skip when it is absent. No trust root is given, so a
sound third-party signature can at best be INDETERMINATE (untrusted signer).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from verifier.pdf import verify_pdf

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "pdf-signatures"
EXPECTED_FILE = CORPUS / "expected.json"
TIME_BOUND_S = 3.0


def _expected() -> dict[str, str]:
    if not EXPECTED_FILE.is_file():
        return {}
    data = json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
    expected: dict[str, str] = data["expected"]
    return expected


EXPECTED = _expected()
pytestmark = pytest.mark.skipif(not EXPECTED, reason=f"corpus not found at {CORPUS}")


@pytest.fixture(autouse=True)
def _quiet_pyhanko() -> None:
    # pyHanko logs expected path-building failures with full tracebacks.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=lambda n: n.split("/")[-1][:80])
def test_corpus_file_gets_its_expected_verdict(name: str) -> None:
    outcome = EXPECTED[name]
    data = (CORPUS / name).read_bytes()
    started = time.perf_counter()
    report = verify_pdf(data, trust=[])
    elapsed = time.perf_counter() - started
    # a safety bound against hangs, not a performance target
    assert elapsed < TIME_BOUND_S, f"{name} took {elapsed:.2f} s"
    d = report.to_dict()
    summary = (
        d["indication"],
        d["sub_indication"],
        [(s["field"], s["indication"], s["detail"]) for s in d["signatures"]],
    )
    if outcome == "unsigned":
        assert report.document == "unsigned", summary
        assert report.exit_code == 3
        assert report.signatures == []
    elif outcome == "intact":
        assert report.document == "signed", summary
        assert report.indication != "FAILED", summary
        # untrusted demo / test certificates: never a clean PASSED without a trust root
        assert report.indication == "INDETERMINATE", summary
        assert all(s.intact and s.valid for s in report.signatures), summary
        assert report.exit_code == 2
    elif outcome == "reject":
        assert report.document == "signed", summary
        assert report.indication == "FAILED", summary
        assert report.sub_indication in {"FORMAT_FAILURE", "HASH_FAILURE", "SIG_CRYPTO_FAILURE"}, summary
        assert report.exit_code == 1
    elif outcome == "not_clean":
        assert report.indication != "PASSED" or report.all_warnings(), summary
    elif outcome == "terminates":
        assert report.document in {"signed", "unsigned", "not_pdf"}
    else:  # pragma: no cover - a new legend entry needs a rule here
        pytest.fail(f"unknown outcome {outcome!r} for {name}")


def test_stage_four_shadow_attacks_fail_on_the_modification_or_the_structure() -> None:
    """Stage 4 (signed, then manipulated) never passes as merely untrusted."""
    stage4 = [n for n in EXPECTED if n.startswith("rub-shadow/") and "_4_" in n]
    assert len(stage4) == 8
    for name in stage4:
        report = verify_pdf((CORPUS / name).read_bytes(), trust=[])
        assert report.indication == "FAILED", name
        assert report.sub_indication == "FORMAT_FAILURE", (name, report.sub_indication)


def test_incremental_edit_breaks_the_second_signature_only() -> None:
    name = "dss/hello_signed_INCSAVE_signed_EDITED.pdf"
    if name not in EXPECTED:
        pytest.skip("file not in this corpus version")
    report = verify_pdf((CORPUS / name).read_bytes(), trust=[])
    first, second = report.signatures
    assert first.intact and first.indication == "INDETERMINATE"
    assert not second.intact and second.indication == "FAILED" and second.sub_indication == "HASH_FAILURE"
    assert report.indication == "FAILED" and report.sub_indication == "HASH_FAILURE"


def test_timestamped_files_report_the_timestamp_and_the_pades_level() -> None:
    for name, level in (
        ("dss/doc-firmado-T.pdf", "B-T"),
        ("dss/doc-firmado-LT.pdf", "B-LT"),
        ("dss/pades-bes.pdf", "B-B"),
    ):
        if name not in EXPECTED:
            continue
        report = verify_pdf((CORPUS / name).read_bytes(), trust=[])
        (sig,) = [s for s in report.signatures if s.kind == "signature"]
        assert sig.pades_level == level, (name, sig.pades_level)
        if level != "B-B":
            assert sig.timestamp is not None and sig.signing_time_source == "timestamp"
