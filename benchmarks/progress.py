"""Benchmark: the city progress dashboard (issue #16) on a generated city.

Setup (not timed): a fresh SQLite database (or ``--database-url``) with ``--schools`` schools spread over
``--communes`` communes/wards, a third each primary, lower and upper secondary, and ``--students``
student-years in classes of about 35 for one school year. Each class is at a random step of the học bạ
workflow (draft → locked → GVCN → principal → sealed), with one transcript per student once locked; ~3% of
students have no personal ID number and ~1% carry the sex digit of the other sex. Rows are bulk-inserted
straight into the tables (the import path is measured by ``issue_transcripts.py``).

Timed: ``ReportingService.progress`` for the whole city (what ``GET /api/v1/progress`` and ``/so/tien-do``
compute), ``--runs`` times, and its parts: the register counts (``TranscriptService.progress_facts``), the
per-student data-quality read and check (``identity_facts`` + ``quality.pin_issues``), and the model.
Issue #16's target is < 300 ms at 900,000 students; this first slice computes everything per request (no
summary tables), so the figure shows how far off that is and where the time goes.

Measured (2 shared cores, SQLite, 1,000 schools, 114 communes, 900,000 student-years, 26,209 classes): the city
dashboard in 5.4 s median (5.3–6.7 s over 3 runs); parts, cold: register counts 2.0 s, identity read 4.2 s, ID
checks 1.2 s. At 300,000: 2.75 s. Far from 300 ms: the next step is per-class summary rows kept in the same
transaction as import, lock and signing, so the request reads ~26,000 rows instead of ~900,000.

Run: ``.venv/bin/python benchmarks/progress.py [--schools 1000] [--students 900000] [--runs 3]``
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
from typing import Any

from sqlalchemy import insert

from credential_service.app.bootstrap import build
from credential_service.platform.clock import FixedClock
from credential_service.platform.settings import Settings
from credential_service.reporting.quality import pin_issues
from credential_service.reporting.rules import Filters
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


def measure(url: str, runs: int) -> None:
    c = build(Settings(env="test", database_url=url), clock=FixedClock(NOW))
    f = Filters()
    t0 = time.perf_counter()
    facts = c.transcripts.progress_facts(YEAR)
    t1 = time.perf_counter()
    identities = list(c.transcripts.identity_facts(YEAR))
    t2 = time.perf_counter()
    flagged = sum(1 for _, pin, sex, born, place in identities
                  if pin_issues(pin, sex=sex, date_of_birth=born, place_of_birth=place, today=NOW.date()))  # fmt: skip
    t3 = time.perf_counter()
    print(f"classes {len(facts['classes']):,}, student-years {len(identities):,}, flagged {flagged:,}")
    print(f"  register counts (progress_facts):   {(t1 - t0) * 1000:8.0f} ms")
    print(f"  identity read (identity_facts):     {(t2 - t1) * 1000:8.0f} ms  (into a list here; streamed in use)")
    print(f"  ID checks (quality.pin_issues):     {(t3 - t2) * 1000:8.0f} ms")
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
    c.db.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--schools", type=int, default=1000)
    p.add_argument("--communes", type=int, default=114)  # Hải Phòng's communes and wards after the 2025 merger
    p.add_argument("--students", type=int, default=900_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--database-url", help="default: a throwaway SQLite file")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/progress.db"
        start = time.perf_counter()
        generate(url, args.schools, args.communes, args.students)
        took = time.perf_counter() - start
        print(f"generated {args.schools:,} schools, {args.students:,} student-years in {took:.0f} s")
        measure(url, args.runs)


if __name__ == "__main__":
    main()
