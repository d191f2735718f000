"""Verification traffic in the progress (issue #16 item 1): employer checks, share-link opens and public
register checks per Vietnam day over 30 days, and the share that failed — the same numbers as a count straight
from the access log and the public check log, in the JSON, the CSV, the page and the workbook; the city only."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.diplomas.tables import PublicCheckLog
from credential_service.holders.access_log import LogEvent, append_log
from credential_service.holders.tables import AccessLogEntry
from credential_service.platform.clock import vn_date
from credential_service.reporting import traffic_rules as R
from credential_service.reporting.report_rules import parse_month
from credential_service.reporting.report_xlsx import read_tables, write_workbook
from credential_service.reporting.rules import Filters

HTML = {"accept": "text/html"}
TODAY = date(2026, 12, 3)


# -- pure ------------------------------------------------------------------------------------------
def test_checks_per_vietnam_day_and_the_share_that_failed() -> None:
    noon = datetime.fromisoformat("2026-12-03T05:00:00+00:00")  # 12:00 in Hà Nội
    late = datetime.fromisoformat("2026-12-01T18:30:00+00:00")  # 01:30 on 2 December in Hà Nội
    events = [
        (noon, "verify", "ok"),
        (noon, "verify", "revoked"),
        (late, "verify", "ok"),
        (late, "share_code_use", "expired"),
        (noon, "staff_read", "shown"),  # not a verification
        (noon - timedelta(days=31), "verify", "ok"),  # outside the window
    ]
    checks = [(noon, "match"), (noon, "no_match"), (noon, "limited")]
    rows = R.traffic_rows(events, checks, TODAY)
    assert len(rows) == 30 and rows[-1]["day"] == "2026-12-03" and rows[0]["day"] == "2026-11-04"
    today, second = rows[-1], next(r for r in rows if r["day"] == "2026-12-02")
    assert (today["employer_checks"], today["employer_failed"]) == (2, 1)
    assert (today["register_checks"], today["register_failed"]) == (3, 2)
    assert (today["checks"], today["failed"], today["share_failed"]) == (5, 3, 0.6)
    assert (second["employer_checks"], second["share_link_checks"], second["share_link_failed"]) == (1, 1, 1)
    assert sum(r["checks"] for r in rows) == 7
    empty = rows[0]
    assert (empty["checks"], empty["share_failed"]) == (0, None)

    section = R.traffic_section(events, checks, TODAY, city=True)
    assert (section["checks"], section["failed"], section["share_failed"]) == (7, 4, round(4 / 7, 4))
    assert section["employer_checks"] == 3 and "QR" in section["not_counted_en"]
    commune = R.traffic_section(events, checks, TODAY, city=False)
    assert commune["tables"]["traffic"] == [] and commune["checks"] == 0


# -- on the demo city ------------------------------------------------------------------------------
def _log(c: Container, at: datetime, event: str, result: str, n: int = 1) -> None:
    with c.db.transaction() as s:
        append_log(s, [LogEvent(event, "employer", "Công ty Thử", result, purpose="tuyển dụng")] * n, at=at)


def _public(c: Container, at: datetime, outcome: str, n: int = 1) -> None:
    with c.db.transaction() as s:
        for _ in range(n):
            s.add(
                PublicCheckLog(
                    id=str(uuid.uuid4()), client="x" * 64, query_kind="serial", outcome=outcome, created_at=at
                )
            )


def _setup(c: Container) -> None:
    now = c.clock.now()
    _log(c, now, "verify", "ok", 3)
    _log(c, now, "verify", "revoked")
    _log(c, now, "staff_read", "shown", 2)  # not a verification
    _log(c, now - timedelta(days=5), "verify", "ok", 2)
    _log(c, now - timedelta(days=5), "share_code_use", "expired")
    _log(c, now - timedelta(days=40), "verify", "ok", 4)  # before the window
    _public(c, now, "match", 2)
    _public(c, now, "no_match")
    _public(c, now - timedelta(days=2), "limited")


def _from_tables(c: Container) -> dict[str, dict[str, int]]:
    """Per Vietnam day in the window: checks and failures, counted the plain way from the two logs."""
    first = c.clock.today() - timedelta(days=29)
    out: dict[str, dict[str, int]] = {}
    with c.db.reader() as s:
        log = [(vn_date(a.at), a.event, a.result) for a in s.execute(select(AccessLogEntry)).scalars()]
        public = [(vn_date(p.created_at), p.outcome) for p in s.execute(select(PublicCheckLog)).scalars()]
    for day, event, result in log:
        if day >= first and event in ("verify", "share_code_use"):
            cell = out.setdefault(day.isoformat(), {"checks": 0, "failed": 0})
            cell["checks"] += 1
            cell["failed"] += result != "ok"
    for day, outcome in public:
        if day >= first:
            cell = out.setdefault(day.isoformat(), {"checks": 0, "failed": 0})
            cell["checks"] += 1
            cell["failed"] += outcome != "match"
    return out


def _busy(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    return {r["day"]: {"checks": int(r["checks"]), "failed": int(r["failed"])} for r in rows if int(r["checks"])}


def test_the_traffic_matches_a_count_straight_from_the_logs_in_json_csv_and_page(
    container: Container, client: TestClient
) -> None:
    _setup(container)
    expected = _from_tables(container)
    assert sum(v["checks"] for v in expected.values()) == 11 and sum(v["failed"] for v in expected.values()) == 4
    sign_in(client, "inspector")
    body = client.get("/api/v1/progress").json()
    section = body["traffic"]
    assert section["tables"] == ["traffic"] and section["days"] == 30
    assert _busy(body["tables"]["traffic"]) == expected
    assert (section["checks"], section["failed"], section["employer_checks"]) == (11, 4, 6)
    assert section["register_failed"] == 2 and section["share_link_checks"] == 1
    text = client.get("/api/v1/progress/traffic.csv").text.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30 and _busy(rows) == expected
    assert "Công ty Thử" not in text and "tuyển dụng" not in repr(body)  # no organisation, no purpose

    page = client.get("/so/tien-do", headers=HTML).text
    assert page.index("Lượt xác minh") < page.index("Verification traffic")  # Vietnamese first
    assert '<strong id="traffic-checks">11</strong>' in page and 'id="table-traffic"' in page
    assert "QR" in page and "/api/v1/progress/traffic.csv" in page


def test_a_commune_officer_sees_no_city_traffic(container: Container, client: TestClient) -> None:
    _setup(container)
    sign_in(client, "commune-officer")
    own = client.get("/api/v1/progress").json()
    assert own["tables"]["traffic"] == [] and own["traffic"]["checks"] == 0
    assert "toàn thành phố" in client.get("/so/tien-do", headers=HTML).text


def test_the_workbook_has_the_traffic_sheet(container: Container) -> None:
    _setup(container)
    period = parse_month("2026-05", container.clock.today())
    data = container.reporting.progress(Filters(None, None, period.school_year), None)
    back = read_tables(write_workbook(data, period, made_at="2026-05-31T10:00:00+07:00"))
    assert _busy(back["traffic"]) == _busy(data["tables"]["traffic"]) == _from_tables(container)
