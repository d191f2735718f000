"""Benchmark: importing one generated 50,000-row paper register book (validated and ledgered).

Measures wall time from the file's bytes to the committed import (reading the XLSX/CSV, validating every
row, the cross-book conflict lookups, one ``imported`` ledger entry per row with its tree nodes, the
diploma rows and the signed checkpoint), rows per second, and the peak Python heap (tracemalloc) plus the
process's peak RSS. Target: at least 5,000 rows/s on a 2-core machine.

Run: ``.venv/bin/python benchmarks/register_import.py [--rows 50000] [--format csv|xlsx] [--postgres]``
(PostgreSQL from ``SOGOC_TEST_POSTGRES_URL``: a throwaway database is created and dropped).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from credential_service.diplomas.register_book import BookInfo
from credential_service.diplomas.register_demo import demo_register_rows, register_csv, register_xlsx
from credential_service.diplomas.register_import import RegisterImporter
from credential_service.diplomas.rules import DiplomaType
from credential_service.platform.db import Database, migrate
from credential_service.platform.settings import Settings


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    admin_url = make_url(os.environ["SOGOC_TEST_POSTGRES_URL"])
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=50_000)
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--no-tracemalloc", action="store_true", help="tracemalloc slows Python down; time without it")
    args = p.parse_args()

    # One register year holds at most 50,000 consecutive numbers here; the generator numbers 1..n.
    rows = demo_register_rows(args.rows, year=2005, seed=11)
    data = register_csv(rows) if args.format == "csv" else register_xlsx(rows)
    book = BookInfo("BENCH-2005", "SO-GDDT-HP", "Sở Giáo dục và Đào tạo Hải Phòng", DiplomaType.THPT)
    with database(args.postgres) as url:
        migrate(url)
        db = Database(url)
        importer = RegisterImporter(db, Settings(env="test", database_url=url))
        if not args.no_tracemalloc:
            tracemalloc.start()
        t0 = time.perf_counter()
        report = importer.import_file(data, f"bench.{args.format}", book, actor="bench")
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] if not args.no_tracemalloc else 0
        tracemalloc.stop()
        t1 = time.perf_counter()
        again = importer.import_file(data, f"bench.{args.format}", book, actor="bench")
        reimport = time.perf_counter() - t1
        db.dispose()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"backend {backend}, file {args.format} ({len(data) / 1e6:.1f} MB), rows {report.rows}, "
          f"imported {report.imported}, queued {report.queued}")  # fmt: skip
    print(f"import: {seconds:.2f} s = {report.rows / seconds:,.0f} rows/s (validated and ledgered)")
    if peak:
        print(f"peak Python heap (tracemalloc): {peak / 1e6:.0f} MB")
    print(f"peak RSS: {rss:.0f} MB; re-import (unchanged={again.unchanged}): {reimport:.2f} s")


if __name__ == "__main__":
    main()
