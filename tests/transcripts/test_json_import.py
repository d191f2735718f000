"""Importing a class's results through the JSON API: all or nothing, with located errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from staff_login import sign_in

from credential_service.app.bootstrap import build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.transcripts.spreadsheets import demo_class
from credential_service.transcripts.year_input import year_input_to_json

A1 = class_id("10A1")


@pytest.fixture
def client(sqlite_db_url: str) -> Iterator[TestClient]:
    container = build(Settings(env="test", database_url=sqlite_db_url))
    seed_demo(container.transcripts, import_results=False)
    with TestClient(create_app(container)) as c:
        sign_in(c, "gvcn-10a1")
        yield c
    container.db.dispose()


def _payload(n: int = 3) -> dict[str, Any]:
    students = []
    for s in demo_class("10A1", 10, n=n, seed=9):
        year = year_input_to_json(s.year)
        year.pop("grade")
        students.append(
            {
                "student_code": s.code,
                "full_name": s.full_name,
                "date_of_birth": s.date_of_birth.isoformat(),
                "sex": s.sex.value,
                "place_of_birth": s.place_of_birth,
                "ethnicity": s.ethnicity,
                "personal_id": s.personal_id,
                "year": year,
            }
        )
    return {"students": students}


def _count(client: TestClient) -> int:
    return len(client.get(f"/api/v1/classes/{A1}").json()["students"])


def test_a_valid_json_import_stores_every_student_and_repeating_it_changes_nothing(client: TestClient) -> None:
    payload = _payload()
    first = client.post(f"/api/v1/classes/{A1}/results", json=payload)
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 3
    again = client.post(f"/api/v1/classes/{A1}/results", json=payload)
    assert again.json()["unchanged"] is True
    assert _count(client) == 3


def test_a_bad_score_and_a_bad_id_number_are_located_and_nothing_is_imported(client: TestClient) -> None:
    payload = _payload()
    payload["students"][1]["year"]["subjects"]["Toán"]["hk1"]["gk"] = "8,5"
    payload["students"][2]["personal_id"] = "03120012345"  # 11 digits
    r = client.post(f"/api/v1/classes/{A1}/results", json=payload)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["location"]["field"] for e in r.json()["errors"]}
    assert "students[1].year.subjects.Toán.hk1.gk" in fields
    assert "students[2].personal_id" in fields
    assert all(e["vi"] and e["en"] for e in r.json()["errors"])
    assert _count(client) == 0


def test_a_body_without_a_student_list_is_refused_clearly(client: TestClient) -> None:
    r = client.post(f"/api/v1/classes/{A1}/results", json={"hocsinh": []})
    assert r.status_code == 422
    assert "students" in r.json()["detail_en"]


def test_an_id_number_whose_province_or_sex_digit_disagrees_is_imported_with_a_warning_for_the_importer(
    client: TestClient,
) -> None:
    payload = _payload()
    first, second = payload["students"][0], payload["students"][1]
    first["personal_id"] = "099" + first["personal_id"][3:]  # no province or country has code 099
    g = int(second["personal_id"][3])
    second["personal_id"] = second["personal_id"][:3] + str(g ^ 1) + second["personal_id"][4:]  # the other sex
    r = client.post(f"/api/v1/classes/{A1}/results", json=payload)
    assert r.status_code == 200, r.text
    warnings = r.json()["warnings"]
    assert [(w["student_code"], w["rule"]) for w in warnings] == [
        (first["student_code"], "pin_province"),
        (second["student_code"], "pin_sex"),
    ]
    assert all(w["column"] == "Số định danh" and w["message_vi"] and w["message_en"] for w in warnings)
    assert not any(first["personal_id"] in w["message_vi"] + w["message_en"] for w in warnings)  # not echoed
    assert _count(client) == 3
