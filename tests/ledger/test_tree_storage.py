"""Stored complete-subtree nodes equal the in-memory tree; proofs read from the database verify."""

from __future__ import annotations

import random

import pytest
from ledger_fixtures import Ledger, event
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from credential_service.ledger import storage as ledger
from credential_service.ledger.tables import LedgerNode
from credential_service.platform.db import Database, migrate
from verifier.merkle import MemoryTreeStore, leaf_hash, verify_consistency, verify_inclusion


def _stored(db: Database) -> dict[tuple[int, int], bytes]:
    with db.reader() as s:
        return {(r.level, r.idx): bytes(r.hash) for r in s.execute(select(LedgerNode)).scalars()}


def _expected(mem: MemoryTreeStore) -> dict[tuple[int, int], bytes]:
    out = {}
    level = 0
    while mem.size >> level:
        for i in range(mem.size >> level):
            out[(level, i)] = mem.leaf_hash(i) if level == 0 else mem.stored_node(level, i)
        level += 1
    return out


def test_stored_nodes_equal_the_in_memory_tree_after_every_batch(led: Ledger) -> None:
    mem = MemoryTreeStore()
    rng = random.Random(4)
    batches = [1, 1, 1, 2, 3, 1, 7, 8, 16, 1, 31, 5, 64, 2, 100]
    n = 0
    for b in batches:
        with led.db.transaction() as s:
            entries = ledger.append_many(s, [event(n + i) for i in range(b)])
        assert [e.seq for e in entries] == list(range(n, n + b))
        for e in entries:
            assert e.leaf_hash == leaf_hash(e.leaf)
            mem.append(e.leaf_hash)
        n += b
        assert _stored(led.db) == _expected(mem), f"after {n} entries"
        with led.db.reader() as s:
            for size in [*rng.sample(range(1, n + 1), min(n, 12)), n]:
                assert ledger.root_hash(s, size) == mem.root_hash(size)
    assert n == 243


def test_proofs_from_the_database_verify_for_every_size(led: Ledger) -> None:
    led.append(70)
    with led.db.reader() as s:
        roots = {size: ledger.root_hash(s, size) for size in range(71)}
        leaves = [bytes(h) for h in s.execute(text("SELECT leaf_hash FROM ledger_entries ORDER BY seq")).scalars()]
        for size in range(1, 71):
            for index in {0, size // 2, size - 1}:
                proof = ledger.inclusion_proof(s, index, size)
                verify_inclusion(leaves[index], index, size, proof, roots[size])
            for old in range(1, size):
                verify_consistency(old, size, ledger.consistency_proof(s, old, size), roots[old], roots[size])


def test_a_proof_reads_o_log_n_node_rows(led: Ledger) -> None:
    led.append(1000)
    with led.db.reader() as s:
        keys: list[tuple[int, int]] = []
        original = ledger.fetch_nodes

        def counting(session: object, wanted: object) -> dict[tuple[int, int], bytes]:
            w = list(wanted)  # type: ignore[call-overload]
            keys.extend(w)
            return original(s, w)

        ledger.fetch_nodes = counting  # type: ignore[assignment]
        try:
            ledger.inclusion_proof(s, 517, 1000)
        finally:
            ledger.fetch_nodes = original  # type: ignore[assignment]
    assert 0 < len(set(keys)) <= 2 * 10


@pytest.mark.parametrize("table", ["ledger_nodes", "ledger_checkpoints", "ledger_cosignatures"])
def test_update_and_delete_are_refused_on_the_tree_tables(led: Ledger, table: str) -> None:
    led.append(3)
    led.svc.publish()
    if table == "ledger_cosignatures":
        from ledger_fixtures import witness_signer

        from verifier.checkpoint import cosign_checkpoint

        led.svc.add_cosignature(3, cosign_checkpoint(led.svc.checkpoint(3).note, witness_signer()))
    column = {"ledger_nodes": "hash", "ledger_checkpoints": "note_text", "ledger_cosignatures": "signature_line"}[table]
    value = "x'00'" if table == "ledger_nodes" else "'forged'"
    if table == "ledger_nodes" and led.db.engine.dialect.name == "postgresql":
        value = "'\\x00'::bytea"
    for statement in (f"UPDATE {table} SET {column} = {value}", f"DELETE FROM {table}"):
        with pytest.raises(DBAPIError, match="append-only"), led.db.transaction() as s:
            s.execute(text(statement))
    if led.db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), led.db.transaction() as s:
            s.execute(text(f"TRUNCATE {table} CASCADE"))
    assert led.svc.audit().ok


def test_migration_backfills_nodes_for_entries_written_before_it(empty_db_url: str) -> None:
    migrate(empty_db_url, "0001")
    db = Database(empty_db_url)
    mem = MemoryTreeStore()
    with db.transaction() as s:
        for i in range(37):
            leaf = ledger.encode_leaf(event(i))
            s.execute(
                text(
                    "INSERT INTO ledger_entries (seq, kind, credential_id, leaf, leaf_hash, amends_seq, created_at)"
                    " VALUES (:seq, 'issued', :cid, :leaf, :lh, NULL, :t)"
                ),
                {"seq": i, "cid": event(i).credential_id, "leaf": leaf, "lh": leaf_hash(leaf), "t": event(i).time},
            )
            mem.append(leaf_hash(leaf))
    db.dispose()
    migrate(empty_db_url)
    db = Database(empty_db_url)
    assert _stored(db) == _expected(mem)
    with db.transaction() as s:
        ledger.append_many(s, [event(37)])
        mem.append(leaf_hash(ledger.encode_leaf(event(37))))
    with db.reader() as s:
        assert ledger.root_hash(s, 38) == mem.root_hash()
    db.dispose()
