"""Several processes issuing at once: register numbers have no gap and no duplicate, on SQLite and PostgreSQL,
also when some signing batches fail (their numbers roll back with the transaction)."""

from __future__ import annotations

import multiprocessing

from diploma_fixtures import issue_worker
from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.diplomas.tables import Diploma
from credential_service.ledger.tables import LedgerEntry

WORKERS, ROUNDS = 4, 3


def test_concurrent_issuing_leaves_no_gap_and_no_duplicate_register_number(container: Container, db_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(WORKERS) as pool:
        counts = pool.starmap(issue_worker, [(db_url, w, ROUNDS) for w in range(WORKERS)])
    with container.db.reader() as s:
        rows = s.execute(select(Diploma.register_seq, Diploma.register_no, Diploma.ledger_seq)).all()
        leaves = {e.seq: e for e in s.execute(select(LedgerEntry)).scalars()}
    total = sum(counts)
    assert total == WORKERS * ROUNDS * 3 == len(rows)
    assert sorted(r.register_seq for r in rows) == list(range(1, total + 1))  # no gap, no duplicate
    year = container.clock.today().year
    assert {r.register_no for r in rows} == {f"{i}/THPT/{year}" for i in range(1, total + 1)}
    assert sorted(leaves) == list(range(total))  # the ledger too: dense, one entry per diploma
    for r in rows:  # the number is ledgered with its diploma
        assert f'"register_no":"{r.register_no}"'.encode() in leaves[r.ledger_seq].leaf
