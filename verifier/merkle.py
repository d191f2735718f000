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

The code is in three modules, re-exported here: :mod:`verifier.merkle_hashing` (hashes),
:mod:`verifier.merkle_proofs` (list-based generation and verification) and
:mod:`verifier.merkle_store` (generation from stored nodes, :class:`TreeStore`).
"""

from __future__ import annotations

from verifier.merkle_hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from verifier.merkle_proofs import (
    consistency_proof,
    inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from verifier.merkle_store import (
    MemoryTreeStore,
    NodeFetcher,
    TreeStore,
    consistency_proof_from_nodes,
    inclusion_proof_from_nodes,
    node_fetcher,
    root_hash_from_nodes,
    store_consistency_proof,
    store_inclusion_proof,
    store_root_hash,
)

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
