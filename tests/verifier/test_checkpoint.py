"""C2SP tlog-checkpoint and tlog-cosignature: spec examples reproduced, sign/open round trips."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from verifier.checkpoint import (
    Checkpoint,
    Ed25519CosignatureSigner,
    Ed25519CosignatureVerifier,
    cosign_checkpoint,
    cosignature_message,
    cosignature_timestamp,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignatures,
)
from verifier.errors import CheckpointError, NoteError
from verifier.merkle import EMPTY_ROOT, MemoryTreeStore, leaf_hash, verify_consistency, verify_inclusion
from verifier.note import Ed25519Signer, key_id, parse_note

VECTORS_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "tlog" / "vectors.json"
VECTORS: dict[str, Any] | None = json.loads(VECTORS_PATH.read_text(encoding="utf-8")) if VECTORS_PATH.exists() else None
needs_vectors = pytest.mark.skipif(VECTORS is None, reason=f"third-party vectors absent: {VECTORS_PATH}")


def _fmt() -> dict[str, Any]:
    assert VECTORS is not None
    return VECTORS["c2sp_formats"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------------ vectors


@needs_vectors
@pytest.mark.parametrize("example", ["checkpoint_example", "cosigned_checkpoint_example"])
def test_checkpoint_examples_round_trip(example: str) -> None:
    text = _fmt()[example]["text"]
    note = parse_note(text)
    assert note.to_text() == text
    cp = Checkpoint.parse(note.text)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert base64.b64encode(cp.root_hash).decode() == "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="
    assert cp.extensions == ()
    assert cp.to_note_text() == note.text
    assert note.signatures[0].name == cp.origin and len(note.signatures[0].signature) == 64


@needs_vectors
def test_cosignature_example_message_byte_for_byte() -> None:
    note = parse_note(_fmt()["cosigned_checkpoint_example"]["text"])
    witness = note.signatures[1]
    assert witness.name == "witness.example.com/w1"
    assert len(witness.signature) == 8 + 64
    ts = cosignature_timestamp(witness)
    assert ts == 1679315147
    assert cosignature_message(note.text, ts).decode() == _fmt()["cosignature_v1_signed_message_example"]["text"]


@needs_vectors
def test_witness_request_example_embeds_the_checkpoint() -> None:
    text = _fmt()["witness_add_checkpoint_request_example"]["text"]
    header, _, signed = text.partition("\n\n")
    assert header.startswith("old 20852014\n")
    note = parse_note(signed)
    assert note.to_text() == signed
    assert Checkpoint.parse(note.text).size == 20852163


# ------------------------------------------------------------------------------------------------ own keys

LOG = Ed25519Signer("sogoc.haiphong.edu.vn/log", bytes(range(32)))
ORIGIN = "sogoc.haiphong.edu.vn/log"


def _tree(n: int) -> MemoryTreeStore:
    return MemoryTreeStore(leaf_hash(f"bằng {i}".encode()) for i in range(n))


def test_sign_and_open_checkpoint_end_to_end() -> None:
    store = _tree(1000)
    cp = Checkpoint(ORIGIN, store.size, store.root_hash())
    signed = sign_checkpoint(cp, LOG)
    assert signed.startswith(f"{ORIGIN}\n1000\n")
    got = open_checkpoint(signed, [LOG.verifier()], ORIGIN)
    assert got == cp
    verify_inclusion(store.leaf_hash(123), 123, got.size, store.inclusion_proof(123), got.root_hash)
    old = open_checkpoint(sign_checkpoint(Checkpoint(ORIGIN, 700, store.root_hash(700)), LOG), [LOG.verifier()], ORIGIN)
    verify_consistency(old.size, got.size, store.consistency_proof(700), old.root_hash, got.root_hash)


def test_open_checkpoint_rejects_wrong_origin_key_or_tampering() -> None:
    cp = Checkpoint(ORIGIN, 1, leaf_hash(b"x"))
    signed = sign_checkpoint(cp, LOG)
    with pytest.raises(CheckpointError):
        open_checkpoint(signed, [LOG.verifier()], "other.example/log")
    other = Ed25519Signer(ORIGIN, bytes(32))
    with pytest.raises(NoteError):
        open_checkpoint(signed, [other.verifier()], ORIGIN)
    with pytest.raises(NoteError):
        open_checkpoint(signed.replace("\n1\n", "\n2\n"), [LOG.verifier()], ORIGIN)


def test_extensions_round_trip() -> None:
    cp = Checkpoint(ORIGIN, 5, leaf_hash(b"r"), ("ext one", "ext-2"))
    assert Checkpoint.parse(cp.to_note_text()) == cp
    assert open_checkpoint(sign_checkpoint(cp, LOG), [LOG.verifier()], ORIGIN) == cp


ROOT_B64 = base64.b64encode(leaf_hash(b"r")).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"o\n5\n{ROOT_B64}", id="no-final-newline"),
        pytest.param("o\n5\n", id="two-lines"),
        pytest.param(f"o\n05\n{ROOT_B64}\n", id="leading-zero"),
        pytest.param(f"o\n+5\n{ROOT_B64}\n", id="plus-sign"),
        pytest.param(f"o\n5_0\n{ROOT_B64}\n", id="underscore"),
        pytest.param(f"o\n\u0665\n{ROOT_B64}\n", id="arabic-digit"),
        pytest.param(f"o\n-1\n{ROOT_B64}\n", id="negative"),
        pytest.param(f"o\n{2**64}\n{ROOT_B64}\n", id="over-uint64"),
        pytest.param(f"\n5\n{ROOT_B64}\n", id="empty-origin"),
        pytest.param(f"o\n5\n{ROOT_B64}\n\n", id="empty-extension"),
        pytest.param("o\n5\nAAAA\n", id="short-root"),
        pytest.param(f"o\n5\n{ROOT_B64[:-1]}\n", id="bad-base64"),
        pytest.param(f"o\n0\n{ROOT_B64}\n", id="empty-tree-wrong-root"),
    ],
)
def test_malformed_checkpoints(text: str) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(text)


def test_empty_tree_checkpoint() -> None:
    cp = Checkpoint.parse(f"o\n0\n{base64.b64encode(EMPTY_ROOT).decode()}\n")
    assert cp.size == 0 and cp.root_hash == EMPTY_ROOT


def test_cosignature_round_trip() -> None:
    cosigner = Ed25519CosignatureSigner("witness.sgd.example/w1", bytes([7]) * 32, clock=lambda: 1679315147.9)
    verifier = cosigner.verifier()
    assert isinstance(verifier, Ed25519CosignatureVerifier)
    assert verifier.key_id == key_id("witness.sgd.example/w1", 0x04, cosigner.public_key)
    assert Ed25519CosignatureVerifier.from_vkey(verifier.vkey).key_id == verifier.key_id
    signed = sign_checkpoint(Checkpoint(ORIGIN, 3, leaf_hash(b"r")), LOG)
    line = cosign_checkpoint(signed, cosigner)
    cosigned = signed + line
    assert verify_cosignatures(cosigned, [verifier]) == {"witness.sgd.example/w1": 1679315147}
    # the log verifier ignores the cosignature line and vice versa
    open_checkpoint(cosigned, [LOG.verifier()], ORIGIN)
    assert verify_cosignatures(signed, [verifier]) == {}
    # a type 0x01 key with the same name and bytes has a different key ID: ignored
    plain = Ed25519Signer("witness.sgd.example/w1", bytes([7]) * 32)
    assert plain.key_id != cosigner.key_id
    # tampering with the checkpoint breaks the cosignature
    tampered = cosigned.replace(f"{ORIGIN}\n3\n", f"{ORIGIN}\n4\n")
    with pytest.raises(CheckpointError):
        verify_cosignatures(tampered, [verifier])


def test_cosigner_refuses_non_checkpoints() -> None:
    cosigner = Ed25519CosignatureSigner("w.example", bytes(32), clock=lambda: 0)
    with pytest.raises(CheckpointError):
        cosigner.sign(b"not a checkpoint\n")
