"""The dashboard's trend (issue #16 item 3): each change writes its school's row of the day in the same
transaction, and a day's figure sums each school's latest row on or before it."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from progress_fixtures import OTHER_COMMUNE, add_school
from sqlalchemy import Table, delete, update
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import class_id, staff_id
from credential_service.platform.clock import FixedClock
from credential_service.reporting import charts, trend, trend_rules
from credential_service.reporting.tables import ProgressSchoolSummary
from credential_service.transcripts.workflow import Step

A1, A2 = class_id("10A1"), class_id("10A2")
STEPS = ((Step.GVCN, "gvcn-{}"), (Step.PRINCIPAL, "principal"), (Step.SEAL, "seal-thpt-demo"))


def _sign(c: Container, cid: str, gvcn: str) -> None:
    c.transcripts.lock_class(cid)
    for step, who in STEPS:
        c.transcripts.sign_class(cid, step, staff_id=staff_id(who.format(gvcn)))


def _points(rows: list[dict[str, Any]]) -> list[tuple[str, int | None, int | None]]:
    return [(r["day"], r["students"], r["sealed"]) for r in rows]


def test_a_day_sums_each_schools_latest_row_on_or_before_it() -> None:
    d = date(2030, 1, 1)  # a pure rule: any days will do
    kept = [
        ("s1", 10, d, {"students": 40, "sealed": 0}),
        ("s2", 6, d + timedelta(days=1), {"students": 20, "sealed": 10}),
        ("s1", 10, d + timedelta(days=3), {"students": 40, "sealed": 40}),
        ("s1", 10, d + timedelta(days=9), {"students": 40, "sealed": 0}),  # after today: ignored
    ]
    rows = trend_rules.trend_rows(trend_rules.changes(kept), d + timedelta(days=5))
    assert _points(rows) == [
        (d.isoformat(), 40, 0),
        ((d + timedelta(days=1)).isoformat(), 60, 10),
        ((d + timedelta(days=3)).isoformat(), 60, 50),
        ((d + timedelta(days=5)).isoformat(), 60, 50),  # carried forward to today
    ]
    assert [r["share_signed"] for r in rows] == [0.0, round(10 / 60, 4), round(50 / 60, 4), round(50 / 60, 4)]
    assert {r["plan_share"] for r in rows} == {1.0}
    assert trend_rules.trend_rows([], d) == []


def test_a_small_day_is_suppressed() -> None:
    d = date(2030, 1, 1)
    (row,) = trend_rules.trend_rows([(d, {"students": 3, "sealed": 3})], d)
    assert row["students"] is None and row["share_signed"] is None and "sealed" in row["suppressed"]


def test_the_chart_is_a_line_against_the_plan() -> None:
    d = date(2030, 1, 1)
    spec = charts.trend_chart(trend_rules.trend_rows([(d, {"students": 30, "sealed": 6})], d))
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "rule"]


@pytest.mark.slow
def test_signing_a_class_on_day_d_then_another_on_d_plus_3_gives_the_trend(
    container: Container, client: TestClient, clock: FixedClock
) -> None:
    container.reporting  # noqa: B018 - built as the app builds it
    # The trend rows are dated by their own clock here, moved ahead day by day; the signing clock stays at day D,
    # because signing checks the dev CA's CRL, which is only fresh for the current 7-day period.
    days = FixedClock(clock.now())
    trend.keep_days(container.db.engine, days)
    day = days.today()
    _sign(container, A1, "10a1")  # 45 students
    days.advance(timedelta(days=1))
    add_school(container, "THCS-XU", OTHER_COMMUNE, n=9)  # another school's first row, a day later
    days.advance(timedelta(days=2))
    _sign(container, A2, "10a2")  # 42 students
    clock.advance(timedelta(days=4))  # read on D+4: a day with no change, after the last

    sign_in(client, "so-admin")
    body = client.get("/api/v1/progress", params={"school_year": "2025-2026"}).json()
    expected = [
        (day.isoformat(), 87, 45),
        ((day + timedelta(days=1)).isoformat(), 96, 45),  # the demo school as it stood on day D
        ((day + timedelta(days=3)).isoformat(), 96, 87),
        ((day + timedelta(days=4)).isoformat(), 96, 87),  # today, carried forward
    ]
    assert _points(body["tables"]["trend"]) == expected
    assert body["tables"]["trend"][2]["share_signed"] == round(87 / 96, 4)
    mine = client.get("/api/v1/progress", params={"school_year": "2025-2026", "commune": OTHER_COMMUNE}).json()
    assert _points(mine["tables"]["trend"]) == [
        ((day + timedelta(days=1)).isoformat(), 9, 0),
        ((day + timedelta(days=4)).isoformat(), 9, 0),
    ]
    r = client.get("/api/v1/progress/trend.csv", params={"school_year": "2025-2026"})
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [(x["day"], int(x["students"]), int(x["sealed"])) for x in rows] == expected
    page = client.get("/so/tien-do", params={"school_year": "2025-2026"})
    assert page.status_code == 200 and 'data-target="chart-trend"' in page.text


def test_the_kept_changes_stay_right_when_a_day_is_written_out_of_order_or_a_level_goes(container: Container) -> None:
    (school,) = [s["school_id"] for s in container.transcripts.progress_schools()]
    year, day = "2025-2026", container.clock.today()
    pair = [(school, year)]
    summary = cast(Table, ProgressSchoolSummary.__table__)
    with container.db.transaction() as s:
        trend.snapshot(s, pair, day + timedelta(days=2))  # as the register stands: 87 students
        s.execute(update(summary).where(summary.c.school_id == school).values(students=10))
        trend.snapshot(s, pair, day)  # a day before it, written after it (a clock moved back)
        s.execute(update(summary).where(summary.c.school_id == school).values(students=20))
        trend.snapshot(s, pair, day + timedelta(days=1))  # and the day between
        s.execute(delete(summary).where(summary.c.school_id == school))
        trend.snapshot(s, pair, day + timedelta(days=3))  # the level is gone: a row of zeros
    with container.db.reader() as s:
        kept = trend.read_changes(s, year, None, None, day + timedelta(days=3))
        plain = trend_rules.changes(trend.read_rows(s, year))
    assert kept == plain
    rows = trend_rules.trend_rows(kept, day + timedelta(days=3))
    students = [r["students"] for r in rows]
    assert students[2:] == [87, 0] and 0 < students[0] < students[1] < 87 and students[1] == 2 * students[0]


@pytest.mark.postgres
def test_on_postgresql_the_trend_and_the_check_counts_are_kept(postgres_db_url: str) -> None:
    from credential_service.app.bootstrap import build
    from credential_service.app.demo import seed_demo
    from credential_service.platform.clock import SystemClock
    from credential_service.platform.settings import Settings
    from credential_service.reporting import check_counter
    from credential_service.reporting.rules import Filters

    clock = FixedClock(SystemClock().now())
    c = build(Settings(env="test", database_url=postgres_db_url), clock=clock)
    try:
        c.migrate()
        seed_demo(c.transcripts, import_results=True)
        c.reporting  # noqa: B018 - its clock dates the trend rows
        c.transcripts.lock_class(A2)
        clock.advance(timedelta(days=2))
        c.transcripts.lock_class(A1)
        for _ in range(2):
            check_counter.count_check(c.db, clock, "pdf", "failed")
        body = c.reporting.progress(Filters(None, None, "2025-2026"), None)
        points = [(r["day"], r["students"], r["locked"]) for r in body["tables"]["trend"]]
        day = clock.today()
        assert points == [((day - timedelta(days=2)).isoformat(), 87, 42), (day.isoformat(), 87, 87)]
        assert body["tables"]["traffic"][-1]["pdf_failed"] == 2
        check_counter.count_check(c.db, clock, "pdf", "failed")
        check_counter.flush_checks(c.db, clock)  # added to the day's row (ON CONFLICT … DO UPDATE)
        assert c.reporting.progress(Filters(), None)["tables"]["traffic"][-1]["pdf_failed"] == 3
    finally:
        c.db.dispose()
