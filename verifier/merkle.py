"""RFC 6962 Merkle tree hashing, RFC 9162 inclusion and consistency proofs.

Hashing (RFC 6962 §2.1, unchanged in RFC 9162 §2.1.1), SHA-256 throughout:

* leaf hash  ``SHA-256(0x00 || data)``
* node hash  ``SHA-256(0x01 || left || right)``
* empty tree ``SHA-256("")``
* ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))`` with ``k`` the largest power of two ``< n``.

Leaf indexes are 0-based. Proofs are lists of 32-byte hashes, leaf (or bottom) side first.

There are two ways to *generate* proofs:

* from a list of leaf hashes (:func:`root_hash`, :func:`inclusion_proof`, :func:`consistency_proof`),
  a direct transcription of the recursive RFC definitions, O(n) per call;
* from stored hashes of *complete* subtrees (:func:`root_hash_from_nodes`,
  :func:`inclusion_proof_from_nodes`, :func:`consistency_proof_from_nodes`, or the ``store_*``
  wrappers around a :class:`TreeStore`), reading O(log n) stored nodes per call. A complete subtree
  never changes once it is full, so the nodes can be stored once and served for any later tree size.

*Verification* (:func:`verify_inclusion`, :func:`verify_consistency`) follows RFC 9162 §2.1.3.2 and
§2.1.4.2 step by step, rejects any hash that is not 32 bytes long, and raises
:class:`~verifier.errors.InclusionProofError` / :class:`~verifier.errors.ConsistencyProofError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from verifier.errors import ConsistencyProofError, InclusionProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTreeStore",
    "NodeFetcher",
    "TreeStore",
    "consistency_proof",
    "consistency_proof_from_nodes",
    "inclusion_proof",
    "inclusion_proof_from_nodes",
    "leaf_hash",
    "node_fetcher",
    "node_hash",
    "root_hash",
    "root_hash_from_nodes",
    "store_consistency_proof",
    "store_inclusion_proof",
    "store_root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash (SHA-256)."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string (e3b0c442…b855)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

NodeFetcher = Callable[[int, int], bytes]
"""``get_node(level, index)``: hash of the complete subtree of ``2**level`` leaves starting at leaf
``index * 2**level`` (level 0 is the leaf hash itself)."""


# --------------------------------------------------------------------------------------------------
# Hashing


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _check_size(size: int, what: str = "size") -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"{what} must be a non-negative int, got {size!r}")


# --------------------------------------------------------------------------------------------------
# List-based generation (direct transcription of RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 1:
        return bytes(leaves[lo])
    k = _split(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the tree whose leaves have the given (already hashed) leaf hashes."""
    if len(leaf_hashes) == 0:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[n])`` for ``0 <= index < n``."""
    n = len(leaf_hashes)
    _check_size(index, "index")
    if index >= n:
        raise ValueError(f"index {index} out of range for tree size {n}")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = _split(hi - lo)
        if m < k:
            return [*path(m, lo, lo + k), _mth(leaf_hashes, lo + k, hi)]
        return [*path(m - k, lo + k, hi), _mth(leaf_hashes, lo, lo + k)]

    return path(index, 0, n)


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 9162 §2.1.4.1 ``PROOF(old_size, D[n])`` for ``0 <= old_size <= n``.

    ``old_size == 0`` and ``old_size == n`` give the empty proof (a proof from the empty tree is
    meaningless; :func:`verify_consistency` rejects ``old_size == 0``).
    """
    n = len(leaf_hashes)
    _check_size(old_size, "old_size")
    if old_size > n:
        raise ValueError(f"old_size {old_size} is larger than the tree size {n}")
    if old_size == 0:
        return []

    def subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        if m == hi - lo:
            return [] if b else [_mth(leaf_hashes, lo, hi)]
        k = _split(hi - lo)
        if m <= k:
            return [*subproof(m, lo, lo + k, b), _mth(leaf_hashes, lo + k, hi)]
        return [*subproof(m - k, lo + k, hi, False), _mth(leaf_hashes, lo, lo + k)]

    return subproof(old_size, 0, n, True)


# --------------------------------------------------------------------------------------------------
# Generation from stored complete-subtree hashes (O(log n) reads)


def _range_hash(get_node: NodeFetcher, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for a range that occurs in the RFC recursion.

    Such a range is a complete subtree (when its width is a power of two, ``lo`` is then a multiple
    of it) or splits into at most ``popcount(hi - lo)`` complete subtrees, each one stored read.
    """
    n = hi - lo
    if _is_pow2(n):
        level = n.bit_length() - 1
        if lo % n:  # cannot happen for ranges produced below; guard against misuse
            raise ValueError(f"range [{lo}, {hi}) is not an aligned complete subtree")
        return get_node(level, lo >> level)
    k = _split(n)
    return node_hash(_range_hash(get_node, lo, lo + k), _range_hash(get_node, lo + k, hi))


def root_hash_from_nodes(get_node: NodeFetcher, size: int) -> bytes:
    """Root hash of the tree of ``size`` leaves, reading at most ``popcount(size)`` stored nodes."""
    _check_size(size)
    if size == 0:
        return EMPTY_ROOT
    return _range_hash(get_node, 0, size)


def inclusion_proof_from_nodes(get_node: NodeFetcher, size: int, index: int) -> list[bytes]:
    """Same result as :func:`inclusion_proof` for a tree of ``size`` leaves, from stored nodes.

    Reads at most ``2 * log2(size)`` stored nodes.
    """
    _check_size(size)
    _check_size(index, "index")
    if index >= size:
        raise ValueError(f"index {index} out of range for tree size {size}")
    proof: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
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
    _check_size(size)
    _check_size(old_size, "old_size")
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
        k = _split(hi - lo)
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
    _check_size(size)
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


# --------------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview) and len(value) == HASH_SIZE


def _bad_int(value: object) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or value < 0


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Verify that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    RFC 9162 §2.1.3.2, plus: every hash must be exactly 32 bytes. Returns ``None`` on success and
    raises :class:`~verifier.errors.InclusionProofError` on any failure.
    """

    def fail(vi: str, en: str) -> InclusionProofError:
        return InclusionProofError("Bằng chứng bao hàm không hợp lệ: " + vi, "Invalid inclusion proof: " + en)

    if _bad_int(index) or _bad_int(size):
        raise fail("chỉ số hoặc kích thước cây không hợp lệ", "index or tree size is not a non-negative int")
    if not _is_hash(leaf_hash):
        raise fail("mã băm lá không dài 32 byte", "leaf hash is not 32 bytes")
    if not _is_hash(root):
        raise fail("mã băm gốc không dài 32 byte", "root hash is not 32 bytes")
    if proof is None:
        proof = []
    # 1. leaf_index >= tree_size -> fail
    if index >= size:
        raise fail(f"chỉ số lá {index} ≥ kích thước cây {size}", f"leaf index {index} >= tree size {size}")
    # 2. fn = leaf_index, sn = tree_size - 1; 3. r = hash
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    # 4. for each p in inclusion_path
    for p in proof:
        # a. sn == 0 -> fail (proof too long)
        if sn == 0:
            raise fail("bằng chứng quá dài", "proof is too long")
        if not _is_hash(p):
            raise fail("một phần tử của bằng chứng không dài 32 byte", "a proof element is not 32 bytes")
        # b.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # b.ii: if LSB(fn) is not set, shift until it is set or fn == 0
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        # c.
        fn >>= 1
        sn >>= 1
    # 5.
    if sn != 0:
        raise fail("bằng chứng quá ngắn", "proof is too short")
    if r != bytes(root):
        raise fail("mã băm gốc tính ra không khớp", "computed root does not match the expected root")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Verify that the tree (``new_size``, ``new_root``) extends (``old_size``, ``old_root``).

    RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``, with the transparency-dev/merkle conventions
    for the cases the RFC leaves open:

    * ``new_size < old_size`` fails;
    * ``old_size == 0`` fails ("a consistency proof from the empty tree is meaningless"; callers
      that accept any tree as an extension of the empty one handle that case themselves);
    * ``old_size == new_size`` succeeds iff the proof is empty and the two roots are equal byte for
      byte (no hashing happens, so this case does not check the root length);
    * otherwise every hash (both roots and each proof element) must be exactly 32 bytes.

    Raises :class:`~verifier.errors.ConsistencyProofError` on any failure.
    """

    def fail(vi: str, en: str) -> ConsistencyProofError:
        return ConsistencyProofError(
            "Bằng chứng nhất quán không hợp lệ: " + vi, "Invalid consistency proof: " + en
        )

    if _bad_int(old_size) or _bad_int(new_size):
        raise fail("kích thước cây không hợp lệ", "tree sizes must be non-negative ints")
    if proof is None:
        proof = []
    if new_size < old_size:
        raise fail(
            f"kích thước mới {new_size} nhỏ hơn kích thước cũ {old_size}",
            f"new size {new_size} is smaller than old size {old_size}",
        )
    if old_size == 0:
        raise fail(
            "bằng chứng nhất quán từ cây rỗng là vô nghĩa",
            "a consistency proof from the empty tree is meaningless",
        )
    if old_size == new_size:
        if len(proof) != 0:
            raise fail(
                "hai kích thước bằng nhau nhưng bằng chứng không rỗng",
                "sizes are equal but proof is not empty",
            )
        if bytes(old_root) != bytes(new_root):
            raise fail(
                "hai kích thước bằng nhau nhưng mã băm gốc khác nhau", "sizes are equal but roots differ"
            )
        return
    if not _is_hash(old_root) or not _is_hash(new_root):
        raise fail("mã băm gốc không dài 32 byte", "a root hash is not 32 bytes")

    # 1. empty path -> fail
    if len(proof) == 0:
        raise fail("bằng chứng rỗng", "proof is empty")
    # 2. if first is an exact power of 2, prepend first_hash
    path: list[bytes] = [bytes(old_root)] if _is_pow2(old_size) else []
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4. while LSB(fn): shift
    while fn & 1:
        fn >>= 1
        sn >>= 1
    it = iter(proof)
    if not path:
        first = next(it)
        if not _is_hash(first):
            raise fail("một phần tử của bằng chứng không dài 32 byte", "a proof element is not 32 bytes")
        path.append(bytes(first))
    # 5.
    fr = sr = path[0]
    # 6.
    for c in it:
        # a.
        if sn == 0:
            raise fail("bằng chứng quá dài", "proof is too long")
        if not _is_hash(c):
            raise fail("một phần tử của bằng chứng không dài 32 byte", "a proof element is not 32 bytes")
        # b.
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # b.ii
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        # c.
        fn >>= 1
        sn >>= 1
    # 7.
    if sn != 0:
        raise fail("bằng chứng quá ngắn", "proof is too short")
    if fr != bytes(old_root):
        raise fail("mã băm gốc cũ tính ra không khớp", "computed old root does not match")
    if sr != bytes(new_root):
        raise fail("mã băm gốc mới tính ra không khớp", "computed new root does not match")
