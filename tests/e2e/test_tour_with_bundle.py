"""The README tour on another machine: `sogoc demo --out out/` then `sogoc verify out/FILE.pdf` is PASSED from
the verification bundle beside the PDF (not from a local database); a bundle whose proof does not match its
checkpoint, or whose checkpoint is not signed by the pinned log key, is FAILED; no bundle and a register that
does not know the credential is INDETERMINATE (the issuer was not asked), never NOT_IN_LEDGER."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from verifier.note import Ed25519Signer, parse_note, sign_note

SOGOC = str(Path(sys.executable).with_name("sogoc"))


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding out/ (the demo's PDFs and bundles); the verifier's machine has its own empty register."""
    root = tmp_path_factory.mktemp("tour")
    proc = subprocess.run([SOGOC, "demo", "--out", str(root / "out")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return root


def _verify(tour: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"SOGOC_DATABASE_URL": f"sqlite:///{tour / 'elsewhere.db'}"}  # not the issuer's register
    return subprocess.run([SOGOC, "verify", *args], capture_output=True, text=True, timeout=120, cwd=tour, env=env)


def _first(tour: Path) -> Path:
    return sorted((tour / "out").glob("*.pdf"))[0]


def _bundle_path(pdf: Path) -> Path:
    return pdf.with_name(pdf.stem + ".sogoc-bundle.json")


def _bundle(pdf: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(_bundle_path(pdf).read_text(encoding="utf-8"))
    return doc


def test_the_readme_tour_is_passed_from_the_bundle_beside_the_pdf(tour: Path) -> None:
    pdf = _first(tour).relative_to(tour)
    human = _verify(tour, str(pdf))
    assert human.returncode == 0, human.stdout + human.stderr
    assert "Kết quả / result: PASSED" in human.stdout and "Nguồn sổ cái / ledger source: gói xác minh" in human.stdout
    proc = _verify(tour, str(pdf), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["indication"] == "PASSED"
    assert {c["name"]: c["indication"] for c in report["checks"]}["ledger"] == "PASSED"
    source = report["ledger_source"]
    assert source["source"] == "bundle" and source["path"].endswith(".sogoc-bundle.json")
    assert source["checked_at"] and source["status_as_of"]
    assert report["credential"]["ledger"]["included"] and report["credential"]["ledger"]["checkpoint_size"] >= 45
    assert report["identical_to_issued"] is True


def _with_bundle(tour: Path, tmp_path: Path, doc: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    pdf = tmp_path / "hocba.pdf"
    shutil.copy(_first(tour), pdf)
    bundle = tmp_path / "evidence.json"
    bundle.write_text(json.dumps(doc), encoding="utf-8")
    return _verify(tour, str(pdf), "--bundle", str(bundle), "--json")


def test_a_proof_that_does_not_match_the_checkpoint_is_failed(tour: Path, tmp_path: Path) -> None:
    doc = _bundle(_first(tour))
    hashes = doc["ledger"]["inclusion_proof"]["hashes"]
    hashes[0] = ("00" if hashes[0][:2] != "00" else "11") + hashes[0][2:]
    proc = _with_bundle(tour, tmp_path, doc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert (report["indication"], report["sub_indication"]) == ("FAILED", "NOT_IN_LEDGER")
    ledger = next(c for c in report["checks"] if c["name"] == "ledger")
    assert ledger["indication"] == "FAILED" and "inclusion proof" in ledger["detail"]


def test_a_checkpoint_not_signed_by_the_pinned_log_key_is_failed(tour: Path, tmp_path: Path) -> None:
    doc = _bundle(_first(tour))
    note = parse_note(doc["ledger"]["checkpoint"])
    impostor = Ed25519Signer(note.signatures[0].name, os.urandom(32))  # the log's name, another key
    doc["ledger"]["checkpoint"] = sign_note(note.text, impostor)
    proc = _with_bundle(tour, tmp_path, doc)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert (report["indication"], report["sub_indication"]) == ("FAILED", "NOT_IN_LEDGER")
    assert "pinned log key" in next(c for c in report["checks"] if c["name"] == "ledger")["detail"]


def test_with_no_bundle_and_an_unknowing_register_the_answer_is_indeterminate(tour: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "alone.pdf"
    shutil.copy(_first(tour), pdf)
    proc = _verify(tour, str(pdf), "--json")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert (report["indication"], report["sub_indication"]) == ("INDETERMINATE", "LEDGER_UNREACHABLE")
    assert "--bundle" in report["message"]["en"]


def test_sogoc_bundle_writes_the_same_evidence_for_a_credential(tour: Path, tmp_path: Path) -> None:
    pdf = _first(tour)
    cid = _bundle(pdf)["credential_id"]
    out = tmp_path / "b.json"
    db = f"sqlite:///{tour / 'out' / 'sogoc-demo.db'}"
    proc = subprocess.run(
        [SOGOC, "--database-url", db, "bundle", cid, "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "sogoc-verification-bundle/2" and doc["credential_id"] == cid
    assert doc["ledger"] == _bundle(pdf)["ledger"]
    shutil.copy(pdf, tmp_path / "x.pdf")
    assert _verify(tour, str(tmp_path / "x.pdf"), "--bundle", str(out)).returncode == 0


def test_a_tampered_copy_with_the_genuine_bundle_is_failed(tour: Path, tmp_path: Path) -> None:
    data = bytearray(_first(tour).read_bytes())
    i = data.index(b"/Type /Page") if b"/Type /Page" in data else len(data) // 3
    data[i + 1] ^= 0x01
    pdf = tmp_path / "tampered.pdf"
    pdf.write_bytes(bytes(data))
    shutil.copy(_bundle_path(_first(tour)), tmp_path / "tampered.sogoc-bundle.json")  # picked up beside it
    proc = _verify(tour, str(pdf), "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["indication"] == "FAILED"
