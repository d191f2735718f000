"""A teacher or parent can see why a student got a result: the year with its rule trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from staff_login import sign_in

from credential_service.app.bootstrap import build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings

A1 = class_id("10A1")


@pytest.fixture
def client(sqlite_db_url: str) -> Iterator[TestClient]:
    container = build(Settings(env="test", database_url=sqlite_db_url))
    seed_demo(container.transcripts)
    with TestClient(create_app(container)) as c:
        sign_in(c, "gvcn-10a1")
        yield c
    container.db.dispose()


def _first_student(client: TestClient) -> str:
    student_id: str = client.get(f"/api/v1/classes/{A1}").json()["students"][0]["student_id"]
    return student_id


def test_the_api_returns_the_year_with_averages_result_and_trace(client: TestClient) -> None:
    body = client.get(f"/api/v1/classes/{A1}/students/{_first_student(client)}").json()
    ev = body["evaluation"]
    assert ev["learning_result"]["year"] in {"Tốt", "Khá", "Đạt", "Chưa đạt"}
    assert any(step["rule"].startswith("TT22/") for step in ev["trace"])
    assert "Toán" in ev["subjects"]


def test_the_student_page_shows_the_rule_trace_in_vietnamese_and_english(client: TestClient) -> None:
    page = client.get(f"/classes/{A1}/students/{_first_student(client)}")
    assert page.status_code == 200
    assert "Căn cứ xếp loại" in page.text and "Why this result" in page.text
    assert "ĐTBmhk" in page.text


def test_an_unknown_student_is_a_404_problem(client: TestClient) -> None:
    r = client.get(f"/api/v1/classes/{A1}/students/nobody")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
