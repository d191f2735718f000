"""`sogoc receipt verify` on real answers of the employer API: one code, and a batch whose every receipt
is checked, the failing ones named by their index (it used to end in ``KeyError: 'receipt'``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from holders_fixtures import PASSWORD, Holders

from credential_service.app.cli import main
from credential_service.app.factory import create_app


@pytest.fixture(scope="module")
def answers(holders_env: Holders, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A batch answer (ok, not_found, ok), a single answer and the key list, saved as files."""
    c = TestClient(create_app(holders_env.container))
    tax = str(uuid.uuid4().int)[:10]
    r = c.post("/api/v1/employer/organisations", json={"name": "Công ty Biên Nhận", "tax_code": tax,
                                                        "contact_email": "hr@example.vn"})  # fmt: skip
    assert r.status_code == 201, r.text
    key = r.json()["api_key"]
    r = c.post("/api/v1/holder/session", json={"username": "holder.a", "password": PASSWORD})
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf_token"]
    codes = []
    for _ in range(3):
        body = {"credential_ids": [holders_env.transcripts[0]], "scope": "diploma_fields",
                "purpose": "Tuyển dụng", "recipient_tax_code": tax}  # fmt: skip
        g = c.post("/api/v1/holder/grants", json=body, headers={"X-CSRF-Token": csrf})
        assert g.status_code == 201, g.text
        codes.append(g.json()["code"])
    auth = {"Authorization": f"Bearer {key}"}
    batch = c.post("/api/v1/employer/verify/batch", json={"codes": [codes[0], "QQQQQ-QQQQQ", codes[1]]}, headers=auth)
    assert batch.status_code == 200, batch.text
    assert [x["result"] for x in batch.json()["results"]] == ["ok", "not_found", "ok"]
    single = c.post("/api/v1/employer/verify", json={"code": codes[2]}, headers=auth)
    assert single.status_code == 200, single.text
    d = tmp_path_factory.mktemp("receipts")
    out = {"batch": d / "batch.json", "single": d / "single.json", "keys": d / "keys.json"}
    out["batch"].write_text(batch.text, encoding="utf-8")
    out["single"].write_text(single.text, encoding="utf-8")
    out["keys"].write_text(c.get("/.well-known/sogoc-receipt-keys.json").text, encoding="utf-8")
    return out


def _run(answers: dict[str, Path], file: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["receipt", "verify", str(file), "--keys", str(answers["keys"])])
    return code, capsys.readouterr().out


def _tampered(answers: dict[str, Path], tmp_path: Path, change: Any) -> Path:
    doc = json.loads(answers["batch"].read_text(encoding="utf-8"))
    change(doc["results"])
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_batch_answer_has_every_receipt_checked(answers: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(answers, answers["batch"], capsys)
    assert code == 0, out
    assert "✓ #0 Biên nhận hợp lệ / receipt valid" in out and "✓ #2 Biên nhận hợp lệ / receipt valid" in out
    assert "#1" not in out  # the unknown code has no receipt: counted, not checked
    assert "2/2 biên nhận hợp lệ; 1 mã không có biên nhận" in out and "2 of 2 receipts valid" in out


def test_a_forged_receipt_in_a_batch_is_named_and_fails(
    answers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def forge(results: list[dict[str, Any]]) -> None:
        h, p, s = results[2]["receipt"].split(".")
        results[2]["receipt"] = f"{h}.{p}.{('B' if s[0] == 'A' else 'A') + s[1:]}"

    code, out = _run(answers, _tampered(answers, tmp_path, forge), capsys)
    assert code == 1
    assert "✓ #0" in out and "✗ #2 KHÔNG HỢP LỆ / INVALID (receipt_signature)" in out
    assert "1/2 biên nhận hợp lệ" in out and "Biên nhận không hợp lệ / failing receipts: #2" in out


def test_data_changed_beside_a_genuine_receipt_fails(
    answers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(results: list[dict[str, Any]]) -> None:
        results[0]["credentials"][0]["data"]["holder_name"] = "Người Khác"
        del results[2]["receipt"]

    code, out = _run(answers, _tampered(answers, tmp_path, edit), capsys)
    assert code == 1
    assert "✗ #0 KHÔNG HỢP LỆ / INVALID (receipt_data_mismatch)" in out
    assert "✗ #2 KHÔNG HỢP LỆ / INVALID (receipt_missing)" in out
    assert "failing receipts: #0, #2" in out


def test_a_batch_without_any_receipt_fails(
    answers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(answers, _tampered(answers, tmp_path, lambda rs: rs.__delitem__(slice(None))), capsys)
    assert code == 1 and "KHÔNG CÓ BIÊN NHẬN" in out and "NO RECEIPT" in out


def test_a_single_answer_and_a_bare_jws_still_verify(
    answers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(answers, answers["single"], capsys)
    assert code == 0 and "Biên nhận hợp lệ / receipt valid" in out and "holder_name" in out
    jws = tmp_path / "receipt.jws"
    jws.write_text(json.loads(answers["single"].read_text(encoding="utf-8"))["receipt"], encoding="utf-8")
    assert _run(answers, jws, capsys)[0] == 0


def test_a_file_that_is_not_an_answer_is_an_error_not_a_traceback(
    answers: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for text in ('{"hello": 1}', "{not json"):
        bad = tmp_path / "bad.json"
        bad.write_text(text, encoding="utf-8")
        assert main(["receipt", "verify", str(bad), "--keys", str(answers["keys"])]) == 2
        err = capsys.readouterr().err
        assert err.startswith("Lỗi: ") and "\nError: " in err


def test_the_installed_command_checks_a_batch(answers: dict[str, Path], tmp_path: Path) -> None:
    forged = _tampered(answers, tmp_path, lambda rs: rs[0].update(receipt_id="khac"))
    sogoc = Path(sys.executable).with_name("sogoc")
    p = subprocess.run(
        [str(sogoc), "receipt", "verify", str(forged), "--keys", str(answers["keys"])],
        capture_output=True, text=True, timeout=120, env=os.environ | {"PYTHONWARNINGS": "ignore"},
    )  # fmt: skip
    assert p.returncode == 1, p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    assert "✗ #0 KHÔNG HỢP LỆ / INVALID (receipt_id_mismatch)" in p.stdout and "✓ #2" in p.stdout
