"""Batch items on PostgreSQL, run by ``procrastinate`` workers (``sogoc jobs worker``) on any number of hosts.

Each item of a :class:`~credential_service.platform.jobs.JobService` job is one procrastinate task,
``sogoc.run_batch_item(job_id, seq)``, on the queue :data:`QUEUE`. The task only calls
:meth:`JobService.run_item`, which decides whether there is still anything to do, so a task delivered twice is
harmless.

A worker process that dies (killed, its host gone) stops sending heartbeats. Every worker looks, every
``heartbeat`` seconds, for tasks left ``doing`` by a worker whose heartbeat is older than ``stalled_after``
seconds, and hands them back to the queue (procrastinate's documented recipe for stalled jobs); another
worker then runs the item again, and ``run_item`` with the item's all-or-nothing handler makes that safe.

procrastinate's own tables are created by the migration ``0014_batch_jobs`` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from procrastinate import App, PsycopgConnector, SyncPsycopgConnector
from procrastinate import exceptions as procrastinate_errors
from procrastinate.types import JSONValue
from sqlalchemy.engine import make_url

from credential_service.platform.errors import Message, ServiceUnavailable
from credential_service.platform.jobs import JobService

log = logging.getLogger(__name__)

QUEUE = "sogoc-batch"
# "Retry now" as a moment in the past: procrastinate's default is this host's clock, and a worker host whose clock
# runs ahead of the database server's would push the item into the future, where no worker fetches it.
AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)
TASK = "sogoc.run_batch_item"


def conninfo(database_url: str) -> str:
    """A libpq connection string from the service's SQLAlchemy URL (``postgresql+psycopg://…``)."""
    url = make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _register(app: App, jobs: Callable[[], JobService]) -> None:
    @app.task(name=TASK, queue=QUEUE)
    def run_batch_item(job_id: str, seq: int) -> None:
        jobs().run_item(job_id, seq)


class ProcrastinateDispatcher:
    """Queues items for the workers (the service process side: defer only, never run)."""

    def __init__(self, database_url: str) -> None:
        self._app = App(connector=SyncPsycopgConnector(conninfo=conninfo(database_url)))
        _register(self._app, _no_local_runner)
        self._opened = False
        self._lock = threading.Lock()

    def dispatch(self, job_id: str, seqs: Iterable[int]) -> None:
        seqs = list(seqs)
        if not seqs:
            return
        with self._lock:  # requests run in threads: open the connection pool once
            if not self._opened:
                self._app.open()
                self._opened = True
        try:
            task = self._app.tasks[TASK]
            arguments: list[dict[str, JSONValue]] = [{"job_id": job_id, "seq": seq} for seq in seqs]
            task.batch_defer(*arguments)
        except procrastinate_errors.ProcrastinateException as e:
            raise ServiceUnavailable(
                Message(
                    "Không đưa được công việc vào hàng đợi; công việc đã được ghi và sẽ chạy khi thử lại "
                    f"(sogoc jobs resume {job_id}).",
                    f"Could not queue the job; it is recorded and runs when resumed (sogoc jobs resume {job_id}).",
                )
            ) from e

    def close(self) -> None:
        if self._opened:
            self._app.close()
            self._opened = False


def _no_local_runner() -> JobService:
    raise RuntimeError("the service process only queues batch items; `sogoc jobs worker` runs them")


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = 1
    heartbeat: float = 10.0  # seconds between a worker's heartbeats
    stalled_after: float = 30.0  # a worker silent this long is taken for dead; its items go back to the queue
    wait: bool = True  # False: stop once the queue is empty (tests, one-off runs)


def run_worker(database_url: str, jobs: JobService, options: WorkerOptions) -> None:
    """Run a worker until stopped (SIGINT/SIGTERM: finish the current item, then stop)."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(database_url)))
    _register(app, lambda: jobs)

    async def rescue_stalled() -> None:
        while True:
            await asyncio.sleep(options.heartbeat)
            try:
                stalled = await app.job_manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=options.stalled_after
                )
            except Exception:  # the next round tries again; a worker must not die of this
                log.exception("looking for stalled batch items failed")
                continue
            for job in stalled:
                try:  # another worker may have queued it again first: then this one is refused, harmlessly
                    await app.job_manager.retry_job(job, retry_at=AT_ONCE)
                    log.warning("batch item %s left by a dead worker: queued again", job.task_kwargs)
                except Exception:
                    log.info("batch item %s was already queued again", job.task_kwargs)

    async def main() -> None:
        async with app.open_async():
            rescuer = asyncio.create_task(rescue_stalled())
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=options.concurrency,
                    wait=options.wait,
                    update_heartbeat_interval=options.heartbeat,
                    stalled_worker_timeout=options.stalled_after,
                    install_signal_handlers=True,
                )
            finally:
                rescuer.cancel()

    asyncio.run(main())
