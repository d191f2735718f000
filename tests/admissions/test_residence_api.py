"""POST /api/v1/admissions/residence: the same bytes as ``sogoc admissions residence FILE.json``, for the Sở
admissions officer only; bad input is a problem+json with one bilingual error per key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from staff_login import add_account, sign_in
from test_residence import CITY, document

from credential_service.admissions.service import residence_document
from credential_service.app.bootstrap import build
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role

PATH = "/api/v1/admissions/residence"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, TestClient]]:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('residence')}/r.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    add_account(c, "tuyen-sinh", Role.SO_ADMISSIONS)
    add_account(c, "can-bo-phuong", Role.COMMUNE_OFFICER, commune="Phường Lê Chân")
    app = create_app(c)
    officer, commune = TestClient(app), TestClient(app)
    sign_in(officer, "tuyen-sinh")
    sign_in(commune, "can-bo-phuong")
    yield officer, commune
    c.db.dispose()


def test_the_officer_gets_the_cli_bytes(clients: tuple[TestClient, TestClient]) -> None:
    officer, _ = clients
    body = document(CITY)
    r = officer.post(PATH, content=body, headers=JSON)
    assert r.status_code == 200 and r.content == residence_document(body)
    assert r.json()["assignments"]["HS04"]["school"] == "TH-LE-CHAN"


def test_bad_input_and_other_roles_are_refused(clients: tuple[TestClient, TestClient]) -> None:
    officer, commune = clients
    bad = officer.post(PATH, content=b'{"seed": "s", "schools": []}', headers=JSON)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"]
    r = commune.post(PATH, content=document(CITY), headers=JSON)
    assert r.status_code == 403 and r.json()["code"] == "not-authorised"
    assert TestClient(officer.app).post(PATH, content=document(CITY), headers=JSON).status_code == 401
