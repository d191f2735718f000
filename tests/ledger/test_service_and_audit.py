"""LedgerService: checkpoints, proofs, cosignatures; audit finds tampering on both engines."""

from __future__ import annotations

import base64

import pytest
from ledger_fixtures import WITNESS_NAME, Ledger, event, witness_signer

from credential_service.ledger import storage as ledger
from credential_service.platform.errors import ConfigurationError, InvalidInput, NotAuthorised, NotFound
from credential_service.platform.settings import DEV_KEYS_DIR, Settings
from verifier.checkpoint import Checkpoint, cosign_checkpoint, open_checkpoint, sign_checkpoint, verify_cosignatures
from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion
from verifier.note import parse_vkey


def test_publish_signs_a_c2sp_checkpoint_that_opens_with_the_published_vkey(led: Ledger) -> None:
    led.append(5)
    view = led.svc.publish()
    cp = open_checkpoint(view.note, [parse_vkey(led.svc.vkey)], "sogoc.haiphong.edu.vn/ledger/v1")
    assert (cp.size, cp.root_hash) == (5, view.root_hash)
    assert view.note.startswith("sogoc.haiphong.edu.vn/ledger/v1\n5\n")
    assert led.svc.publish().note == view.note  # nothing new: the same checkpoint
    led.append(2)
    assert led.svc.latest_checkpoint().size == 5
    assert led.svc.publish().size == 7
    assert led.svc.checkpoint(5).note == view.note
    with pytest.raises(NotFound):
        led.svc.checkpoint(6)


def test_proofs_verify_against_the_signed_checkpoints(led: Ledger) -> None:
    led.append(11)
    old = led.svc.publish()
    led.append(1, start=11)
    with led.db.transaction() as s:  # a correction of credential 3 at seq 12
        ledger.append(s, event(12, kind="corrected", credential=3))
    new = led.svc.publish()
    vk = [parse_vkey(led.svc.vkey)]
    cp_new = open_checkpoint(new.note, vk, led.svc.origin)
    p = led.svc.inclusion_proof(4)
    assert p["size"] == 13 and p["checkpoint"] == new.note
    leaf = base64.b64decode(p["leaf"])
    verify_inclusion(leaf_hash(leaf), 4, 13, [bytes.fromhex(h) for h in p["proof"]], cp_new.root_hash)
    c = led.svc.credential_inclusion_proof(event(3).credential_id)
    assert (c["index"], c["kind"], c["credential_entries"]) == (12, "corrected", [3, 12])
    verify_inclusion(bytes.fromhex(c["leaf_hash"]), 12, 13, [bytes.fromhex(h) for h in c["proof"]], cp_new.root_hash)
    cons = led.svc.consistency_proof(11)
    cp_old = open_checkpoint(cons["old_checkpoint"], vk, led.svc.origin)
    verify_consistency(11, 13, [bytes.fromhex(h) for h in cons["proof"]], cp_old.root_hash, cp_new.root_hash)
    assert old.size == 11
    led.append(1)
    with pytest.raises(NotFound, match="13"):
        led.svc.inclusion_proof(13)  # not in the latest checkpoint yet
    with pytest.raises(InvalidInput):
        led.svc.consistency_proof(20)


def test_entries_are_paged(led: Ledger) -> None:
    led.append(7)
    page = led.svc.entries(0, 3)
    assert [e["seq"] for e in page["entries"]] == [0, 1, 2] and page["next"] == 3 and page["size"] == 7
    last = led.svc.entries(6, 3)
    assert [e["seq"] for e in last["entries"]] == [6] and last["next"] is None
    e = last["entries"][0]
    assert leaf_hash(base64.b64decode(e["leaf"])).hex() == e["leaf_hash"]
    with pytest.raises(InvalidInput):
        led.svc.entries(0, 5000)


def test_a_configured_witness_cosignature_is_stored_and_served_with_the_checkpoint(led: Ledger) -> None:
    led.append(4)
    note = led.svc.publish().note
    line = cosign_checkpoint(note, witness_signer())
    view = led.svc.add_cosignature(4, line)
    assert view.note == note + line
    assert led.svc.add_cosignature(4, line).note == note + line  # idempotent
    assert verify_cosignatures(led.svc.latest_checkpoint().note, [witness_signer().verifier()]) == {
        WITNESS_NAME: 1_780_000_000
    }
    report = led.svc.audit()
    assert report.ok and report.cosignatures_checked == 1


def test_unknown_or_bad_cosignatures_are_refused(led: Ledger) -> None:
    led.append(4)
    note = led.svc.publish().note
    stranger = witness_signer("stranger.example/w", bytes(32))
    with pytest.raises(NotAuthorised, match=r"stranger\.example/w"):
        led.svc.add_cosignature(4, cosign_checkpoint(note, stranger))
    led.append(1)
    other = led.svc.publish().note
    with pytest.raises(InvalidInput, match="does not verify"):  # a cosignature of size 5 sent for size 4
        led.svc.add_cosignature(4, cosign_checkpoint(other, witness_signer()))
    with pytest.raises(InvalidInput):
        led.svc.add_cosignature(4, "not a signature line")
    with pytest.raises(NotFound):
        led.svc.add_cosignature(99, cosign_checkpoint(note, witness_signer()))


def test_production_refuses_the_dev_log_key(tmp_path: object) -> None:
    with pytest.raises(ConfigurationError, match="keys/dev"):
        Settings(env="production", keys_dir="/srv/keys", ledger_key_path=DEV_KEYS_DIR / "log" / "log.key")


# ------------------------------------------------------------------------------------------ audit


def _history(led: Ledger) -> None:
    """20 entries, checkpoints at sizes 8, 13 and 20."""
    led.append(8)
    led.svc.publish()
    led.append(5)
    led.svc.publish()
    led.append(7)
    led.svc.publish()
    assert led.svc.audit().ok


def test_a_clean_ledger_audits_ok(led: Ledger) -> None:
    _history(led)
    report = led.svc.audit()
    assert report.ok, report.to_dict()
    assert (report.entries, report.checkpoints_checked, report.nodes_checked) == (20, 3, 20 + 10 + 5 + 2 + 1)


def test_audit_names_an_edited_row(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_entries")
    forged = ledger.encode_leaf(event(999))
    led.sql("UPDATE ledger_entries SET leaf = :leaf, leaf_hash = :lh WHERE seq = 5", leaf=forged, lh=leaf_hash(forged))
    first = led.svc.audit().first
    assert first is not None and first.position == 5 and first.seq == 5, first


def test_audit_names_an_edited_row_whose_hash_was_left_alone(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_entries")
    led.sql("UPDATE ledger_entries SET kind = 'revoked' WHERE seq = 9")
    first = led.svc.audit().first
    assert first is not None and (first.position, first.kind) == (9, "entry-columns"), first


def test_audit_names_a_deleted_row(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_entries")
    led.sql("DELETE FROM ledger_entries WHERE seq = 6")
    report = led.svc.audit()
    assert report.first is not None and report.first.position == 6, report.to_dict()
    assert report.first.kind == "entry-missing"


def test_audit_names_deleted_rows_at_the_end(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_entries")
    led.sql("DELETE FROM ledger_entries WHERE seq >= 17")
    first = led.svc.audit().first
    assert first is not None and first.position == 17, first


def test_audit_names_two_swapped_rows(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_entries")
    led.sql("UPDATE ledger_entries SET seq = -1 WHERE seq = 3")
    led.sql("UPDATE ledger_entries SET seq = 3 WHERE seq = 11")
    led.sql("UPDATE ledger_entries SET seq = 11 WHERE seq = -1")
    report = led.svc.audit()
    assert report.first is not None and report.first.position == 3, report.to_dict()
    assert {f.position for f in report.findings if f.seq is not None} >= {3, 11}


def test_audit_names_a_checkpoint_signed_for_a_different_root_at_the_same_size(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_checkpoints")
    fork = sign_checkpoint(Checkpoint(led.svc.origin, 13, leaf_hash(b"fork")), led.svc.publisher.signer)
    led.sql(
        "UPDATE ledger_checkpoints SET note_text = :n, root_hash = :r WHERE size = 13", n=fork, r=leaf_hash(b"fork")
    )
    report = led.svc.audit()
    first = report.first
    assert first is not None and (first.checkpoint_size, first.kind) == (13, "checkpoint-root"), report.to_dict()
    assert first.position == 8  # the history after the checkpoint at 8 is what the fork disputes


def test_audit_refuses_a_checkpoint_not_signed_by_the_log_key(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_checkpoints")
    other = witness_signer("sogoc.haiphong.edu.vn/ledger/v1", bytes(32))
    note = sign_checkpoint(Checkpoint(led.svc.origin, 20, b"\x01" * 32), other)
    led.sql("UPDATE ledger_checkpoints SET note_text = :n WHERE size = 20", n=note)
    first = led.svc.audit().first
    assert first is not None and (first.checkpoint_size, first.kind) == (20, "checkpoint-signature"), first


def test_audit_finds_a_tampered_node(led: Ledger) -> None:
    _history(led)
    led.drop_triggers("ledger_nodes")
    led.sql("UPDATE ledger_nodes SET hash = :h WHERE level = 2 AND idx = 3", h=b"\x00" * 32)
    first = led.svc.audit().first
    assert first is not None and (first.position, first.node) == (12, (2, 3)), first


def test_settings_without_witnesses_refuse_every_cosignature(led: Ledger) -> None:
    led.append(1)
    note = led.svc.publish().note
    led.svc.witnesses = []
    with pytest.raises(NotAuthorised):
        led.svc.add_cosignature(1, cosign_checkpoint(note, witness_signer()))
