"""The diploma API and pages: the public check reveals only match/status/issuer/type/year, is rate-limited
and logged; disclosure hides ID numbers and full birth dates; the Sở's page and the API lifecycle work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_login import confirm, sign_in, sign_out

from credential_service.app.bootstrap import Container
from credential_service.app.factory import create_app
from credential_service.diplomas.register_book import COLUMNS
from credential_service.diplomas.register_demo import demo_register_rows, register_xlsx
from credential_service.diplomas.service import DiplomaService
from credential_service.diplomas.tables import PublicCheckLog
from credential_service.platform.clock import FixedClock
from credential_service.platform.ratelimit import parse

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # HTTP layer: one backend

ROWS = demo_register_rows(6, seed=9)
COL = {c: i for i, c in enumerate(COLUMNS)}


@pytest.fixture
def client(container: Container, svc: DiplomaService) -> Iterator[TestClient]:
    svc.public.check_limits = (parse("5/day"),)  # the store every worker shares (here the test's database)
    with TestClient(create_app(container)) as c:
        sign_in(c, "so-clerk")
        r = c.post(
            "/api/v1/register-books",
            files={"file": ("book.xlsx", register_xlsx(ROWS))},
            data={"book_code": "SG-2004-1", "issuer_key": "SO-GDDT-HP", "issuer_name": "Sở GDĐT Hải Phòng"},
        )
        assert r.status_code == 202 and r.json()["status"] == "pending", r.text
        sign_in(c, "so-clerk-2")  # four eyes: a second clerk approves, then it is imported
        done = c.post(f"/api/v1/approvals/{r.json()['approval_id']}/approve", json={})
        assert done.status_code == 200 and done.json()["result"]["imported"] == len(ROWS), done.text
        sign_out(c)
        yield c


def _check(c: TestClient, row: list[str], **override: str) -> dict[str, object]:
    body = {"number": row[COL["Số hiệu văn bằng"]], "full_name": row[COL["Họ và tên"]],
            "date_of_birth": row[COL["Ngày sinh"]], **override}  # fmt: skip
    r = c.post("/api/v1/public/diploma-check", json=body)
    return {"status_code": r.status_code, **r.json()} if r.status_code == 200 else {"status_code": r.status_code}


def test_public_check_reveals_only_status_issuer_type_and_year(client: TestClient) -> None:
    hit = _check(client, ROWS[1])
    assert set(hit) == {"status_code", "match", "status", "status_vi", "status_en", "issuer", "type", "year"}
    assert hit["match"] is True and hit["year"] == 2004
    miss = _check(client, ROWS[1], date_of_birth="01/01/1980")
    assert miss == {"status_code": 200, "match": False}
    # no listing or search: a partial name or number matches nothing
    assert _check(client, ROWS[1], full_name=ROWS[1][COL["Họ và tên"]].split()[0])["match"] is False
    assert _check(client, ROWS[1], number=ROWS[1][COL["Số hiệu văn bằng"]][:-1])["match"] is False


def test_public_check_is_rate_limited_per_client_and_logged(client: TestClient, container: Container) -> None:
    codes = [_check(client, ROWS[0])["status_code"] for _ in range(7)]
    assert codes == [200] * 5 + [429] * 2
    with container.db.reader() as s:
        log = list(s.execute(select(PublicCheckLog.outcome, PublicCheckLog.client)).all())
    assert [o for o, _ in log] == ["match"] * 5 + ["limited"] * 2
    assert all(len(cl) == 32 and "testclient" not in cl for _, cl in log)  # a keyed hash, not the address


def test_disclosure_and_pages_show_no_id_numbers_or_full_birth_dates(client: TestClient) -> None:
    rows = client.get("/api/v1/public/disclosure/SO-GDDT-HP/2004").json()
    assert len(rows) == 6 and {"personal_id", "date_of_birth"}.isdisjoint(rows[0])
    assert rows[0]["birth_year"] == ROWS[0][COL["Ngày sinh"]][-4:]
    page = client.get("/cong-khai/van-bang/SO-GDDT-HP/2004").text
    for row in ROWS:
        assert row[COL["Ngày sinh"]] not in page
        if row[COL["Số định danh"]]:
            assert row[COL["Số định danh"]] not in page
    assert "Tra cứu" in client.get("/tra-cuu-van-bang").text
    form = {"number": ROWS[2][COL["Số vào sổ"]], "full_name": ROWS[2][COL["Họ và tên"]],
            "date_of_birth": ROWS[2][COL["Ngày sinh"]]}  # fmt: skip
    r = client.post("/tra-cuu-van-bang", data=form)
    assert "Khớp / Match" in r.text
    sign_in(client, "so-clerk")
    assert "Đối soát" in client.get("/so/van-bang").text


def test_api_issues_from_a_decision_and_a_revocation_shows_in_status_and_the_public_list(
    client: TestClient, clock: FixedClock
) -> None:
    decided = clock.today() - timedelta(days=2)  # within the 5-day rule, whatever today is
    sign_in(client, "principal")
    decision = client.post("/api/v1/graduation-decisions", json={
        "school_code": "THPT-DEMO", "decision_no": "9/QĐ", "decision_date": decided.isoformat(),
        "graduation_year": decided.year,
        "signer_name": "Ngô Quang Trưởng",
        "graduates": [{"full_name": "Phạm Thu Hà", "date_of_birth": "01/02/2008", "sex": "Nữ"}],
    })  # fmt: skip
    assert decision.status_code == 200, decision.text
    did = decision.json()["decision_id"]
    confirmation = confirm(client, "principal", f"issue:decision:{did}")
    issued = client.post(f"/api/v1/graduation-decisions/{did}/issue", json={"confirmation_id": confirmation})
    assert issued.status_code == 200, issued.text
    cid = issued.json()["issued"][0]["credential_id"]
    assert client.get(f"/api/v1/diplomas/{cid}/pdf").content.startswith(b"%PDF")
    assert client.get("/api/v1/diplomas/deadlines").json()[0]["counts"]["on_time"] == 1
    sign_in(client, "so-clerk")
    bad = client.post(f"/api/v1/diplomas/{cid}/corrections", json={
        "decision_no": "1", "decision_date": clock.today().isoformat(), "signer": "HT", "ground": "typo",
        "field": "full_name",
        "old_value": "Phạm Thu Hà", "new_value": "Phạm Thu Hà B", "evidence": ["x"]})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["location"] == {"field": "ground"}
    r = client.post(f"/api/v1/diplomas/{cid}/revocations", json={
        "kind": "revoke", "ground": "ineligible_holder", "decision_no": "77/QĐ",
        "decision_date": clock.today().isoformat(),
        "signer": "HT", "reason": "Không đủ điều kiện dự thi"})  # fmt: skip
    assert r.status_code == 202, r.text
    assert client.get(f"/api/v1/diplomas/{cid}").json()["status"] != "revoked"  # not before a second person
    sign_in(client, "principal")
    done = client.post(f"/api/v1/approvals/{r.json()['approval_id']}/approve", json={})
    assert done.status_code == 200, done.text
    assert client.get(f"/api/v1/diplomas/{cid}").json()["status"] == "revoked"
    assert client.get("/api/v1/public/revocations").json()[0]["decision_no"] == "77/QĐ"
    assert "77/QĐ" in client.get("/cong-khai/thu-hoi-van-bang").text
