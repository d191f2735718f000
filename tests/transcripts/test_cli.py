"""`sogoc rules explain` run as a subprocess, as a user would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from primary_fixture import ISSUE_EXAMPLE, example

from credential_service.transcripts.routes_rules import EXAMPLE

SOGOC = Path(sys.executable).parent / "sogoc"
EXPLAIN_KEYS = ("subjects", "learning_result", "conduct", "promotion", "award", "trace")


def _sogoc(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if not SOGOC.exists():
        pytest.skip(f"{SOGOC} not installed (pip install -e .)")
    return subprocess.run(
        [str(SOGOC), *map(str, args)], capture_output=True, text=True, input=stdin, timeout=60, check=False
    )


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_rules_explain_prints_the_explained_year_as_json(tmp_path: Path) -> None:
    proc = _sogoc("rules", "explain", _write(tmp_path, "year.json", EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for key in EXPLAIN_KEYS:
        assert key in out, key
    assert set(out["subjects"]) == {"Toán", "Giáo dục thể chất"}
    assert out["trace"]
    assert "Toán" in proc.stdout  # Vietnamese printed as such, not \\u escapes


def test_rules_explain_reads_stdin_and_agrees_with_the_file_form(tmp_path: Path) -> None:
    from_file = _sogoc("rules", "explain", _write(tmp_path, "year.json", EXAMPLE))
    from_stdin = _sogoc("rules", "explain", "-", stdin=json.dumps(EXAMPLE))
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)


def test_rules_explain_accepts_a_primary_year(tmp_path: Path) -> None:
    proc = _sogoc("rules", "explain", _write(tmp_path, "primary.json", ISSUE_EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["overall"] == "Hoàn thành" and out["award"] is None
    assert out["subjects"]["Đạo đức"]["year"] == {"level": "T"}


def test_primary_decimal_test_score_exits_2_and_names_the_field(tmp_path: Path) -> None:
    year = example()
    year["subjects"]["Tiếng Việt"]["year"]["test"] = 8.5
    proc = _sogoc("rules", "explain", _write(tmp_path, "decimal.json", year))
    assert proc.returncode == 2
    assert "subjects.Tiếng Việt.year.test" in proc.stderr
    assert "không cho điểm thập phân" in proc.stderr and "no decimals" in proc.stderr


def test_malformed_json_exits_2_with_a_bilingual_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"grade": 10, "subjects": {', encoding="utf-8")
    proc = _sogoc("rules", "explain", bad)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    assert "không phải JSON hợp lệ" in proc.stderr  # Vietnamese
    assert "is not valid JSON" in proc.stderr  # English
    assert "bad.json" in proc.stderr and "line 1" in proc.stderr


def test_comma_decimal_score_exits_2_and_names_the_field(tmp_path: Path) -> None:
    year = json.loads(json.dumps(EXAMPLE))
    year["subjects"]["Toán"]["hk1"]["gk"] = "8,5"
    proc = _sogoc("rules", "explain", _write(tmp_path, "comma.json", year))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "subjects.Toán.hk1.gk" in proc.stderr
    assert "8,5 → 8.5" in proc.stderr
    assert "Dùng dấu chấm" in proc.stderr and "Use a dot" in proc.stderr


def test_input_that_is_not_an_object_exits_2(tmp_path: Path) -> None:
    proc = _sogoc("rules", "explain", _write(tmp_path, "list.json", [1, 2]))
    assert proc.returncode == 2
    assert "JSON object" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_file_exits_2_with_a_bilingual_message(tmp_path: Path) -> None:
    proc = _sogoc("rules", "explain", tmp_path / "missing.json")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "missing.json" in proc.stderr


def test_non_utf8_file_exits_2_with_a_bilingual_message(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"grade": 10, "conduct": {"hk1": "Tôt"}}'.encode("latin-1"))  # "ô" is one byte 0xF4
    proc = _sogoc("rules", "explain", path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "UTF-8" in proc.stderr
