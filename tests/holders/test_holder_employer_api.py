"""Holders and employers over HTTP: authorisation on every endpoint, CSRF, consent states, receipts
that verify offline, the access log the holder reads, secrets kept out of logs."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from holders_fixtures import PASSWORD, Holders
from sqlalchemy import text, update

from credential_service.app.factory import create_app
from credential_service.employers.tables import ApiKey
from credential_service.holders.population_registry import DevPopulationRegistry
from credential_service.holders.tables import ConsentGrant
from verifier.receipt import ReceiptError, ReceiptKeys, verify_receipt

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def app(holders_env: Holders) -> Any:
    return create_app(holders_env.container)


def _client(app: Any) -> TestClient:
    return TestClient(app)


def _sign_in(app: Any, user: str) -> tuple[TestClient, str]:
    c = _client(app)
    r = c.post("/api/v1/holder/session", json={"username": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["code"] == code and body["detail_vi"] and body["detail_en"]
    return body


def _org(app: Any, name: str = "Công ty Cảng Xanh") -> tuple[str, str]:
    tax = str(uuid.uuid4().int)[:10]
    r = _client(app).post(
        "/api/v1/employer/organisations", json={"name": name, "tax_code": tax, "contact_email": "hr@example.vn"}
    )
    assert r.status_code == 201, r.text
    return tax, r.json()["api_key"]


def _grant(c: TestClient, csrf: str, cid: str, **kw: Any) -> dict[str, Any]:
    body = {"credential_ids": [cid], "scope": "diploma_fields", "purpose": "Tuyển dụng kế toán", **kw}
    r = c.post("/api/v1/holder/grants", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def _verify(app: Any, key: str, code: str) -> Any:
    return _client(app).post("/api/v1/employer/verify", json={"code": code}, headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def a(app: Any) -> Iterator[tuple[TestClient, str]]:
    c, csrf = _sign_in(app, "holder.a")
    yield c, csrf
    c.close()


# ---------------------------------------------------------------------------------------------- holder auth

HOLDER_GETS = ["/api/v1/holder/me", "/api/v1/holder/credentials", "/api/v1/holder/grants", "/api/v1/holder/access-log"]


def test_every_holder_endpoint_needs_a_session(app: Any, holders_env: Holders) -> None:
    c = _client(app)
    cid = holders_env.transcripts[0]
    for path in [*HOLDER_GETS, f"/api/v1/holder/credentials/{cid}/pdf", f"/api/v1/holder/credentials/{cid}/qr.png"]:
        _problem(c.get(path), 401, "not-authenticated")
    for path in ["/api/v1/holder/grants", "/api/v1/holder/grants/x/revoke", "/api/v1/holder/grants/x/guardian"]:
        assert c.post(path, json={}).status_code in (401, 422)
    _problem(
        c.post("/api/v1/holder/grants", json={"credential_ids": [cid], "purpose": "abc"}), 401, "not-authenticated"
    )
    _problem(c.delete("/api/v1/holder/session"), 401, "not-authenticated")
    c.cookies.set("sogoc_holder", "forged-token")
    _problem(c.get("/api/v1/holder/me"), 401, "not-authenticated")


def test_wrong_password_and_unknown_user_get_the_same_answer(app: Any) -> None:
    c = _client(app)
    r1 = c.post("/api/v1/holder/session", json={"username": "holder.a", "password": "wrong-password-1"})
    r2 = c.post("/api/v1/holder/session", json={"username": "nobody.here", "password": "wrong-password-1"})
    assert _problem(r1, 401, "not-authenticated")["detail"] == _problem(r2, 401, "not-authenticated")["detail"]


def test_session_cookie_is_httponly_and_samesite_lax(app: Any) -> None:
    r = _client(app).post("/api/v1/holder/session", json={"username": "holder.a", "password": PASSWORD})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # dev/test over http; Secure outside dev (settings.is_dev)


def test_activation_code_is_one_time(app: Any, holders_env: Holders) -> None:
    from credential_service.holders.service import HolderService

    hs = HolderService(holders_env.container.db, holders_env.container.settings)
    code = hs.issue_activation(holders_env.persons[1], username="holder.b", issued_by="test")
    c = _client(app)
    assert (
        c.post("/api/v1/holder/activate", json={"username": "holder.b", "code": code, "password": PASSWORD}).status_code
        == 200
    )
    _problem(
        c.post("/api/v1/holder/activate", json={"username": "holder.b", "code": code, "password": PASSWORD}),
        422,
        "invalid-input",
    )


def test_holder_a_sees_only_her_own_credentials(app: Any, holders_env: Holders, a: tuple[TestClient, str]) -> None:
    c, _ = a
    ids = [x["credential_id"] for x in c.get("/api/v1/holder/credentials").json()["credentials"]]
    assert ids == [holders_env.transcripts[0]]
    mine = holders_env.transcripts[0]
    r = c.get(f"/api/v1/holder/credentials/{mine}/pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    qr = c.get(f"/api/v1/holder/credentials/{mine}/qr.png")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG")
    for other in (holders_env.transcripts[1], str(uuid.uuid4())):
        b1 = _problem(c.get(f"/api/v1/holder/credentials/{other}/pdf"), 404, "not-found")
        b2 = _problem(c.get(f"/api/v1/holder/credentials/{other}/qr.png"), 404, "not-found")
        assert b1["detail"] == b2["detail"]
    r = c.post(
        "/api/v1/holder/grants",
        headers={"X-CSRF-Token": a[1]},
        json={"credential_ids": [holders_env.transcripts[1]], "scope": "status", "purpose": "Tuyển dụng"},
    )
    _problem(r, 404, "not-found")


def test_holder_b_cannot_see_revoke_or_confirm_a_grant(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    ca, csrf_a = a
    g = _grant(ca, csrf_a, holders_env.transcripts[0])["grant"]
    cb, csrf_b = _sign_in(app, "holder.b")
    assert g["id"] not in [x["id"] for x in cb.get("/api/v1/holder/grants").json()["grants"]]
    assert all(e.get("grant_id") != g["id"] for e in cb.get("/api/v1/holder/access-log").json()["entries"])
    _problem(cb.post(f"/api/v1/holder/grants/{g['id']}/revoke", headers={"X-CSRF-Token": csrf_b}), 404, "not-found")
    guardian = {
        "guardian_name": "X Y",
        "guardian_pin": "031185004321",
        "guardian_date_of_birth": "1985-04-02",
        "guardian_sex": "Nữ",
        "relation": "me",
    }
    _problem(
        cb.post(f"/api/v1/holder/grants/{g['id']}/guardian", json=guardian, headers={"X-CSRF-Token": csrf_b}),
        404,
        "not-found",
    )
    assert [x["state"] for x in ca.get("/api/v1/holder/grants").json()["grants"] if x["id"] == g["id"]] == ["active"]


def test_csrf_is_required_on_every_state_change(app: Any, holders_env: Holders, a: tuple[TestClient, str]) -> None:
    c, csrf = a
    body = {"credential_ids": [holders_env.transcripts[0]], "scope": "status", "purpose": "Tuyển dụng"}
    _problem(c.post("/api/v1/holder/grants", json=body), 403, "csrf")
    _problem(c.post("/api/v1/holder/grants", json=body, headers={"X-CSRF-Token": "0" * 64}), 403, "csrf")
    g = _grant(c, csrf, holders_env.transcripts[0])["grant"]
    _problem(c.post(f"/api/v1/holder/grants/{g['id']}/revoke"), 403, "csrf")
    _problem(c.delete("/api/v1/holder/session"), 403, "csrf")
    # another holder's token does not work for this session
    _, csrf_b = _sign_in(app, "holder.b")
    _problem(c.post(f"/api/v1/holder/grants/{g['id']}/revoke", headers={"X-CSRF-Token": csrf_b}), 403, "csrf")


def test_web_forms_refuse_a_missing_csrf_token_and_sign_in_with_it(app: Any) -> None:
    c = _client(app)
    page = c.get("/holder")
    assert page.status_code == 200 and "Đăng nhập" in page.text
    r = c.post(
        "/holder/signin", data={"username": "holder.a", "password": PASSWORD, "csrf": "nope"}, follow_redirects=False
    )
    assert r.status_code == 403 and "CSRF" in r.text
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = c.post(
        "/holder/signin", data={"username": "holder.a", "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/holder/credentials"
    page = c.get("/holder/credentials")
    assert page.status_code == 200 and "Văn bằng, học bạ của tôi" in page.text
    r = c.post(
        "/holder/share",
        data={"credential_ids": "x", "scope": "status", "purpose": "Tuyển dụng"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert c.get("/holder/log").status_code == 200


def test_web_share_flow_shows_the_code_once_with_link_and_qr(app: Any, holders_env: Holders) -> None:
    c = _client(app)
    page = c.get("/holder")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    c.post("/holder/signin", data={"username": "holder.a", "password": PASSWORD, "csrf": token})
    page = c.get("/holder/credentials")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    r = c.post(
        "/holder/share",
        data={"credential_ids": holders_env.transcripts[0], "scope": "status", "purpose": "Tuyển dụng", "csrf": token},
    )
    assert r.status_code == 200 and 'data-testid="share-code"' in r.text and "data:image/png;base64," in r.text
    code = r.text.split('data-testid="share-code">')[1].split("<")[0]
    assert c.get(f"/s/{code}").status_code == 200
    assert code not in c.get("/holder/credentials").text  # shown once


# ---------------------------------------------------------------------------------------------- employers


def test_employer_endpoints_need_a_valid_key(app: Any) -> None:
    c = _client(app)
    for method, path, body in [
        ("post", "/api/v1/employer/verify", {"code": "AAAAA-BBBBB"}),
        ("post", "/api/v1/employer/verify/batch", {"codes": ["AAAAA-BBBBB"]}),
        ("get", "/api/v1/employer/keys", None),
        ("post", "/api/v1/employer/keys/rotate", None),
    ]:
        _problem(getattr(c, method)(path, json=body) if body else getattr(c, method)(path), 401, "not-authenticated")
        r = getattr(c, method)(path, **({"json": body} if body else {}), headers={"Authorization": "Bearer sgk_x.y"})
        _problem(r, 401, "not-authenticated")


def test_verify_returns_granted_fields_status_and_a_receipt_that_verifies_offline(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    tax, key = _org(app)
    created = _grant(*a, holders_env.transcripts[0], recipient_tax_code=tax, max_uses=3)
    r = _verify(app, key, created["code"].lower().replace("-", " "))
    assert r.status_code == 200, r.text
    body = r.json()
    cred = body["credentials"][0]
    assert cred["status"] == "valid" and cred["valid"] and cred["ledger"]["included"]
    data = cred["data"]
    assert data["holder_name"] and data["learning_result"] and "subjects" not in data
    dumped = json.dumps(body, ensure_ascii=False)
    for forbidden in ("ethnicity", "personal_id", "place_of_birth", "teacher_comment"):
        assert forbidden not in dumped
    assert body["grant"]["uses_left"] == 2 and body["grant"]["recipient"] == "organisation"
    jwks = _client(app).get("/.well-known/sogoc-receipt-keys.json").json()
    claims = verify_receipt(body["receipt"], ReceiptKeys.from_json(jwks))
    assert claims["jti"] == body["receipt_id"] and claims["data"] == body["credentials"]
    assert claims["verifier"]["tax_code"] == tax and claims["grant"]["purpose"] == "Tuyển dụng kế toán"
    # also with the committed key list file, no service involved
    from credential_service.platform.settings import DEV_KEYS_DIR

    verify_receipt(body["receipt"], ReceiptKeys.load(DEV_KEYS_DIR / "receipt" / "keys.json"))
    h, p, s = body["receipt"].split(".")
    tampered = p[:-4] + ("AAAA" if p[-4:] != "AAAA" else "BBBB")
    with pytest.raises(ReceiptError):
        verify_receipt(f"{h}.{tampered}.{s}", ReceiptKeys.from_json(jwks))


def test_full_transcript_scope_adds_subjects_without_comments(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    _, key = _org(app)
    created = _grant(*a, holders_env.transcripts[0], scope="full_transcript")
    data = _verify(app, key, created["code"]).json()["credentials"][0]["data"]
    assert data["subjects"] and all("comment" not in s for s in data["subjects"])
    status_only = _grant(*a, holders_env.transcripts[0], scope="status")
    data = _verify(app, key, status_only["code"]).json()["credentials"][0]["data"]
    assert set(data) == {"holder_name", "type", "issuer", "school_year"}  # the live status is beside data


def test_employer_without_grant_gets_the_same_answer_as_an_unknown_code(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    tax1, _ = _org(app, "Công ty Một")
    _, key2 = _org(app, "Công ty Hai")
    created = _grant(*a, holders_env.transcripts[0], recipient_tax_code=tax1)
    other = _problem(_verify(app, key2, created["code"]), 404, "share-code-not-found")
    unknown = _problem(_verify(app, key2, "ZZZZZ-ZZZZZ"), 404, "share-code-not-found")
    assert {k: v for k, v in other.items() if k != "instance"} == {k: v for k, v in unknown.items() if k != "instance"}
    # the wrong organisation did not use up the grant; the holder sees the refused attempt
    grant = next(g for g in a[0].get("/api/v1/holder/grants").json()["grants"] if g["id"] == created["grant"]["id"])
    assert grant["uses"] == 0
    entries = [e for e in a[0].get("/api/v1/holder/access-log").json()["entries"] if e["grant_id"] == grant["id"]]
    assert any(e["result"] == "wrong_recipient" and e["who"] == "Công ty Hai" for e in entries)


def test_bearer_code_works_for_any_registered_organisation(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    _, key = _org(app)
    created = _grant(*a, holders_env.transcripts[0])
    assert _verify(app, key, created["code"]).json()["grant"]["recipient"] == "bearer"


def test_expired_revoked_and_used_up_grants_are_refused(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    c, csrf = a
    _, key = _org(app)
    expired = _grant(c, csrf, holders_env.transcripts[0])
    with holders_env.container.db.transaction() as s:
        s.execute(
            update(ConsentGrant)
            .where(ConsentGrant.id == expired["grant"]["id"])
            .values(expires_at=holders_env.container.clock.now() - timedelta(minutes=1))
        )
    _problem(_verify(app, key, expired["code"]), 410, "grant-expired")
    revoked = _grant(c, csrf, holders_env.transcripts[0])
    r = c.post(f"/api/v1/holder/grants/{revoked['grant']['id']}/revoke", headers={"X-CSRF-Token": csrf})
    assert r.json()["grant"]["state"] == "revoked"
    _problem(_verify(app, key, revoked["code"]), 410, "grant-revoked")
    once = _grant(c, csrf, holders_env.transcripts[0], max_uses=1)
    assert _verify(app, key, once["code"]).status_code == 200
    _problem(_verify(app, key, once["code"]), 410, "grant-used-up")


def test_a_minors_grant_needs_a_guardian_confirmed_against_the_registry(app: Any, holders_env: Holders) -> None:
    c, csrf = _sign_in(app, "holder.c")
    assert c.get("/api/v1/holder/me").json()["minor"] is True
    _, key = _org(app)
    created = _grant(c, csrf, holders_env.transcripts[2])
    assert created["grant"]["state"] == "pending_guardian" and "Điều 24" in created["grant"]["consent_text"]
    _problem(_verify(app, key, created["code"]), 409, "grant-pending-guardian")
    DevPopulationRegistry(holders_env.container.db).add([("031185004321", "Trần Thị Bình", date(1985, 4, 2), "Nữ")])
    url = f"/api/v1/holder/grants/{created['grant']['id']}/guardian"
    guardian = {
        "guardian_name": "Trần Thị Bính",
        "guardian_pin": "031185004321",
        "guardian_date_of_birth": "1985-04-02",
        "guardian_sex": "Nữ",
        "relation": "me",
    }
    body = _problem(c.post(url, json=guardian, headers={"X-CSRF-Token": csrf}), 422, "invalid-input")
    assert body["errors"][0]["location"]["field"] == "full_name"
    guardian["guardian_name"] = "Trần Thị Bình"
    r = c.post(url, json=guardian, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    g = r.json()["grant"]
    assert g["state"] == "active" and g["guardian"]["name"] == "Trần Thị Bình" and g["guardian"]["relation"] == "me"
    assert "031185004321" not in json.dumps(g) and g["guardian"]["confirmed_by"].endswith("321")
    assert _verify(app, key, created["code"]).status_code == 200


def test_the_holder_sees_the_check_in_the_access_log(app: Any, holders_env: Holders, a: tuple[TestClient, str]) -> None:
    tax, key = _org(app, "Công ty Nhìn Thấy")
    created = _grant(*a, holders_env.transcripts[0], recipient_tax_code=tax, purpose="Tuyển dụng lái xe")
    receipt_id = _verify(app, key, created["code"]).json()["receipt_id"]
    entries = a[0].get("/api/v1/holder/access-log").json()["entries"]
    check = next(e for e in entries if e["receipt_id"] == receipt_id)
    assert check["who"] == "Công ty Nhìn Thấy" and check["event"] == "verify" and check["result"] == "ok"
    assert check["purpose"] == "Tuyển dụng lái xe" and "learning_result" in check["fields"]
    assert check["credential_id"] == holders_env.transcripts[0]
    page = a[0].get("/holder/log")
    assert "Công ty Nhìn Thấy" in page.text
    cb, _ = _sign_in(app, "holder.b")
    assert all(e["receipt_id"] != receipt_id for e in cb.get("/api/v1/holder/access-log").json()["entries"])


def test_access_log_is_append_only(holders_env: Holders) -> None:
    with pytest.raises(Exception, match="append-only"), holders_env.container.db.transaction() as s:
        s.execute(text("UPDATE access_log SET result = 'ok'"))
    with pytest.raises(Exception, match="append-only"), holders_env.container.db.transaction() as s:
        s.execute(text("DELETE FROM access_log"))


def test_batch_answers_each_code_in_order_and_caps_at_1000(
    app: Any, holders_env: Holders, a: tuple[TestClient, str]
) -> None:
    tax1, key1 = _org(app)
    tax2, _ = _org(app)
    mine = _grant(*a, holders_env.transcripts[0], recipient_tax_code=tax1)
    other = _grant(*a, holders_env.transcripts[0], recipient_tax_code=tax2)
    c = _client(app)
    auth = {"Authorization": f"Bearer {key1}"}
    r = c.post(
        "/api/v1/employer/verify/batch", json={"codes": [mine["code"], "QQQQQ-QQQQQ", other["code"]]}, headers=auth
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["result"] for x in results] == ["ok", "not_found", "not_found"]
    assert {k: v for k, v in results[1].items() if k != "index"} == {
        k: v for k, v in results[2].items() if k != "index"
    }
    verify_receipt(results[0]["receipt"], ReceiptKeys.from_json(c.get("/.well-known/sogoc-receipt-keys.json").json()))
    _problem(c.post("/api/v1/employer/verify/batch", json={"codes": ["A"] * 1001}, headers=auth), 422, "invalid-input")


def test_keys_are_listed_without_secrets_and_rotation_stops_the_old_key(app: Any) -> None:
    _, key = _org(app)
    c = _client(app)
    listed = c.get("/api/v1/employer/keys", headers={"Authorization": f"Bearer {key}"}).json()["keys"]
    assert len(listed) == 1 and key.split(".")[1] not in json.dumps(listed)
    r = c.post("/api/v1/employer/keys/rotate", headers={"X-API-Key": key})
    assert r.status_code == 200
    new = r.json()["api_key"]
    _problem(c.get("/api/v1/employer/keys", headers={"Authorization": f"Bearer {key}"}), 401, "not-authenticated")
    assert len(c.get("/api/v1/employer/keys", headers={"Authorization": f"Bearer {new}"}).json()["keys"]) == 2


def test_rate_limit_per_key(app: Any, holders_env: Holders) -> None:
    _, key = _org(app)
    prefix = key.split(".")[0]
    with holders_env.container.db.transaction() as s:
        s.execute(update(ApiKey).where(ApiKey.prefix == prefix).values(rate_per_minute=2))
    assert _verify(app, key, "AAAAA-AAAAA").status_code == 404
    assert _verify(app, key, "AAAAA-AAAAB").status_code == 404
    body = _problem(_verify(app, key, "AAAAA-AAAAC"), 429, "rate-limited")
    assert body["retry_after"] >= 1


def test_no_lookup_by_id_number_or_name_in_the_employer_api(app: Any) -> None:
    spec = _client(app).get("/openapi.json").json()
    employer = {p: v for p, v in spec["paths"].items() if p.startswith("/api/v1/employer")}
    assert set(employer) == {
        "/api/v1/employer/organisations",
        "/api/v1/employer/keys",
        "/api/v1/employer/keys/rotate",
        "/api/v1/employer/verify",
        "/api/v1/employer/verify/batch",
    }
    dumped = json.dumps(employer)
    assert "personal_id" not in dumped and "full_name" not in dumped and "example" in dumped


def test_secrets_and_id_numbers_never_reach_the_logs(
    app: Any, holders_env: Holders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c, csrf = _sign_in(app, "holder.a")
    tax, key = _org(app)
    created = _grant(c, csrf, holders_env.transcripts[0], recipient_tax_code=tax)
    _verify(app, key, created["code"])
    text_ = caplog.text
    assert PASSWORD not in text_ and created["code"] not in text_ and key.split(".")[1] not in text_
    assert "031185004321" not in text_
