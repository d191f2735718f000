"""Hostile class-import files through the real HTTP API: each gets a 4xx problem+json within 2 s that
names what is wrong (a 413 names the limit and what to do), and nothing is imported."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import hostile_files as h
import pytest
from fastapi.testclient import TestClient
from http_checks import assert_names_the_limit, assert_problem
from staff_login import sign_in

from credential_service.app.demo import class_id
from credential_service.transcripts.spreadsheets import demo_class, write_sample_xlsx

CLASS_10A1 = class_id("10A1")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECONDS = 2.0


def _good() -> bytes:
    return write_sample_xlsx(demo_class("10A1", 10, n=3, seed=3))


# (file, HTTP status, limit named by a 413 or None)
XLSX_CASES: dict[str, tuple[Callable[[], bytes], int, str | None]] = {
    "dimension bomb (A1:XFD1048576, one cell on the last row)": (h.dimension_bomb, 413, "max_columns"),
    "declared dimension ignored (last row, column A)": (h.dimension_bomb_in_column_a, 422, None),
    "zip bomb (1 GB sheet in 1 MB)": (h.zip_bomb, 413, "max_unzipped_bytes"),
    "zip bomb lying about its size": (h.zip_bomb_lying_about_its_size, 422, None),
    "too many sheets": (h.too_many_sheets, 413, "max_sheets"),
    "too many rows": (h.too_many_rows, 413, "max_rows"),
    "too many columns": (h.too_many_columns, 413, "max_columns"),
    "too many (empty formatted) cells": (h.too_many_cells, 413, "max_cells"),
    "billion laughs in a sheet": (h.billion_laughs_in_sheet, 422, None),
    "billion laughs in the shared strings": (h.billion_laughs_in_shared_strings, 422, None),
    "billion laughs in the workbook part": (h.billion_laughs_in_workbook, 422, None),
    "external entity": (h.external_entity, 422, None),
    "malformed zip": (h.malformed_zip, 422, None),
    "truncated xlsx": (lambda: h.truncated(_good()), 422, None),
    "corrupt member (bad CRC)": (lambda: h.corrupt_member(_good()), 422, None),
    "malformed sheet XML": (h.bad_xml_in_sheet, 422, None),
    "shared string that is not there": (h.missing_shared_string, 422, None),
    "file over 2 MB": (lambda: b"PK" + os.urandom(2 * 1024 * 1024 + 10), 413, "max_bytes"),
}


@pytest.fixture
def teacher(school_client: TestClient) -> TestClient:
    sign_in(school_client, "gvcn-10a1")  # the homeroom teacher of 10A1 may import into 10A1
    return school_client


def _students(client: TestClient) -> int:
    r = client.get(f"/api/v1/classes/{CLASS_10A1}")
    assert r.status_code == 200, r.text
    return len(r.json()["students"])


@pytest.mark.parametrize("case", list(XLSX_CASES))
def test_hostile_xlsx_gets_a_clear_4xx_quickly_and_imports_nothing(teacher: TestClient, case: str) -> None:
    make, status, limit = XLSX_CASES[case]
    data = make()
    started = time.perf_counter()
    r = teacher.post(f"/api/v1/classes/{CLASS_10A1}/imports", files={"file": ("lop.xlsx", data, XLSX)})
    elapsed = time.perf_counter() - started
    body = assert_problem(r, status, "too-large" if status == 413 else "invalid-input")
    if limit is not None:
        assert_names_the_limit(body, limit)
    assert elapsed < SECONDS, f"{case}: {elapsed:.2f} s"
    assert _students(teacher) == 0


def test_a_good_workbook_still_imports(teacher: TestClient) -> None:
    r = teacher.post(f"/api/v1/classes/{CLASS_10A1}/imports", files={"file": ("lop.xlsx", _good(), XLSX)})
    assert r.status_code == 200, r.text
    assert _students(teacher) == 3


CSV_CASES: dict[str, tuple[bytes, int, str | None]] = {
    # over the file's 2 MB, under the route's body limit (a larger body is refused before: test_body_limits.py)
    "a 3 MB line (over the file size)": (h.csv_with_long_line(3 * 1024 * 1024), 413, "max_bytes"),
    "a 100 KB line": (h.csv_with_long_line(100 * 1024), 413, "max_line_chars"),
    "too many rows": (("Mã HS,Môn\r\n" + "HS1,Toán\r\n" * 2_001).encode(), 413, "max_rows"),
    "too many columns": (("Mã HS" + "," * 300 + "x\r\n").encode(), 413, "max_columns"),
    "not UTF-8": ("Ma HS,Ngày sinh\r\n".encode("latin-1"), 422, None),
    "an unterminated quoted field over the field size": (b'Ma HS,"' + b"x\n" * 70_000, 422, None),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_hostile_csv_gets_a_clear_4xx_quickly_and_imports_nothing(teacher: TestClient, case: str) -> None:
    data, status, limit = CSV_CASES[case]
    started = time.perf_counter()
    r = teacher.post(
        f"/api/v1/classes/{CLASS_10A1}/imports",
        files={"roster": ("HocSinh.csv", data, "text/csv"), "results": ("Diem.csv", b"Ma HS\r\n", "text/csv")},
    )
    elapsed = time.perf_counter() - started
    body = assert_problem(r, status, "too-large" if status == 413 else "invalid-input")
    if limit is not None:
        assert_names_the_limit(body, limit)
    assert elapsed < SECONDS, f"{case}: {elapsed:.2f} s"
    assert _students(teacher) == 0


def test_the_class_page_upload_answers_a_bomb_with_its_error(teacher: TestClient) -> None:
    started = time.perf_counter()
    r = teacher.post(
        f"/classes/{CLASS_10A1}/import", files={"file": ("lop.xlsx", h.dimension_bomb(), XLSX)}, follow_redirects=False
    )
    assert time.perf_counter() - started < SECONDS
    assert r.status_code == 303, r.text
    assert "error_vi=" in r.headers["location"] and "XFD1048576" in r.headers["location"]
    assert _students(teacher) == 0
