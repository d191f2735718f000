"""Benchmark: Merkle proof generation and verification (verifier.merkle).

Sizes 1e3 and 1e5 use a real :class:`MemoryTreeStore`; 1e7 uses a simulated store whose leaf ``i``
depends on ``i mod 1024``, so every stored node is served in O(1) yet proofs verify against the
true root. Prints per-proof times and how many stored nodes each proof reads.

Run: ``.venv/bin/python benchmarks/merkle_proofs.py [--proofs N]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from verifier.merkle import (
    MemoryTreeStore,
    leaf_hash,
    node_hash,
    store_consistency_proof,
    store_inclusion_proof,
    store_root_hash,
    verify_consistency,
    verify_inclusion,
)


class CountingStore:
    """Wraps a tree store and counts stored-node reads (leaf hashes included)."""

    def __init__(self, inner: MemoryTreeStore | SimulatedStore) -> None:
        self.inner = inner
        self.reads = 0

    @property
    def size(self) -> int:
        return self.inner.size

    def leaf_hash(self, index: int) -> bytes:
        self.reads += 1
        return self.inner.leaf_hash(index)

    def stored_node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.inner.stored_node(level, index)


class SimulatedStore:
    """A consistent tree of ``size`` leaves with periodic leaves (period ``2**period``)."""

    def __init__(self, size: int, period: int = 10) -> None:
        self.size = size
        self.period = period
        self._block = MemoryTreeStore(leaf_hash(i.to_bytes(8, "big")) for i in range(1 << period))
        self._high = [self._block.stored_node(period, 0)]
        for _ in range(64):
            self._high.append(node_hash(self._high[-1], self._high[-1]))

    def leaf_hash(self, index: int) -> bytes:
        return self._block.leaf_hash(index % (1 << self.period))

    def stored_node(self, level: int, index: int) -> bytes:
        if level >= self.period:
            return self._high[level - self.period]
        return self._block.stored_node(level, index % (1 << (self.period - level)))


def _us(seconds: float, count: int) -> float:
    return seconds / count * 1e6


def bench(label: str, inner: MemoryTreeStore | SimulatedStore, proofs: int, rng: random.Random) -> None:
    store = CountingStore(inner)
    n = store.size
    t0 = time.perf_counter()
    root = store_root_hash(store)
    root_us = (time.perf_counter() - t0) * 1e6
    root_reads = store.reads

    indices = [rng.randrange(n) for _ in range(proofs)]
    reads: list[int] = []
    lengths: list[int] = []
    generated = []
    t0 = time.perf_counter()
    for i in indices:
        store.reads = 0
        p = store_inclusion_proof(store, i)
        reads.append(store.reads)
        lengths.append(len(p))
        generated.append(p)
    gen_s = time.perf_counter() - t0
    leaves = [inner.leaf_hash(i) for i in indices]
    t0 = time.perf_counter()
    for i, lh, p in zip(indices, leaves, generated, strict=True):
        verify_inclusion(lh, i, n, p, root)
    ver_s = time.perf_counter() - t0
    print(
        f"{label:>10} inclusion   gen {_us(gen_s, proofs):7.1f} µs  verify {_us(ver_s, proofs):7.1f} µs  "
        f"proof len {min(lengths)}-{max(lengths)}  "
        f"node reads mean {statistics.mean(reads):5.1f} max {max(reads)}"
    )

    olds = [rng.randrange(1, n) if n > 1 else 1 for _ in range(proofs)]
    old_roots = [store_root_hash(inner, m) for m in olds]
    reads, lengths, generated = [], [], []
    t0 = time.perf_counter()
    for m in olds:
        store.reads = 0
        p = store_consistency_proof(store, m)
        reads.append(store.reads)
        lengths.append(len(p))
        generated.append(p)
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for m, r, p in zip(olds, old_roots, generated, strict=True):
        if m < n:
            verify_consistency(m, n, p, r, root)
    ver_s = time.perf_counter() - t0
    print(
        f"{'':>10} consistency gen {_us(gen_s, proofs):7.1f} µs  verify {_us(ver_s, proofs):7.1f} µs  "
        f"proof len {min(lengths)}-{max(lengths)}  "
        f"node reads mean {statistics.mean(reads):5.1f} max {max(reads)}"
    )
    print(f"{'':>10} root        {root_us:7.1f} µs  node reads {root_reads}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--proofs", type=int, default=2000, help="proofs per size (default 2000)")
    ap.add_argument("--seed", type=int, default=6962)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for n in (1_000, 100_000):
        t0 = time.perf_counter()
        store = MemoryTreeStore()
        for i in range(n):
            store.append_data(i.to_bytes(8, "big"))
        build = time.perf_counter() - t0
        print(f"size {n:,}: built MemoryTreeStore in {build:.2f} s ({store.writes / n:.2f} writes/append incl. leaf)")
        bench(f"{n:.0e}", store, args.proofs, rng)
    n = 10_000_000
    print(f"size {n:,}: simulated store (periodic leaves, real hashes)")
    bench(f"{n:.0e}", SimulatedStore(n), args.proofs, rng)


if __name__ == "__main__":
    main()
