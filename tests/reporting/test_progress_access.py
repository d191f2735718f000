"""Who sees the progress: the Sở city-wide, a commune officer their commune only, nobody anonymous, and no
school or class role."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from progress_fixtures import OTHER_COMMUNE, add_school
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import DEMO_SCHOOL_CODE, class_id
from credential_service.app.demo_accounts import DEMO_COMMUNE
from credential_service.reporting.rules import TABLES

ENDPOINTS = [
    "/api/v1/progress",
    f"/api/v1/progress/schools/{DEMO_SCHOOL_CODE}",
    f"/api/v1/progress/schools/{DEMO_SCHOOL_CODE}/classes.csv",
    f"/api/v1/progress/classes/{class_id('10A1')}",
    *(f"/api/v1/progress/{t}.csv" for t in TABLES),
]


def test_a_commune_officer_sees_only_their_commune(container: Container, client: TestClient) -> None:
    other = add_school(container, "THCS-KHAC", OTHER_COMMUNE, n=9)
    sign_in(client, "so-admin")
    city = client.get("/api/v1/progress").json()
    assert [r["key"] for r in city["tables"]["communes"]] == sorted([DEMO_COMMUNE, OTHER_COMMUNE])
    assert city["tables"]["city"][0]["students"] == 96

    sign_in(client, "commune-officer")
    own = client.get("/api/v1/progress").json()
    assert own["scope"] == {"city": False, "communes": [DEMO_COMMUNE]}
    assert [r["key"] for r in own["tables"]["communes"]] == [DEMO_COMMUNE]
    assert [r["code"] for r in own["tables"]["schools"]] == [DEMO_SCHOOL_CODE]
    assert own["tables"]["city"][0]["students"] == 87  # the total is of what they may see
    assert "THCS-KHAC" not in client.get("/api/v1/progress/schools.csv").text
    assert client.get(f"/api/v1/progress/schools/{DEMO_SCHOOL_CODE}").status_code == 200

    for path in ("/api/v1/progress/schools/THCS-KHAC", "/api/v1/progress/schools/THCS-KHAC/classes.csv"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert r.json()["policy"] == "progress.read"
    r = client.get("/api/v1/progress", params={"commune": OTHER_COMMUNE})
    assert r.status_code == 403
    assert r.json()["detail_vi"].startswith("Bạn chỉ xem được tiến độ của xã/phường mình")
    assert client.get("/api/v1/progress/communes.csv", params={"commune": OTHER_COMMUNE}).status_code == 403
    assert client.get(f"/api/v1/progress/classes/{class_id('10A1')}").status_code == 200
    other_class = client.get(f"/api/v1/progress/classes/{other}")
    assert other_class.status_code == 403 and other_class.json()["policy"] == "progress.class.read"
    assert client.get(f"/so/tien-do/lop/{other}", headers={"accept": "text/html"}).status_code == 403
    page = client.get("/so/tien-do", headers={"accept": "text/html"})
    assert page.status_code == 200 and "THCS-KHAC" not in page.text and "Trường THCS-KHAC" not in page.text
    assert client.get("/so/tien-do/truong/THCS-KHAC", headers={"accept": "text/html"}).status_code == 403


@pytest.mark.parametrize("path", ENDPOINTS)
def test_anonymous_gets_401(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_an_anonymous_browser_is_sent_to_sign_in(client: TestClient) -> None:
    r = client.get("/so/tien-do", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/dang-nhap?next=")


@pytest.mark.parametrize("username", ["gvcn-10a1", "principal", "school-clerk"])
def test_school_and_class_roles_get_403(client: TestClient, username: str) -> None:
    sign_in(client, username)
    for path in ENDPOINTS:
        r = client.get(path)
        assert r.status_code == 403, (username, path, r.text)
        assert r.json()["detail_vi"] and r.json()["detail_en"]


def test_the_progress_policy_is_declared_for_every_progress_route(client: TestClient) -> None:
    from credential_service.staff.access import route_policies

    declared = {r.path: [p.name for p in ps] for r, ps in route_policies(client.app) if "progress" in r.path}  # type: ignore[arg-type]
    # one class's page: the guard itself finds the class's commune (Scope.CLASS)
    expected = {path: ["progress.class.read" if "{class_id}" in path else "progress.read"] for path in declared}
    # the report to the city (the Sở that manages) and the alerts (each person those they answer for)
    expected |= {"/api/v1/progress/reports": ["progress.report"], "/api/v1/progress/alerts": ["progress.alerts"]}
    expected |= {"/api/v1/progress/report-jobs": ["progress.report"]}  # the same report, as a background job
    expected |= {"/api/v1/progress/ledger": ["progress.report"]}  # the reconciliation with the ledger, city-wide
    expected |= {  # duplicate person records, city-wide, named by internal id
        "/api/v1/progress/quality/persons": ["progress.report"],
        "/api/v1/progress/quality/persons.csv": ["progress.report"],
    }
    assert declared and declared == expected
