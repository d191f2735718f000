"""The progress API on the demo city: its numbers are the register's, they move when a class is signed, small
cells are suppressed, and the CSV of every table says what the JSON says."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from progress_fixtures import add_school, counts_from_tables, flip_sex_digits, set_personal_ids
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import DEMO_SCHOOL_CODE, class_id, staff_id
from credential_service.reporting.rules import TABLES, school_year_of
from credential_service.reporting.suppression import MARK
from credential_service.transcripts.workflow import Step

A1, A2 = class_id("10A1"), class_id("10A2")
COMPARED = ("students", "drafted", "locked", "signed_gvcn", "signed_principal", "sealed", "no_personal_id", "pin_sex")


def _progress(client: TestClient, **params: str) -> dict[str, Any]:
    r = client.get("/api/v1/progress", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _city(client: TestClient) -> dict[str, Any]:
    row: dict[str, Any] = _progress(client)["tables"]["city"][0]
    return row


def test_the_dashboard_numbers_match_a_count_straight_from_the_tables(container: Container, client: TestClient) -> None:
    # some data-quality work for the count: six without an ID number, five with the sex digit of the other sex
    set_personal_ids(container, A1, [None] * 6)
    flip_sex_digits(container, A2, 5)
    container.transcripts.lock_class(A2)
    expected = counts_from_tables(container)
    assert expected["students"] == 87 and expected["locked"] == 42  # the demo: 45 + 42, 10A2 locked
    sign_in(client, "inspector")
    body = _progress(client)
    city = body["tables"]["city"][0]
    assert {k: city[k] for k in COMPARED} == expected
    assert (expected["no_personal_id"], expected["pin_sex"]) == (6, 5)
    assert city["share_signed"] == 0.0
    # the one school and its commune carry the same numbers; the classes add up to them
    (school,) = body["tables"]["schools"]
    (commune,) = body["tables"]["communes"]
    assert {k: school[k] for k in COMPARED} == expected == {k: commune[k] for k in COMPARED}
    classes = client.get(f"/api/v1/progress/schools/{DEMO_SCHOOL_CODE}").json()["classes"]
    assert {k["name"]: (k["students"], k["locked"], k["status"]) for k in classes} == {
        "10A1": (45, 0, "draft"), "10A2": (42, 42, "locked"),
    }  # fmt: skip
    assert sum(k["no_personal_id"] for k in classes) == 6
    one = client.get(f"/api/v1/progress/classes/{A2}").json()
    assert one["class"] == next(k for k in classes if k["name"] == "10A2")
    assert one["school"]["code"] == DEMO_SCHOOL_CODE and one["backlog"][0]["step"] == "gvcn"
    assert body["school_year"] == "2025-2026" and body["scope"] == {"city": True, "communes": None}


@pytest.mark.slow
def test_signing_a_class_moves_the_numbers_at_once(container: Container, client: TestClient) -> None:
    sign_in(client, "so-admin")
    assert _city(client)["locked"] == 0
    svc = container.transcripts
    svc.lock_class(A2)
    city = _city(client)
    assert (city["drafted"], city["locked"], city["signed_gvcn"]) == (45, 42, 0)
    svc.sign_class(A2, Step.GVCN, staff_id=staff_id("gvcn-10a2"))
    body = _progress(client)
    city = body["tables"]["city"][0]
    assert (city["locked"], city["signed_gvcn"], city["sealed"]) == (42, 42, 0)
    assert [(b["step"], b["classes"], b["documents"]) for b in body["tables"]["backlog"]] == [
        ("lock", 1, 45), ("principal", 1, 42),
    ]  # fmt: skip
    svc.sign_class(A2, Step.PRINCIPAL, staff_id=staff_id("principal"))
    svc.sign_class(A2, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    city = _city(client)
    assert (city["signed_principal"], city["sealed"], city["share_signed"]) == (42, 42, round(42 / 87, 4))


def test_cells_about_fewer_than_five_students_are_suppressed(container: Container, client: TestClient) -> None:
    set_personal_ids(container, A1, [None, None, None])
    add_school(container, "THCS-NHO", "Phường Lê Chân", n=3)  # a school of three students
    sign_in(client, "so-clerk")
    body = _progress(client)
    city = body["tables"]["city"][0]
    assert city["no_personal_id"] is None and "no_personal_id" in city["suppressed"]
    assert city["students"] == 90
    small = next(r for r in body["tables"]["schools"] if r["code"] == "THCS-NHO")
    assert small["students"] is None and small["drafted"] is None and small["share_signed"] is None
    assert {"students", "drafted", "share_signed"} <= set(small["suppressed"])
    assert small["sealed"] == 0  # a zero names nobody
    assert body["suppression"]["threshold"] == 5
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/progress/schools.csv").text.lstrip("\ufeff"))))
    assert next(r for r in rows if r["code"] == "THCS-NHO")["students"] == MARK
    page = client.get("/so/tien-do", headers={"accept": "text/html"}).text
    assert "&lt;5" in page
    set_personal_ids(container, A1, [None] * 7)
    assert _city(client)["no_personal_id"] == 7


@pytest.mark.parametrize("table", TABLES)
def test_the_csv_of_each_table_matches_the_json(container: Container, client: TestClient, table: str) -> None:
    container.transcripts.lock_class(A2)
    add_school(container, "THCS-KHAC", "Xã Kiến Thụy", n=9)
    sign_in(client, "inspector")
    rows = _progress(client)["tables"][table]
    r = client.get(f"/api/v1/progress/{table}.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM, for Excel
    parsed = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(parsed) == len(rows) > 0
    for json_row, csv_row in zip(rows, parsed, strict=True):
        for name, value in csv_row.items():
            expected = json_row[name]
            if name in json_row["suppressed"]:
                assert value == MARK
            elif isinstance(expected, list):
                assert value == " ".join(expected)
            elif isinstance(expected, float):
                assert float(value) == pytest.approx(expected, abs=1e-4)
            else:
                assert value == ("" if expected is None else str(expected)), (table, name)


def test_the_school_classes_csv_matches_the_drill_down(client: TestClient) -> None:
    sign_in(client, "inspector")
    classes = client.get(f"/api/v1/progress/schools/{DEMO_SCHOOL_CODE}").json()["classes"]
    text = client.get(f"/api/v1/progress/schools/{DEMO_SCHOOL_CODE}/classes.csv").text.lstrip("\ufeff")
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert [(r["name"], int(r["students"])) for r in parsed] == [(k["name"], k["students"]) for k in classes]


def test_the_filters_narrow_the_tables(container: Container, client: TestClient) -> None:
    add_school(container, "THCS-KHAC", "Xã Kiến Thụy", n=9)
    sign_in(client, "so-admin")
    assert _progress(client, level="thcs")["tables"]["city"][0]["students"] == 9
    assert _progress(client, level="thpt")["tables"]["city"][0]["students"] == 87
    assert _progress(client, commune="Xã Kiến Thụy")["tables"]["city"][0]["students"] == 9
    other_year = _progress(client, school_year="2024-2025")
    assert other_year["tables"]["city"][0]["students"] == 0 and other_year["school_years"] == ["2025-2026"]


def test_unknown_table_and_school_are_not_found_in_vietnamese_first(client: TestClient) -> None:
    sign_in(client, "inspector")
    r = client.get("/api/v1/progress/nope.csv")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail_vi"].startswith("Không có bảng") and r.json()["detail_en"].startswith("No table")
    assert client.get("/api/v1/progress/schools/KHONG-CO").status_code == 404
    assert client.get("/api/v1/progress", params={"level": "dai_hoc"}).status_code == 422


def _graduates(n: int) -> list[dict[str, Any]]:
    return [
        {"full_name": f"Nguyễn Văn Tốt Nghiệp {i}", "date_of_birth": f"{i + 1:02d}/03/2008", "sex": "Nam",
         "place_of_birth": "Hải Phòng", "ethnicity": "Kinh", "personal_id": None}
        for i in range(n)
    ]  # fmt: skip


def test_diplomas_due_and_late_come_from_the_deadline_view(container: Container, client: TestClient) -> None:
    today = container.clock.today()
    decide = container.diplomas.record_graduation_decision
    common = {"school_code": DEMO_SCHOOL_CODE, "graduation_year": 2026, "signer_name": "Ngô Quang Trưởng"}
    decide(decision_no="1/QĐ-TN", decision_date=date(2026, 6, 20), graduates=_graduates(6), **common)
    decide(decision_no="2/QĐ-TN", decision_date=today, graduates=_graduates(7), **common)
    sign_in(client, "so-clerk")
    city = _progress(client, school_year="2025-2026")["tables"]["city"][0]  # the June decision: all late
    assert (city["diplomas_graduates"], city["diplomas_late"], city["diplomas_due"]) == (6, 6, 0)
    now = _progress(client, school_year=school_year_of(today))["tables"]["city"][0]  # today's: all due
    assert (now["diplomas_graduates"], now["diplomas_due"], now["diplomas_late"]) == (7, 7, 0)
    view = container.diplomas.deadline_view(today)
    assert sum(d["counts"]["late"] for d in view) == 6 and sum(d["counts"]["due"] for d in view) == 7
