"""`sogoc demo` output checked with tools that share no code with the service.

The demo is run once per module (a subprocess, as an operator would run it) and its PDFs are then
examined with poppler (pdfsig, pdftotext, pdfdetach, pdftoppm), zbar (zbarimg), the pyHanko CLI and
pyHanko's Python API. Each test skips when its tool is absent; in CI tests/test_environment.py makes
sure they are all installed.

Revocation: ``pyhanko sign validate`` (pyhanko-cli 0.6.0) never reads the document's DSS, it
builds its ValidationContext from the command line only and fetches CRL/OCSP from the URLs in the
certificates (hard-fail by default). So the CLI check needs the dev PKI server on 127.0.0.1:9771;
the test starts it. The Python API check instead loads the DSS that the seal revision added and
validates with fetching disabled in hard-fail mode, which proves the embedded revocation data suffices.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOT_CERT = REPO / "keys" / "dev" / "out" / "root.cert.pem"
BIN = Path(sys.executable).parent
N_STUDENTS = 45
FIELDS = ["GVCN", "HieuTruong", "DauTruong"]

pytestmark = pytest.mark.slow


def _tool(name: str) -> str:
    found = shutil.which(name) or (str(BIN / name) if (BIN / name).exists() else None)
    if found is None:
        pytest.skip(f"{name} not installed")
    return found


def _run(args: list[str | Path], *, timeout: float = 60, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, check=False, **kw)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    sogoc = BIN / "sogoc"
    if not sogoc.exists():
        pytest.skip(f"{sogoc} not installed (pip install -e .)")
    proc = _run([sogoc, "demo", "--out", out], timeout=300, cwd=out)
    assert proc.returncode == 0, f"sogoc demo failed:\n{proc.stdout}\n{proc.stderr}"
    assert f"{N_STUDENTS}" in proc.stdout, proc.stdout
    return out


@pytest.fixture(scope="module")
def pdfs(demo_dir: Path) -> list[Path]:
    files = sorted(demo_dir.glob("hocba-10A1-*.pdf"))
    assert len(files) == N_STUDENTS
    return files


@pytest.fixture(scope="module")
def sample(pdfs: list[Path]) -> list[Path]:
    """First, middle and last transcript: signed earliest and latest in each batch step."""
    return [pdfs[0], pdfs[len(pdfs) // 2], pdfs[-1]]


def _record(pdf: Path, tmp: Path) -> dict[str, object]:
    pdfdetach = _tool("pdfdetach")
    listing = _run([pdfdetach, "-list", pdf])
    assert listing.returncode == 0, listing.stderr
    assert "hocba-record.json" in listing.stdout, listing.stdout
    index = next(line.split(":", 1)[0].strip() for line in listing.stdout.splitlines() if "hocba-record.json" in line)
    out = tmp / f"{pdf.stem}.json"
    saved = _run([pdfdetach, "-save", index, "-o", out, pdf])
    assert saved.returncode == 0, saved.stderr
    record: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return record


def test_pdfsig_finds_three_valid_signatures_in_every_transcript(pdfs: list[Path]) -> None:
    pdfsig = _tool("pdfsig")
    for pdf in pdfs:
        proc = _run([pdfsig, pdf])
        # pdfsig exits non-zero when a certificate is not trusted by NSS (our dev root is not there).
        text = proc.stdout
        assert len(re.findall(r"^Signature #\d+:", text, re.M)) == 3, (pdf.name, text)
        assert text.count("Signature Validation: Signature is Valid.") == 3, (pdf.name, text)
        names = re.findall(r"Signature Field Name: (\S+)", text)
        assert names == FIELDS, (pdf.name, names)
        assert "Total document signed" in text.split("Signature #3:")[1], text


def test_pdftotext_gives_back_the_vietnamese_name_from_the_embedded_record(pdfs: list[Path], tmp_path: Path) -> None:
    pdftotext = _tool("pdftotext")
    names = []
    for pdf in pdfs:
        record = _record(pdf, tmp_path)
        student = record["student"]
        assert isinstance(student, dict)
        name = student["full_name"]
        assert isinstance(name, str) and name
        proc = _run([pdftotext, "-enc", "UTF-8", pdf, "-"])
        assert proc.returncode == 0, proc.stderr
        assert name in proc.stdout, (pdf.name, name)
        names.append(name)
    # the names really carry Vietnamese diacritics (precomposed, as in the record)
    assert sum(not n.isascii() for n in names) > N_STUDENTS // 2, names


def test_qr_on_page_one_is_the_verify_url_with_the_offline_payload(sample: list[Path], tmp_path: Path) -> None:
    pdftoppm = _tool("pdftoppm")
    zbarimg = _tool("zbarimg")
    for pdf in sample:
        record = _record(pdf, tmp_path)
        prefix = tmp_path / pdf.stem
        proc = _run([pdftoppm, "-r", "150", "-png", "-f", "1", "-l", "1", pdf, prefix])
        assert proc.returncode == 0, proc.stderr
        (png,) = tmp_path.glob(f"{pdf.stem}*.png")
        scan = _run([zbarimg, "-q", "--raw", png])
        assert scan.returncode == 0, scan.stderr
        url, _, fragment = scan.stdout.strip().partition("#")
        # the public verify page with the holder's view key (platform/view_keys.py)
        assert re.fullmatch(rf"http://127\.0\.0\.1:8000/v/{record['credential_id']}\?k=[a-z2-7]{{16}}", url), url
        assert fragment.startswith("HB1:")  # the signed offline payload, never sent to the server


@pytest.fixture(scope="module")
def dev_pki_server() -> None:
    from signing.devpki import ensure_dev_pki_server

    ensure_dev_pki_server()


def _pretty_sections(stdout: str) -> dict[str, str]:
    parts = re.split(r"^=+\nField \d+: (\S+)\n=+$", stdout, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_pyhanko_cli_judges_all_signatures_trusted_and_the_seal_timestamped(
    sample: list[Path], dev_pki_server: None
) -> None:
    """Needs the dev PKI server: `pyhanko sign validate` ignores the DSS and fetches CRL/OCSP (hard-fail)."""
    pyhanko = _tool("pyhanko")
    for pdf in sample:
        proc = _run(
            [pyhanko, "sign", "validate", "--pretty-print", "--trust", ROOT_CERT, "--trust-replace", pdf],
            cwd=pdf.parent,
        )
        assert proc.returncode == 0, f"{pdf.name}:\n{proc.stdout}\n{proc.stderr}"
        sections = _pretty_sections(proc.stdout)
        assert list(sections) == FIELDS, proc.stdout
        for field, text in sections.items():
            assert "Sổ Gốc Số DEV Root CA" in text, (field, text)
            assert "The signer's certificate is trusted." in text, (field, text)
            assert "The signature is cryptographically sound." in text, (field, text)
            assert "The signature is judged VALID." in text, (field, text)
        for field in FIELDS[:2]:
            assert "Signature timestamp token" not in sections[field]
            assert "compatible with the current document modification policy" in sections[field]
        seal = sections["DauTruong"]
        assert "Signature timestamp token:" in seal, seal
        assert "The timestamp token is cryptographically sound." in seal
        assert "The TSA certificate is trusted." in seal
        assert "The signature covers the entire file." in seal


def test_pyhanko_api_validates_offline_with_the_embedded_revocation_data(sample: list[Path]) -> None:
    """Fetching off, revocation hard-fail: only the DSS added with the seal provides CRLs/OCSP responses.

    Note: the dev OCSP responses are valid for 10 minutes (nextUpdate), so this "validate now" check
    holds right after signing; long-term validation must use the timestamp (PAdES-LT/LTA).
    """
    pytest.importorskip("pyhanko")
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    root = load_cert_from_pemder(str(ROOT_CERT))
    for pdf in sample:
        with pdf.open("rb") as fh:
            reader = PdfFileReader(fh)
            dss = DocumentSecurityStore.read_dss(reader)
            sigs = reader.embedded_signatures
            assert [s.field_name for s in sigs] == FIELDS
            statuses = []
            for sig in sigs:
                vc = dss.as_validation_context(
                    {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail"}
                )
                status = validate_pdf_signature(sig, signer_validation_context=vc)
                assert status.intact and status.valid, (pdf.name, sig.field_name, status.summary())
                assert status.trusted, (pdf.name, sig.field_name, status.summary())
                assert status.docmdp_ok, (pdf.name, sig.field_name)
                assert status.bottom_line, (pdf.name, sig.field_name, status.summary())
                statuses.append(status)
            gvcn, principal, seal = sigs
            assert gvcn.docmdp_level == MDPPerm.FILL_FORMS  # certification signature
            assert principal.docmdp_level is None and seal.docmdp_level is None  # approval signatures
            assert [s.modification_level for s in statuses] == [
                ModificationLevel.FORM_FILLING,
                ModificationLevel.FORM_FILLING,
                ModificationLevel.NONE,
            ]
            assert [s.coverage for s in statuses] == [
                SignatureCoverageLevel.ENTIRE_REVISION,
                SignatureCoverageLevel.ENTIRE_REVISION,
                SignatureCoverageLevel.ENTIRE_FILE,
            ]
            assert statuses[0].timestamp_validity is None and statuses[1].timestamp_validity is None
            ts = statuses[2].timestamp_validity
            assert ts is not None and ts.intact and ts.valid and ts.trusted
