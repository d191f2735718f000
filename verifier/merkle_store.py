"""Merkle proofs from stored hashes of *complete* subtrees, and the store those hashes live in.

:func:`root_hash_from_nodes`, :func:`inclusion_proof_from_nodes` and
:func:`consistency_proof_from_nodes` (or the ``store_*`` wrappers around a :class:`TreeStore`) read
O(log n) stored nodes per call and give the same results as the list-based functions of
:mod:`verifier.merkle_proofs`. A complete subtree never changes once it is full, so the nodes can be
stored once and served for any later tree size. :class:`MemoryTreeStore` keeps them in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from verifier.merkle_hashing import EMPTY_ROOT, HASH_SIZE, check_size, is_pow2, leaf_hash, node_hash, split_point

__all__ = [
    "MemoryTreeStore",
    "NodeFetcher",
    "TreeStore",
    "consistency_proof_from_nodes",
    "inclusion_proof_from_nodes",
    "node_fetcher",
    "root_hash_from_nodes",
    "store_consistency_proof",
    "store_inclusion_proof",
    "store_root_hash",
]

NodeFetcher = Callable[[int, int], bytes]
"""``get_node(level, index)``: hash of the complete subtree of ``2**level`` leaves starting at leaf
``index * 2**level`` (level 0 is the leaf hash itself)."""


# --------------------------------------------------------------------------------------------------
# Generation from stored complete-subtree hashes (O(log n) reads)


def _range_hash(get_node: NodeFetcher, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a range that occurs in the RFC recursion.

    Such a range is a complete subtree (when its width is a power of two, ``lo`` is then a multiple
    of it) or splits into at most ``popcount(hi - lo)`` complete subtrees, each one stored read.
    """
    n = hi - lo
    if is_pow2(n):
        level = n.bit_length() - 1
        if lo % n:  # cannot happen for ranges produced below; guard against misuse
            raise ValueError(f"range [{lo}, {hi}) is not an aligned complete subtree")
        return get_node(level, lo >> level)
    k = split_point(n)
    return node_hash(_range_hash(get_node, lo, lo + k), _range_hash(get_node, lo + k, hi))


def root_hash_from_nodes(get_node: NodeFetcher, size: int) -> bytes:
    """Root hash of the tree of ``size`` leaves, reading at most ``popcount(size)`` stored nodes."""
    check_size(size)
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(get_node, 0, size)


def inclusion_proof_from_nodes(get_node: NodeFetcher, size: int, index: int) -> list[bytes]:
    """Same result as :func:`inclusion_proof` for a tree of ``size`` leaves, from stored nodes.

    Reads at most ``2 * log2(size)`` stored nodes.
    """
    check_size(size)
    check_size(index, "index")
    if index >= size:
        raise ValueError(f"index {index} out of range for tree size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = split_point(hi - lo)
        if index < lo + k:
            proof.append(_range_hash(get_node, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_hash(get_node, lo, lo + k))
            lo += k
    proof.reverse()
    return proof


def consistency_proof_from_nodes(get_node: NodeFetcher, size: int, old_size: int) -> list[bytes]:
    """Same result as :func:`consistency_proof` from ``old_size`` to ``size``, from stored nodes."""
    check_size(size)
    check_size(old_size, "old_size")
    if old_size > size:
        raise ValueError(f"old_size {old_size} is larger than the tree size {size}")
    if old_size == 0:
        return []
    proof: list[bytes] = []
    m, lo, hi, complete = old_size, 0, size, True
    while True:
        if m == hi - lo:
            if not complete:
                proof.append(_range_hash(get_node, lo, hi))
            break
        k = split_point(hi - lo)
        if m <= k:
            proof.append(_range_hash(get_node, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_range_hash(get_node, lo, lo + k))
            m -= k
            lo += k
            complete = False
    proof.reverse()
    return proof


@runtime_checkable
class TreeStore(Protocol):
    """Storage of a log's leaf hashes and of the hashes of its complete subtrees.

    ``stored_node(level, index)`` is the hash of the complete subtree of ``2**level`` leaves that
    starts at leaf ``index * 2**level``; it must be available for every such subtree that is full
    at the current ``size`` (``stored_node(0, i) == leaf_hash(i)``).
    """

    @property
    def size(self) -> int: ...

    def leaf_hash(self, index: int) -> bytes: ...

    def stored_node(self, level: int, index: int) -> bytes: ...


def node_fetcher(store: TreeStore) -> NodeFetcher:
    """Adapt a :class:`TreeStore` to the ``get_node(level, index)`` callable."""

    def get_node(level: int, index: int) -> bytes:
        return store.leaf_hash(index) if level == 0 else store.stored_node(level, index)

    return get_node


def _store_size(store: TreeStore, size: int | None) -> int:
    current = store.size
    if size is None:
        return current
    check_size(size)
    if size > current:
        raise ValueError(f"size {size} is larger than the stored tree ({current} leaves)")
    return size


def store_root_hash(store: TreeStore, size: int | None = None) -> bytes:
    """Root hash of the stored tree at ``size`` (default: its current size)."""
    return root_hash_from_nodes(node_fetcher(store), _store_size(store, size))


def store_inclusion_proof(store: TreeStore, index: int, size: int | None = None) -> list[bytes]:
    """Inclusion proof of leaf ``index`` in the stored tree at ``size`` (default: current size)."""
    return inclusion_proof_from_nodes(node_fetcher(store), _store_size(store, size), index)


def store_consistency_proof(store: TreeStore, old_size: int, size: int | None = None) -> list[bytes]:
    """Consistency proof from ``old_size`` to ``size`` (default: current size) of the stored tree."""
    return consistency_proof_from_nodes(node_fetcher(store), _store_size(store, size), old_size)


class MemoryTreeStore:
    """In-memory :class:`TreeStore` that keeps every complete subtree hash.

    ``append`` writes the leaf hash and then one node per subtree the new leaf completes, i.e.
    ``trailing_ones(index)`` nodes: amortised fewer than 2 node writes per append (``writes``
    counts them). Memory is about ``2 * size`` hashes.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.writes = 0
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def append(self, leaf_hash_: bytes) -> int:
        """Append a leaf *hash*; return its 0-based index."""
        h = bytes(leaf_hash_)
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(h)}")
        levels = self._levels
        index = len(levels[0])
        levels[0].append(h)
        self.writes += 1
        i, level = index, 0
        while i & 1:  # this leaf completes the subtree at (level + 1, i >> 1)
            row = levels[level]
            parent = node_hash(row[i - 1], row[i])
            level += 1
            if len(levels) == level:
                levels.append([])
            levels[level].append(parent)
            self.writes += 1
            i >>= 1
        return index

    def append_data(self, data: bytes) -> int:
        """Append a leaf given its data (hashed with :func:`leaf_hash`); return its index."""
        return self.append(leaf_hash(data))

    def leaf_hash(self, index: int) -> bytes:
        if index < 0:
            raise IndexError(index)
        return self._levels[0][index]

    def stored_node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self._levels):
            raise KeyError((level, index))
        row = self._levels[level]
        if index >= len(row):
            raise KeyError((level, index))
        return row[index]

    def root_hash(self, size: int | None = None) -> bytes:
        return store_root_hash(self, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return store_inclusion_proof(self, index, size)

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        return store_consistency_proof(self, old_size, size)
