"""RFC 6962 Merkle tree hashing (SHA-256): leaf and node hashes, and the size arithmetic of the tree.

* leaf hash  ``SHA-256(0x00 || data)``
* node hash  ``SHA-256(0x01 || left || right)``
* empty tree ``SHA-256("")``
* ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))`` with ``k`` the largest power of two ``< n``
  (:func:`split_point`).

Shared by :mod:`verifier.merkle_proofs` and :mod:`verifier.merkle_store`; import the public names
from :mod:`verifier.merkle`.
"""

from __future__ import annotations

import hashlib

__all__ = ["EMPTY_ROOT", "HASH_SIZE", "check_size", "is_pow2", "leaf_hash", "node_hash", "split_point"]

HASH_SIZE = 32
"""Length in bytes of every hash (SHA-256)."""

EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""Root hash of the empty tree: SHA-256 of the empty string (e3b0c442…b855)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --------------------------------------------------------------------------------------------------
# Hashing


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def check_size(size: int, what: str = "size") -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"{what} must be a non-negative int, got {size!r}")
