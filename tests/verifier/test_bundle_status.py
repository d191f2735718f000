"""The bundle's status is the issuer's signed statement (verifier.status_note, format /2): editing it is FAILED;
a /1 bundle's status is the issuer's unsigned word, INDETERMINATE, never PASSED."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest

from verifier.bundle import (
    BUNDLE_FORMAT,
    BUNDLE_FORMAT_V1,
    Bundle,
    BundleError,
    record_commitment,
    verify_bundle_status,
)
from verifier.checkpoint import Checkpoint, sign_checkpoint
from verifier.merkle import inclusion_proof, leaf_hash, root_hash
from verifier.note import Ed25519Signer, parse_note, sign_note
from verifier.status_note import StatusStatement, StatusStatementError, open_status_statement, sign_status_statement

ORIGIN = "example.test/ledger/v1"
RECORD = "ab" * 32
SALT = "cd" * 32
AS_OF = "2026-12-02T22:40:00Z"


@pytest.fixture(scope="module")
def signer() -> Ed25519Signer:
    return Ed25519Signer(ORIGIN, os.urandom(32))


def _bundle(signer: Ed25519Signer, status: str = "revoked", size: int = 5, index: int = 2) -> Bundle:
    leaves = [
        json.dumps({"credential_id": f"c{i}", "commitment": record_commitment(SALT, RECORD)}).encode()
        for i in range(size)
    ]
    leaves[index] = json.dumps({"credential_id": "cred-1", "commitment": record_commitment(SALT, RECORD)}).encode()
    hashes = [leaf_hash(x) for x in leaves]
    detail = {"reason": "Gian lận trong kỳ thi", "revoked_at": "2026-12-01T08:00:00Z"} if status == "revoked" else {}
    stmt = StatusStatement("cred-1", RECORD, status, AS_OF, ORIGIN, size, detail)
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
        checkpoint=sign_checkpoint(Checkpoint(ORIGIN, size, root_hash(hashes)), signer),
        status={"status": status, "as_of": AS_OF, "source": ORIGIN, **detail},
        status_statement=sign_status_statement(stmt, signer),
    )


def test_a_signed_status_round_trips_through_json_and_is_passed(signer: Ed25519Signer) -> None:
    bundle = Bundle.from_json(_bundle(signer).to_json())
    assert json.loads(bundle.to_json())["format"] == BUNDLE_FORMAT and bundle.version == 2
    ev = verify_bundle_status(bundle, verifiers=[signer.verifier()])
    assert (ev.indication, ev.status) == ("PASSED", "revoked")  # authentic: the credential is revoked
    assert ev.statement is not None and ev.statement.detail["reason"] == "Gian lận trong kỳ thi"


def test_a_status_edited_from_revoked_to_valid_is_failed(signer: Ed25519Signer) -> None:
    doc = json.loads(_bundle(signer).to_json())
    doc["status"]["status"] = "valid"
    ev = verify_bundle_status(Bundle.from_json(json.dumps(doc)), verifiers=[signer.verifier()])
    assert (ev.indication, ev.code, ev.status) == ("FAILED", "status_tampered", None)
    assert "status" in (ev.en or "") and "revoked" in (ev.en or "") and ev.vi


def test_a_status_statement_edited_inside_the_note_is_failed(signer: Ed25519Signer) -> None:
    doc = json.loads(_bundle(signer).to_json())
    doc["status"]["status"] = "valid"
    doc["status"]["statement"] = doc["status"]["statement"].replace("status revoked", "status valid")
    ev = verify_bundle_status(Bundle.from_json(json.dumps(doc)), verifiers=[signer.verifier()])
    assert (ev.indication, ev.code) == ("FAILED", "status_signature_invalid")
    assert "edited or forged" in (ev.en or "")


def test_a_status_re_signed_by_another_key_is_failed(signer: Ed25519Signer) -> None:
    bundle = _bundle(signer)
    forger = Ed25519Signer(ORIGIN, os.urandom(32))  # the log's name, another key
    text = parse_note(bundle.status_statement or "").text.replace("status revoked", "status valid")
    forged = replace(bundle, status={"status": "valid", "as_of": AS_OF}, status_statement=sign_note(text, forger))
    ev = verify_bundle_status(forged, verifiers=[signer.verifier()])
    assert (ev.indication, ev.code) == ("FAILED", "status_signature_invalid")


def test_a_statement_for_another_credential_or_checkpoint_is_failed(signer: Ed25519Signer) -> None:
    good = _bundle(signer, status="valid")
    older = _bundle(signer, status="valid", size=4)  # the status as read against an older checkpoint
    ev = verify_bundle_status(replace(good, status_statement=older.status_statement), verifiers=[signer.verifier()])
    assert (ev.indication, ev.code) == ("FAILED", "status_other_checkpoint")
    other = sign_status_statement(StatusStatement("cred-2", RECORD, "valid", AS_OF, ORIGIN, 5), signer)
    ev = verify_bundle_status(replace(good, status_statement=other), verifiers=[signer.verifier()])
    assert (ev.indication, ev.code) == ("FAILED", "status_other_credential")


def test_a_v1_bundle_status_is_indeterminate_never_passed(signer: Ed25519Signer) -> None:
    doc = json.loads(_bundle(signer, status="valid").to_json())
    doc["format"] = BUNDLE_FORMAT_V1
    del doc["status"]["statement"]
    bundle = Bundle.from_json(json.dumps(doc))
    assert bundle.version == 1 and json.loads(bundle.to_json())["format"] == BUNDLE_FORMAT_V1
    ev = verify_bundle_status(bundle, verifiers=[signer.verifier()])
    assert (ev.indication, ev.code, ev.status) == ("INDETERMINATE", "status_unsigned", "valid")
    assert "fresh bundle" in (ev.en or "") and "gói xác minh mới" in (ev.vi or "")


def test_a_v2_bundle_without_its_statement_is_refused(signer: Ed25519Signer) -> None:
    doc = json.loads(_bundle(signer).to_json())
    del doc["status"]["statement"]
    with pytest.raises(BundleError) as e:
        Bundle.from_json(json.dumps(doc))
    assert "status.statement" in e.value.en


def test_the_status_statement_text_is_canonical_and_cannot_pass_for_a_checkpoint(signer: Ed25519Signer) -> None:
    note = _bundle(signer).status_statement or ""
    assert open_status_statement(note, [signer.verifier()]).status == "revoked"
    with pytest.raises(Exception):  # noqa: B017 - any refusal: it is not a checkpoint
        Checkpoint.parse(parse_note(note).text)
    text = parse_note(note).text.replace("detail {", "detail  {")
    with pytest.raises(StatusStatementError):
        StatusStatement.parse(text)
