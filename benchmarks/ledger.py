"""Benchmark: the ledger on SQLite and PostgreSQL.

* durable appends per second (``ledger.append_many`` + tree nodes + COMMIT) in batches of 1, 100, 1000;
* inclusion and consistency proof time from the database at ``--big`` entries (default 10^6);
* the full ``LedgerService.audit()`` at ``--big`` entries.

PostgreSQL comes from ``SOGOC_TEST_POSTGRES_URL`` (a throwaway database is created and dropped); it is
skipped when unset. The big-tree part runs on SQLite, and on PostgreSQL too with ``--pg-big``.

Run: ``SOGOC_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:55432/sogoc_test \\
      .venv/bin/python benchmarks/ledger.py [--big 1000000] [--pg-big]``
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from credential_service.ledger import storage as ledger
from credential_service.ledger.service import LedgerService
from credential_service.platform.db import Database, migrate
from credential_service.platform.settings import Settings
from verifier.merkle import verify_consistency, verify_inclusion

T0 = datetime(2026, 5, 30, tzinfo=UTC)


def event(i: int) -> ledger.LeafEvent:
    return ledger.LeafEvent(
        kind="issued",
        credential_id=str(uuid.UUID(int=i)),
        record_sha256=f"{i:064x}",
        salt=f"{i * 7919:064x}",
        pdf_sha256=f"{i * 31:064x}",
        register_no=f"HP-{i:08d}",
        amends_seq=None,
        time=T0,
    )


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as d:
        yield f"sqlite:///{d}/bench.db"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    admin_url = make_url(base)
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


def durability(db: Database) -> str:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            return f"journal_mode={mode} synchronous={sync} (2=FULL: fsync per commit)"
        fsync = conn.exec_driver_sql("SHOW fsync").scalar()
        sc = conn.exec_driver_sql("SHOW synchronous_commit").scalar()
        return f"fsync={fsync} synchronous_commit={sc}"


def bench_appends(url: str, label: str) -> None:
    migrate(url)
    db = Database(url)
    print(f"[{label}] {durability(db)}")
    n = 0
    for batch, total in ((1, 300), (100, 10_000), (1000, 30_000)):
        started = time.perf_counter()
        for _ in range(total // batch):
            with db.transaction() as s:
                ledger.append_many(s, [event(n + i) for i in range(batch)])
            n += batch
        dt = time.perf_counter() - started
        print(
            f"[{label}] appends, batch {batch:>5}: {total / dt:>9,.0f} entries/s  ({total / batch / dt:,.0f} commits/s)"
        )
    db.dispose()


def fill(db: Database, count: int, label: str) -> None:
    started = time.perf_counter()
    batch = 10_000
    with db.reader() as s:
        n = ledger.tree_size(s)
    while n < count:
        k = min(batch, count - n)
        with db.transaction() as s:
            ledger.append_many(s, [event(n + i) for i in range(k)])
        n += k
    dt = time.perf_counter() - started
    print(f"[{label}] filled {count:,} entries in {dt:.1f} s ({count / dt:,.0f}/s, batches of {batch})")


def bench_big(url: str, label: str, size: int, probes: int) -> None:
    migrate(url)
    db = Database(url)
    fill(db, size, label)
    svc = LedgerService.from_settings(db, Settings(env="test", database_url=url))
    started = time.perf_counter()
    cp = svc.publish()
    print(f"[{label}] publish checkpoint at {cp.size:,}: {(time.perf_counter() - started) * 1e3:.2f} ms")
    rng = random.Random(1)
    incl: list[float] = []
    cons: list[float] = []
    svc_incl: list[float] = []
    with db.reader() as s:
        roots: dict[int, bytes] = {size: cp.root_hash}
        for _ in range(probes):
            i = rng.randrange(size)
            t = time.perf_counter()
            proof = ledger.inclusion_proof(s, i, size)
            incl.append(time.perf_counter() - t)
            lh = bytes(s.execute(text("SELECT leaf_hash FROM ledger_entries WHERE seq = :i"), {"i": i}).scalar_one())
            verify_inclusion(lh, i, size, proof, cp.root_hash)
        for _ in range(probes):
            old = rng.randrange(1, size)
            t = time.perf_counter()
            proof = ledger.consistency_proof(s, old, size)
            cons.append(time.perf_counter() - t)
            if len(roots) < 50:
                roots[old] = ledger.root_hash(s, old)
                verify_consistency(old, size, proof, roots[old], cp.root_hash)
    for _ in range(probes // 4):
        i = rng.randrange(size)
        t = time.perf_counter()
        svc.inclusion_proof(i)
        svc_incl.append(time.perf_counter() - t)

    def fmt(xs: list[float]) -> str:
        xs = sorted(xs)
        return (
            f"median {statistics.median(xs) * 1e3:.3f} ms, p99 {xs[int(len(xs) * 0.99) - 1] * 1e3:.3f} ms (n={len(xs)})"
        )

    print(f"[{label}] inclusion proof from DB at {size:,}: {fmt(incl)}")
    print(f"[{label}] consistency proof from DB at {size:,}: {fmt(cons)}")
    print(f"[{label}] LedgerService.inclusion_proof (new session, checkpoint, leaf, proof): {fmt(svc_incl)}")
    report = svc.audit()
    assert report.ok, report.to_dict()["first"]
    print(
        f"[{label}] full audit of {report.entries:,} entries, {report.nodes_checked:,} nodes, "
        f"{report.checkpoints_checked} checkpoint(s): {report.seconds:.1f} s"
    )
    db.dispose()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--big", type=int, default=1_000_000)
    p.add_argument("--probes", type=int, default=2000)
    p.add_argument("--pg-big", action="store_true", help="also build the big tree on PostgreSQL")
    p.add_argument("--skip-appends", action="store_true")
    args = p.parse_args()
    pg = os.environ.get("SOGOC_TEST_POSTGRES_URL")
    if not args.skip_appends:
        with sqlite_url() as url:
            bench_appends(url, "sqlite")
        if pg:
            with postgres_url(pg) as url:
                bench_appends(url, "postgres")
        else:
            print("[postgres] skipped: SOGOC_TEST_POSTGRES_URL is not set")
    with sqlite_url() as url:
        bench_big(url, "sqlite", args.big, args.probes)
    if pg and args.pg_big:
        with postgres_url(pg) as url:
            bench_big(url, "postgres", args.big, args.probes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
