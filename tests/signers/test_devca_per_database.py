"""The dev CA's state lives with the database it serves: a revocation made with one database never
affects another database's dev certificates (a fresh database's `sogoc demo` flow still signs)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from asn1crypto import crl
from signers_fixtures import A1, make_pdf, pdfs, seed_class

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import staff_id
from credential_service.documents.service import AnyDocumentService
from credential_service.platform.errors import SigningRefused
from credential_service.platform.settings import Settings
from credential_service.signers.certificates import load_certificate
from credential_service.signers.service import SignerRegistry
from credential_service.transcripts.workflow import Step
from signing.devpki import DEV_CERT_DIR, DEV_PKI_URL, dev_ca_state_dir
from verifier.pdf import verify_pdf


def _crl_serials() -> set[int]:
    with urllib.request.urlopen(f"{DEV_PKI_URL}/sogoc-dev/crls/issuing/latest.crl", timeout=5) as r:
        entries = crl.CertificateList.load(r.read())["tbs_cert_list"]["revoked_certificates"]
    return {int(e["user_certificate"].native) for e in entries}


def _container(path: Path) -> Container:
    c = build(Settings(env="test", database_url=f"sqlite:///{path}"))
    c.migrate()
    c.start_dev_services()
    return c


def test_dev_ca_state_is_derived_from_the_database_url(tmp_path: Path) -> None:
    assert dev_ca_state_dir(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db.devca"
    assert dev_ca_state_dir(f"sqlite:///{tmp_path}/a.db") != dev_ca_state_dir(f"sqlite:///{tmp_path}/b.db")
    pg = dev_ca_state_dir("postgresql+psycopg://u:secret@db/sogoc", root=tmp_path)
    assert pg.parent == tmp_path and "secret" not in pg.name and pg.name.startswith("postgresql-psycopg-sogoc-")
    assert pg == dev_ca_state_dir("postgresql+psycopg://u:other@db/sogoc", root=tmp_path)  # not the password


def test_a_revocation_in_one_database_never_reaches_another(tmp_path: Path) -> None:
    a = _container(tmp_path / "a.db")
    seed_class(a)
    reg_a = SignerRegistry(a.db, a.settings)
    assert reg_a.state_dir == tmp_path / "a.db.devca"

    # with database A: the committed seal certificate (shared by every database) is registered and revoked
    seal = staff_id("seal-thpt-demo")
    committed = reg_a.import_certificate(
        seal, (DEV_CERT_DIR / "seal-thpt-demo.cert.pem").read_bytes(), "seal-thpt-demo"
    )
    out = reg_a.revoke(committed["sha256"], reason="key_compromise")
    assert out["status"] == "revoked" and not out["published_to_dev_ocsp_crl"]  # kept in A's registry only
    with pytest.raises(SigningRefused):
        AnyDocumentService(a.db, a.documents).sign_upload(
            make_pdf(), title="Quyết định", kind="decision", staff_id=seal
        )

    # and a certificate A's dev CA issued at runtime is revoked: the dev OCSP/CRL say so at once
    principal = staff_id("principal")
    issued = reg_a.issue(principal)
    revoked = reg_a.revoke(issued["serial_hex"], reason="key_compromise")
    assert revoked["published_to_dev_ocsp_crl"]
    serials = _crl_serials()
    assert int(issued["serial_hex"], 16) in serials
    assert load_certificate((DEV_CERT_DIR / "seal-thpt-demo.cert.pem").read_bytes()).serial_number not in serials
    assert (tmp_path / "a.db.devca" / "status" / f"{issued['serial_hex']}.json").exists()
    a.db.dispose()

    # a fresh database B: the `sogoc demo` flow signs with the committed keys, A's revocations do not reach it
    b = _container(tmp_path / "b.db")
    seed_class(b)
    b.transcripts.lock_class(A1)
    b.transcripts.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    b.transcripts.sign_class(A1, Step.PRINCIPAL, staff_id=principal)
    b.transcripts.sign_class(A1, Step.SEAL, staff_id=seal)
    signed = pdfs(b)
    assert signed and all(
        verify_pdf(pdf, trust=b.documents.context.trust_roots).indication == "PASSED" for pdf in signed.values()
    )

    # B's own dev CA issues and signs; its state is B's, not A's
    reg_b = SignerRegistry(b.db, b.settings)
    own = reg_b.issue(seal)
    view = AnyDocumentService(b.db, b.documents).sign_upload(
        make_pdf(), title="Quyết định", kind="decision", staff_id=seal
    )
    assert view["document_id"] and own["key_label"].startswith("devca:")
    assert (tmp_path / "b.db.devca" / "keys" / f"{own['key_label'].removeprefix('devca:')}.key.pem").exists()
    assert not (tmp_path / "b.db.devca" / "status" / f"{issued['serial_hex']}.json").exists()
    b.db.dispose()
