"""Batch jobs: a school's seal, a decision's diplomas, imports, reports. Split into items, run by workers, resumable.

A job is a row in ``batch_jobs`` and one row per item in ``batch_job_items`` (e.g. one class of a school's seal,
weighted by its number of documents). Who runs the items is a :class:`Dispatcher`:

* on PostgreSQL, ``procrastinate`` (:mod:`credential_service.platform.job_queue`): one queued task per item, run by
  ``sogoc jobs worker`` processes on any number of hosts; a worker that dies mid-item is noticed by its missing
  heartbeat and its item is handed to another worker;
* on the embedded SQLite default, :class:`InProcessDispatcher`: a thread of the service process, same interface.

Every item runs through :meth:`JobService.run_item`, which is what makes a job safe to resume:

* an item already ``done`` or ``failed`` is not run again, whoever is handed it;
* an item found ``running`` was being run by a worker that died; it is run again (``attempts`` counts), at most
  :data:`MAX_ATTEMPTS` times;
* the handler itself must be idempotent: it writes its results all-or-nothing in one transaction, and finds out
  when they are already there (e.g. the class is already sealed). A worker killed before that transaction commits
  wrote nothing, so re-running the item neither duplicates a document nor leaves a gap in the ledger.

A handler's refusal (a :class:`SogocError`: a revoked certificate, a class changed meanwhile) fails its item with
the message, and the other items go on; ``retry_failed`` queues the failed items again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Integer, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from credential_service.platform.clock import Clock
from credential_service.platform.db import Base, Database, UTCDateTime
from credential_service.platform.errors import Message, NotFound, SogocError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a worker killed three times on the same item: the item fails, with a message
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class BatchJob(Base):
    __tablename__ = "batch_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[str | None] = mapped_column(String(36), index=True)  # whose job it is, for the read policy
    title: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | running | done | failed


class BatchJobItem(Base):
    __tablename__ = "batch_job_items"
    job_id: Mapped[str] = mapped_column(ForeignKey("batch_jobs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    weight: Mapped[int] = mapped_column(Integer)  # documents in the item, for progress and time left
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    runner: Mapped[str | None] = mapped_column(String(120), nullable=True)  # host:pid of the last worker to take it
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


JobHandler = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class JobItem:
    payload: dict[str, Any]
    weight: int = 1


class Dispatcher(Protocol):
    """Hands items to whoever runs them; each eventually calls :meth:`JobService.run_item`."""

    def dispatch(self, job_id: str, seqs: Iterable[int]) -> None: ...


@dataclass(frozen=True)
class JobProgress:
    job_id: str
    kind: str
    title: str
    status: str
    items: int
    items_done: int
    items_failed: int
    documents: int
    documents_done: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds_left: float | None  # from the pace so far; None before the first item ends
    errors: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if not isinstance(v, datetime)}
        for k in ("created_at", "started_at", "finished_at"):
            value = getattr(self, k)
            out[k] = value.isoformat() if value is not None else None
        out["percent"] = round(100 * self.documents_done / self.documents, 1) if self.documents else 100.0
        return out


class JobService:
    def __init__(
        self, db: Database, clock: Clock, handlers: Mapping[str, JobHandler], dispatcher: Dispatcher | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = dict(handlers)
        self.dispatcher: Dispatcher = dispatcher or InProcessDispatcher(self)

    # -- submitting ----------------------------------------------------------------------------
    def submit(self, kind: str, items: list[JobItem], *, title: str, created_by: str, school_id: str | None) -> str:
        """Record the job and its items in one transaction, then hand the items to the workers."""
        if kind not in self.handlers:
            raise ValueError(f"no handler for job kind {kind!r}")
        job_id = str(uuid.uuid4())
        now = self.clock.now()
        with self.db.transaction() as session:
            session.add(
                BatchJob(
                    id=job_id, kind=kind, school_id=school_id, title=title, created_by=created_by, created_at=now,
                    status=PENDING if items else DONE, finished_at=None if items else now,
                )
            )  # fmt: skip
            session.flush()
            for seq, item in enumerate(items):
                session.add(
                    BatchJobItem(job_id=job_id, seq=seq, payload=item.payload, weight=item.weight, status=PENDING)
                )
        self.dispatcher.dispatch(job_id, range(len(items)))
        return job_id

    def retry_failed(self, job_id: str) -> int:
        """Queue a job's failed items again (after the cause is fixed); the number queued."""
        with self.db.transaction() as session:
            job = self._job(session, job_id)
            failed = list(
                session.execute(
                    select(BatchJobItem).where(BatchJobItem.job_id == job_id, BatchJobItem.status == FAILED)
                ).scalars()
            )
            for item in failed:
                item.status, item.attempts, item.error = PENDING, 0, None
            if failed:
                job.status, job.finished_at = RUNNING, None
        self.dispatcher.dispatch(job_id, [i.seq for i in failed])
        return len(failed)

    def resume_unfinished(self) -> int:
        """Hand out again every item not finished (for a runner that lost its queue: a restarted process)."""
        with self.db.reader() as session:
            rows = session.execute(
                select(BatchJobItem.job_id, BatchJobItem.seq).where(BatchJobItem.status.in_((PENDING, RUNNING)))
            ).all()
        by_job: dict[str, list[int]] = {}
        for job_id, seq in rows:
            by_job.setdefault(job_id, []).append(seq)
        for job_id, seqs in by_job.items():
            self.dispatcher.dispatch(job_id, seqs)
        return len(rows)

    # -- running one item (any worker) ------------------------------------------------------------
    def run_item(self, job_id: str, seq: int) -> str:
        """Run one item unless it is finished already; the item's status afterwards."""
        with self.db.transaction() as session:
            item = session.get(BatchJobItem, (job_id, seq), with_for_update=True)
            if item is None or item.status in (DONE, FAILED):
                return item.status if item is not None else "missing"
            job = self._job(session, job_id)
            if item.attempts >= MAX_ATTEMPTS:
                self._finish(session, job, item, error=_died_message(item.attempts))
                return FAILED
            now = self.clock.now()
            item.status, item.attempts, item.started_at = RUNNING, item.attempts + 1, now
            item.runner = f"{socket.gethostname()}:{os.getpid()}"
            if job.status == PENDING:
                job.status, job.started_at = RUNNING, now
            kind, payload = job.kind, dict(item.payload)
        try:
            result = self.handlers[kind](payload)
        except SogocError as e:
            error = {"code": e.code, "vi": e.message.vi, "en": e.message.en}
            with self.db.transaction() as session:
                self._finish(session, self._job(session, job_id), _item(session, job_id, seq), error=error)
            return FAILED
        except Exception:
            log.exception("batch job %s item %s crashed", job_id, seq)
            error = {
                "code": "internal",
                "vi": "Lỗi hệ thống khi xử lý phần việc này; không có gì được ghi. Hãy thử lại sau.",
                "en": "Internal error while running this item; nothing was written. Try again later.",
            }
            with self.db.transaction() as session:
                self._finish(session, self._job(session, job_id), _item(session, job_id, seq), error=error)
            return FAILED
        with self.db.transaction() as session:
            self._finish(session, self._job(session, job_id), _item(session, job_id, seq), result=result)
        return DONE

    def _finish(
        self,
        session: Any,
        job: BatchJob,
        item: BatchJobItem,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        now = self.clock.now()
        item.status = FAILED if error is not None else DONE
        item.result, item.error, item.finished_at = result, error, now
        session.flush()
        open_items = session.execute(
            select(func.count())
            .select_from(BatchJobItem)
            .where(BatchJobItem.job_id == job.id, BatchJobItem.status.in_((PENDING, RUNNING)))
        ).scalar_one()
        if open_items == 0:
            failed = session.execute(
                select(func.count())
                .select_from(BatchJobItem)
                .where(BatchJobItem.job_id == job.id, BatchJobItem.status == FAILED)
            ).scalar_one()
            job.status, job.finished_at = (FAILED if failed else DONE), now

    # -- reading ---------------------------------------------------------------------------------
    def progress(self, job_id: str) -> JobProgress:
        with self.db.reader() as session:
            job = self._job(session, job_id)
            items = list(
                session.execute(
                    select(BatchJobItem).where(BatchJobItem.job_id == job_id).order_by(BatchJobItem.seq)
                ).scalars()
            )
        done = [i for i in items if i.status == DONE]
        failed = [i for i in items if i.status == FAILED]
        documents = sum(i.weight for i in items)
        documents_done = sum(i.weight for i in done)
        seconds_left = None
        if job.started_at is not None and documents_done and job.finished_at is None:
            elapsed = (self.clock.now() - job.started_at).total_seconds()
            remaining = documents - documents_done - sum(i.weight for i in failed)
            seconds_left = round(max(0.0, elapsed / documents_done * remaining), 1)
        elif job.finished_at is not None:
            seconds_left = 0.0
        return JobProgress(
            job_id=job.id, kind=job.kind, title=job.title, status=job.status, items=len(items),
            items_done=len(done), items_failed=len(failed), documents=documents, documents_done=documents_done,
            created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
            seconds_left=seconds_left,
            errors=[{"item": i.seq, "payload": i.payload, **(i.error or {})} for i in failed],
        )  # fmt: skip

    def accepted(self, job_id: str) -> dict[str, Any]:
        """A route's answer to a submitted job (202): its id, where to follow it, and its progress so far."""
        return {"job_id": job_id, "progress": f"/api/v1/jobs/{job_id}", **self.progress(job_id).to_dict()}

    def results(self, job_id: str) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            self._job(session, job_id)
            rows = session.execute(
                select(BatchJobItem).where(BatchJobItem.job_id == job_id).order_by(BatchJobItem.seq)
            ).scalars()
            return [
                {"item": i.seq, "status": i.status, "attempts": i.attempts, "runner": i.runner, "result": i.result}
                for i in rows
            ]

    def school_of(self, job_id: str) -> str | None:
        with self.db.reader() as session:
            job = session.get(BatchJob, job_id)
            return job.school_id if job is not None else None

    @staticmethod
    def _job(session: Any, job_id: str) -> BatchJob:
        job = session.get(BatchJob, job_id)
        if job is None:
            raise NotFound(Message(f"Không có công việc {job_id}.", f"No job {job_id}."))
        return job  # type: ignore[no-any-return]


def _item(session: Any, job_id: str, seq: int) -> BatchJobItem:
    item = session.get(BatchJobItem, (job_id, seq), with_for_update=True)
    assert item is not None
    return item  # type: ignore[no-any-return]


def _died_message(attempts: int) -> dict[str, Any]:
    return {
        "code": "worker-died",
        "vi": f"Tiến trình xử lý dừng đột ngột {attempts} lần ở phần việc này; không có gì được ghi. "
        "Hãy kiểm tra máy chạy tiến trình rồi thử lại.",
        "en": f"The worker stopped abruptly {attempts} times on this item; nothing was written. "
        "Check the worker hosts, then retry.",
    }


class InProcessDispatcher:
    """The embedded default: one thread of this process runs the items in order (SQLite has one writer)."""

    def __init__(self, jobs: JobService) -> None:
        self._jobs = jobs
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._pending: list[Any] = []

    def dispatch(self, job_id: str, seqs: Iterable[int]) -> None:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sogoc-job")
            for seq in seqs:
                self._pending.append(self._executor.submit(self._jobs.run_item, job_id, seq))

    def drain(self, timeout: float | None = None) -> None:
        """Wait for every item handed out so far (tests, and the CLI on the embedded default)."""
        with self._lock:
            pending, self._pending = self._pending, []
        for future in pending:
            future.result(timeout=timeout)
