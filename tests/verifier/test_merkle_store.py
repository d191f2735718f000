"""Store-based proof generation: equal to the list-based RFC transcription, O(log n) reads."""

from __future__ import annotations

import hashlib

import pytest

from verifier.merkle import (
    HASH_SIZE,
    MemoryTreeStore,
    TreeStore,
    consistency_proof,
    consistency_proof_from_nodes,
    inclusion_proof,
    inclusion_proof_from_nodes,
    leaf_hash,
    node_hash,
    root_hash,
    root_hash_from_nodes,
    store_consistency_proof,
    store_inclusion_proof,
    store_root_hash,
    verify_consistency,
    verify_inclusion,
)

MAX = 70
LEAVES = [leaf_hash(f"văn bằng {i}".encode()) for i in range(MAX)]


@pytest.fixture(scope="module")
def store() -> MemoryTreeStore:
    return MemoryTreeStore(LEAVES)


def test_memory_store_is_a_tree_store(store: MemoryTreeStore) -> None:
    assert isinstance(store, TreeStore)
    assert store.size == MAX


@pytest.mark.parametrize("size", range(1, MAX + 1))
def test_store_proofs_equal_list_proofs(store: MemoryTreeStore, size: int) -> None:
    leaves = LEAVES[:size]
    root = root_hash(leaves)
    assert store_root_hash(store, size) == root
    for index in range(size):
        proof = store_inclusion_proof(store, index, size)
        assert proof == inclusion_proof(leaves, index), index
        verify_inclusion(leaves[index], index, size, proof, root)
    for old_size in range(0, size + 1):
        proof = store_consistency_proof(store, old_size, size)
        assert proof == consistency_proof(leaves, old_size), old_size
        if old_size:
            verify_consistency(old_size, size, proof, root_hash(leaves[:old_size]), root)


def test_store_grown_incrementally_keeps_answering_old_sizes() -> None:
    s = MemoryTreeStore()
    roots = []
    for i, h in enumerate(LEAVES):
        assert s.append(h) == i
        roots.append(s.root_hash())
    for n in range(1, MAX + 1):
        assert s.root_hash(n) == roots[n - 1] == root_hash(LEAVES[:n])
    assert s.inclusion_proof(3, 10) == inclusion_proof(LEAVES[:10], 3)
    assert s.consistency_proof(5, 10) == consistency_proof(LEAVES[:10], 5)


def test_append_is_amortised_constant_writes() -> None:
    s = MemoryTreeStore()
    n = 4096 + 123
    for i in range(n):
        s.append_data(i.to_bytes(4, "big"))
    # one leaf write + one node per completed subtree: total < 2n
    assert s.writes < 2 * n
    assert s.writes == n + sum((i + 1 & -(i + 1)).bit_length() - 1 for i in range(n))


def test_store_rejects_bad_input(store: MemoryTreeStore) -> None:
    with pytest.raises(ValueError):
        MemoryTreeStore([b"short"])
    with pytest.raises(ValueError):
        store_root_hash(store, MAX + 1)
    with pytest.raises(ValueError):
        store_inclusion_proof(store, 5, 5)
    with pytest.raises(ValueError):
        store_consistency_proof(store, 6, 5)
    with pytest.raises(KeyError):
        store.stored_node(3, 1000)


# ------------------------------------------------------------------------------------------------
# A simulated store of 10 million leaves: O(log n) reads per proof


class FakeStore:
    """A consistent tree whose leaf ``i`` depends on ``i mod 2**PERIOD``.

    Nodes below level PERIOD are real hashes over a precomputed block; nodes at or above it are
    index-independent, so every node is O(1) to serve, yet proofs verify against the true root.
    ``reads`` counts stored-node reads.
    """

    PERIOD = 6

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads = 0
        block = MemoryTreeStore(leaf_hash(i.to_bytes(8, "big")) for i in range(1 << self.PERIOD))
        self._block = block
        self._high = [block.stored_node(self.PERIOD, 0)]
        for _ in range(64):
            self._high.append(node_hash(self._high[-1], self._high[-1]))

    def leaf_hash(self, index: int) -> bytes:
        self.reads += 1
        return self._block.leaf_hash(index % (1 << self.PERIOD))

    def stored_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        if level >= self.PERIOD:
            return self._high[level - self.PERIOD]
        return self._block.stored_node(level, index % (1 << (self.PERIOD - level)))


class HashedFakeStore:
    """Every node is an unrelated deterministic hash: only good for counting reads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads = 0

    def leaf_hash(self, index: int) -> bytes:
        return self.stored_node(0, index)

    def stored_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return hashlib.sha256(b"%d/%d" % (level, index)).digest()


def test_fake_store_matches_a_real_tree() -> None:
    n = 300
    fake = FakeStore(n)
    real = MemoryTreeStore(fake.leaf_hash(i) for i in range(n))
    assert store_root_hash(fake) == store_root_hash(real)
    for i in (0, 63, 64, 150, 299):
        assert store_inclusion_proof(fake, i) == store_inclusion_proof(real, i)


@pytest.mark.parametrize("size", [10_000_000, 10_000_001, 2**23, 2**24 - 1, 2**40 + 12345])
def test_large_tree_reads_are_logarithmic(size: int) -> None:
    log_n = (size - 1).bit_length()
    store = FakeStore(size)
    root = store_root_hash(store)
    assert store.reads <= bin(size).count("1")
    for index in (0, 1, size // 3, size // 2 + 7, size - 2, size - 1):
        store.reads = 0
        proof = store_inclusion_proof(store, index)
        assert len(proof) <= log_n
        assert store.reads <= 2 * log_n
        verify_inclusion(store.leaf_hash(index), index, size, proof, root)
    for old in (1, 2, 3, size // 3, size // 2, size - 1, size):
        store.reads = 0
        old_root = store_root_hash(store, old)
        store.reads = 0
        proof = store_consistency_proof(store, old)
        assert len(proof) <= log_n + 1
        assert store.reads <= 2 * log_n + 2
        if old < size:
            verify_consistency(old, size, proof, old_root, root)


def test_generic_fetcher_api_counts() -> None:
    store = HashedFakeStore(10_000_000)
    get = store.stored_node
    root_hash_from_nodes(get, store.size)
    assert store.reads == bin(10_000_000).count("1")
    store.reads = 0
    proof = inclusion_proof_from_nodes(get, store.size, 1_234_567)
    assert len(proof) in range(14, 25)
    assert store.reads <= 48
    store.reads = 0
    consistency_proof_from_nodes(get, store.size, 7_654_321)
    assert store.reads <= 50
    assert all(len(h) == HASH_SIZE for h in proof)
