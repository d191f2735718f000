"""Benchmark: a school's seal of 1,500 transcripts as one batch job, 2 procrastinate workers, one killed mid-class.

Setup (not timed): a fresh database on the PostgreSQL server of ``--database-url`` (default: the server of
``SOGOC_TEST_POSTGRES_URL``, which ``./scripts/test.sh`` starts; any empty server works), the demo school with
``--classes`` classes of ``--students`` students, each imported, locked, and signed by the homeroom teacher and
the principal (the dev PKI's keys; a real RFC 3161 TSA on 127.0.0.1:9771).

Timed: from submitting the job (one item per class) to its end, with two ``sogoc jobs worker`` processes. The
first worker seen running an item is killed with SIGKILL while it runs it; its item goes back to the queue once
its heartbeat is ``--stalled-after`` seconds old, and the other worker finishes it.

Checked, or the benchmark fails: every class is sealed, the ledger has exactly one ``issued`` entry per
transcript (no duplicate), its sequence numbers have no gap, and the killed worker's item was finished by the
other worker.

    .venv/bin/python benchmarks/seal_job.py                    # 30 classes × 50 = 1,500 transcripts
    .venv/bin/python benchmarks/seal_job.py --classes 6 --students 10
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the fixture that makes classes ready for the seal, shared with the tests

from seal_job_fixture import (  # noqa: E402
    issued_ledger,
    kill_a_worker_mid_item,
    ready_classes,
    start_worker,
    wait_until_finished,
)

from credential_service.app.bootstrap import build  # noqa: E402
from credential_service.platform.db import migrate  # noqa: E402
from credential_service.platform.settings import Settings  # noqa: E402
from credential_service.transcripts import seal_jobs  # noqa: E402


def fresh_database(server_url: str) -> str:
    admin_url = make_url(server_url)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--database-url", default=os.environ.get("SOGOC_TEST_POSTGRES_URL"))
    ap.add_argument("--classes", type=int, default=30)
    ap.add_argument("--students", type=int, default=50)
    ap.add_argument("--stalled-after", type=float, default=3.0)
    args = ap.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgresql"):
        print("needs a PostgreSQL server: --database-url postgresql+psycopg://… (or SOGOC_TEST_POSTGRES_URL)")
        return 2
    db_url = fresh_database(args.database_url)
    migrate(db_url)
    c = build(Settings(env="test", database_url=db_url))
    c.start_dev_services()
    started = time.perf_counter()
    school_id, class_ids = ready_classes(c, classes=args.classes, students=args.students)
    setup = time.perf_counter() - started
    print(f"setup: {args.classes} classes × {args.students} locked and signed twice in {setup:.0f} s")

    workers = [start_worker(db_url, stalled_after=args.stalled_after) for _ in range(2)]
    try:
        seal = c.staff_auth.seal_for_school(school_id)
        title, items = seal_jobs.school_seal_items(c.transcripts, school_id, seal_staff_id=seal, actor="benchmark")
        t0 = time.perf_counter()
        job_id = c.jobs.submit(seal_jobs.SEAL_CLASS, items, title=title, created_by="benchmark", school_id=school_id)
        victim = kill_a_worker_mid_item(c, job_id, workers)
        killed_at = time.perf_counter() - t0
        state = wait_until_finished(c, job_id, timeout=3600)
        elapsed = time.perf_counter() - t0
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(timeout=30)
    rows = c.jobs.results(job_id)
    retried = [r for r in rows if r["attempts"] > 1]
    seqs, issued, transcripts = issued_ledger(c, class_ids)
    checks = {
        "job done": state["status"] == "done",
        "every transcript issued once": len(issued) == len(set(issued)) == transcripts,
        "ledger without gap": seqs == list(range(len(seqs))),
        "killed worker's item finished by the other": bool(retried)
        and all(not str(r["runner"]).endswith(f":{victim}") for r in retried),
    }
    print(f"job: {transcripts} transcripts in {len(items)} classes, 2 workers, one killed at {killed_at:.1f} s")
    print(f"  total {elapsed:.1f} s = {transcripts / elapsed:.1f} transcripts/s (including the stalled-worker wait)")
    print(f"  items run twice: {len(retried)}; checks: {checks}")
    c.db.dispose()
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
