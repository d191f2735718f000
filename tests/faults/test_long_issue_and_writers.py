"""A long diploma issuance does not hold the database's write lock while it signs: another writer (locking
an unrelated class, recording another decision) goes through at once instead of failing after 30 s."""

from __future__ import annotations

import threading
import time
from typing import Any

from fault_drills import A1, GRADUATES, audit_ok, decide, import_class, issue, state

from credential_service.app.bootstrap import Container

OTHER_WRITER_LIMIT = 10.0  # seconds; SQLite gives up after 30 s (busy_timeout), PostgreSQL would wait


def test_other_writers_go_through_while_a_decision_is_being_signed(container: Container) -> None:
    c = container
    import_class(c)  # 10A1, not yet locked: the other writer locks it
    graduates = [{**g, "full_name": f"{g['full_name']} {k}"} for k in range(2) for g in GRADUATES]
    decision = decide(c, "300/QĐ-DRILL", graduates)
    signing, finish = threading.Event(), threading.Event()
    sign_many = c.documents.sign_many

    def slow_sign_many(*args: Any, **kwargs: Any) -> Any:  # the batch is signing for as long as the test wants
        signing.set()
        assert finish.wait(120)
        return sign_many(*args, **kwargs)

    c.documents.sign_many = slow_sign_many  # type: ignore[method-assign]
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["report"] = issue(c, decision)
        except Exception as e:  # reported below
            outcome["error"] = e

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert signing.wait(120), outcome
        started = time.monotonic()
        c.transcripts.lock_class(A1)  # another writer, on an unrelated class
        other = decide(c, "301/QĐ-DRILL")  # and another, on the same school's decisions
        took = time.monotonic() - started
        mid = state(c)
    finally:
        finish.set()
        worker.join(180)
    assert took < OTHER_WRITER_LIMIT, f"the other writers waited {took:.1f} s: the write lock was held while signing"
    assert mid.register_seqs == [] and mid.counter == 0  # the issuance had recorded nothing yet
    assert "error" not in outcome, outcome
    assert len(outcome["report"].issued) == 6
    after = state(c)
    assert after.class_status == "locked" and after.register_seqs == [1, 2, 3, 4, 5, 6]
    assert len(issue(c, other).issued) == 3  # and the other decision numbers on, without gap
    assert state(c).register_seqs == list(range(1, 10))
    audit_ok(c)
