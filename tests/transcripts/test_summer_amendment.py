"""New versions of an issued học bạ (issue #14). After the summer (TT22 Art. 13-14), re-assessment results make
a new version, signed by the principal and sealed, ledgered as an amendment with its reason; a correction by the
principal's decision does the same, ledgered as a correction. The old version reads superseded, naming the new
one and why."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from staff_login import confirm, sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.app.factory import create_app
from credential_service.diplomas.rules import CorrectionRequest
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.errors import Conflict, InvalidInput, NotAuthorised
from credential_service.signers.tables import SigningAudit
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.amendments import SummerResults
from credential_service.transcripts.signing_profile import AMENDMENT_FIELDS
from credential_service.transcripts.tables import Student, Transcript, YearResult
from credential_service.transcripts.workflow import Step
from credential_service.verification.service import VerificationService

A1 = class_id("10A1")
PRINCIPAL, SEAL = staff_id("principal"), staff_id("seal-thpt-demo")
pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough


def _issued_class(c: Container) -> dict[str, Transcript]:
    """Three students; the last (demo profile "failing") must be re-assessed in Toán and Vật lí."""
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=3, seed=7)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")
    c.transcripts.lock_class(A1)
    c.transcripts.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    c.transcripts.sign_class(A1, Step.PRINCIPAL, staff_id=PRINCIPAL)
    c.transcripts.sign_class(A1, Step.SEAL, staff_id=SEAL)
    with c.db.reader() as s:
        both = select(Transcript, YearResult).join(YearResult, YearResult.student_id == Transcript.student_id)
        rows = s.execute(both)
        return {y.evaluation["promotion"]["decision"] + f":{t.id}": t for t, y in rows}


def _needing_reassessment(c: Container) -> Transcript:
    issued = _issued_class(c)
    (key,) = [k for k in issued if k.startswith("CAN_DANH_GIA_LAI:")]
    return issued[key]


RESULTS = SummerResults({"Toán": 6.5, "Vật lí": 7.0}, None, "Kiểm tra lại trong hè 2026 (Điều 14 TT22)")


def test_a_summer_reassessment_issues_a_new_version_and_the_old_one_reads_superseded(
    container: Container, tmp_path: Path
) -> None:
    c = container
    old = _needing_reassessment(c)
    verifier = VerificationService.from_settings(c.db, c.settings)
    assert verifier.verify_pdf(old.pdf).indication == "PASSED"

    amended = c.transcripts.amend_after_summer(old.id, RESULTS, staff_id=PRINCIPAL)
    assert (amended.version, amended.status, amended.amends) == (2, "signed_principal", old.id)
    assert amended.promotion["decision"] == "LEN_LOP"  # promoted after re-assessment, with its trace
    sealed = c.transcripts.seal_amendment(amended.transcript_id, staff_id=SEAL)
    assert sealed.status == "issued"

    with c.db.reader() as s:
        new = s.get(Transcript, amended.transcript_id)
        entry = s.execute(select(LedgerEntry).where(LedgerEntry.credential_id == new.id)).scalar_one()
        old_entry = s.execute(select(LedgerEntry).where(LedgerEntry.credential_id == old.id)).scalar_one()
        year = s.execute(select(YearResult).where(YearResult.student_id == old.student_id)).scalar_one()
    record = json.loads(new.record_json)
    assert record["amends"] == {"credential_id": old.id, "version": 1, "reason": RESULTS.reason, "ground": "summer"}
    assert record["results"]["promotion"]["decision"] == "LEN_LOP"
    assert {s["name"]: s["reassessed"] for s in record["results"]["subjects"] if s["reassessed"]} == {
        "Toán": "6.5",
        "Vật lí": "7.0",
    }
    assert (entry.kind, entry.amends_seq) == ("amended", old_entry.seq)
    assert any(step["rule"].startswith("TT22/Điều 14") for step in year.evaluation["trace"])

    result = verifier.verify_pdf(new.pdf)
    assert result.indication == "PASSED", [(s.field, s.sub_indication, s.detail) for s in result.pdf.signatures]
    assert tuple(s.field for s in result.pdf.signatures if s.kind == "signature") == AMENDMENT_FIELDS
    before = verifier.verify_pdf(old.pdf)
    assert (before.indication, before.sub_indication) == ("FAILED", "SUPERSEDED")
    status = verifier.credential_status(old.id)
    assert (status.status, status.superseded_by) == ("superseded", new.id)
    (tmp_path / "v2.pdf").write_bytes(new.pdf)  # an independent tool accepts it as it accepts the first version
    out = subprocess.run(["pdfsig", str(tmp_path / "v2.pdf")], capture_output=True, check=False, text=True)
    assert out.stdout.count("Signature Validation: Signature is Valid.") == 2, out.stdout


def test_only_the_principal_amends_only_the_latest_issued_version_and_only_after_a_summer_decision(
    container: Container,
) -> None:
    c = container
    issued = _issued_class(c)
    needing = issued[next(k for k in issued if k.startswith("CAN_DANH_GIA_LAI:"))]
    promoted = issued[next(k for k in issued if k.startswith("LEN_LOP:"))]
    with pytest.raises(NotAuthorised):
        c.transcripts.amend_after_summer(needing.id, RESULTS, staff_id=staff_id("gvcn-10a1"))
    with pytest.raises(Conflict):  # nothing to re-assess for a promoted student
        c.transcripts.amend_after_summer(promoted.id, RESULTS, staff_id=PRINCIPAL)
    with pytest.raises(InvalidInput) as err:  # a subject that needs no re-assessment, and no reason
        c.transcripts.amend_after_summer(needing.id, SummerResults({"Ngữ văn": 11}, None, " "), staff_id=PRINCIPAL)
    assert [p.location["field"] for p in err.value.problems] == ["reason"]
    with pytest.raises(InvalidInput) as err:
        c.transcripts.amend_after_summer(needing.id, SummerResults({"Toán": 11}, None, "x"), staff_id=PRINCIPAL)
    assert any("reassessment" in str(p.location.get("field")) for p in err.value.problems)
    first = c.transcripts.amend_after_summer(needing.id, RESULTS, staff_id=PRINCIPAL)
    with pytest.raises(Conflict):  # the old version is no longer the latest
        c.transcripts.amend_after_summer(needing.id, RESULTS, staff_id=PRINCIPAL)
    with pytest.raises(NotAuthorised):  # the seal is the school's seal, not the principal
        c.transcripts.seal_amendment(first.transcript_id, staff_id=PRINCIPAL)
    with c.db.reader() as s:
        assert s.execute(select(LedgerEntry).where(LedgerEntry.kind == "amended")).first() is None
        refused = (
            s.execute(select(SigningAudit).where(SigningAudit.document_id.in_([needing.id, first.transcript_id])))
            .scalars()
            .all()
        )
    # every refused signing is in the audit trail, as in the class steps
    assert {(a.step, a.outcome, a.staff_id) for a in refused if a.outcome == "refused"} >= {
        ("principal", "refused", staff_id("gvcn-10a1")),
        ("seal", "refused", PRINCIPAL),
    }


def test_through_the_api_the_principal_amends_and_the_seal_operator_seals_each_with_a_fresh_confirmation(
    container: Container,
) -> None:
    c = container
    old = _needing_reassessment(c)
    body = {"reassessment": {"Toán": 6.5, "Vật lí": 7}, "reason": "Kiểm tra lại trong hè"}
    with TestClient(create_app(c)) as client:
        sign_in(client, "gvcn-10a1")  # not the principal's to amend
        purpose = f"amend:transcript:{old.id}"
        assert client.post(f"/api/v1/transcripts/{old.id}/summer-amendment",
                           json={**body, "confirmation_id": "x"}).status_code == 403  # fmt: skip
        sign_in(client, "principal")
        no_confirmation = client.post(
            f"/api/v1/transcripts/{old.id}/summer-amendment", json={**body, "confirmation_id": "none"}
        )
        assert no_confirmation.status_code in (401, 403, 409, 422), no_confirmation.text
        r = client.post(
            f"/api/v1/transcripts/{old.id}/summer-amendment",
            json={**body, "confirmation_id": confirm(client, "principal", purpose)},
        )
        assert r.status_code == 200, r.text
        new_id = r.json()["transcript_id"]
        assert r.json()["status"] == "signed_principal" and r.json()["promotion"]["decision"] == "LEN_LOP"
        sign_in(client, "seal-operator")
        r = client.post(
            f"/api/v1/transcripts/{new_id}/seal",
            json={"confirmation_id": confirm(client, "seal-operator", f"seal:transcript:{new_id}")},
        )
        assert r.status_code == 200 and r.json()["status"] == "issued", r.text
        status = client.get(f"/api/v1/credentials/{old.id}/status").json()
        assert status["status"] == "superseded" and status["superseded_by"] == new_id


def _name_correction(old_name: str, **kw: object) -> CorrectionRequest:
    base: dict[str, object] = {
        "decision_no": "12/QĐ-THPTDEMO", "decision_date": date(2026, 9, 1), "signer": "Ngô Quang Trưởng",
        "ground": "civil_status_change", "field": "full_name", "old_value": old_name,
        "new_value": "Nguyễn Thị Hoài An", "evidence": ("Trích lục cải chính hộ tịch số 45/TLCC-UBND",),
    }  # fmt: skip
    base.update(kw)
    return CorrectionRequest(**base)  # type: ignore[arg-type]


def test_a_correction_by_decision_issues_a_new_version_and_whoever_holds_the_old_copy_sees_why(
    container: Container,
) -> None:
    c = container
    issued = _issued_class(c)
    old = issued[next(k for k in issued if k.startswith("LEN_LOP:"))]
    name = json.loads(old.record_json)["student"]["full_name"]
    with pytest.raises(InvalidInput) as err:  # the old value must be the register's, with evidence
        c.transcripts.correct_transcript(old.id, _name_correction("Sai Tên", evidence=()), staff_id=PRINCIPAL)
    assert {p.location["field"] for p in err.value.problems} == {"old_value", "evidence"}
    corrected = c.transcripts.correct_transcript(old.id, _name_correction(name), staff_id=PRINCIPAL)
    c.transcripts.seal_amendment(corrected.transcript_id, staff_id=SEAL)
    with c.db.reader() as s:
        new = s.get(Transcript, corrected.transcript_id)
        entry = s.execute(select(LedgerEntry).where(LedgerEntry.credential_id == new.id)).scalar_one()
        student_name = s.execute(select(Student.full_name).where(Student.id == old.student_id)).scalar_one()
    record = json.loads(new.record_json)
    assert record["student"]["full_name"] == "Nguyễn Thị Hoài An" == student_name
    assert record["amends"]["decision"] == "12/QĐ-THPTDEMO (01/09/2026)" and record["amends"]["old_value"] == name
    assert entry.kind == "corrected"
    verifier = VerificationService.from_settings(c.db, c.settings)
    assert verifier.verify_pdf(new.pdf).indication == "PASSED"
    status = verifier.credential_status(old.id)
    assert (status.status, status.superseded_by) == ("superseded", new.id)
    assert status.decision == "12/QĐ-THPTDEMO (01/09/2026)" and status.reason
