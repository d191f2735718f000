"""Processes killed with SIGKILL mid-batch, and two processes racing for the same batch, on SQLite and
PostgreSQL: the class is all sealed or not at all, register numbers have no gap and no duplicate, the
ledger audit passes, and the loser of a race gets a clear 409 with nothing doubled."""

from __future__ import annotations

from pathlib import Path

from fault_drills import A1, audit_ok, class_ready_for_seal, decide, issue, spawn, state

from credential_service.app.bootstrap import Container


def test_a_seal_killed_while_signing_or_recording_leaves_the_class_unsealed_and_a_retry_seals_it_all(
    container: Container, db_url: str
) -> None:
    c = container
    class_ready_for_seal(c)
    before = state(c)
    assert before.class_status == "signed_principal" and before.ledger_seqs == []
    for phase in ("sign", "record"):  # killed before the transaction, then inside it (rows written, no commit)
        child = spawn(db_url, "seal", "--pause", phase)
        child.wait_for(f"PHASE {phase}")
        child.kill()
        assert state(c) == before, phase  # all unsigned: nothing of the killed batch is left
        audit_ok(c)
    result = spawn(db_url, "seal").result()  # a new process retries
    assert result == {"ok": True, "status": "issued", "transcripts": 3}
    after = state(c)
    assert after.class_status == "issued" and after.seal_events == 3  # all signed
    assert set(after.pdfs) == set(before.pdfs) and all(after.pdfs[t] != before.pdfs[t] for t in before.pdfs)
    assert after.ledger_seqs == [0, 1, 2]
    audit_ok(c)


def test_an_issuance_killed_while_signing_or_recording_takes_no_number_and_a_retry_numbers_without_gap(
    container: Container, db_url: str
) -> None:
    c = container
    first = decide(c, "1/QĐ-DRILL")
    second = decide(c, "2/QĐ-DRILL")
    assert len(issue(c, first).issued) == 3  # numbers 1..3
    before = state(c)
    assert before.register_seqs == [1, 2, 3] and before.counter == 3
    for phase in ("sign", "record"):
        child = spawn(db_url, "issue", "--decision", second, "--pause", phase)
        child.wait_for(f"PHASE {phase}")
        child.kill()
        assert state(c) == before, phase  # no diploma, no number taken, no ledger entry
        audit_ok(c)
    assert spawn(db_url, "issue", "--decision", second).result() == {"ok": True, "issued": 3, "skipped": 0}
    after = state(c)
    assert after.register_seqs == [1, 2, 3, 4, 5, 6] and after.counter == 6  # no gap, no duplicate
    assert after.ledger_seqs == list(range(6))
    audit_ok(c)


def test_two_processes_sealing_the_same_class_at_once_one_wins_the_other_gets_409(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    c = container
    class_ready_for_seal(c)
    barrier = tmp_path / "go"
    children = [spawn(db_url, "seal", "--barrier", str(barrier)) for _ in range(2)]
    for child in children:
        child.wait_for("READY")  # both read the class and are about to sign it
    barrier.touch()
    results = sorted((child.result() for child in children), key=lambda r: r["ok"])
    loser, winner = results
    assert winner == {"ok": True, "status": "issued", "transcripts": 3}
    assert loser["http"] == 409 and loser["code"] == "conflict", loser
    assert "thay đổi" in loser["vi"] and "changed" in loser["en"]
    after = state(c)
    assert after.seal_events == 3 and after.ledger_seqs == [0, 1, 2]  # nothing doubled
    audit_ok(c)
    assert c.transcripts.class_overview(A1)["status"] == "issued"


def test_two_processes_issuing_from_the_same_decision_at_once_one_wins_the_other_gets_409(
    container: Container, db_url: str, tmp_path: Path
) -> None:
    c = container
    decision = decide(c)
    barrier = tmp_path / "go"
    children = [spawn(db_url, "issue", "--decision", decision, "--barrier", str(barrier)) for _ in range(2)]
    for child in children:
        child.wait_for("READY")  # both planned the same three diplomas
    barrier.touch()
    loser, winner = sorted((child.result() for child in children), key=lambda r: r["ok"])
    assert winner == {"ok": True, "issued": 3, "skipped": 0}
    assert loser["http"] == 409 and loser["code"] == "changed-while-signing", loser
    assert "yêu cầu khác" in loser["vi"] and "another request" in loser["en"]
    after = state(c)
    assert after.register_seqs == [1, 2, 3] and after.counter == 3 and after.ledger_seqs == [0, 1, 2]
    audit_ok(c)
