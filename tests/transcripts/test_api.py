"""The HTTP API on SQLite through FastAPI's TestClient: OpenAPI, imports, rules, problem+json errors."""

from __future__ import annotations

import io
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from primary_fixture import ISSUE_EXAMPLE, example
from staff_login import confirm, sign_in

from credential_service.app.bootstrap import build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.transcripts.routes_rules import EXAMPLE
from credential_service.transcripts.spreadsheets import demo_class, write_sample_csv, write_sample_xlsx

PROBLEM_JSON = "application/problem+json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLASS_10A1 = class_id("10A1")


@pytest.fixture
def client(sqlite_db_url: str) -> Iterator[TestClient]:
    """The demo school with empty classes (no results imported)."""
    container = build(Settings(env="test", database_url=sqlite_db_url))
    seed_demo(container.transcripts, import_results=False)
    with TestClient(create_app(container)) as c:
        sign_in(c, "gvcn-10a1")  # the homeroom teacher of 10A1 imports, locks and signs the GVCN step
        yield c
    container.db.dispose()


def _assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["detail_vi"] and body["detail_en"]
    assert body["type"].endswith(f"/problems/{code}")
    return body


def _student_count(client: TestClient, cid: str = CLASS_10A1) -> int:
    r = client.get(f"/api/v1/classes/{cid}")
    assert r.status_code == 200, r.text
    return len(r.json()["students"])


# ------------------------------------------------------------------------------------ OpenAPI


def test_openapi_lists_the_import_lock_and_sign_endpoints(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    spec = r.json()
    paths = spec["paths"]
    assert "post" in paths["/api/v1/classes/{class_id}/imports"]
    assert "post" in paths["/api/v1/classes/{class_id}/lock"]
    assert "post" in paths["/api/v1/classes/{class_id}/sign/{step}"]
    assert "post" in paths["/api/v1/rules/explain"]
    assert "get" in paths["/api/v1/transcripts/{transcript_id}/pdf"]
    assert spec["info"]["title"] == "Sổ Gốc Số API"
    # the web pages are not part of the API description
    assert not any(p.startswith("/classes") for p in paths)
    assert client.get("/docs").status_code == 200


# ------------------------------------------------------------------------------------ imports


def _broken_xlsx() -> tuple[bytes, dict[str, int]]:
    """A valid demo workbook with three bad cells in sheet Diem; returns the file and their rows."""
    wb = load_workbook(io.BytesIO(write_sample_xlsx(demo_class("10A1", 10, n=3, seed=3))))
    ws = wb["Diem"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in ("Môn học", "HK1 GK", "HK2 CK")}
    scored = [
        r for r in range(2, ws.max_row + 1) if ws.cell(r, col["HK1 GK"]).value not in (None, "")
    ]  # rows of scored subjects
    rows = {"10.5": scored[0], "8,5": scored[1], "subject": scored[2]}
    ws.cell(rows["10.5"], col["HK1 GK"]).value = "10.5"
    ws.cell(rows["8,5"], col["HK2 CK"]).value = "8,5"
    ws.cell(rows["subject"], col["Môn học"]).value = "Thiên văn học"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), rows


def test_broken_xlsx_is_refused_with_every_cell_located_and_nothing_imported(client: TestClient) -> None:
    data, rows = _broken_xlsx()
    r = client.post(f"/api/v1/classes/{CLASS_10A1}/imports", files={"file": ("lop10A1.xlsx", data, XLSX)})
    body = _assert_problem(r, 422, "invalid-input")
    errors = body["errors"]
    assert len(errors) == 3, errors
    for e in errors:
        assert {"sheet", "row", "column"} <= set(e["location"]), e
        assert e["vi"] and e["en"] and e["vi"] != e["en"], e
    by_place = {(e["location"]["sheet"], e["location"]["row"], e["location"]["column"]): e for e in errors}
    too_high = by_place[("Diem", rows["10.5"], "HK1 GK")]
    assert too_high["value"] == "10.5"
    assert "0" in too_high["vi"] and "10" in too_high["en"] and too_high["expected_vi"], too_high
    comma = by_place[("Diem", rows["8,5"], "HK2 CK")]
    assert comma["value"] == "8,5"
    assert "8.5" in comma["vi"] and "dot" in comma["en"], comma
    subject = by_place[("Diem", rows["subject"], "Môn học")]
    assert subject["value"] == "Thiên văn học"
    assert "Thiên văn học" in subject["vi"] and "Toán" in subject["expected_vi"]
    assert "nothing was imported" in body["detail_en"] and "chưa có dữ liệu nào" in body["detail_vi"]
    assert _student_count(client) == 0


def test_valid_xlsx_imports_the_class(client: TestClient) -> None:
    data = write_sample_xlsx(demo_class("10A1", 10, n=3, seed=3))
    r = client.post(f"/api/v1/classes/{CLASS_10A1}/imports", files={"file": ("lop10A1.xlsx", data, XLSX)})
    assert r.status_code == 200, r.text
    assert r.json()["students"] == 3
    assert _student_count(client) == 3


@pytest.mark.parametrize("encoding", ["cp1258", "latin-1"])
def test_csv_not_in_utf8_is_refused_with_a_hint_to_save_as_utf8(client: TestClient, encoding: str) -> None:
    roster, results = write_sample_csv(demo_class("10A1", 10, n=3, seed=3))

    def legacy(data: bytes) -> bytes:
        text = data.decode("utf-8-sig")
        if encoding == "cp1258":  # Windows-1258 writes Vietnamese with combining tone marks
            text = unicodedata.normalize("NFD", text)
        return text.encode(encoding, errors="replace")

    roster, results = legacy(roster), legacy(results)
    with pytest.raises(UnicodeDecodeError):
        roster.decode("utf-8")
    r = client.post(
        f"/api/v1/classes/{CLASS_10A1}/imports",
        files={"roster": ("HocSinh.csv", roster, "text/csv"), "results": ("Diem.csv", results, "text/csv")},
    )
    body = _assert_problem(r, 422, "invalid-input")
    assert "UTF-8" in body["detail_vi"] and "UTF-8" in body["detail_en"], body
    assert "HocSinh.csv" in body["detail_en"]
    assert "Save it again as 'CSV UTF-8'" in body["detail_en"]
    assert _student_count(client) == 0


def test_import_without_a_file_is_a_bilingual_422(client: TestClient) -> None:
    r = client.post(f"/api/v1/classes/{CLASS_10A1}/imports")
    body = _assert_problem(r, 422, "invalid-input")
    assert "XLSX" in body["detail_vi"] and "XLSX" in body["detail_en"]


# ------------------------------------------------------------------------------------- rules


def test_rules_explain_returns_the_year_and_its_trace(client: TestClient) -> None:
    r = client.post("/api/v1/rules/explain", json=EXAMPLE)
    assert r.status_code == 200, r.text
    body = r.json()
    for key in ("subjects", "learning_result", "conduct", "promotion", "award", "trace"):
        assert key in body, key
    assert set(body["subjects"]) == {"Toán", "Giáo dục thể chất"}
    assert body["conduct"]["hk1"] == "Tốt"
    assert isinstance(body["trace"], list) and body["trace"]


def test_rules_explain_rejects_a_comma_decimal_with_the_field_named(client: TestClient) -> None:
    year = {
        **EXAMPLE,
        "subjects": {
            **EXAMPLE["subjects"],
            "Toán": {"hk1": {"tx": [8, 7, 9, 8], "gk": "8,5", "ck": 8}, "hk2": {"tx": [8, 8, 9, 9], "gk": 8, "ck": 8}},
        },
    }
    r = client.post("/api/v1/rules/explain", json=year)
    body = _assert_problem(r, 422, "invalid-input")
    text = str(body.get("errors", "")) + body["detail"]
    assert "8,5" in text and "gk" in text, body


def test_rules_explain_accepts_a_primary_year(client: TestClient) -> None:
    r = client.post("/api/v1/rules/explain", json=ISSUE_EXAMPLE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["overall"] == "Hoàn thành" and body["subjects"]["Tiếng Việt"]["year"] == {"level": "T", "test": 10}
    bad = example()
    del bad["qualities"]["Trung thực"]
    body = _assert_problem(client.post("/api/v1/rules/explain", json=bad), 422, "invalid-input")
    assert "qualities.Trung thực" in str(body.get("errors", "")), body


# ----------------------------------------------------------------------------- workflow, 404


def test_signing_before_locking_is_a_409_workflow_violation(client: TestClient) -> None:
    sign_in(client, "principal")
    purpose = f"sign:class:{CLASS_10A1}:principal"
    r = client.post(
        f"/api/v1/classes/{CLASS_10A1}/sign/principal", json={"confirmation_id": confirm(client, "principal", purpose)}
    )
    body = _assert_problem(r, 409, "workflow-violation")
    assert body["current"] == "draft" and body["required"] == "signed_gvcn" and body["step"] == "principal"
    assert "Hiệu trưởng" in body["detail_vi"]
    sign_in(client, "seal-operator")
    purpose = f"sign:class:{CLASS_10A1}:seal"
    r = client.post(
        f"/api/v1/classes/{CLASS_10A1}/sign/seal", json={"confirmation_id": confirm(client, "seal-operator", purpose)}
    )
    _assert_problem(r, 409, "workflow-violation")
    sign_in(client, "gvcn-10a1")
    assert client.get(f"/api/v1/classes/{CLASS_10A1}").json()["status"] == "draft"


def test_unknown_class_is_a_404_for_the_so_and_a_403_for_a_teacher(client: TestClient) -> None:
    """A teacher learns nothing about classes outside their own (not even whether they exist)."""
    missing = str(uuid.uuid4())
    data = write_sample_xlsx(demo_class("10A1", 10, n=1, seed=3))
    r = client.post(f"/api/v1/classes/{missing}/imports", files={"file": ("x.xlsx", data, XLSX)})
    _assert_problem(r, 403, "not-authorised")
    _assert_problem(client.post(f"/api/v1/classes/{missing}/lock"), 403, "not-authorised")
    sign_in(client, "inspector")
    body = _assert_problem(client.get(f"/api/v1/classes/{missing}"), 404, "not-found")
    assert missing in body["detail_vi"] and missing in body["detail_en"]
    assert body["instance"] == f"/api/v1/classes/{missing}"


def test_malformed_sign_request_is_a_422_problem(client: TestClient) -> None:
    r = client.post(f"/api/v1/classes/{CLASS_10A1}/sign/gvcn", json={})
    body = _assert_problem(r, 422, "invalid-input")
    assert any("confirmation_id" in e["location"]["field"] for e in body["errors"]), body
