"""The holder downloads the verification bundle of their own credential from their page; with it the PDF
verifies PASSED without the register being read; another holder's credential answers 404."""

from __future__ import annotations

from fastapi.testclient import TestClient
from holders_fixtures import PASSWORD, Holders

from credential_service.app.factory import create_app
from verifier.bundle import Bundle


def _signed_in(holders_env: Holders, user: str) -> TestClient:
    c = TestClient(create_app(holders_env.container))
    r = c.post("/api/v1/holder/session", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def test_the_holder_downloads_a_bundle_that_verifies_their_pdf(holders_env: Holders) -> None:
    c = _signed_in(holders_env, "holder.a")
    cid = holders_env.transcripts[0]
    r = c.get(f"/api/v1/holder/credentials/{cid}/bundle.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert f"{cid}.sogoc-bundle.json" in r.headers["content-disposition"]
    bundle = Bundle.from_json(r.content)
    assert bundle.credential_id == cid and bundle.status["status"] == "valid" and bundle.status["as_of"]
    pdf = c.get(f"/api/v1/holder/credentials/{cid}/pdf").content
    result = holders_env.container.verification.verify_pdf(pdf, bundle=bundle)
    assert result.indication == "PASSED", result.to_dict()["checks"]
    assert result.ledger_source is not None and result.ledger_source["source"] == "bundle"


def test_another_holders_bundle_is_not_found(holders_env: Holders) -> None:
    c = _signed_in(holders_env, "holder.b")
    r = c.get(f"/api/v1/holder/credentials/{holders_env.transcripts[0]}/bundle.json")
    assert r.status_code == 404, r.text
    assert (
        TestClient(create_app(holders_env.container))
        .get(f"/api/v1/holder/credentials/{holders_env.transcripts[0]}/bundle.json")
        .status_code
        == 401
    )
