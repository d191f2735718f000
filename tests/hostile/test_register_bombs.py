"""Hostile paper-register files through the real HTTP API (the clerk's proposal to import a book): each
gets a 4xx problem+json within 2 s, and nothing is proposed or imported."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import hostile_files as h
import pytest
from fastapi.testclient import TestClient
from http_checks import assert_names_the_limit, assert_problem
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.diplomas.register_demo import demo_register_rows, register_csv, register_xlsx

SECONDS = 2.0
BOOK = {"book_code": "SG-2004-1", "issuer_key": "SO-GDDT-HP", "issuer_name": "Sở GDĐT Hải Phòng"}

# (file name, bytes, HTTP status, limit named by a 413 or None)
CASES: dict[str, tuple[str, bytes | None, int, str | None]] = {
    "dimension bomb": ("so-goc.xlsx", None, 413, "max_columns"),
    "zip bomb (1 GB sheet in 1 MB)": ("so-goc.xlsx", None, 413, "max_unzipped_bytes"),
    "billion laughs": ("so-goc.xlsx", None, 422, None),
    "malformed zip": ("so-goc.xlsx", h.malformed_zip(), 422, None),
    "a CSV with a 10 MB line": ("so-goc.csv", h.csv_with_long_line(10 * 1024 * 1024), 413, "max_line_chars"),
    "a CSV that is not UTF-8": ("so-goc.csv", "Họ và tên;Ngày sinh\r\n".encode("utf-16"), 422, None),
    "a file over 20 MB": ("so-goc.xlsx", b"PK" + os.urandom(20 * 1024 * 1024), 413, "max_bytes"),
}
BUILT: dict[str, Callable[[], bytes]] = {
    "dimension bomb": h.dimension_bomb,
    "zip bomb (1 GB sheet in 1 MB)": h.zip_bomb,
    "billion laughs": h.billion_laughs_in_sheet,
}


@pytest.fixture
def clerk(school_client: TestClient) -> TestClient:
    sign_in(school_client, "so-clerk")
    return school_client


def _post(client: TestClient, name: str, data: bytes) -> Any:
    return client.post("/api/v1/register-books", files={"file": (name, data)}, data=BOOK)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_register_file_gets_a_clear_4xx_quickly_and_nothing_is_proposed(
    clerk: TestClient, school: Container, case: str
) -> None:
    name, data, status, limit = CASES[case]
    data = data if data is not None else BUILT[case]()
    started = time.perf_counter()
    r = _post(clerk, name, data)
    elapsed = time.perf_counter() - started
    body = assert_problem(r, status, "too-large" if status == 413 else "invalid-input")
    if limit is not None:
        assert_names_the_limit(body, limit)
    assert elapsed < SECONDS, f"{case}: {elapsed:.2f} s"
    assert school.approvals.listing(status=None) == []
    assert school.register_importer.queue(None) == []


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_good_register_is_still_proposed(clerk: TestClient, school: Container, kind: str) -> None:
    rows = demo_register_rows(5, seed=4)
    data = register_xlsx(rows) if kind == "xlsx" else register_csv(rows)
    r = _post(clerk, f"so-goc.{kind}", data)
    assert r.status_code == 202, r.text
    assert len(school.approvals.listing()) == 1
