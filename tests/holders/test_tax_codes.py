"""Tax codes (MST) have one spelling: 10 digits, or 10-3 for a branch; two spellings are one organisation."""

from __future__ import annotations

import uuid

import pytest
from holders_fixtures import Holders

from credential_service.employers.service import EmployerService
from credential_service.employers.tax_codes import normalise_tax_code, tax_code_problem
from credential_service.platform.errors import Conflict, InvalidInput


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("0200000001", "0200000001"),
        ("0200-000-001", "0200000001"),
        (" 0200 000 001 ", "0200000001"),
        ("0200.000.001", "0200000001"),
        ("０２０００００００１", "0200000001"),  # full-width digits (a phone keyboard)
        ("0200000001-001", "0200000001-001"),
        ("0200000001001", "0200000001-001"),
        ("0200-000-001 – 002", "0200000001-002"),
    ],
)
def test_spellings_of_one_tax_code_normalise_to_one(raw: str, canonical: str) -> None:
    assert normalise_tax_code(raw) == canonical
    assert tax_code_problem(raw) is None


@pytest.mark.parametrize(
    "raw", ["", "020000000", "02000000011", "0200000001-01", "0200000001-000", "02000O0001", "0200/000/001", "٠٢٠٠"]
)
def test_what_is_not_a_tax_code_is_refused_in_both_languages(raw: str) -> None:
    with pytest.raises(InvalidInput) as e:
        normalise_tax_code(raw)
    assert e.value.message.vi and e.value.message.en
    problem = tax_code_problem(raw, "recipient_tax_code")
    assert problem is not None and problem.location == {"field": "recipient_tax_code"}


def _svc(env: Holders) -> EmployerService:
    c = env.container
    return EmployerService(c.db, c.settings, c.verification.credential_status, require_approval=False)


def test_registering_twice_with_two_spellings_is_the_same_organisation(holders_env: Holders) -> None:
    svc = _svc(holders_env)
    digits = str(uuid.uuid4().int)[:10]
    org, _ = svc.register(name="Công ty Hai Cách Viết", tax_code=f"{digits[:4]}-{digits[4:7]}-{digits[7:]}",
                          contact_email="hr@example.vn")  # fmt: skip
    assert org["tax_code"] == digits
    with pytest.raises(Conflict, match=digits):
        svc.register(name="Công ty Hai Cách Viết", tax_code=digits, contact_email="hr@example.vn")
    branch, _ = svc.register(name="Chi nhánh", tax_code=f"{digits}001", contact_email="cn@example.vn")
    assert branch["tax_code"] == f"{digits}-001"  # a branch is another organisation
    with pytest.raises(Conflict):
        svc.register(name="Chi nhánh", tax_code=f"{digits}-001", contact_email="cn@example.vn")
    with pytest.raises(InvalidInput) as e:
        svc.register(name="Sai", tax_code="12345", contact_email="x@example.vn")
    assert e.value.problems[0].location == {"field": "tax_code"}


def test_a_holder_shares_with_an_organisation_by_any_spelling(holders_env: Holders) -> None:
    from credential_service.holders.service import HolderService

    c = holders_env.container
    digits = str(uuid.uuid4().int)[:10]
    _svc(holders_env).register(name="Công ty Nhận", tax_code=digits, contact_email="hr@example.vn")
    principal = HolderService(c.db, c.settings).sign_in("holder.a", "mat-khau-rat-dai-123")[1]
    created = c.consent.create_grant(
        principal,
        credential_ids=[holders_env.transcripts[0]],
        scope="status",
        purpose="Tuyển dụng",
        recipient_tax_code=f"{digits[:4]}-{digits[4:7]}-{digits[7:]}",
    )
    assert created.grant["recipient"]["tax_code"] == digits and f"(MST {digits})" in created.grant["consent_text"]
    with pytest.raises(InvalidInput) as e:
        c.consent.create_grant(
            principal, credential_ids=[holders_env.transcripts[0]], scope="status", purpose="Tuyển dụng",
            recipient_tax_code="12-34",
        )  # fmt: skip
    assert e.value.problems[0].location == {"field": "recipient_tax_code"}
