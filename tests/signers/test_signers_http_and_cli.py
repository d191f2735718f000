"""The signer endpoints and the `sogoc keys|signers|document` commands."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from signers_fixtures import add_staff, make_pdf, school_id, seed_class
from staff_login import add_account, confirm, sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.cli import main
from credential_service.app.factory import create_app
from credential_service.ledger.key_rotation import open_trust_list
from credential_service.ledger.service import LedgerService
from credential_service.staff.roles import Role


def test_http_issue_assign_sign_verify_audit_and_trust_list(container: Container) -> None:
    """The Sở admin issues a certificate, a second admin approves the assignment, and the teacher signs a
    document with their own key after their own confirmation."""
    c = container
    seed_class(c)
    teacher = add_staff(c, "gvcn-10a1", role=None, name="Giáo Viên Mới")
    add_account(c, "new-teacher", Role.SUBJECT_TEACHER, school_id=school_id(c), staff_id=teacher)
    client = TestClient(create_app(c))
    sign_in(client, "so-admin")
    issued = client.post(f"/api/v1/signers/{teacher}/certificates/issue", json={"unit": "Tổ Toán"})
    assert issued.status_code == 200, issued.text
    r = client.post(
        f"/api/v1/signers/{teacher}/assignments",
        json={"role": "principal", "school_id": school_id(c), "valid_from": "2025-08-01"},
    )
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    own = client.post(f"/api/v1/approvals/{r.json()['approval_id']}/approve", json={})
    assert own.status_code == 403 and own.json()["reason"] == "same_person"
    sign_in(client, "so-admin-2")
    done = client.post(f"/api/v1/approvals/{r.json()['approval_id']}/approve", json={})
    assert done.status_code == 200 and done.json()["status"] == "done", done.text
    assert "so-admin" in done.json()["maker"] and "so-admin-2" in done.json()["checker"]

    sign_in(client, "new-teacher")
    pdf_in = make_pdf()
    purpose = f"sign:document:{hashlib.sha256(pdf_in).hexdigest()}"
    r = client.post(
        "/api/v1/documents",
        data={
            "title": "Báo cáo tổng kết",
            "kind": "report",
            "confirmation_id": confirm(client, "new-teacher", purpose),
        },
        files={"file": ("bao-cao.pdf", pdf_in, "application/pdf")},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    sign_in(client, "so-admin")  # a document of no school: the Sở reads it
    pdf = client.get(f"/api/v1/documents/{doc['document_id']}/pdf").content
    v = client.post("/api/v1/documents/verify", files={"file": ("x.pdf", pdf, "application/pdf")})
    assert v.json()["indication"] == "PASSED", v.json()["checks"]
    audit = client.get("/api/v1/signing-audit", params={"staff_id": teacher}).json()
    assert audit[0]["backend"] == "devca" and audit[0]["client"].startswith("http ")
    r = client.post(f"/api/v1/certificates/{issued.json()['sha256']}/revoke", json={"reason": "superseded"})
    assert r.json()["status"] == "revoked"
    sign_in(client, "new-teacher")
    pdf2 = make_pdf()
    refused = client.post(
        "/api/v1/documents",
        data={
            "title": "Báo cáo 2",
            "kind": "report",
            "confirmation_id": confirm(client, "new-teacher", f"sign:document:{hashlib.sha256(pdf2).hexdigest()}"),
        },
        files={"file": ("b.pdf", pdf2, "application/pdf")},
    )
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    note = client.get("/.well-known/sogoc-trust-list").text
    assert open_trust_list(note, [LedgerService.from_settings(c.db, c.settings).vkey])["format"] == "sogoc-trust-list/1"


def test_cli_keys_and_document_sign(container: Container, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c = container
    seed_class(c)
    seal = add_staff(c, "seal-thpt-demo", role="seal")
    url = ["--database-url", c.settings.database_url]
    assert main([*url, "keys", "issue", "--staff", seal]) == 0
    cert = json.loads(capsys.readouterr().out)
    pdf = tmp_path / "so-diem.pdf"
    pdf.write_bytes(make_pdf())
    out = tmp_path / "signed.pdf"
    assert main([*url, "document", "sign", str(pdf), "--title", "Sổ điểm", "--kind", "grade-book",
                 "--staff", seal, "--out", str(out)]) == 0  # fmt: skip
    assert out.read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert main([*url, "keys", "revoke", cert["serial_hex"], "--reason", "key_compromise"]) == 0
    assert json.loads(capsys.readouterr().out)["revocation_reason"] == "key_compromise"
    assert main([*url, "signers", "retire", seal, "--on", "2026-01-01"]) == 0
    assert main([*url, "signers", "audit", "--staff", seal]) == 0
    rows = json.loads(capsys.readouterr().out.split("\n]\n", 1)[-1] or "[]")
    assert rows and rows[0]["outcome"] == "signed"
