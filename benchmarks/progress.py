"""Benchmark: the city progress dashboard (issue #16) on a generated city.

Setup (not timed): a fresh SQLite database (or ``--database-url``) with ``--schools`` schools spread over
``--communes`` communes/wards, a third each primary, lower and upper secondary, and ``--students``
student-years in classes of about 35 for one school year. Each class is at a random step of the học bạ
workflow (draft → locked → GVCN → principal → sealed), with one transcript per student once locked; ~3% of
students have no personal ID number and ~1% carry the sex digit of the other sex. Rows are bulk-inserted
straight into the tables (the import path is measured by ``issue_transcripts.py``).

The summaries (``reporting/summaries.py``) are kept by a session listener in the transaction of each ORM write;
rows bulk-inserted around the ORM are not seen, so setup then counts them with ``rebuild_summaries`` (printed,
not timed with the dashboard), as the migration's backfill does.

Timed: ``ReportingService.progress`` for the whole city (what ``GET /api/v1/progress`` and ``/so/tien-do``
compute), ``--runs`` times, and its parts: the schools (``TranscriptService.progress_schools``), the school
summaries the city's tables read (``summaries.read_groups``), for scale every class's row (read by a school's
drill-down only); then a school's drill-down, and the write side: one class counted again in a transaction (what
each import, lock or signature adds). ``--check`` also compares the summaries with a fresh count.

Before (the first slice, everything per request; 2 shared cores, SQLite, 1,000 schools, 114 communes, 900,000
student-years, 26,209 classes): the city dashboard in 5.4 s median (5.3–6.7 s over 3 runs); parts, cold: register
counts 2.0 s, identity read 4.2 s, ID checks 1.2 s.

After (summaries kept in the same transaction; the same city, 2 cores shared with another session's tests):
- SQLite: the city dashboard in 131 ms median over 5 runs (min 98 ms; max 426 ms, the first, cold call of the
  process); other runs 121 ms (min 76 ms). The school summaries read in 23–35 ms (3,904 rows: school × level ×
  status); a school's drill-down 40–46 ms; one class counted again in its own transaction 19 ms median (with the
  migration's indexes on year_results.class_id, transcripts.class_id and signing_events.transcript_id; ~225 ms
  per change without them). Setup: the rebuild from scratch 10 s; summaries == a fresh count.
- PostgreSQL 15 (same machine, ``--database-url``): the city dashboard in 147 ms median (min 143 ms; max 426 ms,
  cold); school summaries 44 ms; drill-down 55 ms; one class counted again 27 ms median; rebuild 11 s.

With the trend (``reporting/trend.py``; setup adds ``--trend-days`` (120) days of history, each school changing on
about one day in three: 40,016 rows), the same city on SQLite, 2 cores shared with another session's tests: the
city dashboard in 184 ms median over 5 runs (min 178 ms; max 427 ms, cold); the trend's read 46 ms cold (one
GROUP BY over the kept changes); one class counted again, with its school's trend row, 68 ms median; kept
changes == the rule written plainly, summaries == a fresh count.

Run: ``.venv/bin/python benchmarks/progress.py [--schools 1000] [--students 900000] [--runs 3] [--check]
[--trend-days 120] [--database-url postgresql+psycopg://…]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select, update

from credential_service.app.bootstrap import build
from credential_service.platform.clock import FixedClock
from credential_service.platform.settings import Settings
from credential_service.reporting import summaries, trend, trend_rules
from credential_service.reporting.rules import Filters
from credential_service.reporting.tables import ProgressSchoolDay
from credential_service.staff.tables import School
from credential_service.transcripts.tables import SchoolClass, Student, Transcript, YearResult

YEAR = "2025-2026"
NOW = datetime(2026, 5, 20, 9, 0, tzinfo=UTC)
STATUSES = ["draft", "locked", "signed_gvcn", "signed_principal", "issued"]
LEVEL_GRADES = [(1, 5), (6, 9), (10, 12)]
CHUNK = 20_000


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(url: str, schools: int, communes: int, students: int, seed: int = 16) -> None:
    """Bulk-insert the synthetic city (not timed)."""
    rng = random.Random(seed)
    c = build(Settings(env="test", database_url=url), clock=FixedClock(NOW))
    c.migrate()
    per_school = students // schools
    school_rows = [
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "code": f"TR{i:05d}",
            "name": f"Trường số {i}",
            "province": "Thành phố Hải Phòng",
            "commune": f"Xã/phường {i % communes:03d}",
        }
        for i in range(schools)
    ]
    classes: list[dict[str, Any]] = []
    members: list[tuple[str, str, int, int]] = []  # class id, school id, grade, size
    for i, s in enumerate(school_rows):
        low, high = LEVEL_GRADES[i % 3]
        pace = rng.random()  # how far the school has got
        left, k = per_school + (1 if i < students % schools else 0), 0
        while left > 0:
            size = min(left, rng.randint(30, 40))
            grade = low + k % (high - low + 1)
            step = min(int(rng.random() * 2 * pace * len(STATUSES)), len(STATUSES) - 1)
            cid = str(uuid.UUID(int=rng.getrandbits(128)))
            classes.append(
                {"id": cid, "school_id": s["id"], "school_year": YEAR, "name": f"{grade}A{k}", "grade": grade,
                 "status": STATUSES[step]}
            )  # fmt: skip
            members.append((cid, s["id"], grade, size))
            left -= size
            k += 1
    status_of = {k["id"]: k["status"] for k in classes}

    def students_rows() -> Iterator[dict[str, Any]]:
        n = 0
        for cid, school_id, grade, size in members:
            for _ in range(size):
                n += 1
                female = rng.random() < 0.5
                born = date(2025 - grade - 6, 1, 1) + timedelta(days=rng.randrange(365))
                digit = 2 + female if rng.random() > 0.01 else 3 - female
                pin = None if rng.random() < 0.03 else f"031{digit}{born.year % 100:02d}{rng.randrange(10**6):06d}"
                yield {
                    "id": f"s{n:08d}", "school_id": school_id, "student_code": f"HS{n:08d}", "full_name": "Học sinh",
                    "date_of_birth": born, "sex": "Nữ" if female else "Nam", "place_of_birth": "Hải Phòng",
                    "ethnicity": "Kinh", "personal_id": pin, "_class": cid,
                }  # fmt: skip

    with c.db.transaction() as session:
        session.execute(insert(School), school_rows)
        for batch in _chunks(iter(classes)):
            session.execute(insert(SchoolClass), batch)
    for batch in _chunks(students_rows()):
        with c.db.transaction() as session:
            session.execute(insert(Student), [{k: v for k, v in r.items() if k != "_class"} for r in batch])
            session.execute(
                insert(YearResult),
                [{"id": "y" + r["id"], "student_id": r["id"], "class_id": r["_class"], "data": {}, "evaluation": {}}
                 for r in batch],
            )  # fmt: skip
            locked = [r for r in batch if status_of[r["_class"]] != "draft"]
            if locked:
                session.execute(
                    insert(Transcript),
                    [{"id": "t" + r["id"], "student_id": r["id"], "class_id": r["_class"], "version": 1,
                      "status": status_of[r["_class"]], "record_json": "{}", "record_sha256": "0" * 64,
                      "salt": "0" * 64, "pdf": b"", "pdf_sha256": "0" * 64, "created_at": NOW - timedelta(days=3),
                      "issued_at": None} for r in locked],
                )  # fmt: skip
    c.db.dispose()


def build_summaries(url: str) -> None:
    """The rows above went around the ORM, so the listener that keeps the summaries did not see them: count
    them from scratch, as the migration's backfill does (not timed with the dashboard; printed)."""
    c = build(Settings(env="test", database_url=url), clock=FixedClock(NOW))
    start = time.perf_counter()
    n = c.reporting.rebuild_summaries()
    print(f"summaries rebuilt from the register: {n:,} classes in {time.perf_counter() - start:.1f} s (setup)")
    c.db.dispose()


def history(url: str, days: int, seed: int = 16) -> int:
    """The trend's history (``progress_school_days``; not timed): each school and level changed on about one day
    in three of the ``days`` before today, its sealed count climbing to today's. The rebuild wrote today's rows;
    older rows are bulk-inserted. Returns the rows written."""
    rng = random.Random(seed)
    c = build(Settings(env="test", database_url=url), clock=FixedClock(NOW))
    today = c.clock.today()
    table = cast(Table, ProgressSchoolDay.__table__)
    written = 0
    with c.db.transaction() as session:
        now_rows = list(session.execute(select(table).where(table.c.day == today)).mappings())
        batch: list[dict[str, Any]] = []
        for r in now_rows:
            last = dict.fromkeys(trend.FIGURES, 0)
            for back in range(days, -1, -1):
                if back and rng.random() < 2 / 3:
                    continue
                part = (days - back) / days
                figures = {f: int(r[f] * part) if f != "students" else r[f] for f in trend.FIGURES}
                changes = {f"{f}_change": figures[f] - last[f] for f in trend.FIGURES}
                last = figures
                if not back:  # today's row (the rebuild's): its change from the last day above
                    key = (table.c.school_id == r["school_id"], table.c.level_grade == r["level_grade"])
                    session.execute(update(table).where(*key, table.c.day == today).values(**changes))
                    continue
                batch.append({**dict(r), **figures, **changes, "day": today - timedelta(days=back)})
                if len(batch) >= CHUNK:
                    session.execute(insert(table), batch)
                    written += len(batch)
                    batch = []
        if batch:
            session.execute(insert(table), batch)
            written += len(batch)
    c.db.dispose()
    return written


def measure(url: str, runs: int, check: bool) -> None:
    c = build(Settings(env="test", database_url=url), clock=FixedClock(NOW))
    f = Filters()
    t0 = time.perf_counter()
    schools = c.transcripts.progress_schools()
    t1 = time.perf_counter()
    with c.db.reader() as session:
        groups = summaries.read_groups(session, YEAR)
        t2 = time.perf_counter()
        classes = summaries.read_classes(session, YEAR)
    t3 = time.perf_counter()
    print(f"schools {len(schools):,}, classes {len(classes):,} in {len(groups):,} groups (school, level, status)")
    print(f"  schools (progress_schools):                {(t1 - t0) * 1000:8.0f} ms")
    print(f"  classes summed by SQL (read_groups):       {(t2 - t1) * 1000:8.0f} ms  (what the city's tables read)")
    print(f"  every class's row (read_classes, for scale): {(t3 - t2) * 1000:6.0f} ms  (not read by the city's tables)")
    today = c.clock.today()
    start = time.perf_counter()
    with c.db.reader() as session:
        changes = trend.read_changes(session, YEAR, None, None, today)
    print(
        f"  the trend's changes per day (read_changes): {(time.perf_counter() - start) * 1000:6.0f} ms"
        f"  ({len(changes)} days)"
    )
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        body = c.reporting.progress(f, None)
        times.append(time.perf_counter() - start)
    city = body["tables"]["city"][0]
    print(
        f"city: {city['students']:,} students, {city['sealed']:,} sealed ({city['share_signed']:.1%}), "
        f"{city['no_personal_id']:,} without an ID number, {city['pin_sex']:,} sex digit off; "
        f"{len(body['tables']['schools']):,} schools, {len(body['tables']['communes'])} communes"
    )
    print(
        f"city dashboard (ReportingService.progress), {runs} runs: median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (target < 300 ms)"
    )
    code = body["tables"]["schools"][0]["code"]
    start = time.perf_counter()
    school = c.reporting.school(code, f, None)
    took = time.perf_counter() - start
    print(f"drill-down to school {code} ({len(school['classes'])} classes): {took * 1000:.0f} ms")
    # The write side: counting one class again in a transaction, what each import, lock or signature adds.
    took_each = []
    for k in classes[:: max(len(classes) // runs, 1)][:runs]:
        start = time.perf_counter()
        with c.db.transaction() as session:
            summaries.refresh(session, [k.class_id])
        took_each.append(time.perf_counter() - start)
    print(
        f"one class counted again in a transaction (what a change adds), {len(took_each)} classes: "
        f"median {statistics.median(took_each) * 1000:.0f} ms, max {max(took_each) * 1000:.0f} ms"
    )
    if check:
        with c.db.reader() as session:
            plain = trend_rules.changes(trend.read_rows(session, YEAR))
        print(f"trend's kept changes == the rule written plainly: {changes == plain}")
        start = time.perf_counter()
        diff = c.reporting.summary_differences()
        print(f"summaries == a fresh count: {not diff} ({time.perf_counter() - start:.1f} s)")
    c.db.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schools", type=int, default=1000)
    p.add_argument("--communes", type=int, default=114)  # Hải Phòng's communes and wards after the 2025 merger
    p.add_argument("--students", type=int, default=900_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--database-url", help="default: a throwaway SQLite file")
    p.add_argument("--check", action="store_true", help="also compare the summaries with a fresh count")
    p.add_argument("--trend-days", type=int, default=120, help="days of trend history before today (0: none)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/progress.db"
        start = time.perf_counter()
        generate(url, args.schools, args.communes, args.students)
        took = time.perf_counter() - start
        print(f"generated {args.schools:,} schools, {args.students:,} student-years in {took:.0f} s")
        build_summaries(url)
        if args.trend_days:
            n = history(url, args.trend_days)
            print(f"trend history: {n:,} rows over the {args.trend_days} days before today (setup)")
        measure(url, args.runs, args.check)


if __name__ == "__main__":
    main()
