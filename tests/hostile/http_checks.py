"""What every refusal of a hostile upload must look like."""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """A problem+json answer with the given status and code, in Vietnamese and English."""
    assert response.status_code == status, response.text[:2000]
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["detail_vi"] and body["detail_en"], body
    return body


def assert_names_the_limit(body: dict[str, Any], limit: str) -> None:
    """A 413 names the limit, its maximum and what to do, in both languages."""
    assert body["limit"] == limit, body
    assert body["maximum"] > 0
    assert body["hint_vi"] and body["hint_en"], body
    assert body["errors"][0]["location"]["limit"] == limit
