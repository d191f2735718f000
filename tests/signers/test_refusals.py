"""Checks at signing time: expired, revoked, not-yet-valid, wrong key usage, unassigned — each refused,
the documents unchanged, the refusal in the audit trail; trust roots configurable from PEM files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from signers_fixtures import A1, add_staff, pdfs, seed_class
from sqlalchemy import func, select

from credential_service.app.bootstrap import Container
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.errors import NotAuthorised, SigningRefused
from credential_service.platform.settings import DEV_KEYS_DIR, Settings
from credential_service.signers.service import SignerRegistry
from credential_service.signers.tables import SigningAudit
from credential_service.transcripts.tables import SigningEvent
from credential_service.transcripts.workflow import Step


@pytest.mark.parametrize(
    ("key_label", "reason", "words"),
    [
        ("gvcn-expired", "certificate_expired", "expired"),
        ("gvcn-revoked", "certificate_revoked", "revoked"),
        ("gvcn-notyet", "certificate_not_yet_valid", "not valid before"),
        ("gvcn-wrongku", "wrong_key_usage", "key usage"),
    ],
)
def test_a_bad_certificate_is_refused_with_the_documents_unchanged_and_the_refusal_audited(
    container: Container, key_label: str, reason: str, words: str
) -> None:
    c = container
    seed_class(c)
    teacher = add_staff(c, key_label)
    c.transcripts.lock_class(A1)
    before = pdfs(c)
    with pytest.raises(SigningRefused) as info:
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=teacher, client="test-client")
    assert words in info.value.message.en.lower()
    assert info.value.message.vi  # Vietnamese first
    assert pdfs(c) == before
    assert c.transcripts.class_overview(A1)["status"] == "locked"
    with c.db.reader() as s:
        assert s.execute(select(func.count()).select_from(SigningEvent)).scalar_one() == 0
        rows = s.execute(select(SigningAudit)).scalars().all()
    assert {r.document_id for r in rows} == set(before)
    assert {(r.outcome, r.reason, r.backend, r.client, r.staff_id) for r in rows} == {
        ("refused", reason, "file", "test-client", teacher)
    }
    assert all(r.certificate_serial for r in rows)


def test_an_unassigned_signer_is_refused_on_both_databases(any_container: Container) -> None:
    c = any_container
    seed_class(c)
    outsider = add_staff(c, "gvcn-10a1", role=None, name="Người Ngoài")
    c.transcripts.lock_class(A1)
    before = pdfs(c)
    with pytest.raises(NotAuthorised) as info:
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=outsider)
    assert "not assigned" in info.value.message.en
    assert pdfs(c) == before
    audit = SignerRegistry(c.db, c.settings).audit_trail(staff_id=outsider)
    assert len(audit) == len(before) and {a["outcome"] for a in audit} == {"refused"}
    assert {a["reason"] for a in audit} == {"not-authorised"}


def test_a_retired_teacher_cannot_sign_from_the_retirement_date(container: Container) -> None:
    c = container
    seed_class(c)
    teacher = add_staff(c, "gvcn-10a1")
    reg = SignerRegistry(c.db, c.settings)
    today = c.clock.today()
    ended = reg.retire(teacher, on=today)
    assert ended[0]["valid_to"] < today.isoformat()
    c.transcripts.lock_class(A1)
    before = pdfs(c)
    with pytest.raises(NotAuthorised):
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=teacher)
    assert pdfs(c) == before


def _foreign_root(tmp: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test National Root (not the dev root)")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now.replace(year=now.year + 5))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = tmp / "national-root.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def test_trust_roots_come_from_pem_files_and_a_signer_outside_them_is_refused(
    container: Container, tmp_path: Path
) -> None:
    foreign = _foreign_root(tmp_path)
    only_foreign = DocumentFactory.from_settings(Settings(env="test", trust_roots=[foreign]))
    cert = only_foreign.signer("gvcn-10a1").signing_cert
    check = only_foreign.context.check_signer(cert)
    assert not check.ok and check.first_failure is not None
    assert check.first_failure.reason == "untrusted_chain"
    bundle = tmp_path / "roots.pem"  # a bundle: the national root and the dev root in one PEM file
    bundle.write_bytes(foreign.read_bytes() + (DEV_KEYS_DIR / "out" / "root.cert.pem").read_bytes())
    both = DocumentFactory.from_settings(Settings(env="test", trust_roots=[bundle]))
    assert len(both.context.trust_roots) == 2
    assert both.context.check_signer(cert).ok
