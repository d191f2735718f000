"""On real issued records (the demo class's transcripts and a signed diploma), what the holder consented to,
what the employer received and what the holder's "who checked me" lists are the same fields."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from holders_fixtures import PASSWORD
from released_fixtures import Env

from credential_service.holders import disclosure
from credential_service.holders.disclosure import SCOPES


def _signed_in(app: Any) -> tuple[TestClient, str]:
    client = TestClient(app)
    r = client.post("/api/v1/holder/session", json={"username": "holder.a", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def _org(app: Any) -> tuple[str, str]:
    tax = str(uuid.uuid4().int)[:10]
    r = TestClient(app).post(
        "/api/v1/employer/organisations", json={"name": "Công ty Đối Chiếu", "tax_code": tax, "contact_email": "a@b.vn"}
    )
    assert r.status_code == 201, r.text
    return tax, r.json()["api_key"]


def _consented(text: str) -> dict[str, set[str]]:
    """{kind: keys} read back from the printed consent, through the definition's labels."""
    out: dict[str, set[str]] = {}
    for kind in disclosure.KINDS:
        head = f"  – {disclosure.KIND_LABELS[kind].vi} / {disclosure.KIND_LABELS[kind].en}: "
        line = next((ln for ln in text.splitlines() if ln.startswith(head)), None)
        if line is not None:
            by_text = {f"{f.label.vi} ({f.label.en})": f.key for f in disclosure.DEFINITION[kind]}
            out[kind] = {by_text[t] for t in line[len(head) :].split("; ")}
    return out


@pytest.mark.parametrize("scope", SCOPES)
def test_consent_answer_and_access_log_agree_on_real_records(holder_with_diploma: Env, scope: str) -> None:
    env = holder_with_diploma
    client, csrf = _signed_in(env.app)
    transcript = env.holders.transcripts[0]
    tax, key = _org(env.app)
    r = client.post(
        "/api/v1/holder/grants",
        headers={"X-CSRF-Token": csrf},
        json={"credential_ids": [transcript, env.diploma_id], "scope": scope, "purpose": "Tuyển dụng",
              "recipient_tax_code": tax},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    created = r.json()
    grant = created["grant"]
    expected = {k: disclosure.released(k, scope) for k in disclosure.KINDS}
    # (a) the consent: labels, per kind; titles, not ids
    text = grant["consent_text"]
    assert _consented(text) == {k: set(v) for k, v in expected.items()}
    assert transcript not in text and env.diploma_id not in text
    assert "Học bạ số lớp 10A1" in text and "Bằng tốt nghiệp trung học phổ thông năm 2026" in text
    assert [f["key"] for f in grant["fields"]] == disclosure.released_for(disclosure.KINDS, scope)
    assert {c["credential_id"]: c["title"]["vi"][:6] for c in grant["credentials"]} == {
        transcript: "Học bạ",
        env.diploma_id: "Bằng t",
    }
    # (b) the employer's answer
    answer = TestClient(env.app).post(
        "/api/v1/employer/verify", json={"code": created["code"]}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    given = {c["credential_id"]: c for c in body["credentials"]}
    for cid, kind in ((transcript, "transcript"), (env.diploma_id, "diploma")):
        item = given[cid]
        assert item["kind"] == kind and item["valid"] is True
        assert set(item["data"]) | {"status"} == set(expected[kind])
    # (c) who checked me
    entries = client.get("/api/v1/holder/access-log").json()["entries"]
    logged = {e["credential_id"]: e for e in entries if e["receipt_id"] == body["receipt_id"]}
    assert {cid: e["fields"] for cid, e in logged.items()} == {
        transcript: expected["transcript"],
        env.diploma_id: expected["diploma"],
    }
    for e in logged.values():
        assert [f["key"] for f in e["field_labels"]] == e["fields"] and e["credential_title"]["vi"]


def test_the_diploma_no_longer_releases_form_assurance_or_version_and_the_transcript_no_grade_or_award(
    holder_with_diploma: Env,
) -> None:
    env = holder_with_diploma
    client, csrf = _signed_in(env.app)
    _, key = _org(env.app)
    r = client.post(
        "/api/v1/holder/grants",
        headers={"X-CSRF-Token": csrf},
        json={"credential_ids": [env.holders.transcripts[0], env.diploma_id], "scope": "diploma_fields",
              "purpose": "Tuyển dụng"},
    )  # fmt: skip
    body = TestClient(env.app).post(
        "/api/v1/employer/verify", json={"code": r.json()["code"]}, headers={"Authorization": f"Bearer {key}"}
    )
    data = {c["kind"]: c["data"] for c in body.json()["credentials"]}
    assert not {"form", "assurance", "version", "sex"} & set(data["diploma"])
    assert not {"grade", "award", "sex", "subjects"} & set(data["transcript"])
    assert data["diploma"]["register_no"] and data["transcript"]["learning_result"]
