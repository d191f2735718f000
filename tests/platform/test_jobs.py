"""Batch jobs: every item runs once to an end, a dead worker's item runs again, refusals fail only their item."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from credential_service.platform.clock import FixedClock
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message
from credential_service.platform.jobs import MAX_ATTEMPTS, BatchJobItem, InProcessDispatcher, JobItem, JobService

T0 = datetime(2026, 5, 30, 8, 0, tzinfo=UTC)


class Recorder:
    """A handler that records what it ran, and refuses the items it is told to."""

    def __init__(self) -> None:
        self.ran: list[int] = []
        self.refuse: set[int] = set()

    def __call__(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        n = int(payload["n"])
        if n in self.refuse:
            raise Conflict(Message(f"lớp {n} đã đổi", f"class {n} changed"))
        self.ran.append(n)
        return {"n": n}


class Manual:
    """A dispatcher that runs nothing until the test says so (a queue with no worker yet)."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, int]] = []

    def dispatch(self, job_id: str, seqs: Any) -> None:
        self.handed.extend((job_id, s) for s in seqs)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _items(n: int) -> list[JobItem]:
    return [JobItem({"n": i}, weight=10 + i) for i in range(n)]


def test_every_item_runs_once_and_the_job_ends_done(db: Database) -> None:
    handler = Recorder()
    jobs = JobService(db, FixedClock(T0), {"k": handler})
    job_id = jobs.submit("k", _items(3), title="t", created_by="tester", school_id=None)
    assert isinstance(jobs.dispatcher, InProcessDispatcher)
    jobs.dispatcher.drain(timeout=30)
    state = jobs.progress(job_id).to_dict()
    assert handler.ran == [0, 1, 2]
    assert (state["status"], state["items_done"], state["documents"], state["documents_done"]) == ("done", 3, 33, 33)
    assert state["percent"] == 100.0 and state["seconds_left"] == 0.0
    assert [r["result"] for r in jobs.results(job_id)] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_an_item_handed_out_twice_runs_once(db: Database) -> None:
    handler = Recorder()
    queue = Manual()
    jobs = JobService(db, FixedClock(T0), {"k": handler}, queue)
    job_id = jobs.submit("k", _items(2), title="t", created_by="tester", school_id=None)
    for handed in [*queue.handed, *queue.handed]:  # a queue that delivers every task twice
        jobs.run_item(*handed)
    assert handler.ran == [0, 1]
    assert jobs.progress(job_id).status == "done"


def test_a_refusal_fails_only_its_item_with_the_message_and_retry_runs_it_again(db: Database) -> None:
    handler = Recorder()
    handler.refuse = {1}
    queue = Manual()
    jobs = JobService(db, FixedClock(T0), {"k": handler}, queue)
    job_id = jobs.submit("k", _items(3), title="t", created_by="tester", school_id=None)
    for handed in queue.handed:
        jobs.run_item(*handed)
    state = jobs.progress(job_id)
    assert (state.status, state.items_done, state.items_failed) == ("failed", 2, 1)
    assert state.errors == [{"item": 1, "payload": {"n": 1}, "code": "conflict", "vi": "lớp 1 đã đổi",
                             "en": "class 1 changed"}]  # fmt: skip
    handler.refuse = set()
    queue.handed.clear()
    assert jobs.retry_failed(job_id) == 1
    assert queue.handed == [(job_id, 1)]
    jobs.run_item(job_id, 1)
    assert jobs.progress(job_id).status == "done"
    assert handler.ran == [0, 2, 1]


def test_an_item_left_running_by_a_dead_worker_runs_again_and_gives_up_after_max_attempts(db: Database) -> None:
    handler = Recorder()
    queue = Manual()
    jobs = JobService(db, FixedClock(T0), {"k": handler}, queue)
    job_id = jobs.submit("k", _items(1), title="t", created_by="tester", school_id=None)
    with db.transaction() as session:  # a worker took the item, then died before finishing it
        item = session.get(BatchJobItem, (job_id, 0))
        assert item is not None
        item.status, item.attempts = "running", 1
    assert jobs.run_item(job_id, 0) == "done"
    assert jobs.results(job_id)[0]["attempts"] == 2 and handler.ran == [0]

    other = jobs.submit("k", _items(1), title="t", created_by="tester", school_id=None)
    with db.transaction() as session:
        item = session.get(BatchJobItem, (other, 0))
        assert item is not None
        item.status, item.attempts = "running", MAX_ATTEMPTS
    assert jobs.run_item(other, 0) == "failed"
    assert jobs.progress(other).errors[0]["code"] == "worker-died"
    assert handler.ran == [0]  # never run a fourth time


def test_time_left_follows_the_pace_so_far(db: Database) -> None:
    clock = FixedClock(T0)
    queue = Manual()
    jobs = JobService(db, clock, {"k": Recorder()}, queue)
    job_id = jobs.submit("k", [JobItem({"n": i}, weight=100) for i in range(4)], title="t", created_by="x",
                         school_id=None)  # fmt: skip
    jobs.run_item(job_id, 0)
    clock.advance(timedelta(seconds=20))  # 100 documents in 20 s: 300 more take 60 s
    state = jobs.progress(job_id)
    assert (state.documents_done, state.seconds_left, state.status) == (100, 60.0, "running")


def test_items_left_unfinished_by_a_stopped_service_run_when_the_next_one_starts(db: Database) -> None:
    handler = Recorder()
    queue = Manual()
    jobs = JobService(db, FixedClock(T0), {"k": handler}, queue)
    job_id = jobs.submit("k", _items(2), title="t", created_by="tester", school_id=None)
    jobs.run_item(job_id, 0)  # the process stopped before item 1 ran
    restarted = JobService(db, FixedClock(T0), {"k": handler})
    assert restarted.resume_unfinished() == 1
    assert isinstance(restarted.dispatcher, InProcessDispatcher)
    restarted.dispatcher.drain(timeout=30)
    assert handler.ran == [0, 1] and restarted.progress(job_id).status == "done"
