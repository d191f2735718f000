"""Known-answer tests for verifier.merkle against third-party vectors.

The vectors (transparency-dev/merkle @ 417fb0c, Apache-2.0) are read from
``../shared/corpora/tlog/vectors.json`` relative to the project root and never copied into the
project; the tests are skipped when the file is absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from verifier.errors import ConsistencyProofError, InclusionProofError, ProofError, VerifierError
from verifier.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

VECTORS_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "tlog" / "vectors.json"


def _load() -> dict[str, Any] | None:
    try:
        return json.loads(VECTORS_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except FileNotFoundError:
        return None


VECTORS = _load()
needs_vectors = pytest.mark.skipif(VECTORS is None, reason=f"third-party vectors absent: {VECTORS_PATH}")


def _probe_id(p: dict[str, Any]) -> str:
    name = str(p["file"]).removeprefix("testdata/").removesuffix(".json")
    return f"{name}[{'err' if p['wantErr'] else 'ok'}]"


def _probes(section: str) -> list[Any]:
    if VECTORS is None:
        return [pytest.param(None, id="vectors-absent")]
    return [pytest.param(p, id=_probe_id(p)) for p in VECTORS[section]["probes"]]


def _hexes(values: list[str] | None) -> list[bytes]:
    return [bytes.fromhex(v) for v in values or []]


# ------------------------------------------------------------------------------------------------ hasher


@needs_vectors
def test_rfc6962_hasher() -> None:
    assert VECTORS is not None
    v = VECTORS["rfc6962_hasher"]
    assert EMPTY_ROOT.hex() == v["empty_tree_root"]
    assert root_hash([]).hex() == v["empty_tree_root"]
    assert (
        leaf_hash(bytes.fromhex(v["leaf_hash_of_empty_leaf"]["leaf_data"])).hex()
        == (v["leaf_hash_of_empty_leaf"]["want"])
    )
    assert leaf_hash(bytes.fromhex(v["leaf_hash"]["leaf_data"])).hex() == v["leaf_hash"]["want"]
    nh = v["node_hash"]
    assert node_hash(bytes.fromhex(nh["left"]), bytes.fromhex(nh["right"])).hex() == nh["want"]


def _reference_leaves() -> list[bytes]:
    assert VECTORS is not None
    return [leaf_hash(bytes.fromhex(d)) for d in VECTORS["reference_tree"]["leaves"]]


@needs_vectors
@pytest.mark.parametrize("size", range(9))
def test_reference_tree_root(size: int) -> None:
    assert VECTORS is not None
    assert root_hash(_reference_leaves()[:size]).hex() == VECTORS["reference_tree"]["root_by_size"][size]


@needs_vectors
def test_reference_tree_node_hashes() -> None:
    assert VECTORS is not None
    leaves = _reference_leaves()
    for level, row in enumerate(VECTORS["reference_tree"]["node_hashes_by_level"]):
        width = 1 << level
        for index, want in enumerate(row):
            assert root_hash(leaves[index * width : (index + 1) * width]).hex() == want, (level, index)


@needs_vectors
def test_reference_tree_all_generated_proofs_verify() -> None:
    assert VECTORS is not None
    leaves = _reference_leaves()
    roots = [bytes.fromhex(r) for r in VECTORS["reference_tree"]["root_by_size"]]
    for n in range(1, 9):
        for i in range(n):
            verify_inclusion(leaves[i], i, n, inclusion_proof(leaves[:n], i), roots[n])
        for m in range(1, n + 1):
            verify_consistency(m, n, consistency_proof(leaves[:n], m), roots[m], roots[n])


# ------------------------------------------------------------------------------------------------ probes


@needs_vectors
@pytest.mark.parametrize("probe", _probes("inclusion_probes"))
def test_inclusion_probe(probe: dict[str, Any]) -> None:
    args = (
        bytes.fromhex(probe["leafHash"]),
        probe["leafIdx"],
        probe["treeSize"],
        _hexes(probe["proof"]),
        bytes.fromhex(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises(InclusionProofError) as info:
            verify_inclusion(*args)
        assert isinstance(info.value, ProofError) and isinstance(info.value, VerifierError)
        assert info.value.vi and info.value.en
    else:
        verify_inclusion(*args)


@needs_vectors
@pytest.mark.parametrize("probe", _probes("consistency_probes"))
def test_consistency_probe(probe: dict[str, Any]) -> None:
    args = (
        probe["size1"],
        probe["size2"],
        _hexes(probe["proof"]),
        bytes.fromhex(probe["root1"]),
        bytes.fromhex(probe["root2"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ConsistencyProofError) as info:
            verify_consistency(*args)
        assert info.value.vi and info.value.en
    else:
        verify_consistency(*args)


@needs_vectors
@pytest.mark.parametrize("section", ["inclusion_probes", "consistency_probes"])
def test_happy_path_probes_equal_generated_proofs(section: str) -> None:
    """Our generators produce exactly the proofs of the happy-path probes on the reference tree."""
    assert VECTORS is not None
    leaves = _reference_leaves()
    checked = 0
    for p in VECTORS[section]["probes"]:
        if p["wantErr"] or "additional" in p["file"] or "single-entry" in p["file"]:
            continue
        if section == "inclusion_probes":
            n = p["treeSize"]
            got = inclusion_proof(leaves[:n], p["leafIdx"])
        else:
            n = p["size2"]
            got = consistency_proof(leaves[:n], p["size1"])
        assert [h.hex() for h in got] == (p["proof"] or []), p["file"]
        checked += 1
    assert checked == 5


# ------------------------------------------------------------------------------------------------ pitfalls


def test_rejects_short_hashes_even_when_rfc_loop_would_accept() -> None:
    # Tree of size 1 with an empty proof: the bare RFC loop compares leaf == root only.
    with pytest.raises(InclusionProofError):
        verify_inclusion(b"", 0, 1, [], b"")
    with pytest.raises(InclusionProofError):
        verify_inclusion(b"x" * 31, 0, 1, [], b"x" * 31)


def test_step_4bii_is_needed() -> None:
    # Leaf 2 of 3 (fn == sn == 2, LSB unset): without step 4.b.ii this valid proof is rejected.
    leaves = [leaf_hash(bytes([i])) for i in range(3)]
    verify_inclusion(leaves[2], 2, 3, inclusion_proof(leaves, 2), root_hash(leaves))


def test_tampered_proofs_fail_exhaustively_small() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(17)]
    for n in range(1, 18):
        root = root_hash(leaves[:n])
        for i in range(n):
            proof = inclusion_proof(leaves[:n], i)
            verify_inclusion(leaves[i], i, n, proof, root)
            for j in range(len(proof)):
                bad = list(proof)
                bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
                with pytest.raises(InclusionProofError):
                    verify_inclusion(leaves[i], i, n, bad, root)
            with pytest.raises(InclusionProofError):
                verify_inclusion(leaves[i], i, n, [*proof, root], root)
            if n > 1:
                with pytest.raises(InclusionProofError):
                    verify_inclusion(leaves[i], (i + 1) % n, n, proof, root)
        for m in range(1, n):
            proof = consistency_proof(leaves[:n], m)
            old = root_hash(leaves[:m])
            verify_consistency(m, n, proof, old, root)
            with pytest.raises(ConsistencyProofError):
                verify_consistency(m, n, proof[:-1], old, root)
            with pytest.raises(ConsistencyProofError):
                verify_consistency(m, n, [*proof, root], old, root)
            with pytest.raises(ConsistencyProofError):
                verify_consistency(m, n, proof, root, old)
