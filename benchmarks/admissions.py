"""Benchmark: admissions (issue #15) — the grade-10 allocation, the grade 1/6 residence lottery, the workbook import.

Each figure is the best of ``--repeat`` runs (wall time, ``time.perf_counter``) and is compared in the same run
with a baseline on the same input:

* **allocation** of ``--applicants`` (default 26,000; a city of 55 ordinary schools sharing 21,000 places and 5
  specialised classes of 35, three wishes): ``allocate`` against the same rounds with the cyclic garbage collector
  running and the number cache cold (two of the speed-ups undone; the others — totals computed once, shared
  sentences — are in the rounds themselves), and the JSON writer ``result_json.dumps`` against the reference writer
  it replaced (``result_json._reference``); the bytes are checked equal. Target (issue #15): under 1 s for
  30,000 × 3 wishes × 60 schools on a 2-core machine.
* **residence lottery** at city scale (``--children``, default 45,000 children for 300 schools, a third of them
  oversubscribed): ``allocate_by_residence`` and its JSON against the floor of hashing every ``seed:id`` once;
  and ``sha256sum`` (coreutils) is asked for a sample of draws, which must agree.
* **workbook import** (``--import-applicants``, default 26,000 rows in four sheets): reading the XLSX in the
  worker process with its limits (the production path) against reading it in this process, then checking every
  cell (``validate_workbook``).
* ``--big N`` also allocates N simulated applicants (issue #15: 1,000,000 in under 30 s).

* ``--before-tree DIR`` also times the allocation and JSON of an earlier checkout in a child process, e.g.
  ``git archive HEAD credential_service | tar -x -C /tmp/before`` then ``--before-tree /tmp/before``.

Run: ``.venv/bin/python benchmarks/admissions.py [--applicants 26000] [--children 45000] [--repeat 3] [--big 0]
[--before-tree DIR]``
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import inspect
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from credential_service.admissions import allocation, values
from credential_service.admissions.applicants import Applicant
from credential_service.admissions.import_files import read_workbook, read_workbook_isolated, write_workbook
from credential_service.admissions.import_rules import validate_workbook
from credential_service.admissions.residence import ResidenceApplicant, ResidenceSchool, allocate_by_residence, draw
from credential_service.admissions.result_json import _reference, dumps
from credential_service.admissions.synthetic import synthetic_applicants, synthetic_records
from credential_service.admissions.year_rules import YearConfig, parse_config

T = TypeVar("T")


def best(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The fastest of ``repeat`` runs, and the last result."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return min(times), result


def city(regular: int = 55, specialised: int = 5, places: int = 21_000) -> YearConfig:
    schools: list[dict[str, Any]] = [
        {"code": f"THPT-{i:02d}", "quota": places // regular + (1 if i < places % regular else 0)}
        for i in range(regular)
    ]
    schools += [
        {
            "code": f"CHUYEN-{i}",
            "quota": 35,
            "specialised_subject": f"Chuyên {i}",
            "specialised_coefficient": 2,
            "requires_grades_6_9_at_least": "Khá",
        }
        for i in range(specialised)
    ]
    rules = {
        "subjects": {"Toán": 1, "Ngữ văn": 1, "Ngoại ngữ": 1},
        "priority_points": {"1": Decimal("2.0"), "2": Decimal("1.5"), "3": Decimal("1.0")},
        "disqualify_at_or_below": Decimal("1.0"),
        "wish_offsets": [Decimal("0.0"), Decimal("1.0"), Decimal("2.0")],
        "tie_break": ["Toán+Ngữ văn", "Toán"],
        "direct_admission_categories": {"DTNT": "Học sinh trường PTDTNT"},
    }
    return parse_config({"rules": rules, "schools": schools})


def _before(config: YearConfig, applicants: list[Applicant]) -> allocation.Allocation:
    """The allocation with the collector running and the written numbers not remembered."""
    values._EN.clear()
    values._VI.clear()
    gc.collect()
    return allocation._allocate(config, applicants)


def bench_allocation(n: int, repeat: int) -> None:
    config = city()
    applicants = synthetic_applicants(config, n, seed=15)
    print(f"\n== grade-10 allocation: {n:,} applicants, {len(config.schools)} schools, ≤3 wishes")
    base_s, base = best(repeat, lambda: _before(config, applicants))
    new_s, result = best(repeat, lambda: allocation.allocate(config, applicants))
    data = result.to_data()
    ref_s, ref = best(repeat, lambda: _reference(data, 0))
    out_s, out = best(repeat, lambda: dumps(data))
    data_s, _ = best(repeat, result.to_data)
    same = out == ref == dumps(base.to_data())
    admitted = data["summary"]["admitted"]
    print(
        f"allocate:        {new_s:6.3f} s   (GC on, cache cold: {base_s:6.3f} s, ×{base_s / new_s:.1f}); "
        f"{admitted:,} admitted"
    )
    print(f"to_data:         {data_s:6.3f} s")
    print(f"JSON ({len(out) / 1e6:.1f} MB): {out_s:6.3f} s   (reference writer: {ref_s:6.3f} s, ×{ref_s / out_s:.1f})")
    print(f"allocate + JSON: {new_s + data_s + out_s:6.3f} s   (baselines: {base_s + data_s + ref_s:6.3f} s)")
    print(f"same bytes from both paths: {same}")
    if not same:
        raise SystemExit("the optimised path changed the result")


BEFORE = """
import sys, time
from decimal import Decimal
from typing import Any
import credential_service.admissions as package
from credential_service.admissions.year_rules import YearConfig, parse_config
exec(sys.argv[3])  # city(), as defined in benchmarks/admissions.py
from credential_service.admissions.allocation import allocate
from credential_service.admissions.result_json import dumps
from credential_service.admissions.synthetic import synthetic_applicants
assert package.__file__.startswith(sys.argv[4]), package.__file__
config = city()
applicants = synthetic_applicants(config, int(sys.argv[1]), seed=15)
a, j = [], []
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter(); result = allocate(config, applicants); t1 = time.perf_counter()
    dumps(result.to_data()); a.append(t1 - t0); j.append(time.perf_counter() - t1)
print(f"{min(a):.3f} {min(j):.3f}")
"""


def bench_before_tree(tree: str, n: int, repeat: int) -> None:
    """The same allocation and JSON from another checkout of the package (e.g. ``git archive HEAD
    credential_service | tar -x -C /tmp/before``), in a child process, for a before/after in one run."""
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree)}
    argv = [sys.executable, "-c", BEFORE, str(n), str(repeat), inspect.getsource(city), os.path.abspath(tree)]
    alloc_s, json_s = (
        float(x)
        for x in subprocess.run(argv, env=env, cwd=argv[6], capture_output=True, check=True, text=True).stdout.split()
    )
    config = city()
    applicants = synthetic_applicants(config, n, seed=15)
    new_a, result = best(repeat, lambda: allocation.allocate(config, applicants))
    new_j, _ = best(repeat, lambda: dumps(result.to_data()))
    print(
        f"\n== before ({tree}) and now, {n:,} applicants: allocate {alloc_s:.3f} s → {new_a:.3f} s; "
        f"to_data + JSON {json_s:.3f} s → {new_j:.3f} s; together {alloc_s + json_s:.3f} s → {new_a + new_j:.3f} s"
    )


def residence_city(
    children: int, schools: int, seed: int = 2026
) -> tuple[list[ResidenceSchool], list[ResidenceApplicant]]:
    """``schools`` schools of 2 wards each; two thirds have room, a third are wished by more residents than places."""
    rng = random.Random(seed)
    per_school = children / schools
    out_schools = []
    for i in range(schools):
        quota = int(per_school * (0.8 if i % 3 == 0 else 1.3))
        out_schools.append(ResidenceSchool(f"TH-{i:03d}", quota, frozenset({f"P{2 * i:03d}", f"P{2 * i + 1:03d}"})))
    people = []
    for j in range(children):
        home = rng.randrange(schools)
        wish = home if rng.random() < 0.93 else rng.randrange(schools)  # a few wish a school outside their area
        people.append(ResidenceApplicant(f"HS{j:07d}", f"TH-{wish:03d}", f"P{2 * home + rng.randrange(2):03d}"))
    return out_schools, people


def bench_residence(children: int, repeat: int) -> None:
    seed = "HP-2026-lop1"
    schools, people = residence_city(children, 300)
    print(f"\n== residence lottery (grades 1 and 6): {children:,} children, {len(schools)} schools")
    floor_s, _ = best(repeat, lambda: [hashlib.sha256(f"{seed}:{a.id}".encode()).hexdigest() for a in people])
    new_s, result = best(repeat, lambda: allocate_by_residence(seed, schools, people))
    json_s, out = best(repeat, lambda: dumps(result.to_data()))
    drawn = sum(1 for p in result.placements if p.draw is not None)
    admitted = sum(1 for p in result.placements if p.school is not None)
    lotteries = sum(1 for s in result.schools if s.lottery)
    print(f"allocate:   {new_s:6.3f} s   (floor, SHA-256 of every seed:id alone: {floor_s:6.3f} s)")
    print(f"JSON ({len(out) / 1e6:.1f} MB): {json_s:6.3f} s")
    print(f"{lotteries} schools drew lots among {drawn:,} children; {admitted:,} admitted")
    if shutil.which("sha256sum") is None:
        print("sha256sum: not installed, not compared")
        return
    sample = random.Random(1).sample([p for p in result.placements if p.draw is not None], min(100, drawn))
    agree = all(
        subprocess.run(
            ["sh", "-c", "printf '%s' \"$0\" | sha256sum", f"{seed}:{p.applicant}"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout.split()[0]
        == p.draw
        == draw(seed, p.applicant)
        for p in sample
    )
    print(f"sha256sum agrees on {len(sample)} sampled draws: {agree}")
    if not agree:
        raise SystemExit("a draw differs from sha256sum")


def bench_import(n: int, repeat: int) -> None:
    config = city()
    data = write_workbook(synthetic_records(config, n, seed=15), config)
    print(f"\n== workbook import: {n:,} applicants, {len(data) / 1e6:.1f} MB XLSX (4 sheets)")
    isolated_s, _ = best(repeat, lambda: read_workbook_isolated(data))
    read_s, tables = best(repeat, lambda: read_workbook(data))
    check_s, records = best(repeat, lambda: validate_workbook(tables, config))
    print(f"read XLSX in the worker process (production): {isolated_s:6.3f} s   (in this process: {read_s:6.3f} s)")
    print(f"check every cell:                             {check_s:6.3f} s   ({len(records):,} applicants)")
    print(f"file to checked applicants:                   {isolated_s + check_s:6.3f} s")


def bench_big(n: int) -> None:
    config = city()
    t0 = time.perf_counter()
    applicants = synthetic_applicants(config, n, seed=15)
    made = time.perf_counter() - t0
    t1, cpu = time.perf_counter(), time.process_time()
    result = allocation.allocate(config, applicants)
    allocated, cpu = time.perf_counter() - t1, time.process_time() - cpu
    admitted = sum(1 for a in result.assignments if a.school is not None)
    print(
        f"\n== {n:,} simulated applicants (made in {made:.1f} s): allocated in {allocated:.2f} s "
        f"(CPU {cpu:.2f} s); {admitted:,} admitted"
    )
    if n == 1_000_000:  # issue #15 item 7; the CPU time is the fairer figure when other work shares the machine
        verdict = "met" if allocated < 30 else "NOT met"
        if allocated >= 30 > cpu:
            verdict += " (its CPU time is under 30 s: other work slowed it; run again on a quiet machine)"
        print(f"target (1,000,000 in under 30 s on 2 cores): {verdict}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--applicants", type=int, default=26_000)
    p.add_argument("--children", type=int, default=45_000)
    p.add_argument("--import-applicants", type=int, default=26_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--big", type=int, default=0, help="also allocate this many simulated applicants (e.g. 1000000)")
    p.add_argument("--skip-import", action="store_true")
    p.add_argument("--before-tree", help="a directory holding an earlier credential_service/ to compare with")
    args = p.parse_args()
    load = os.getloadavg()[0]
    print(f"wall time, best of {args.repeat}; load average {load:.1f} on {os.cpu_count()} CPUs (other work slows it)")
    bench_allocation(args.applicants, args.repeat)
    bench_residence(args.children, args.repeat)
    if not args.skip_import:
        bench_import(args.import_applicants, max(1, args.repeat - 1))
    if args.before_tree:
        bench_before_tree(args.before_tree, args.applicants, args.repeat)
    if args.big:
        bench_big(args.big)


if __name__ == "__main__":
    main()
