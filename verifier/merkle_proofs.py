"""RFC 9162 inclusion and consistency proofs from a list of leaf hashes, and their verification.

*Generation* from a list of leaf hashes (:func:`root_hash`, :func:`inclusion_proof`,
:func:`consistency_proof`) is a direct transcription of the recursive RFC definitions, O(n) per
call; :mod:`verifier.merkle_store` gives the same results from stored complete-subtree hashes.

*Verification* (:func:`verify_inclusion`, :func:`verify_consistency`) follows RFC 9162 §2.1.3.2 and
§2.1.4.2 step by step, rejects any hash that is not 32 bytes long, and raises
:class:`~verifier.errors.InclusionProofError` / :class:`~verifier.errors.ConsistencyProofError`.
"""

from __future__ import annotations

from collections.abc import Sequence

from verifier.errors import ConsistencyProofError, InclusionProofError
from verifier.merkle_hashing import EMPTY_ROOT, HASH_SIZE, check_size, is_pow2, node_hash, split_point

__all__ = ["consistency_proof", "inclusion_proof", "root_hash", "verify_consistency", "verify_inclusion"]


# --------------------------------------------------------------------------------------------------
# List-based generation (direct transcription of RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 1:
        return bytes(leaves[lo])
    k = split_point(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the tree whose leaves have the given (already hashed) leaf hashes."""
    if len(leaf_hashes) == 0:
        return EMPTY_ROOT
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 ``PATH(index, D[n])`` for ``0 <= index < n``."""
    n = len(leaf_hashes)
    check_size(index, "index")
    if index >= n:
        raise ValueError(f"index {index} out of range for tree size {n}")

    def path(m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = split_point(hi - lo)
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
    check_size(old_size, "old_size")
    if old_size > n:
        raise ValueError(f"old_size {old_size} is larger than the tree size {n}")
    if old_size == 0:
        return []

    def subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        if m == hi - lo:
            return [] if b else [_mth(leaf_hashes, lo, hi)]
        k = split_point(hi - lo)
        if m <= k:
            return [*subproof(m, lo, lo + k, b), _mth(leaf_hashes, lo + k, hi)]
        return [*subproof(m - k, lo + k, hi, False), _mth(leaf_hashes, lo, lo + k)]

    return subproof(old_size, 0, n, True)


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


def verify_consistency(old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
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
        return ConsistencyProofError("Bằng chứng nhất quán không hợp lệ: " + vi, "Invalid consistency proof: " + en)

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
            raise fail("hai kích thước bằng nhau nhưng mã băm gốc khác nhau", "sizes are equal but roots differ")
        return
    if not _is_hash(old_root) or not _is_hash(new_root):
        raise fail("mã băm gốc không dài 32 byte", "a root hash is not 32 bytes")

    # 1. empty path -> fail
    if len(proof) == 0:
        raise fail("bằng chứng rỗng", "proof is empty")
    # 2. if first is an exact power of 2, prepend first_hash
    path: list[bytes] = [bytes(old_root)] if is_pow2(old_size) else []
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
