"""`sogoc demo`'s holder part: the printed account, parent and API key really run the README flow."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from holders_fixtures import Holders

from credential_service.app.demo_holders import PARENT, prepare_holder_demo
from credential_service.app.factory import create_app
from verifier.receipt import ReceiptKeys, verify_receipt


def test_the_demo_flow_from_the_readme(issued_only: Holders, tmp_path: Path) -> None:
    demo = prepare_holder_demo(issued_only.container, tmp_path, "10A1")
    readme = (tmp_path / "README-demo.txt").read_text(encoding="utf-8")
    assert demo["api_key"] in readme and demo["username"] in readme and PARENT[0] in readme
    c = TestClient(create_app(issued_only.container))
    csrf = c.post("/api/v1/holder/session", json={"username": demo["username"], "password": demo["password"]}).json()[
        "csrf_token"
    ]
    h = {"X-CSRF-Token": csrf}
    created = c.post(
        "/api/v1/holder/grants",
        headers=h,
        json={
            "credential_ids": [demo["transcript_id"]],
            "scope": "diploma_fields",
            "purpose": "Tuyển dụng",
            "recipient_tax_code": "0200000001",
        },
    ).json()
    guardian = {
        "guardian_name": PARENT[1],
        "guardian_pin": PARENT[0],
        "guardian_date_of_birth": PARENT[2],
        "guardian_sex": PARENT[3],
        "relation": "me",
    }
    if created["grant"]["state"] == "pending_guardian":
        assert (
            c.post(f"/api/v1/holder/grants/{created['grant']['id']}/guardian", headers=h, json=guardian).status_code
            == 200
        )
    r = c.post(
        "/api/v1/employer/verify",
        json={"code": created["code"]},
        headers={"Authorization": f"Bearer {demo['api_key']}"},
    )
    assert r.status_code == 200, r.text
    verify_receipt(r.json()["receipt"], ReceiptKeys.from_json(c.get("/.well-known/sogoc-receipt-keys.json").json()))
    log = c.get("/api/v1/holder/access-log").json()["entries"]
    assert any(e["event"] == "verify" and e["who"] == "Công ty TNHH Demo Cảng Hải Phòng" for e in log)
