"""Publication (issue #15 item 6) on a migrated database with the dev PKI: the results list and an appeal's diff
are signed by the Sở's own seal (PAdES B-LT), ledgered, and verify with ``sogoc verify``, pyHanko and ``pdfsig``;
a failed publication leaves nothing behind; only the admissions officer publishes or decides an appeal."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from staff_login import add_account, sign_in

from credential_service.admissions.import_rules import ApplicantRecord
from credential_service.admissions.publication import AdmissionsPublisher
from credential_service.admissions.tables import AdmissionAppeal, AdmissionApplicant, AdmissionPublication, AdmissionRun
from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.documents.tables import SignedDocument
from credential_service.ledger import storage as ledger
from credential_service.platform.errors import Conflict, Message
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role
from verifier.pdf import verify_pdf

YEAR = "2026-2027"
SO_NAME = "Sở Giáo dục và Đào tạo Hải Phòng"
ROOT = Path(__file__).resolve().parents[2] / "keys" / "dev" / "out" / "root.cert.pem"
# The appeal case of test_publication_rules: A and B have one place each; X 24, Y 21 (→ 24 on appeal), Z 18.
RULES = """year = "2026-2027"
[rules]
subjects = { "Toán" = 1, "Ngữ văn" = 1, "Ngoại ngữ" = 1 }
priority_points = { "1" = 2.0, "2" = 1.5, "3" = 1.0 }
disqualify_at_or_below = 1.0
wish_offsets = [0.0, 1.0]
tie_break = ["Toán+Ngữ văn", "Toán"]
[rules.direct_admission_categories]
KT = "Học sinh khuyết tật"
[[schools]]
code = "THPT-A"
name = "THPT Ngô Quyền"
quota = 1
[[schools]]
code = "THPT-B"
name = "THPT Thái Phiên"
quota = 1
"""
D = Decimal


def _record(sbd: str, pin: str, score: str, *wishes: str, group: str | None = None) -> ApplicantRecord:
    scores = {"Toán": D(score), "Ngữ văn": D(score), "Ngoại ngữ": D(score)}
    return ApplicantRecord(sbd, pin, scores, False, tuple(wishes), group)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, TestClient, TestClient]]:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('publication')}/p.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    c.start_dev_services()
    seal = c.signers.add_staff(SO_NAME, kind="seal")  # the Sở's organisation certificate (dev CA), at no school
    c.signers.issue(seal, organization=SO_NAME)
    c.signers.assign(seal, "seal", school_id=None, valid_from=date(2025, 8, 1))
    c.admissions.load_rules(YEAR, RULES, actor="test")
    records = [
        _record("X01", "001200000001", "8.0", "THPT-A", "THPT-B"),
        _record("Y02", "001200000002", "7.0", "THPT-A", "THPT-B", group="1"),  # 21 + 2 priority = 23
        _record("Z03", "001200000003", "6.0", "THPT-B"),
        _record("W04", "001200000004", "5.0", "THPT-B"),
    ]
    c.admissions.replace_applicants(YEAR, records, actor="test", file_sha256="0" * 64)
    add_account(c, "tuyen-sinh", Role.SO_ADMISSIONS)
    add_account(c, "thanh-tra", Role.INSPECTOR)
    app = create_app(c)
    officer, inspector = TestClient(app), TestClient(app)
    sign_in(officer, "tuyen-sinh")
    sign_in(inspector, "thanh-tra")
    yield c, officer, inspector
    c.db.dispose()


def _publisher(c: Container) -> AdmissionsPublisher:
    return AdmissionsPublisher(c.db, c.admissions, c.any_documents, clock=c.clock)


def _counts(c: Container) -> tuple[int, int, int, int]:
    with c.db.reader() as s:
        return (
            ledger.tree_size(s),
            s.execute(select(func.count()).select_from(SignedDocument)).scalar_one(),
            s.execute(select(func.count()).select_from(AdmissionPublication)).scalar_one(),
            s.execute(select(func.count()).select_from(AdmissionRun)).scalar_one(),
        )


def _pdfsig(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed")
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def _text(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed")
    path = tmp_path / "text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, timeout=60).stdout


def _verified(c: Container, pdf: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert verify_pdf(pdf, trust=c.documents.context.trust_roots).indication == "PASSED"
    checked = c.any_documents.verify(pdf, c.ledger)
    assert checked["indication"] == "PASSED", checked
    assert {x["name"] for x in checked["checks"]} >= {"signatures", "register", "ledger", "status"}
    out = _pdfsig(pdf, tmp_path)
    assert out.count("Signature #") == 1 and "Signature is Valid." in out and "Sở Giáo dục" in out
    from credential_service.app.cli import main

    path = tmp_path / "verify-me.pdf"
    path.write_bytes(pdf)
    capsys.readouterr()
    assert main(["verify", str(path), "--trust-root", str(ROOT)]) == 0
    assert "PASSED" in capsys.readouterr().out


def test_the_results_list_is_signed_by_the_so_ledgered_and_verifies(
    world: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c, officer, inspector = world
    run = c.admissions.allocate(YEAR, actor="test")["run_id"]
    before = _counts(c)
    r = officer.post(f"/api/v1/admissions/{YEAR}/allocations/{run}/publication")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["kind"] == "results" and out["ledger_seq"] is not None and out["schools"] == {"THPT-A": 1, "THPT-B": 1}
    assert _counts(c)[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    pdf = inspector.get(f"/api/v1/admissions/publications/{out['publication_id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    _verified(c, pdf.content, tmp_path, capsys)
    text = _text(pdf.content, tmp_path)
    assert "DANH SÁCH TRÚNG TUYỂN VÀO LỚP 10" in text and "THPT Ngô Quyền" in text and "X01" in text
    assert "Y02" not in text and "W04" not in text  # not admitted: not on any list
    for private in ("001200000001", "Toán", "ưu tiên", "Học sinh khuyết tật", "23,00", "KT"):
        assert private not in text
    with c.db.reader() as s:
        row = s.execute(select(SignedDocument).where(SignedDocument.document_id == out["document_id"])).scalar_one()
        assert row.kind == "admission-results" and row.school_id is None and row.ledger_seq == out["ledger_seq"]
    again = officer.post(f"/api/v1/admissions/{YEAR}/allocations/{run}/publication").json()
    assert again["already_published"] and again["document_id"] == out["document_id"]
    assert inspector.post(f"/api/v1/admissions/{YEAR}/allocations/{run}/publication").status_code == 403
    assert [p["publication_id"] for p in inspector.get(f"/api/v1/admissions/{YEAR}/publications").json()] == [
        out["publication_id"]
    ]


def test_an_appeal_changes_the_scores_reruns_and_publishes_the_signed_diff(
    world: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c, officer, inspector = world
    base = c.admissions.allocate(YEAR, actor="test")["run_id"]
    # Before: A admits X01 (24 > Y02's 23); B admits Z03 (18); Y02 at B in round 2: B is full.
    # Y02's Toán re-marked 7.0 → 10.0: 10 + 7 + 7 + 2 = 26 > 24: A admits Y02; X01 at B: full. X01 out, Y02 in.
    body = {"run_id": base, "registration_no": "Y02", "scores": {"Toán": "10.0"}, "reason": "QĐ 12/QĐ-SGDĐT"}
    assert inspector.post(f"/api/v1/admissions/{YEAR}/appeals", json=body).status_code == 403
    before = _counts(c)
    r = officer.post(f"/api/v1/admissions/{YEAR}/appeals", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["moves"] == [
        {"registration_no": "X01", "kind": "admitted_to_not", "before": {"school": "THPT-A", "wish": 1},
         "after": {"school": None, "wish": None}},
        {"registration_no": "Y02", "kind": "not_to_admitted", "before": {"school": None, "wish": None},
         "after": {"school": "THPT-A", "wish": 1}},
    ]  # fmt: skip
    assert out["scores_before"] == {"Toán": "7.0"} and out["scores_after"] == {"Toán": "10.0"}
    assert _counts(c) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)
    with c.db.reader() as s:
        y = s.execute(select(AdmissionApplicant).where(AdmissionApplicant.registration_no == "Y02")).scalar_one()
        assert y.scores["Toán"] == "10.0"
        appeal = s.get(AdmissionAppeal, out["appeal_id"])
        assert appeal is not None and "tuyen-sinh" in appeal.decided_by
        assert appeal.reason == "QĐ 12/QĐ-SGDĐT" and appeal.run_before == base and appeal.run_after == out["run_after"]
    pdf = inspector.get(f"/api/v1/admissions/publications/{out['publication_id']}/pdf").content
    _verified(c, pdf, tmp_path, capsys)
    text = _text(pdf, tmp_path)
    assert "SAU PHÚC KHẢO" in text and "X01" in text and "Y02" in text and "Z03" not in text
    # the new run is what a fresh allocation of the stored (appealed) data gives, byte for byte
    with c.db.reader() as s:
        stored = s.get(AdmissionRun, out["run_after"])
        assert stored is not None
        assert stored.output_sha256 == c.admissions.prepare_run(YEAR, actor="t")[0].output_sha256
    # the old run is no longer of the current data: a second appeal against it changes nothing at all
    stale = officer.post(f"/api/v1/admissions/{YEAR}/appeals", json={**body, "scores": {"Toán": "9.0"}})
    assert stale.status_code == 409, stale.text
    assert _counts(c)[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert len(inspector.get(f"/api/v1/admissions/{YEAR}/appeals").json()) == 1


def test_a_failed_publication_leaves_no_document_no_ledger_entry_and_no_publication(world: tuple) -> None:
    c, _, _ = world
    run = c.admissions.allocate(YEAR, actor="test")["run_id"]
    before = _counts(c)

    def refuse(session: object, document: dict) -> None:
        raise Conflict(Message("dừng lại", "stop here"))

    from credential_service.admissions.results_pdf import RunFacts, render_results

    pdf = render_results(RunFacts(YEAR, run, "2026-07-01T00:00:00", "a", "b", "c", 0, 0), {}, [])
    with pytest.raises(Conflict):
        _publisher(c).sign(
            pdf, kind="admission-results", title="x", filename="x.pdf", actor="t", client="t", also=refuse
        )
    assert _counts(c) == before


def test_the_cli_publishes_a_run_into_a_directory(
    world: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _, _ = world
    from credential_service.app.cli import main

    run = c.admissions.allocate(YEAR, actor="test")["run_id"]
    monkeypatch.setenv("SOGOC_ENV", "test")
    url = str(c.db.engine.url)
    assert main(["admissions", "publish", YEAR, "--run", run, "--out", str(tmp_path), "--database-url", url]) == 0
    written = list(tmp_path.glob("trung-tuyen-lop-10-*.pdf"))
    assert len(written) == 1
    assert verify_pdf(written[0].read_bytes(), trust=c.documents.context.trust_roots).indication == "PASSED"


def _holder_for(c: Container, pin: str, username: str) -> TestClient:
    """A holder account for the person with ``pin`` (as a parent's or the student's own account), signed in."""
    import uuid
    from datetime import UTC, datetime

    from credential_service.holders.tables import Person, PersonIdentifier

    person_id = str(uuid.uuid4())
    now = datetime(2026, 7, 1, tzinfo=UTC)
    with c.db.transaction() as s:
        s.add(Person(id=person_id, full_name="Thí Sinh", date_of_birth=date(2011, 3, 4), sex="Nữ", created_at=now))
        s.flush()
        s.add(PersonIdentifier(id=str(uuid.uuid4()), person_id=person_id, kind="pin", value=pin, valid_from=None,
                               valid_to=None, source="test", created_at=now))  # fmt: skip
    code = c.holders.issue_activation(person_id, username=username, issued_by="test")
    c.holders.activate(username, code, "mat-khau-du-dai-123")
    web = TestClient(create_app(c))
    token = web.get("/holder").text.split('name="csrf" value="')[1].split('"')[0]
    r = web.post("/holder/signin", data={"username": username, "password": "mat-khau-du-dai-123", "csrf": token},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text
    return web


def test_the_holder_sees_her_own_published_result_and_why_and_nothing_before_publication(world: tuple) -> None:
    c, officer, _ = world
    z = _holder_for(c, "001200000003", "thi-sinh-z")  # Z03: one wish, THPT-B
    page = z.get("/holder/tuyen-sinh")
    assert page.status_code == 200, page.text
    published = c.admissions.own_results(["001200000003"])[0]["published"]
    if published is None:  # this module's earlier tests may not have run: before publication nothing is shown
        assert 'id="not-published"' in page.text
        run = c.admissions.allocate(YEAR, actor="test")["run_id"]
        assert officer.post(f"/api/v1/admissions/{YEAR}/allocations/{run}/publication").status_code == 200
        page = z.get("/holder/tuyen-sinh")
    assert "Z03" in page.text and 'id="outcome"' in page.text and "THPT-B" in page.text
    assert 'id="explanation"' in page.text and "<li>" in page.text.split('id="explanation"')[1]
    assert "001200000001" not in page.text and "X01" not in page.text  # nobody else's
    assert TestClient(create_app(c)).get("/holder/tuyen-sinh", follow_redirects=False).status_code in (303, 401)


def test_an_appeal_goes_to_the_applicants_access_log(world: tuple) -> None:
    from credential_service.holders.tables import AccessLogEntry

    c, officer, _ = world
    _holder_for(c, "001200000004", "thi-sinh-w")  # W04 has a person (and so an access log)
    run = c.admissions.allocate(YEAR, actor="test")["run_id"]
    body = {"run_id": run, "registration_no": "W04", "scores": {"Toán": "9.0"}, "reason": "QĐ 13/QĐ-SGDĐT"}
    r = officer.post(f"/api/v1/admissions/{YEAR}/appeals", json=body)
    assert r.status_code == 200, r.text
    with c.db.reader() as s:
        purposes = [e.purpose for e in s.execute(select(AccessLogEntry)).scalars()]
    assert "admissions.appeal" in purposes
