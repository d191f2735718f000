"""Each attack of issue #12 ("Why"), tried again: each now fails to do harm."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from datetime import timedelta
from urllib.parse import urlsplit

from staff_login import confirm
from staff_world import World, make_pdf

from credential_service.app.demo import staff_id

DEV_SEAL_CERT = "keys/dev/out/seal-thpt-demo.cert.pem"


def test_a_fake_diploma_cannot_be_decided_or_issued_by_outsiders(world: World) -> None:
    decision = {
        "school_code": "THPT-DEMO", "decision_no": "666/QĐ",
        "decision_date": (world.container.clock.today() - timedelta(days=1)).isoformat(), "graduation_year": 2026,
        "signer_name": "Ai Đó", "graduates": [{"full_name": "Người Bịa", "date_of_birth": "01/01/2008", "sex": "Nam"}],
    }  # fmt: skip
    assert world.client(None).post("/api/v1/graduation-decisions", json=decision).status_code == 401
    assert world.client("gvcn-10a1").post("/api/v1/graduation-decisions", json=decision).status_code == 403
    assert world.client("other-principal").post("/api/v1/graduation-decisions", json=decision).status_code == 403
    issue = f"/api/v1/graduation-decisions/{world.params['decision_id']}/issue"
    assert world.client(None).post(issue, json={"confirmation_id": "x"}).status_code == 401
    assert world.client("school-clerk").post(issue, json={"confirmation_id": "x"}).status_code == 403
    # the principal too needs their own fresh confirmation
    assert world.client("principal").post(issue, json={"confirmation_id": "made-up"}).status_code == 403


def test_an_uploaded_pdf_is_never_sealed_by_the_school(world: World) -> None:
    pdf = make_pdf("Bất kỳ")
    files = {"file": ("x.pdf", pdf, "application/pdf")}
    data = {"title": "x", "kind": "other", "confirmation_id": "x"}
    assert world.client(None).post("/api/v1/documents", data=data, files=files).status_code == 401
    clerk = world.client("school-clerk")
    assert clerk.post("/api/v1/documents", data=data, files=files).status_code == 403  # no confirmation
    purpose = f"sign:document:{hashlib.sha256(pdf).hexdigest()}"
    data["confirmation_id"] = confirm(clerk, "school-clerk", purpose)
    r = clerk.post("/api/v1/documents", data=data, files=files)
    # the clerk's own key signs or nothing does (she has none registered); the seal is not reachable here
    assert r.status_code == 409 and r.json()["reason"] == "no_signing_key", r.text
    assert "school-clerk" in r.json()["detail_en"]


def test_a_forged_paper_register_row_is_neither_accepted_by_outsiders_nor_live_before_a_second_clerk(
    world: World,
) -> None:
    from credential_service.diplomas.register_book import COLUMNS
    from credential_service.diplomas.register_demo import demo_register_rows, register_xlsx

    rows = demo_register_rows(1, seed=77)
    files = {"file": ("book.xlsx", register_xlsx(rows))}
    form = {"book_code": "SG-FAKE", "issuer_key": "SO-GDDT-HP", "issuer_name": "Sở GDĐT Hải Phòng"}
    assert world.client(None).post("/api/v1/register-books", files=files, data=form).status_code == 401
    assert world.client("principal").post("/api/v1/register-books", files=files, data=form).status_code == 403
    proposed = world.client("so-clerk").post("/api/v1/register-books", files=files, data=form)
    assert proposed.status_code == 202 and proposed.json()["status"] == "pending"
    col = {c: i for i, c in enumerate(COLUMNS)}
    check = {"number": rows[0][col["Số hiệu văn bằng"]], "full_name": rows[0][col["Họ và tên"]],
             "date_of_birth": rows[0][col["Ngày sinh"]]}  # fmt: skip
    assert world.client(None).post("/api/v1/public/diploma-check", json=check).json()["match"] is False
    own = world.client("so-clerk").post(f"/api/v1/approvals/{proposed.json()['approval_id']}/approve", json={})
    assert own.status_code == 403  # the maker cannot approve their own import


def test_the_seal_cannot_be_destroyed_by_importing_its_certificate_and_declaring_it_compromised(
    world: World,
) -> None:
    with open(DEV_SEAL_CERT, "rb") as f:
        seal_pem = f.read()
    files = {"file": ("seal.pem", seal_pem, "application/x-pem-file")}
    url = f"/api/v1/signers/{staff_id('gvcn-10a2')}/certificates"
    assert world.client(None).post(url, data={"key_label": "x"}, files=files).status_code == 401
    assert world.client("principal").post(url, data={"key_label": "x"}, files=files).status_code == 403
    declared = {"certificate": "anything", "compromised_at": "2026-01-01T00:00:00Z"}
    assert world.client(None).post("/api/v1/key-compromises", json=declared).status_code == 401
    proposed = world.client("so-admin").post("/api/v1/key-compromises", json=declared)
    assert proposed.status_code == 202 and proposed.json()["status"] == "pending"  # nothing declared yet
    assert world.client("so-admin").get("/api/v1/key-compromises").json() == []


def test_personal_data_cannot_be_walked_from_public_ids(world: World) -> None:
    anonymous = world.client(None)
    p = world.params
    for path in (
        f"/api/v1/transcripts/{p['transcript_id']}/record",
        f"/api/v1/diplomas/{p['diploma_id']}/copies",
        "/api/v1/reconciliation",
        f"/api/v1/classes/{p['class_id']}",
        "/api/v1/staff",
    ):
        assert anonymous.get(path).status_code == 401, path
    assert world.client("other-gvcn").get(f"/api/v1/transcripts/{p['transcript_id']}/record").status_code == 403


def test_a_class_cannot_be_taken_through_the_workflow_by_outsiders(world: World) -> None:
    a1 = world.params["class_id"]
    anonymous = world.client(None)
    assert anonymous.post(f"/api/v1/classes/{a1}/results", json={}).status_code == 401
    assert anonymous.post(f"/api/v1/classes/{a1}/lock").status_code == 401
    for step in ("gvcn", "principal", "seal"):
        assert anonymous.post(f"/api/v1/classes/{a1}/sign/{step}", json={"confirmation_id": "x"}).status_code == 401


def test_the_public_verify_page_shows_personal_details_only_to_the_holder_of_the_document(world: World) -> None:
    t = world.params["transcript_id"]
    with world.container.db.reader() as s:
        from credential_service.transcripts.tables import Student, Transcript

        transcript = s.get(Transcript, t)
        assert transcript is not None
        name = s.get(Student, transcript.student_id).full_name  # type: ignore[union-attr]
    world.container.transcripts  # noqa: B018 - the class is locked, not issued: the page still answers
    bare = world.client(None).get(f"/v/{t}").text
    assert name not in bare and "Chỉ hiển thị trạng thái" in bare
    qr_url = world.container.settings.verify_url(t)
    split = urlsplit(qr_url)
    with_key = world.client(None).get(f"{split.path}?{split.query}").text
    assert name in with_key
    wrong = world.client(None).get(f"/v/{t}?k=aaaaaaaaaaaaaaaa").text
    assert name not in wrong
    # the key is printed under the QR too, so whoever holds the paper can type it
    key = split.query.removeprefix("k=")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=transcript.pdf, capture_output=True, timeout=60).stdout
        assert key.encode() in text.replace(b"\n", b""), text[-400:]
