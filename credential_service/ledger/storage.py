"""Appending to the ledger (``ledger_entries``) inside the caller's transaction, and reading its tree.

Sequence numbers are dense (0, 1, 2, ...). Concurrent appenders serialise: on PostgreSQL by
locking the table for writes until commit, on SQLite by the write lock every transaction
takes at BEGIN (see ``engine.py``). The leaf never holds personal data: it commits to the
canonical record with a private salt.

Every append also stores, in the same transaction, the hashes of the complete subtrees the new
leaves complete (``ledger_nodes``: level 0 is the leaf hash, level ``L`` index ``i`` covers leaves
``[i * 2**L, (i + 1) * 2**L)``). A complete subtree never changes, so roots and proofs for any tree
size read O(log n) rows. The Merkle arithmetic itself lives in :mod:`verifier.merkle`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeVar

import rfc8785
from sqlalchemy import TextClause, func, insert, select, text
from sqlalchemy.orm import Session

from credential_service.ledger.tables import LedgerEntry, LedgerNode
from verifier.merkle import (
    HASH_SIZE,
    NodeFetcher,
    consistency_proof_from_nodes,
    inclusion_proof_from_nodes,
    leaf_hash,
    node_hash,
    root_hash_from_nodes,
)

T = TypeVar("T")
NodeKey = tuple[int, int]

LEAF_VERSION = 1
# "continued": a học bạ's new school year, a new version of the level's book (transcripts/level_book.py)
ENTRY_KINDS = ("issued", "corrected", "revoked", "reissued", "imported", "key-rotated", "amended", "continued")


@dataclass(frozen=True)
class LeafEvent:
    kind: str
    credential_id: str
    record_sha256: str
    salt: str
    pdf_sha256: str | None
    register_no: str | None
    amends_seq: int | None
    time: datetime


def commitment(salt_hex: str, record_sha256_hex: str) -> str:
    """Salted commitment to the record: hides the record, the holder's copy (with salt) opens it."""
    return hashlib.sha256(
        b"sogoc/commit/v1\x00" + bytes.fromhex(salt_hex) + bytes.fromhex(record_sha256_hex)
    ).hexdigest()


def encode_leaf(event: LeafEvent) -> bytes:
    """Versioned canonical leaf encoding (RFC 8785 JSON, version field first by sort order)."""
    if event.kind not in ENTRY_KINDS:
        raise ValueError(f"unknown ledger entry kind {event.kind!r}")
    return rfc8785.dumps(
        {
            "v": LEAF_VERSION,
            "kind": event.kind,
            "credential_id": event.credential_id,
            "commitment": commitment(event.salt, event.record_sha256),
            "pdf_sha256": event.pdf_sha256,
            "register_no": event.register_no,
            "amends": event.amends_seq,
            "time": event.time.isoformat(timespec="seconds"),
        }
    )


def _lock_for_append(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"))


def append(session: Session, event: LeafEvent) -> LedgerEntry:
    """Append one entry in the caller's transaction and return it (with its sequence number)."""
    return append_many(session, [event])[0]


def lock(session: Session) -> None:
    """Serialise with appenders until the caller's transaction ends (see the module docstring)."""
    _lock_for_append(session)


def tree_size(session: Session) -> int:
    """Number of entries (the next sequence number); uses the primary key, not a table scan."""
    last = session.execute(select(func.max(LedgerEntry.seq))).scalar_one()
    return 0 if last is None else int(last) + 1


def append_many(session: Session, events: list[LeafEvent]) -> list[LedgerEntry]:
    """Append entries in the caller's transaction, with their tree nodes; return them with their seqs.

    Rows are written with one multi-row INSERT rather than through the ORM unit of work (which
    costs ~0.1 ms per entry); the returned entries are detached records of what was written.
    """
    _lock_for_append(session)
    size = tree_size(session)
    rows: list[dict[str, object]] = []
    hashes: list[bytes] = []
    for offset, event in enumerate(events):
        leaf = encode_leaf(event)
        hashes.append(leaf_hash(leaf))
        rows.append(
            {
                "seq": size + offset,
                "kind": event.kind,
                "credential_id": event.credential_id,
                "leaf": leaf,
                "leaf_hash": hashes[-1],
                "amends_seq": event.amends_seq,
                "created_at": event.time,
            }
        )
    if rows:
        session.execute(insert(LedgerEntry), rows)
        _store_nodes(session, size, hashes)
    return [LedgerEntry(**r) for r in rows]


class MissingNode(LookupError):
    """A tree node that must exist for the requested size is not stored (storage damaged)."""

    def __init__(self, keys: Iterable[NodeKey]) -> None:
        self.keys = sorted(keys)
        super().__init__(f"missing ledger tree nodes (level, index): {self.keys[:8]}")


def frontier_keys(size: int) -> list[NodeKey]:
    """The complete subtrees at the right edge of a tree of ``size`` leaves that a new leaf may complete."""
    keys = []
    level = 0
    while size >> level:
        if (size >> level) & 1:
            keys.append((level, (size >> level) - 1))
        level += 1
    return keys


def new_node_rows(
    old_size: int, new_leaf_hashes: list[bytes], frontier: dict[NodeKey, bytes]
) -> list[dict[str, object]]:
    """Rows for every complete subtree completed by appending ``new_leaf_hashes`` to a tree of ``old_size``.

    ``frontier`` holds the stored nodes named by :func:`frontier_keys` for ``old_size``.
    """
    rows: list[dict[str, object]] = []
    level, lo, row = 0, old_size, list(new_leaf_hashes)
    while row:
        rows.extend({"level": level, "idx": lo + i, "hash": h} for i, h in enumerate(row))
        start = 0
        parents: list[bytes] = []
        if lo & 1:  # the first new node is a right child; its left sibling is on the frontier
            parents.append(node_hash(frontier[(level, lo - 1)], row[0]))
            start = 1
        for i in range(start, len(row) - 1, 2):
            parents.append(node_hash(row[i], row[i + 1]))
        level, lo, row = level + 1, lo >> 1, parents
    return rows


def _store_nodes(session: Session, old_size: int, new_leaf_hashes: list[bytes]) -> None:
    frontier = fetch_nodes(session, frontier_keys(old_size)) if old_size else {}
    rows = new_node_rows(old_size, new_leaf_hashes, frontier)
    session.execute(insert(LedgerNode), rows)


@lru_cache(maxsize=512)
def _nodes_query(count: int) -> TextClause:
    # One indexed lookup per key (SQLite plans this as a MULTI-INDEX OR on the primary key; a row-value
    # IN list would scan the table). Cached per key count, so a proof costs one small prepared query.
    where = " OR ".join(f"(level = :l{k} AND idx = :i{k})" for k in range(count))
    return text(f"SELECT level, idx, hash FROM ledger_nodes WHERE {where}")


def fetch_nodes(session: Session, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """Stored nodes by (level, index) in one query; raises :class:`MissingNode` if any is absent."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    got: dict[NodeKey, bytes] = {}
    for chunk in range(0, len(wanted), 200):
        part = wanted[chunk : chunk + 200]
        params: dict[str, int] = {}
        for k, (level, idx) in enumerate(part):
            params[f"l{k}"] = level
            params[f"i{k}"] = idx
        for level, idx, h in session.execute(_nodes_query(len(part)), params):
            got[(int(level), int(idx))] = bytes(h)
    if len(got) != len(wanted):
        raise MissingNode(set(wanted) - set(got))
    return got


_PLACEHOLDER = bytes(HASH_SIZE)


def with_nodes(session: Session, compute: Callable[[NodeFetcher], T]) -> T:
    """Run a ``verifier.merkle`` ``*_from_nodes`` computation against the stored nodes.

    The node reads a computation makes depend only on sizes and indexes, never on hash values: a
    first dry run records them, one query fetches them, a second run computes the result.
    """
    wanted: list[NodeKey] = []

    def record(level: int, index: int) -> bytes:
        wanted.append((level, index))
        return _PLACEHOLDER

    compute(record)
    got = fetch_nodes(session, wanted)
    return compute(lambda level, index: got[(level, index)])


def root_hash(session: Session, size: int) -> bytes:
    """Root hash of the ledger's first ``size`` entries."""
    return with_nodes(session, lambda get: root_hash_from_nodes(get, size))


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of the first ``size`` entries."""
    return with_nodes(session, lambda get: inclusion_proof_from_nodes(get, size, index))


def consistency_proof(session: Session, old_size: int, size: int) -> list[bytes]:
    """RFC 9162 consistency proof from ``old_size`` to ``size``."""
    return with_nodes(session, lambda get: consistency_proof_from_nodes(get, size, old_size))
