"""Classes of the demo school made ready for the seal: results imported, locked, signed by GVCN and principal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import DEMO_YEAR, seed_demo, staff_id
from credential_service.ledger.tables import LedgerEntry
from credential_service.staff.tables import RoleAssignment, School
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import SchoolClass, Transcript
from credential_service.transcripts.workflow import Step

ROOT = Path(__file__).resolve().parents[1]


def ready_classes(c: Container, classes: int, students: int) -> tuple[str, list[str]]:
    """``classes`` new grade-11 classes of ``students`` each, waiting for the seal; (school id, class ids)."""
    seed_demo(c.transcripts, import_results=False)
    teacher = staff_id("gvcn-10a1")  # the demo teacher is also homeroom teacher of the new classes
    with c.db.transaction() as session:
        school_id = session.execute(select(School.id)).scalar_one()
        ids = []
        for k in range(classes):
            cid = str(uuid.uuid4())
            ids.append(cid)
            session.add(SchoolClass(id=cid, school_id=school_id, school_year=DEMO_YEAR, name=f"11B{k + 1}", grade=11))
            session.flush()
            session.add(
                RoleAssignment(
                    id=str(uuid.uuid4()), staff_id=teacher, role="gvcn", school_id=school_id, class_id=cid,
                    valid_from=date(2025, 8, 1), valid_to=None,
                )
            )  # fmt: skip
    for k, cid in enumerate(ids):
        rows = importers.demo_class(f"11B{k + 1}", 11, n=students, seed=40 + k)
        imports.import_xlsx(c.transcripts, cid, importers.write_sample_xlsx(rows), f"11B{k + 1}.xlsx")
        c.transcripts.lock_class(cid)
        c.transcripts.sign_class(cid, Step.GVCN, staff_id=teacher)
        c.transcripts.sign_class(cid, Step.PRINCIPAL, staff_id=staff_id("principal"))
    return school_id, ids


def issued_ledger(c: Container, class_ids: list[str]) -> tuple[list[int], list[str], int]:
    """The ledger's sequence numbers, the credential ids of its ``issued`` entries, and the classes' transcripts."""
    with c.db.reader() as session:
        seqs = list(session.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq)).scalars())
        issued = list(session.execute(select(LedgerEntry.credential_id).where(LedgerEntry.kind == "issued")).scalars())
        transcripts = session.execute(
            select(func.count()).select_from(Transcript).where(Transcript.class_id.in_(class_ids))
        ).scalar_one()
    return seqs, issued, int(transcripts)


def start_worker(db_url: str, *, stalled_after: float = 3) -> subprocess.Popen[bytes]:
    """A `sogoc jobs worker` process on ``db_url``, with a short heartbeat so a killed one is noticed fast."""
    env = {
        **os.environ,
        "SOGOC_ENV": "test",
        "SOGOC_DATABASE_URL": db_url,
        "SOGOC_JOB_HEARTBEAT_SECONDS": "0.5",
        "SOGOC_JOB_STALLED_AFTER_SECONDS": str(stalled_after),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "credential_service.app.cli", "jobs", "worker"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_a_worker_mid_item(c: Container, job_id: str, workers: list[subprocess.Popen[bytes]]) -> int:
    """SIGKILL the worker process that is running an item, while it runs it; its pid."""
    pids = {w.pid: w for w in workers}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for row in c.jobs.results(job_id):
            runner = row["runner"] or ""
            pid = int(runner.rpartition(":")[2] or 0)
            if row["status"] == "running" and pid in pids:
                os.kill(pid, signal.SIGKILL)
                pids[pid].wait(timeout=10)
                return pid
        time.sleep(0.02)
    raise AssertionError("no worker took an item within 120 s")


def wait_until_finished(c: Container, job_id: str, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = c.jobs.progress(job_id).to_dict()
        if state["finished_at"] is not None:
            return state
        time.sleep(0.2)
    return c.jobs.progress(job_id).to_dict()
