"""Fault-drill helpers: a class ready for its seal, a small graduation decision, the state to compare,
and child processes (``drill_child.py``) that the drills start, meet, pause and kill."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.diplomas.tables import Diploma, RegisterCounter
from credential_service.ledger.tables import LedgerEntry
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import SchoolClass, SigningEvent, Transcript
from credential_service.transcripts.workflow import Step

A1 = class_id("10A1")
A2 = class_id("10A2")
CHILD = Path(__file__).with_name("drill_child.py")
GRADUATES = [
    {"full_name": "Phạm Thị Lan", "date_of_birth": "2008-01-12", "sex": "Nữ", "place_of_birth": "Hải Phòng",
     "ethnicity": "Kinh", "personal_id": None},
    {"full_name": "Vũ Đức Anh", "date_of_birth": "2008-05-30", "sex": "Nam", "place_of_birth": "Thủy Nguyên",
     "ethnicity": "Kinh", "personal_id": None},
    {"full_name": "Đỗ Minh Châu", "date_of_birth": "2008-09-02", "sex": "Nữ", "place_of_birth": "Kiến An",
     "ethnicity": "Kinh", "personal_id": None},
]  # fmt: skip


def import_class(c: Container, name: str = "10A1", n: int = 3) -> None:
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class(name, 10, n=n, seed=11)
    imports.import_xlsx(c.transcripts, class_id(name), importers.write_sample_xlsx(students), f"{name}.xlsx")


def class_ready_for_seal(c: Container) -> None:
    """10A1 with three students, locked and signed by the homeroom teacher and the principal."""
    import_class(c)
    c.transcripts.lock_class(A1)
    c.transcripts.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    c.transcripts.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))


def decide(c: Container, decision_no: str = "21/QĐ-DRILL", graduates: list[dict[str, Any]] | None = None) -> str:
    seed_demo(c.transcripts, import_results=False)
    return c.diplomas.record_graduation_decision(
        school_code="THPT-DEMO", decision_no=decision_no, decision_date=c.clock.today(),
        graduation_year=c.clock.today().year, signer_name="Ngô Quang Trưởng", graduates=graduates or GRADUATES,
    )  # fmt: skip


def issue(c: Container, decision_id: str) -> Any:
    return c.diplomas.issue_from_decision(
        decision_id, issuer_staff_id=staff_id("principal"), seal_staff_id=staff_id("seal-thpt-demo")
    )


@dataclass(frozen=True)
class State:
    """What a drill compares before and after: class status, documents, signatures, register, ledger."""

    class_status: str | None
    pdfs: dict[str, str]
    seal_events: int
    register_seqs: list[int]
    counter: int
    ledger_seqs: list[int]


def state(c: Container) -> State:
    with c.db.reader() as s:
        klass = s.get(SchoolClass, A1)
        pdfs = dict(s.execute(select(Transcript.id, Transcript.pdf_sha256).where(Transcript.class_id == A1)).all())
        seals = s.execute(
            select(func.count()).select_from(SigningEvent).where(SigningEvent.step == Step.SEAL.value)
        ).scalar_one()
        seqs = sorted(-1 if n is None else n for n in s.execute(select(Diploma.register_seq)).scalars())
        counter = s.execute(select(func.coalesce(func.max(RegisterCounter.last_seq), 0))).scalar_one()
        ledger = sorted(s.execute(select(LedgerEntry.seq)).scalars())
    return State(klass.status if klass else None, pdfs, int(seals), seqs, int(counter), ledger)


def audit_ok(c: Container) -> None:
    report = c.ledger.audit()
    assert report.ok, report.to_dict()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


# --------------------------------------------------------------------------------------------------
# child processes


@dataclass
class Child:
    """A ``drill_child.py`` process; its output lines arrive on a queue (read by a thread)."""

    proc: subprocess.Popen[str]
    stderr: Any
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_for(self, marker: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if line.startswith(marker):
                return line
        self.stderr.seek(0)
        err = self.stderr.read()
        raise AssertionError(f"no {marker!r} from the drill process; output {self.seen}; stderr {err[-3000:]}")

    def result(self, timeout: float = 180) -> dict[str, Any]:
        line = self.wait_for("RESULT", timeout)
        self.proc.wait(timeout=30)
        return dict(json.loads(line.removeprefix("RESULT ")))

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)  # kill -9: no cleanup, no rollback by the process itself
        self.proc.wait(timeout=30)
        assert self.proc.returncode == -signal.SIGKILL


def spawn(db_url: str, action: str, *args: str) -> Child:
    stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - kept open with the child, closed by the GC
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), db_url, action, *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    child = Child(proc, stderr)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            child.lines.put(line.rstrip("\n"))
        child.lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return child
