"""The service signs with a key held in a PKCS#11 token, and refuses file keys in production."""

from __future__ import annotations

import uuid
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from backend_fixtures import Token
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from credential_service.app.bootstrap import build
from credential_service.app.demo import class_id, seed_demo
from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.errors import ConfigurationError, SigningRefused
from credential_service.platform.settings import Settings
from credential_service.staff.tables import RoleAssignment, Staff
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step
from signing.pkcs11 import close_all

A1 = class_id("10A1")


def _teacher_with_a_token(softhsm_token: Token, sqlite_db_url: str) -> tuple[Any, str]:
    c = build(Settings(env="test", database_url=sqlite_db_url, pkcs11_module=softhsm_token.module))
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=2, seed=5)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "a.xlsx")
    teacher = str(uuid.uuid4())
    with c.db.transaction() as s:
        school_id = s.execute(select(RoleAssignment.school_id)).scalars().first()
        # the demo teacher of 10A1 hands over to a teacher whose key lives in the token
        for r in s.execute(select(RoleAssignment).where(RoleAssignment.class_id == A1)).scalars():
            r.valid_to = date(2025, 8, 31)
        s.add(
            Staff(
                id=teacher,
                full_name="Đỗ Thị Token",
                kind="person",
                key_label=f"pkcs11:{softhsm_token.label}/{softhsm_token.key_label}",
            )
        )
        s.flush()
        s.add(
            RoleAssignment(
                id=str(uuid.uuid4()),
                staff_id=teacher,
                role="gvcn",
                school_id=school_id,
                class_id=A1,
                valid_from=date(2025, 9, 1),
                valid_to=None,
            )
        )
    c.transcripts.lock_class(A1)
    return c, teacher


def test_a_homeroom_teacher_whose_key_is_in_a_token_signs_the_class(
    softhsm_token: Token, sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOGOC_PKCS11_PIN", softhsm_token.pin)
    c, teacher = _teacher_with_a_token(softhsm_token, sqlite_db_url)
    c.transcripts.sign_class(A1, Step.GVCN, staff_id=teacher)
    token_cert = softhsm_token.cert_path.read_bytes()
    with c.db.reader() as s:
        pdfs = [t.pdf for t in s.execute(select(Transcript)).scalars()]
    for pdf in pdfs:
        (sig,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
        assert sig.field_name == "GVCN"
        assert sig.signer_cert.subject.native["common_name"] == "Đỗ Thị Token"
    assert b"BEGIN CERTIFICATE" in token_cert
    c.db.dispose()


def test_the_pin_the_signer_types_for_the_batch_opens_the_token_and_a_wrong_one_signs_nothing(
    softhsm_token: Token, sqlite_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No PIN in the server's environment: the teacher's own PIN, sent with the batch, opens her token."""
    monkeypatch.delenv("SOGOC_PKCS11_PIN", raising=False)
    close_all()  # PKCS#11 login is per process and token: no session of this process may stay logged in
    c, teacher = _teacher_with_a_token(softhsm_token, sqlite_db_url)
    with pytest.raises(SigningRefused):
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=teacher, authorization=BatchAuthorization(pin="000000"))
    with pytest.raises((SigningRefused, ConfigurationError)):
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=teacher)  # no PIN anywhere
    report = c.transcripts.sign_class(
        A1, Step.GVCN, staff_id=teacher, authorization=BatchAuthorization(pin=softhsm_token.pin)
    )
    assert report.transcripts == 2
    c.db.dispose()


def test_production_refuses_to_sign_with_a_key_file(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        keys_dir=tmp_path,
        trust_roots=[tmp_path / "root.pem"],
        ledger_key_path=tmp_path / "log.key",
    )
    from credential_service.documents.factory import FONT_PATH
    from signing.context import SigningContext

    factory = DocumentFactory(settings, SigningContext.for_dev(FONT_PATH))  # the context is not what is tested
    with pytest.raises(ConfigurationError) as info:
        factory.signer("principal")
    assert "production" in info.value.message.vi
