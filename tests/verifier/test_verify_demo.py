"""Our own transcripts from `sogoc demo`: PASSED with the dev root, INDETERMINATE without, FAILED when
tampered with (a byte flipped inside the signed range; page content changed in a later incremental
update). The demo runs once per module, as a subprocess with the venv's ``sogoc``.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from verifier.pdf import VerificationPolicy, verify_pdf

REPO = Path(__file__).resolve().parents[2]
ROOT_CERT = REPO / "keys" / "dev" / "out" / "root.cert.pem"
BIN = Path(sys.executable).parent
FIELDS = ["GVCN", "HieuTruong", "DauTruong"]
BOUND_S = 3.0

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _quiet_pyhanko() -> None:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def demo_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    sogoc = BIN / "sogoc"
    if not sogoc.exists():
        pytest.skip(f"{sogoc} not installed (pip install -e .)")
    proc = subprocess.run(
        [str(sogoc), "demo", "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=out, check=False
    )
    assert proc.returncode == 0, f"sogoc demo failed:\n{proc.stdout}\n{proc.stderr}"
    files = sorted(out.glob("hocba-10A1-*.pdf"))
    assert files
    return files[0]


@pytest.fixture(scope="module")
def root() -> object:
    from pyhanko.keys import load_cert_from_pemder

    return load_cert_from_pemder(str(ROOT_CERT))


def _verify(data: bytes, trust: list[object], **kw: object) -> object:
    started = time.perf_counter()
    report = verify_pdf(data, trust=trust, **kw)  # type: ignore[arg-type]
    assert time.perf_counter() - started < BOUND_S
    return report


def test_demo_transcript_passes_with_the_dev_root(demo_pdf: Path, root: object) -> None:
    report = verify_pdf(demo_pdf.read_bytes(), trust=[root])  # type: ignore[list-item]
    d = report.to_dict()
    assert (d["indication"], d["sub_indication"]) == ("PASSED", None), d
    assert report.exit_code == 0
    assert [s["field"] for s in d["signatures"]] == FIELDS
    for s in d["signatures"]:
        assert s["intact"] and s["trusted"] and s["indication"] == "PASSED", s
        assert s["signer"]
    gvcn, principal, seal = d["signatures"]
    assert gvcn["docmdp"] == "FILL_FORMS"
    assert [s["coverage"] for s in d["signatures"]] == ["ENTIRE_REVISION", "ENTIRE_REVISION", "ENTIRE_FILE"]
    assert [s["modification"] for s in d["signatures"]] == ["FORM_FILLING", "FORM_FILLING", "NONE"]
    # the seal carries an RFC 3161 timestamp and the DSS: PAdES B-LT; the earlier ones are B-B,
    # validated at the seal's timestamp (their proof of existence) with the embedded revocation data
    assert seal["timestamp"] and seal["timestamp_trusted"] and seal["signing_time_source"] == "timestamp"
    assert seal["pades_level"] == "B-LT"
    assert gvcn["pades_level"] == principal["pades_level"] == "B-B"
    assert gvcn["validation_time"] == seal["timestamp"]
    assert d["pades_level"] == "B-B"
    assert d["warnings"] == []
    assert d["message"]["vi"] and d["message"]["en"]


def test_demo_transcript_is_indeterminate_without_a_trust_root(demo_pdf: Path) -> None:
    report = verify_pdf(demo_pdf.read_bytes(), trust=[])
    assert report.indication == "INDETERMINATE"
    assert report.sub_indication == "NO_CERTIFICATE_CHAIN_FOUND"
    assert report.exit_code == 2
    assert all(s.intact and s.valid and not s.trusted for s in report.signatures)


def test_validation_at_an_explicit_time(demo_pdf: Path, root: object) -> None:
    seal_time = verify_pdf(demo_pdf.read_bytes(), trust=[root]).signatures[2].timestamp  # type: ignore[list-item]
    assert seal_time is not None
    at = datetime.fromisoformat(seal_time.replace("Z", "+00:00"))
    report = verify_pdf(demo_pdf.read_bytes(), trust=[root], at=at)  # type: ignore[list-item]
    assert report.indication == "PASSED", report.to_dict()
    before_ca = datetime(2001, 1, 1)
    report = verify_pdf(demo_pdf.read_bytes(), trust=[root], at=before_ca)  # type: ignore[list-item]
    assert report.indication == "INDETERMINATE", report.to_dict()


def test_one_flipped_byte_inside_the_signed_range_fails(demo_pdf: Path, root: object) -> None:
    data = bytearray(demo_pdf.read_bytes())
    i = data.index(b"ReportLab Generated PDF document")  # a header comment: structure stays readable
    data[i] ^= 0x01
    report = verify_pdf(bytes(data), trust=[root])  # type: ignore[list-item]
    assert report.indication == "FAILED"
    assert report.sub_indication == "HASH_FAILURE"
    assert all(not s.intact and s.indication == "FAILED" for s in report.signatures)
    assert report.exit_code == 1


def test_a_flipped_byte_in_the_page_stream_fails_too(demo_pdf: Path, root: object) -> None:
    data = bytearray(demo_pdf.read_bytes())
    i = data.index(b"stream\n", data.index(b"/Filter")) + len(b"stream\n") + 10
    data[i] ^= 0xFF
    report = verify_pdf(bytes(data), trust=[root])  # type: ignore[list-item]
    assert report.indication == "FAILED"


def _append_page_content(data: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(data))
    page_ref = w.root["/Pages"].raw_get("/Kids")[0]
    page = page_ref.get_object()
    overlay = generic.StreamObject(
        stream_data=b"q 1 1 1 rg 60 500 300 40 re f 0 g BT /F1+0 14 Tf 70 510 Td (10.0) Tj ET Q"
    )
    new_ref = w.add_object(overlay)
    old = page.raw_get("/Contents")
    page["/Contents"] = generic.ArrayObject([*(old if isinstance(old, generic.ArrayObject) else [old]), new_ref])
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_page_content_changed_after_the_seal_fails(demo_pdf: Path, root: object) -> None:
    tampered = _append_page_content(demo_pdf.read_bytes())
    report = verify_pdf(tampered, trust=[root])  # type: ignore[list-item]
    d = report.to_dict()
    assert (d["indication"], d["sub_indication"]) == ("FAILED", "FORMAT_FAILURE"), d
    seal = d["signatures"][2]
    assert seal["intact"] and seal["coverage"] == "ENTIRE_REVISION"
    assert seal["modification"] == "OTHER" and seal["indication"] == "FAILED"
    assert report.exit_code == 1


def test_hard_fail_revocation_without_embedded_data_is_not_passed(demo_pdf: Path, root: object) -> None:
    """The first two signatures rely on the seal's DSS; validated now with a far-future time they are not PASSED."""
    report = verify_pdf(
        demo_pdf.read_bytes(),
        trust=[root],  # type: ignore[list-item]
        at=datetime(2099, 1, 1),
        policy=VerificationPolicy(allow_fetching=False),
    )
    assert report.indication != "PASSED"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The third parties' verifier (`sogoc-verify`): signatures only, no register at hand."""
    assert args[0] == "verify"
    exe = BIN / "sogoc-verify"
    return subprocess.run([str(exe), *args[1:]], capture_output=True, text=True, timeout=60, check=False)


def _trust_list(demo_pdf: Path) -> str:
    """The issuer's signed trust list that `sogoc demo` writes beside its PDFs (the third party's pin)."""
    return str(demo_pdf.parent / "sogoc-trust-list.txt")


def test_cli_exit_0_with_the_dev_root_and_2_without(demo_pdf: Path) -> None:
    ok = _cli(
        "verify", str(demo_pdf), "--offline", "--trust-root", str(ROOT_CERT), "--trust-list", _trust_list(demo_pdf)
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    vi, en = ok.stdout.split("\n\n", 1)
    assert "HỢP LỆ" in vi and "Result: PASSED" in en
    assert "Traceback" not in ok.stderr
    untrusted = _cli("verify", str(demo_pdf), "--offline")
    assert untrusted.returncode == 2, untrusted.stdout + untrusted.stderr
    assert "--trust-root" in untrusted.stdout  # the hint


def test_cli_json_report_has_the_required_keys(demo_pdf: Path) -> None:
    proc = _cli(
        "verify",
        str(demo_pdf),
        "--offline",
        "--json",
        "--trust-root",
        str(ROOT_CERT),
        "--trust-list",
        _trust_list(demo_pdf),
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert {"indication", "sub_indication", "signatures", "warnings"} <= d.keys()
    for s in d["signatures"]:
        assert {
            "field",
            "signer",
            "intact",
            "trusted",
            "coverage",
            "modification",
            "signing_time",
            "timestamp",
            "indication",
            "sub_indication",
            "docmdp",
            "pades_level",
        } <= s.keys()


def test_cli_tampered_file_exits_1(demo_pdf: Path, tmp_path: Path) -> None:
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(_append_page_content(demo_pdf.read_bytes()))
    proc = _cli("verify", str(bad), "--offline", "--trust-root", str(ROOT_CERT))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "KHÔNG HỢP LỆ" in proc.stdout and "FAILED" in proc.stdout


def test_the_tour_sogoc_verify_reads_the_bundle_beside_the_pdf_and_is_passed(demo_pdf: Path) -> None:
    proc = _cli(
        "verify", str(demo_pdf), "--trust-root", str(ROOT_CERT), "--trust-list", _trust_list(demo_pdf), "--json"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    d = json.loads(proc.stdout)
    assert d["indication"] == "PASSED" and d["ledger"]["indication"] == "PASSED"
    assert d["ledger"]["source"] == "bundle" and d["ledger"]["location"].endswith(".sogoc-bundle.json")
    assert d["ledger"]["status_signed"] and d["ledger"]["status_as_of"] and d["ledger"]["checked_at"]
    human = _cli("verify", str(demo_pdf), "--trust-root", str(ROOT_CERT), "--trust-list", _trust_list(demo_pdf))
    assert human.returncode == 0 and "Result: PASSED" in human.stdout
    assert "source: verification bundle" in human.stdout and "nguồn: gói xác minh" in human.stdout


def test_the_tour_tampered_copy_with_the_genuine_bundle_is_failed(demo_pdf: Path, tmp_path: Path) -> None:
    bad = tmp_path / demo_pdf.name
    bad.write_bytes(_append_page_content(demo_pdf.read_bytes()))
    beside = demo_pdf.with_name(demo_pdf.stem + ".sogoc-bundle.json")
    (tmp_path / beside.name).write_bytes(beside.read_bytes())
    proc = _cli("verify", str(bad), "--trust-root", str(ROOT_CERT), "--trust-list", _trust_list(demo_pdf), "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["indication"] == "FAILED"


def test_the_tour_without_a_bundle_offline_is_indeterminate_never_not_in_ledger(demo_pdf: Path, tmp_path: Path) -> None:
    alone = tmp_path / "alone.pdf"
    alone.write_bytes(demo_pdf.read_bytes())
    args = ("--trust-root", str(ROOT_CERT), "--trust-list", _trust_list(demo_pdf), "--json")
    proc = _cli("verify", str(alone), "--offline", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    d = json.loads(proc.stdout)
    assert (d["indication"], d["sub_indication"]) == ("INDETERMINATE", "LEDGER_UNREACHABLE")
    assert "--bundle" in d["ledger"]["message"]["en"]
    no_list = _cli("verify", str(alone), "--offline", "--trust-root", str(ROOT_CERT), "--json")
    assert json.loads(no_list.stdout)["sub_indication"] == "NO_TRUST_LIST"


def test_sogoc_verify_runs_without_pyhankos_signers_and_gives_the_same_verdicts(demo_pdf: Path, root: object) -> None:
    # verifier/light_imports.py: a verify-only process skips pyhanko.sign's __init__ (signers, aiohttp).
    code = (
        "import sys; from verifier.cli import main; rc = main(sys.argv[1:]); "
        "print('SIGNERS', 'pyhanko.sign.signers' in sys.modules, 'aiohttp' in sys.modules, file=sys.stderr); "
        "raise SystemExit(rc)"
    )
    args = [str(demo_pdf), "--offline", "--json", "--trust-root", str(ROOT_CERT), "--trust-list", _trust_list(demo_pdf)]
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SIGNERS False False" in proc.stderr
    light = json.loads(proc.stdout)
    full = verify_pdf(demo_pdf.read_bytes(), trust=[root])  # type: ignore[list-item]
    assert [(s["field"], s["indication"]) for s in light["signatures"]] == [
        (s.field, s.indication) for s in full.signatures
    ]
