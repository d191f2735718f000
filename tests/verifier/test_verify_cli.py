"""`sogoc verify` / `sogoc-verify` exit codes and output, without the demo (see test_verify_demo for 0)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from credential_service.app.cli import main as sogoc_main
from verifier.cli import main

REPO = Path(__file__).resolve().parents[2]
ROOT_CERT = REPO / "keys" / "dev" / "out" / "root.cert.pem"
CORPUS = REPO.parent / "shared" / "corpora" / "pdf-signatures"
BIN = Path(sys.executable).parent

UNSIGNED_PDF = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
)


def _unsigned_pdf(tmp_path: Path) -> Path:
    body = bytearray(UNSIGNED_PDF)
    off1 = body.index(b"1 0 obj")
    off2 = body.index(b"2 0 obj")
    xref = len(body)
    body += f"xref\n0 3\n0000000000 65535 f \n{off1:010d} 00000 n \n{off2:010d} 00000 n \n".encode()
    body += f"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    p = tmp_path / "unsigned.pdf"
    p.write_bytes(bytes(body))
    return p


def test_not_a_pdf_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "note.txt"
    f.write_text("xin chào", encoding="utf-8")
    assert main([str(f), "--offline"]) == 3
    out = capsys.readouterr().out
    assert "không phải PDF" in out and "not a readable PDF" in out


def test_unsigned_pdf_exits_3_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(_unsigned_pdf(tmp_path)), "--offline"]) == 3
    out = capsys.readouterr().out
    assert "không có chữ ký" in out and "no digital signature" in out


def test_unsigned_pdf_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(_unsigned_pdf(tmp_path)), "--offline", "--json"]) == 3
    d = json.loads(capsys.readouterr().out)
    assert d["document"] == "unsigned" and d["signatures"] == [] and d["sub_indication"] == "NO_SIGNATURE"


def test_missing_file_is_a_bilingual_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.pdf")]) == 2
    err = capsys.readouterr().err
    assert "Lỗi:" in err and "Error:" in err and "Traceback" not in err


def test_bad_trust_root_is_a_bilingual_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "root.pem"
    bad.write_text("not a certificate")
    assert main([str(_unsigned_pdf(tmp_path)), "--trust-root", str(bad), "--json"]) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["error"]["code"] == "trust_root_invalid" and d["error"]["vi"] and d["error"]["en"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus absent")
def test_corpus_verdicts_map_to_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    reject = (
        CORPUS / "rub-shadow/replace_variant-1_replace-via-overlay_4_original-document-shadowed-signed-manipulated.pdf"
    )
    intact = CORPUS / "dss/pades-bes.pdf"
    assert main([str(reject), "--offline", "--trust-root", str(ROOT_CERT)]) == 1
    assert main([str(intact), "--offline"]) == 2
    out = capsys.readouterr().out
    assert "KHÔNG HỢP LỆ" in out and "Result: FAILED (FORMAT_FAILURE)" in out
    assert "CHƯA XÁC ĐỊNH" in out and "Result: INDETERMINATE" in out
    assert main([str(intact), "--offline", "--json"]) == 2
    d = json.loads(capsys.readouterr().out)
    assert d["indication"] == "INDETERMINATE" and d["signatures"][0]["field"] == "Signature1"


def test_sogoc_verify_subcommand_delegates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sogoc_main(["verify", str(_unsigned_pdf(tmp_path)), "--offline", "--json"]) == 3
    assert json.loads(capsys.readouterr().out)["document"] == "unsigned"


def test_sogoc_verify_console_script(tmp_path: Path) -> None:
    exe = BIN / "sogoc-verify"
    if not exe.exists():
        pytest.skip("sogoc-verify not installed (pip install -e .)")
    proc = subprocess.run(
        [str(exe), str(_unsigned_pdf(tmp_path)), "--offline"], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr


def test_a_reader_that_stops_early_gets_no_traceback_and_the_verdicts_exit_code(tmp_path: Path) -> None:
    exe = BIN / "sogoc-verify"
    if not exe.exists():
        pytest.skip("sogoc-verify not installed (pip install -e .)")
    proc = subprocess.Popen(
        [str(exe), str(_unsigned_pdf(tmp_path)), "--offline"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # as `| head -0` does: the result's first write finds the pipe closed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 3  # unsigned, as when the whole result is read
    assert "Traceback" not in err and "BrokenPipe" not in err, err
