"""The ledger table is append-only in the database itself, and appends have no gaps."""

from __future__ import annotations

import multiprocessing as mp
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from credential_service.ledger import storage as ledger
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.db import Database


def _event(i: int) -> ledger.LeafEvent:
    return ledger.LeafEvent(
        kind="issued",
        credential_id=f"00000000-0000-0000-0000-{i:012d}",
        record_sha256="ab" * 32,
        salt="cd" * 32,
        pdf_sha256="ef" * 32,
        register_no=None,
        amends_seq=None,
        time=datetime(2026, 5, 30, tzinfo=UTC),
    )


def test_update_and_delete_on_ledger_entries_are_refused_by_the_database(db_url: str) -> None:
    db = Database(db_url)
    with db.transaction() as s:
        ledger.append(s, _event(1))
    for statement in ("UPDATE ledger_entries SET kind = 'revoked'", "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
            s.execute(text(statement))
    with db.reader() as s:
        rows = s.execute(select(LedgerEntry)).scalars().all()
        assert [(r.seq, r.kind) for r in rows] == [(0, "issued")]
    db.dispose()


def test_leaf_holds_a_salted_commitment_not_the_record_hash(db_url: str) -> None:
    db = Database(db_url)
    with db.transaction() as s:
        entry = ledger.append(s, _event(1))
    assert b"ab" * 32 not in entry.leaf
    assert ledger.commitment("cd" * 32, "ab" * 32).encode() in entry.leaf
    assert entry.leaf.startswith(b'{"amends":null,')
    db.dispose()


def test_an_append_rolled_back_with_its_transaction_leaves_no_gap(db_url: str) -> None:
    db = Database(db_url)
    with pytest.raises(RuntimeError), db.transaction() as s:
        ledger.append(s, _event(1))
        raise RuntimeError("crash after the append, before commit")
    with db.transaction() as s:
        assert ledger.append(s, _event(2)).seq == 0
    db.dispose()


def _writer(url: str, start: int, count: int) -> None:
    db = Database(url)
    for i in range(start, start + count):
        with db.transaction() as s:
            ledger.append(s, _event(i))
    db.dispose()


def test_concurrent_writers_in_separate_processes_get_dense_unique_sequence_numbers(db_url: str) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(db_url, w * 100, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    db = Database(db_url)
    with db.reader() as s:
        seqs = s.execute(select(LedgerEntry.seq).order_by(LedgerEntry.seq)).scalars().all()
        ids = s.execute(select(LedgerEntry.credential_id)).scalars().all()
    assert seqs == list(range(100))
    assert len(set(ids)) == 100
    db.dispose()


def test_the_signing_audit_trail_refuses_update_and_delete(db_url: str) -> None:
    db = Database(db_url)
    with db.transaction() as s:
        s.execute(
            text(
                "INSERT INTO signing_audit (id, at, operation, document_kind, outcome) "
                "VALUES ('a1', CURRENT_TIMESTAMP, 'transcript-step', 'transcript', 'refused')"
            )
        )
    for statement in ("UPDATE signing_audit SET outcome = 'signed'", "DELETE FROM signing_audit"):
        with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
            s.execute(text(statement))
    db.dispose()
