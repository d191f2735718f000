"""A class goes draft → locked → GVCN → principal → seal, all or nothing, by the assigned people only."""

from __future__ import annotations

import uuid
from datetime import date
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from sqlalchemy import func, select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import DEMO_SCHOOL_CODE, class_id, seed_demo, staff_id
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.errors import NotAuthorised, SigningRefused, WorkflowViolation
from credential_service.staff.tables import RoleAssignment, Staff
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.signing_profile import profile
from credential_service.transcripts.tables import SigningEvent, Transcript
from credential_service.transcripts.workflow import Step

A1 = class_id("10A1")


def _seed_small_class(c: Container, n: int = 3) -> None:
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=n, seed=7)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")


def _pdfs(c: Container) -> dict[str, bytes]:
    with c.db.reader() as s:
        return {t.id: t.pdf for t in s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars()}


def _add_teacher(c: Container, key_label: str) -> str:
    sid = str(uuid.uuid4())
    with c.db.transaction() as s:
        school_id = s.execute(select(RoleAssignment.school_id)).scalars().first()
        s.add(Staff(id=sid, full_name=f"Test {key_label}", kind="person", key_label=key_label))
        s.flush()
        s.add(
            RoleAssignment(
                id=str(uuid.uuid4()),
                staff_id=sid,
                role="gvcn",
                school_id=school_id,
                class_id=A1,
                valid_from=date(2025, 8, 1),
                valid_to=None,
            )
        )
    return sid


def _has_signature_timestamp(sig: EmbeddedPdfSignature) -> bool:
    unsigned = sig.signer_info["unsigned_attrs"].native or []
    return any(a["type"] == "signature_time_stamp_token" for a in unsigned)


def test_a_class_is_issued_with_three_signatures_and_one_ledger_entry_per_transcript(container: Container) -> None:
    c = container
    _seed_small_class(c)
    svc = c.transcripts
    assert svc.lock_class(A1).transcripts == 3
    svc.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    svc.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))
    report = svc.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    assert report.status == "issued"
    for pdf in _pdfs(c).values():
        sigs = PdfFileReader(BytesIO(pdf)).embedded_signatures
        assert [s.field_name for s in sigs] == ["GVCN", "HieuTruong", "DauTruong"]
        # as the signing profiles say: the GVCN certifies (DocMDP: form filling only), the seal is timestamped
        assert sigs[0].docmdp_level == MDPPerm(profile(Step.GVCN).docmdp or 0)
        assert [s.docmdp_level for s in sigs[1:]] == [None, None]
        assert [_has_signature_timestamp(s) for s in sigs] == [False, False, True]
    with c.db.reader() as s:
        entries = s.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars().all()
        assert [e.seq for e in entries] == [0, 1, 2]
        assert {e.kind for e in entries} == {"issued"}
        events = s.execute(select(SigningEvent)).scalars().all()
        assert len(events) == 9
        assert all(e.checks["ok"] for e in events)


def test_signing_out_of_order_is_refused_and_changes_nothing(container: Container) -> None:
    c = container
    _seed_small_class(c)
    c.transcripts.lock_class(A1)
    before = _pdfs(c)
    with pytest.raises(WorkflowViolation) as info:
        c.transcripts.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))
    assert "GVCN" in info.value.message.vi or "chờ" in info.value.message.vi
    with pytest.raises(WorkflowViolation):
        c.transcripts.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    assert _pdfs(c) == before


def test_a_teacher_of_another_class_cannot_sign_this_class(container: Container) -> None:
    c = container
    _seed_small_class(c)
    c.transcripts.lock_class(A1)
    before = _pdfs(c)
    with pytest.raises(NotAuthorised) as info:
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a2"))
    assert "Trần Văn Minh" in info.value.message.vi and "10A1" in info.value.message.en
    with pytest.raises(NotAuthorised):  # the principal is not the homeroom teacher either
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=staff_id("principal"))
    assert _pdfs(c) == before


@pytest.mark.parametrize(("key_label", "reason_word"), [("gvcn-expired", "expired"), ("gvcn-revoked", "revoked")])
def test_an_expired_or_revoked_certificate_is_refused_and_leaves_the_documents_as_they_were(
    container: Container, key_label: str, reason_word: str
) -> None:
    c = container
    _seed_small_class(c)
    teacher = _add_teacher(c, key_label)
    c.transcripts.lock_class(A1)
    before = _pdfs(c)
    with pytest.raises(SigningRefused) as info:
        c.transcripts.sign_class(A1, Step.GVCN, staff_id=teacher)
    assert reason_word in info.value.message.en.lower()
    assert _pdfs(c) == before
    with c.db.reader() as s:
        assert s.execute(select(func.count()).select_from(SigningEvent)).scalar_one() == 0
    assert c.transcripts.class_overview(A1)["status"] == "locked"


def test_importing_the_same_file_twice_changes_nothing(container: Container) -> None:
    c = container
    seed_demo(c.transcripts, import_results=False)
    data = importers.write_sample_xlsx(importers.demo_class("10A1", 10, n=4, seed=3))
    first = imports.import_xlsx(c.transcripts, A1, data, "a.xlsx")
    second = imports.import_xlsx(c.transcripts, A1, data, "a.xlsx")
    assert (first.created, first.unchanged) == (4, False)
    assert second.unchanged
    assert len(c.transcripts.class_overview(A1)["students"]) == 4
    assert DEMO_SCHOOL_CODE == "THPT-DEMO"
