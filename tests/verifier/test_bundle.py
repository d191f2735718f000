"""Verification bundles (verifier.bundle): the ledger evidence checked offline against a pinned log key."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

import pytest

from verifier.bundle import (
    BUNDLE_FORMAT,
    Bundle,
    BundleError,
    bundle_path_for,
    record_commitment,
    verify_bundle_ledger,
)
from verifier.checkpoint import Checkpoint, sign_checkpoint
from verifier.merkle import inclusion_proof, leaf_hash, root_hash
from verifier.note import Ed25519Signer
from verifier.status_note import StatusStatement, sign_status_statement

ORIGIN = "example.test/ledger/v1"
RECORD = "ab" * 32
SALT = "cd" * 32
AS_OF = "2026-12-02T22:40:00Z"


def _leaf(cid: str, record: str = RECORD) -> bytes:
    doc = {"v": 1, "kind": "issued", "credential_id": cid, "commitment": record_commitment(SALT, record)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def _log(signer: Ed25519Signer, index: int = 3, size: int = 7) -> Bundle:
    leaves = [_leaf(f"other-{i}") for i in range(size)]
    leaves[index] = _leaf("cred-1")
    hashes = [leaf_hash(x) for x in leaves]
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root_hash(hashes)), signer)
    return Bundle(
        credential_id="cred-1",
        record_sha256=RECORD,
        salt=SALT,
        pdf_sha256=None,
        origin=ORIGIN,
        index=index,
        leaf=leaves[index],
        tree_size=size,
        hashes=tuple(inclusion_proof(hashes, index)),
        checkpoint=note,
        status={"status": "valid", "as_of": AS_OF},
        status_statement=sign_status_statement(StatusStatement("cred-1", RECORD, "valid", AS_OF, ORIGIN, size), signer),
    )


@pytest.fixture(scope="module")
def signer() -> Ed25519Signer:
    return Ed25519Signer(ORIGIN, os.urandom(32))


def test_a_good_bundle_proves_inclusion_and_round_trips_through_json(signer: Ed25519Signer) -> None:
    bundle = Bundle.from_json(_log(signer).to_json())
    ev = verify_bundle_ledger(bundle, record_sha256=RECORD, verifiers=[signer.verifier()])
    assert ev.included and ev.index == 3 and ev.checkpoint_size == 7 and ev.code is None
    assert json.loads(bundle.to_json())["format"] == BUNDLE_FORMAT


def test_a_proof_that_does_not_match_the_checkpoint_fails(signer: Ed25519Signer) -> None:
    good = _log(signer)
    bad_hash = replace(good, hashes=(bytes(32), *good.hashes[1:]))
    other_index = replace(good, index=2)
    for bundle in (bad_hash, other_index):
        ev = verify_bundle_ledger(bundle, record_sha256=RECORD, verifiers=[signer.verifier()])
        assert not ev.included and ev.code == "inclusion_proof_invalid" and ev.vi and ev.en
    ev = verify_bundle_ledger(replace(good, tree_size=6), record_sha256=RECORD, verifiers=[signer.verifier()])
    assert ev.code == "proof_size_mismatch"


def test_a_checkpoint_not_signed_by_the_pinned_key_fails(signer: Ed25519Signer) -> None:
    impostor = Ed25519Signer(ORIGIN, os.urandom(32))  # same name, another key: a forged log
    ev = verify_bundle_ledger(_log(impostor), record_sha256=RECORD, verifiers=[signer.verifier()])
    assert not ev.included and ev.code == "checkpoint_untrusted"


def test_an_entry_that_does_not_commit_to_the_pdfs_record_fails(signer: Ed25519Signer) -> None:
    good = _log(signer)
    ev = verify_bundle_ledger(good, record_sha256="ef" * 32, verifiers=[signer.verifier()])
    assert not ev.included and ev.code == "commitment_mismatch"
    ev = verify_bundle_ledger(
        replace(good, credential_id="cred-2"), record_sha256=RECORD, verifiers=[signer.verifier()]
    )
    assert ev.code == "leaf_other_credential"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format="sogoc-verification-bundle/9"),
        lambda d: d.pop("ledger"),
        lambda d: d["ledger"].update(leaf="not base64!"),
        lambda d: d["ledger"]["inclusion_proof"].update(hashes=["zz"]),
        lambda d: d["ledger"]["inclusion_proof"].update(tree_size=-1),
        lambda d: d["record"].update(sha256="ab"),
    ],
)
def test_a_malformed_bundle_is_refused_with_a_bilingual_error(signer: Ed25519Signer, change: Any) -> None:
    doc = _log(signer).to_dict()
    change(doc)
    with pytest.raises(BundleError) as e:
        Bundle.from_json(json.dumps(doc))
    assert e.value.vi and e.value.en
    with pytest.raises(BundleError):
        Bundle.from_json(b"{not json")


def test_the_bundle_sits_beside_its_pdf() -> None:
    assert str(bundle_path_for("out/hocba-10A1-HS1.pdf")) == "out/hocba-10A1-HS1.sogoc-bundle.json"
