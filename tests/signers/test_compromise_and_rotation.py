"""Compromise (affected documents, re-seal as new revisions, the verifier's flag) and service key
rotation (QR key, log key, the signed trust list, ledger entries)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from signers_fixtures import A1, make_pdf, pdfs, seed_class
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import staff_id
from credential_service.documents.service import AnyDocumentService
from credential_service.ledger.key_rotation import KeyRotationService, open_trust_list
from credential_service.ledger.service import LedgerService
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.settings import DEV_KEYS_DIR, Settings
from credential_service.signers.compromise import CompromiseService
from credential_service.signers.compromised_keys import compromised_signatures
from credential_service.signers.service import SignerRegistry
from credential_service.transcripts.workflow import Step
from credential_service.verification.service import VerificationService
from signing.qr_payload import QrSigningKey, load_qr_signing_key, payload_for_record
from verifier.checkpoint import open_checkpoint
from verifier.note import Ed25519Verifier
from verifier.pdf import verify_pdf
from verifier.qr import QrKeyList, verify_qr


def test_a_compromised_seal_key_is_contained_and_what_it_signed_is_resealed(container: Container) -> None:
    c = container
    seed_class(c, n=2)
    reg = SignerRegistry(c.db, c.settings)
    seal = staff_id("seal-thpt-demo")
    old = reg.issue(seal)  # the school seal's key, issued by the dev CA
    svc = c.transcripts
    svc.lock_class(A1)
    svc.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    svc.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))
    t0 = datetime.now(UTC) - timedelta(seconds=5)
    svc.sign_class(A1, Step.SEAL, staff_id=seal)
    docs = AnyDocumentService(c.db, c.documents)
    decision = docs.sign_upload(make_pdf("Quyet dinh"), title="Quyết định khen thưởng", kind="decision", staff_id=seal)
    old_transcripts = pdfs(c)
    old_decision = docs.revision_row(decision["document_id"]).pdf

    comp = CompromiseService(c.db, c.documents, reg)
    view = comp.declare(old["sha256"], compromised_at=t0, declared_by="Quản trị ký số", reason="token lost")
    affected = {(a["kind"], a["document_id"]) for a in view["affected"]}
    assert affected == {("transcript", t) for t in old_transcripts} | {("decision", decision["document_id"])}
    assert reg.certificates(seal)[0]["status"] == "revoked"

    reg.renew(seal)  # a new key for the seal
    done = comp.reseal(view["compromise_id"], client="pytest")
    assert {r["outcome"] for r in done["resealed"]} == {"resealed"}

    # new revisions, each with an "issued" entry amending the previous one
    with c.db.reader() as s:
        entries = s.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars().all()
    amending = [e for e in entries if e.amends_seq is not None]
    assert len(amending) == 3 and {e.kind for e in amending} == {"issued"}

    trust = c.documents.context.trust_roots
    led = LedgerService.from_settings(c.db, c.settings)
    verification = VerificationService.from_settings(c.db, c.settings, led)
    verification.read_printed_qr = False
    for tid, new_pdf in pdfs(c).items():
        assert new_pdf != old_transcripts[tid]
        assert verification.verify_pdf(new_pdf).indication == "PASSED"
        old_check = verification.verify_pdf(old_transcripts[tid])  # the service's verdict on the old copy
        assert (old_check.indication, old_check.sub_indication) == ("FAILED", "KEY_COMPROMISED")
        with c.db.reader() as s:  # the old copy: its seal is flagged
            flagged = compromised_signatures(s, verify_pdf(old_transcripts[tid], trust=trust))
            assert [f["field"] for f in flagged] == ["DauTruong"]
            assert compromised_signatures(s, verify_pdf(new_pdf, trust=trust)) == []

    old_result = docs.verify(old_decision, led)
    assert old_result["indication"] == "FAILED"
    assert {ch["sub_indication"] for ch in old_result["checks"]} >= {"KEY_COMPROMISED", "SUPERSEDED"}
    new_result = docs.verify(docs.revision_row(decision["document_id"]).pdf, led)
    assert new_result["indication"] == "PASSED", new_result["checks"]
    assert new_result["document"]["revision"] == 2

    # the trust list publishes the compromised certificate
    listed = KeyRotationService(c.db, c.settings).trust_list()["compromised_certificates"]
    assert [x["sha256"] for x in listed] == [old["sha256"]]
    audit = reg.audit_trail(staff_id=seal)
    assert {a["operation"] for a in audit} == {"transcript-step", "document", "reseal"}


def _settings_with_copied_keys(db_url: str, tmp: Path) -> Settings:
    (tmp / "qr").mkdir()
    (tmp / "log").mkdir()
    shutil.copy(DEV_KEYS_DIR / "qr" / "qr.key", tmp / "qr" / "qr.key")
    shutil.copy(DEV_KEYS_DIR / "qr" / "keys.json", tmp / "qr" / "keys.json")
    shutil.copy(DEV_KEYS_DIR / "log" / "log.key", tmp / "log" / "log.key")
    return Settings(
        env="test",
        database_url=db_url,
        qr_key_path=tmp / "qr" / "qr.key",
        qr_key_list_path=tmp / "qr" / "keys.json",
        ledger_key_path=tmp / "log" / "log.key",
    )


RECORD = {
    "credential_id": "7b1c2d3e-0000-4000-8000-000000000001",
    "version": 1,
    "issued_at": "2026-06-01",
    "school_year": "2025-2026",
    "student": {"full_name": "Nguyễn Văn An", "date_of_birth": "2010-05-04"},
    "school": {"name": "Trường THPT Demo Hải Phòng"},
    "class": {"name": "10A1", "school_year": "2025-2026"},
}


def test_rotating_the_qr_and_log_keys(sqlite_db_url: str, tmp_path: Path) -> None:
    settings = _settings_with_copied_keys(sqlite_db_url, tmp_path)
    c = build(settings)
    rot = KeyRotationService(c.db, settings)
    assert settings.qr_key_path is not None and settings.qr_key_list_path is not None
    old_key = QrSigningKey.from_pem(settings.qr_key_path.read_bytes())
    old_payload = payload_for_record(RECORD, "ab" * 32, old_key)  # signed before the rotation

    qr = rot.rotate_qr()
    keys = QrKeyList.load(settings.qr_key_list_path)
    by_kid = {k.kid.hex(): k for k in keys.keys}
    assert by_kid[qr["old_kid"]].status == "retired" and by_kid[qr["new_kid"]].status == "active"
    assert load_qr_signing_key(settings.qr_key_path).kid.hex() == qr["new_kid"]
    assert (tmp_path / "qr" / "archive" / f"qr-{qr['old_kid']}.key").exists()
    assert verify_qr(old_payload, keys).indication == "PASSED"  # the retired key still verifies it
    new_payload = payload_for_record(RECORD, "ab" * 32, load_qr_signing_key(settings.qr_key_path))
    assert verify_qr(new_payload, keys).kid == qr["new_kid"]

    old_vkey = LedgerService.from_settings(c.db, settings).vkey
    log = rot.rotate_log()
    new_vkey = log["new_public_key"]
    assert new_vkey != old_vkey
    for vkey in (old_vkey, new_vkey):  # the hand-over checkpoint opens with either key
        open_checkpoint(log["handover_checkpoint"], [Ed25519Verifier.from_vkey(vkey)], settings.ledger_origin)
    led = LedgerService.from_settings(c.db, settings)
    assert led.vkey == new_vkey
    cp = led.publish()
    open_checkpoint(cp.note, [Ed25519Verifier.from_vkey(new_vkey)], settings.ledger_origin)
    assert rot.checkpoint_signatures() == []  # every checkpoint verifies with the key of its time
    assert led.audit().ok  # and the full audit agrees, across the rotation

    with c.db.reader() as s:
        kinds = [e.kind for e in s.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars()]
    assert kinds == ["key-rotated", "key-rotated"]

    doc = open_trust_list(rot.signed_trust_list(), [new_vkey])
    assert {k["kid"] for k in doc["qr_keys"]} == {qr["old_kid"], qr["new_kid"]}
    assert [k["status"] for k in doc["log_keys"]] == ["retired", "active"]
    c.db.dispose()
