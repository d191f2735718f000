"""The trust list a third party pins (verifier.trust_list): its allow-list of issuers, its log keys, its witnesses;
and verifier.credential_check's use of it (never contacting an unlisted issuer, requiring witness cosignatures)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from verifier.bundle import Bundle, record_commitment
from verifier.checkpoint import Checkpoint, Ed25519CosignatureSigner, cosign_checkpoint, sign_checkpoint
from verifier.credential_check import check_credential, issuer_url_from_qr
from verifier.merkle import inclusion_proof, leaf_hash, root_hash
from verifier.note import Ed25519Signer, sign_note
from verifier.online import OnlineAnswer
from verifier.status_note import StatusStatement, sign_status_statement
from verifier.trust_list import TrustList, TrustListError, normalize_issuer_url

ORIGIN = "example.test/ledger/v1"
RECORD = "ab" * 32
SALT = "cd" * 32
AS_OF = "2026-12-02T22:40:00Z"
NOW = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def log() -> Ed25519Signer:
    return Ed25519Signer(ORIGIN, os.urandom(32))


@pytest.fixture(scope="module")
def witness() -> Ed25519CosignatureSigner:
    return Ed25519CosignatureSigner("witness.example", os.urandom(32), clock=lambda: 1_780_000_000)


def _note(log: Ed25519Signer, signer: Ed25519Signer | None = None, **extra: Any) -> str:
    doc = {
        "format": "sogoc-trust-list/1",
        "issuer": "Sở GDĐT (test)",
        "ledger_origin": ORIGIN,
        "log_keys": [{"vkey": log.vkey, "status": "active"}],
        "issuers": [{"url": "https://SoGoc.example:443/", "ledger_origin": ORIGIN}],
        **extra,
    }
    return sign_note(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n", signer or log)


def _bundle(log: Ed25519Signer, size: int = 4, index: int = 1) -> Bundle:
    leaves = [json.dumps({"credential_id": f"c{i}"}).encode() for i in range(size)]
    leaves[index] = json.dumps({"credential_id": "cred-1", "commitment": record_commitment(SALT, RECORD)}).encode()
    hashes = [leaf_hash(x) for x in leaves]
    stmt = StatusStatement("cred-1", RECORD, "valid", AS_OF, ORIGIN, size)
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
        checkpoint=sign_checkpoint(Checkpoint(ORIGIN, size, root_hash(hashes)), log),
        status={"status": "valid", "as_of": AS_OF},
        status_statement=sign_status_statement(stmt, log),
    )


def _never(*args: Any, **kw: Any) -> OnlineAnswer:
    raise AssertionError("an issuer not on the allow-list must never be contacted")


def test_an_issuer_is_matched_by_scheme_host_and_port_only(log: Ed25519Signer) -> None:
    trust = TrustList.from_note(_note(log))
    assert trust.issuer_for("https://sogoc.example/v/abc?k=1") is not None
    assert trust.issuer_for("https://sogoc.example:8443/v/abc") is None
    assert trust.issuer_for("http://sogoc.example/v/abc") is None
    assert trust.issuer_for("https://sogoc.example.evil.test/v/abc") is None
    assert trust.issuer_for("https://user@sogoc.example/") is None
    assert normalize_issuer_url("ftp://sogoc.example") is None
    assert issuer_url_from_qr(["junk", "https://sogoc.example/v/abc#HB1:xyz"]) == "https://sogoc.example"


def test_a_trust_list_not_signed_by_the_pinned_log_key_is_refused(log: Ed25519Signer, tmp_path: Path) -> None:
    other = Ed25519Signer(ORIGIN, os.urandom(32))
    with pytest.raises(TrustListError):
        TrustList.from_note(_note(log, signer=other), pinned=[log.vkey])
    path = tmp_path / "sogoc-trust-list.json"  # the .well-known …/sogoc-trust-list.json form
    path.write_text(json.dumps({"list": {}, "note": _note(log)}), encoding="utf-8")
    assert TrustList.load(path, pinned=[log.vkey]).ledger_origin == ORIGIN


def test_an_address_not_on_the_allow_list_is_refused_without_being_contacted(log: Ed25519Signer) -> None:
    trust = TrustList.from_note(_note(log))
    report = check_credential("cred-1", RECORD, trust=trust, now=NOW, issuer_url="https://evil.test", fetch=_never)
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "ISSUER_NOT_ALLOWED")
    assert report.source is None and "allow-list" in report.message.en


def test_with_no_bundle_and_offline_the_ledger_is_indeterminate_never_not_in_ledger(log: Ed25519Signer) -> None:
    trust = TrustList.from_note(_note(log))
    report = check_credential("cred-1", RECORD, trust=trust, now=NOW, offline=True, fetch=_never)
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "LEDGER_UNREACHABLE")
    assert "--bundle" in report.message.en


def test_witness_cosignatures_are_required_when_the_trust_list_names_witnesses(
    log: Ed25519Signer, witness: Ed25519CosignatureSigner
) -> None:
    bundle = _bundle(log)
    plain = TrustList.from_note(_note(log))
    assert check_credential("cred-1", RECORD, trust=plain, now=NOW, bundle=bundle).indication == "PASSED"
    witnessed = TrustList.from_note(_note(log, witnesses=[witness.vkey]))
    report = check_credential("cred-1", RECORD, trust=witnessed, now=NOW, bundle=bundle)
    assert (report.indication, report.sub_indication) == ("INDETERMINATE", "NOT_WITNESSED")
    cosigned = replace(bundle, checkpoint=bundle.checkpoint + cosign_checkpoint(bundle.checkpoint, witness))
    report = check_credential("cred-1", RECORD, trust=witnessed, now=NOW, bundle=cosigned)
    assert (report.indication, report.source, report.witnesses) == ("PASSED", "bundle", ("witness.example",))


def test_a_bundle_from_another_log_or_for_another_record_is_not_in_ledger(log: Ed25519Signer) -> None:
    trust = TrustList.from_note(_note(log))
    report = check_credential("cred-1", "ef" * 32, trust=trust, now=NOW, bundle=_bundle(log))
    assert (report.indication, report.sub_indication) == ("FAILED", "NOT_IN_LEDGER")
    forged = Ed25519Signer(ORIGIN, os.urandom(32))
    report = check_credential("cred-1", RECORD, trust=trust, now=NOW, bundle=_bundle(forged))
    assert (report.indication, report.sub_indication) == ("FAILED", "NOT_IN_LEDGER")
    assert "pinned log key" in report.detail.en
