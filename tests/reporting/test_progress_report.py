"""The periodic report to the city (issue #16, item 4): the workbook has the dashboard's numbers, and the PDF is
sealed by the Sở's own seal (PAdES), recorded in the ledger, and verifies with the project's verifier,
`sogoc verify` and poppler's `pdfsig`."""

from __future__ import annotations

import base64
import hashlib
import io
import shutil
import subprocess
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import pytest
from asn1crypto import pem, x509
from fastapi.testclient import TestClient
from progress_fixtures import OTHER_COMMUNE, SO_NAME, add_school, set_personal_ids
from staff_login import sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.cli import main as sogoc
from credential_service.app.demo import seed_demo
from credential_service.app.factory import create_app
from credential_service.documents.so_seal import so_seal_in_force
from credential_service.platform.errors import InvalidInput, NotFound
from credential_service.platform.settings import Settings
from credential_service.reporting.report_rules import ALL_TABLES, SHEET_TITLES, parse_month
from credential_service.reporting.report_xlsx import read_tables, write_workbook
from credential_service.reporting.rules import TABLES, Filters
from credential_service.reporting.suppression import MARK
from verifier.pdf import verify_pdf

ROOT = Path(__file__).resolve().parents[2] / "keys" / "dev" / "out" / "root.cert.pem"
MONTH = "2026-05"  # the demo school year 2025-2026


def _roots() -> list[x509.Certificate]:
    return [x509.Certificate.load(der) for _, _, der in pem.unarmor(ROOT.read_bytes(), multiple=True)]


# -- pure: the month --------------------------------------------------------------------------------
def test_the_month_is_parsed_and_gives_its_school_year() -> None:
    today = date(2026, 12, 3)
    assert parse_month("2026-11", today).school_year == "2026-2027"
    assert parse_month("2026-05", today).school_year == "2025-2026"
    assert parse_month(None, today).key == "2026-12"
    for bad in ("2026-13", "26-11", "2026/11", "2027-01", "1999-12"):
        with pytest.raises(InvalidInput):
            parse_month(bad, today)
    assert tuple(SHEET_TITLES) == ALL_TABLES and ALL_TABLES[: len(TABLES)] == TABLES


# -- the workbook (no signing) ----------------------------------------------------------------------
def _expected(table: list[dict[str, object]]) -> list[dict[str, object]]:
    """A JSON table as the workbook holds it: suppressed cells "<5", lists joined, no bookkeeping list."""
    out = []
    for row in table:
        hidden = row.get("suppressed") or []
        cells = {}
        for k, v in row.items():
            if k == "suppressed":
                continue
            cells[k] = MARK if k in hidden else " ".join(map(str, v)) if isinstance(v, list) else v
        out.append(cells)
    return out


def test_the_workbook_has_one_sheet_per_table_with_the_jsons_numbers_and_small_cells_suppressed(
    container: Container,
) -> None:
    other = add_school(container, "THCS-NHO", OTHER_COMMUNE, n=6)
    set_personal_ids(container, other, [None, None, None])  # 3 without an ID number: a small cell
    period = parse_month(MONTH, container.clock.today())
    data = container.reporting.progress(Filters(None, None, period.school_year), None)
    xlsx = write_workbook(data, period, made_at="2026-05-31T10:00:00+07:00")
    back = read_tables(xlsx)
    for name in TABLES:
        assert back[name] == _expected(data["tables"][name]), name
    small = next(r for r in back["schools"] if r["code"] == "THCS-NHO")
    assert small["no_personal_id"] == MARK and small["students"] == 6
    assert back["city"][0]["students"] == 87 + 6


def test_without_a_so_seal_no_report_is_signed(container: Container) -> None:
    """The school's seal never stands in for the Sở's (it is held at a school)."""
    with pytest.raises(NotFound) as e:
        container.city_reports.make(MONTH)
    assert e.value.message.vi.startswith("Sở chưa có dấu")
    with pytest.raises(NotFound):
        so_seal_in_force(container.any_documents, container.clock.today())


# -- signed: these use the dev PKI (TSA, OCSP) ------------------------------------------------------
def _pdfsig(pdf: Path) -> str:
    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    run = subprocess.run(
        ["pdfsig", "-nocert", str(pdf)], capture_output=True, text=True, timeout=60, check=False
    )  # fmt: skip
    return run.stdout + run.stderr


def test_the_monthly_report_is_sealed_by_the_so_ledgered_and_verifies(signing: Container, tmp_path: Path) -> None:
    c = signing
    report = c.city_reports.make(MONTH)
    # the verifier library, against the dev root
    pdf_report = verify_pdf(report.pdf, trust=_roots())
    assert pdf_report.indication == "PASSED", pdf_report.to_dict()
    sig = pdf_report.signatures[0]
    assert sig.pades_level in ("B-LT", "B-LTA") and sig.signing_time_source == "timestamp"
    assert SO_NAME in str(pdf_report.to_dict()["signatures"][0])
    # the register and the ledger: the stored document, its inclusion proof against the signed checkpoint
    checked = c.any_documents.verify(report.pdf, c.ledger)
    assert checked["indication"] == "PASSED", checked["checks"]
    row = c.any_documents.revision_row(report.document["document_id"])
    assert (row.kind, row.school_id, row.ledger_seq) == ("progress-report", None, report.document["ledger_seq"])
    assert report.document["signer"] == SO_NAME
    # the workbook: the same numbers as the JSON of the month's school year, and its hash is in the sealed PDF
    data = c.reporting.progress(Filters(None, None, "2025-2026"), None)
    back = read_tables(report.xlsx)
    assert all(back[t] == _expected(data["tables"][t]) for t in TABLES)
    assert back["city"][0]["students"] == 87
    pdf_path = tmp_path / "report.pdf"
    pdf_path.write_bytes(report.pdf)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
        assert hashlib.sha256(report.xlsx).hexdigest() in text.replace("\n", "")
        flat = " ".join(text.split())
        for section in ("signers", "certificates", "traffic", "registers", "reconciliation", "trend"):
            title = SHEET_TITLES[section]  # every section of the dashboard is in the sealed report too
            assert f"{title.vi} / {title.en}" in flat, section
    # poppler's pdfsig: one signature, valid, covering the whole file
    out = _pdfsig(pdf_path)
    assert "Signature is Valid" in out, out
    assert "Total document signed" in out, out


def test_sogoc_progress_report_writes_both_files_and_sogoc_verify_passes(tmp_path: Path) -> None:
    """On a demo database with no Sở seal yet: ``--dev-so-seal`` gives it one from the dev CA."""
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path}/cli.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    seed_demo(c.transcripts, import_results=True)
    c.db.dispose()
    out = tmp_path / "bao-cao"
    args = ["--database-url", url, "progress", "report", "--month", MONTH, "--out", str(out), "--dev-so-seal"]
    assert sogoc(args) == 0
    pdf, xlsx = out / f"bao-cao-tien-do-{MONTH}.pdf", out / f"bao-cao-tien-do-{MONTH}.xlsx"
    assert read_tables(xlsx.read_bytes())["city"][0]["students"] == 87
    printed = io.StringIO()
    with redirect_stdout(printed):
        rc = sogoc(["--database-url", url, "verify", str(pdf), "--trust-root", str(ROOT)])
    assert rc == 0 and "PASSED" in printed.getvalue(), printed.getvalue()


def test_the_report_api_is_for_the_so_that_manages(signing: Container) -> None:
    with TestClient(create_app(signing)) as client:
        r = client.post("/api/v1/progress/reports", json={"month": MONTH})
        assert r.status_code == 401
        sign_in(client, "principal")
        r = client.post("/api/v1/progress/reports", json={"month": MONTH})
        assert r.status_code == 403 and r.json()["policy"] == "progress.report"
        sign_in(client, "so-clerk")
        r = client.post("/api/v1/progress/reports", json={"month": "2026-13"})
        assert r.status_code == 422
        r = client.post("/api/v1/progress/reports", json={"month": MONTH})
        assert r.status_code == 200, r.text
        body = r.json()
    pdf = base64.b64decode(body["files"]["pdf"]["base64"])
    assert hashlib.sha256(pdf).hexdigest() == body["files"]["pdf"]["sha256"]
    assert verify_pdf(pdf, trust=_roots()).indication == "PASSED"
    assert read_tables(base64.b64decode(body["files"]["xlsx"]["base64"]))["city"][0]["students"] == 87
    audit = signing.signers.audit_trail(document_id=body["document"]["document_id"])
    assert [(a["outcome"], a["document_kind"]) for a in audit] == [("signed", "progress-report")]
