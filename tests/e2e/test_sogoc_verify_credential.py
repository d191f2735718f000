"""`sogoc verify --json` on our own transcript also reports the register, ledger and status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SOGOC = str(Path(sys.executable).with_name("sogoc"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    proc = subprocess.run([SOGOC, "demo", "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def _verify(demo: Path, pdf: Path) -> subprocess.CompletedProcess[str]:
    db = f"sqlite:///{demo / 'sogoc-demo.db'}"
    return subprocess.run(
        [SOGOC, "--database-url", db, "verify", str(pdf), "--json"], capture_output=True, text=True, timeout=120
    )


def test_an_issued_transcript_is_passed_valid_and_included_in_the_ledger(demo: Path) -> None:
    pdf = sorted(demo.glob("*.pdf"))[0]
    proc = _verify(demo, pdf)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["indication"] == "PASSED"
    assert [s["field"] for s in report["signatures"]] == ["GVCN", "HieuTruong", "DauTruong"]
    credential = report["credential"]
    assert credential["status"] == "valid"
    assert credential["ledger"]["included"] is True
    assert credential["ledger"]["checkpoint_size"] >= 45


def test_a_byte_flipped_in_signed_content_fails_with_exit_1(demo: Path, tmp_path: Path) -> None:
    data = bytearray(sorted(demo.glob("*.pdf"))[0].read_bytes())
    i = data.index(b"/Type /Page") if b"/Type /Page" in data else len(data) // 3
    data[i + 1] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    proc = _verify(demo, bad)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["indication"] == "FAILED"
