"""The verifier checks a diploma all the way, and sees its revocation or correction at once."""

from __future__ import annotations

from datetime import date

import pytest
from diploma_fixtures import decide

from credential_service.app.bootstrap import Container
from credential_service.app.demo import staff_id
from credential_service.diplomas.rules import CorrectionRequest
from credential_service.diplomas.service import DiplomaService
from credential_service.verification.service import VerificationService

PRINCIPAL, SEAL = staff_id("principal"), staff_id("seal-thpt-demo")


@pytest.fixture
def verifier(container: Container) -> VerificationService:
    return VerificationService.from_settings(container.db, container.settings)


def _issue(svc: DiplomaService) -> list[dict[str, str]]:
    return svc.issue_from_decision(decide(svc), issuer_staff_id=PRINCIPAL, seal_staff_id=SEAL).issued


def test_an_issued_diploma_pdf_is_passed_valid_and_in_the_ledger(
    svc: DiplomaService, verifier: VerificationService
) -> None:
    d = svc.diploma(_issue(svc)[0]["credential_id"])
    assert d.pdf is not None
    result = verifier.verify_pdf(d.pdf)
    assert result.indication == "PASSED", [c.to_dict() for c in result.checks]
    assert result.credential is not None
    assert result.credential.status == "valid" and result.credential.ledger.included
    assert result.identical_to_issued is True


def test_a_revoked_diploma_fails_with_revoked_and_shows_the_decision(
    svc: DiplomaService, verifier: VerificationService
) -> None:
    d = svc.diploma(_issue(svc)[1]["credential_id"])
    svc.revoke(d.id, kind="revoke", ground="fraud", decision_no="40/QĐ-SGDĐT", decision_date=date(2026, 9, 1),
               signer="Giám đốc Sở", reason="Gian lận hồ sơ dự thi", actor="so-clerk")  # fmt: skip
    assert d.pdf is not None
    result = verifier.verify_pdf(d.pdf)
    assert (result.indication, result.sub_indication) == ("FAILED", "REVOKED")
    status = verifier.credential_status(d.id)
    assert status.status == "revoked" and status.revoked_at == "2026-09-01"
    assert status.decision is not None and "40/QĐ-SGDĐT" in status.decision


def test_a_corrected_diploma_is_superseded_and_points_to_the_new_version(
    svc: DiplomaService, verifier: VerificationService
) -> None:
    first = _issue(svc)[0]
    correction = CorrectionRequest(
        decision_no="31/QĐ-THPTDEMO", decision_date=date(2026, 8, 1), signer="Ngô Quang Trưởng",
        ground="civil_status_change", field="full_name", old_value="Nguyễn Thị Hoà",
        new_value="Nguyễn Thị Hoài An", evidence=("Trích lục cải chính hộ tịch số 45/TLCC-UBND",),
    )  # fmt: skip
    out = svc.correct(first["credential_id"], correction, actor="clerk", issuer_staff_id=PRINCIPAL,
                      seal_staff_id=SEAL)  # fmt: skip
    old = svc.diploma(out["old"])
    assert old.pdf is not None
    result = verifier.verify_pdf(old.pdf)
    assert (result.indication, result.sub_indication) == ("FAILED", "SUPERSEDED")
    status = verifier.credential_status(old.id)
    assert status.superseded_by == out["new"]
    assert status.decision is not None and "31/QĐ-THPTDEMO" in status.decision
    assert verifier.credential_status(out["new"]).status == "valid"


def test_a_status_served_from_memory_changes_as_soon_as_the_diploma_is_revoked(
    svc: DiplomaService, verifier: VerificationService
) -> None:
    d_id = _issue(svc)[2]["credential_id"]
    assert verifier.credential_status(d_id).status == "valid"
    assert verifier.credential_status(d_id).status == "valid"  # the second answer comes from the cache
    svc.revoke(d_id, kind="revoke", ground="fraud", decision_no="41/QĐ-SGDĐT", decision_date=date(2026, 9, 2),
               signer="Giám đốc Sở", reason="Gian lận hồ sơ dự thi", actor="so-clerk")  # fmt: skip
    assert verifier.credential_status(d_id).status == "revoked"
