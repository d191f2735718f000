"""Issue → correct → revoke → reissue → copy: each rule of the diploma lifecycle, as the ledger records it."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from diploma_fixtures import decide
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import staff_id
from credential_service.diplomas.rules import CorrectionRequest
from credential_service.diplomas.service import DiplomaService
from credential_service.diplomas.tables import Diploma, DiplomaCopy
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.errors import Conflict, InvalidInput, NotAuthorised

PRINCIPAL, SEAL = staff_id("principal"), staff_id("seal-thpt-demo")


def _issue(svc: DiplomaService) -> list[dict[str, str]]:
    report = svc.issue_from_decision(decide(svc), issuer_staff_id=PRINCIPAL, seal_staff_id=SEAL)
    return report.issued


def _entries(c: Container) -> list[LedgerEntry]:
    with c.db.reader() as s:
        return list(s.execute(select(LedgerEntry).order_by(LedgerEntry.seq)).scalars())


def test_issuing_from_a_decision_signs_numbers_and_ledgers_each_diploma(
    container: Container, svc: DiplomaService
) -> None:
    issued = _issue(svc)
    year = svc.clock.today().year
    assert [d["register_no"] for d in issued] == [f"{i}/THPT/{year}" for i in (1, 2, 3)]
    entries = _entries(container)
    assert [e.kind for e in entries] == ["issued"] * 3
    assert all(b'"register_no":"' in e.leaf for e in entries)
    d = svc.diploma(issued[0]["credential_id"])
    assert d.pdf is not None and d.issuer_role == "principal" and d.ledger_seq == entries[0].seq
    sigs = PdfFileReader(BytesIO(d.pdf)).embedded_signatures
    assert [s.field_name for s in sigs] == ["HieuTruong", "DauTruong"]
    reader = PdfFileReader(BytesIO(d.pdf))
    assert "/DSS" in reader.root and len(reader.root["/DSS"]["/Certs"]) >= 2  # seal: PAdES B-LT
    unsigned = sigs[1].signer_info["unsigned_attrs"]
    assert "signature_time_stamp_token" in [a["type"].native for a in unsigned]  # the seal is timestamped
    st = svc.diploma_status(d.id)
    assert st["status"] == "issued" and st["valid"] and st["issuer"] == "Trường THPT Demo Hải Phòng"


def test_issuing_twice_from_the_same_decision_issues_nothing_more(svc: DiplomaService) -> None:
    decision = decide(svc)
    svc.issue_from_decision(decision, issuer_staff_id=PRINCIPAL, seal_staff_id=SEAL)
    again = svc.issue_from_decision(decision, issuer_staff_id=PRINCIPAL, seal_staff_id=SEAL)
    assert again.issued == [] and again.skipped == 3


def test_only_the_assigned_principal_and_seal_may_issue(svc: DiplomaService) -> None:
    decision = decide(svc)
    with pytest.raises(NotAuthorised):
        svc.issue_from_decision(decision, issuer_staff_id=SEAL, seal_staff_id=SEAL)
    with pytest.raises(NotAuthorised):
        svc.issue_from_decision(decision, issuer_staff_id=PRINCIPAL, seal_staff_id=staff_id("gvcn-10a1"))


def _correction(**kw: object) -> CorrectionRequest:
    base: dict[str, object] = {
        "decision_no": "31/QĐ-THPTDEMO", "decision_date": date(2026, 8, 1), "signer": "Ngô Quang Trưởng",
        "ground": "civil_status_change", "field": "full_name", "old_value": "Nguyễn Thị Hoà",
        "new_value": "Nguyễn Thị Hoài An", "evidence": ("Trích lục cải chính hộ tịch số 45/TLCC-UBND",),
    }  # fmt: skip
    base.update(kw)
    return CorrectionRequest(**base)  # type: ignore[arg-type]


def test_a_correction_keeps_the_original_issues_a_linked_version_and_ledgers_corrected(
    container: Container, svc: DiplomaService
) -> None:
    first = _issue(svc)[0]
    out = svc.correct(first["credential_id"], _correction(), actor="clerk", issuer_staff_id=PRINCIPAL,
                      seal_staff_id=SEAL)  # fmt: skip
    old, new = svc.diploma(out["old"]), svc.diploma(out["new"])
    assert old.status == "corrected" and old.full_name == "Nguyễn Thị Hoà" and old.pdf is not None
    assert new.status == "issued" and new.full_name == "Nguyễn Thị Hoài An" and new.version == 2
    assert new.replaces_id == old.id and old.replaced_by_id == new.id and new.register_no == old.register_no
    last = _entries(container)[-1]
    assert last.kind == "corrected" and last.credential_id == new.id and last.amends_seq == old.ledger_seq
    st = svc.diploma_status(old.id)
    assert st["status"] == "corrected" and st["replaced_by"] == new.id
    assert st["decision"]["decision_no"] == "31/QĐ-THPTDEMO"


def test_a_correction_on_a_ground_the_law_does_not_allow_is_refused_and_changes_nothing(
    container: Container, svc: DiplomaService
) -> None:
    first = _issue(svc)[0]
    before = len(_entries(container))
    with pytest.raises(InvalidInput) as err:
        svc.correct(first["credential_id"], _correction(ground="holder_prefers_new_spelling"), actor="clerk",
                    issuer_staff_id=PRINCIPAL, seal_staff_id=SEAL)  # fmt: skip
    assert err.value.problems[0].location == {"field": "ground"}
    assert len(_entries(container)) == before
    assert svc.diploma(first["credential_id"]).status == "issued"


def test_revocation_is_ledgered_and_seen_in_the_status_at_once(container: Container, svc: DiplomaService) -> None:
    d = _issue(svc)[1]
    svc.revoke(d["credential_id"], kind="revoke", ground="fraud", decision_no="40/QĐ-SGDĐT",
               decision_date=date(2026, 9, 1), signer="Giám đốc Sở", reason="Gian lận hồ sơ dự thi",
               actor="so-clerk")  # fmt: skip
    last = _entries(container)[-1]
    own = svc.diploma(d["credential_id"])
    assert last.kind == "revoked" and last.credential_id == own.id and last.amends_seq == own.ledger_seq
    st = svc.diploma_status(own.id)
    assert st["status"] == "revoked" and not st["valid"]
    assert st["decision"]["ground"] == "fraud" and st["decision"]["return_by"] == "2026-10-01"
    assert [r["decision_no"] for r in svc.revocations()] == ["40/QĐ-SGDĐT"]
    with pytest.raises(Conflict):  # a revoked diploma cannot be corrected
        svc.correct(own.id, _correction(old_value="Trần Văn Minh"), actor="x", issuer_staff_id=PRINCIPAL,
                    seal_staff_id=SEAL)  # fmt: skip


def test_cancellation_needs_one_of_the_six_grounds_and_a_reason(svc: DiplomaService) -> None:
    d = _issue(svc)[2]
    with pytest.raises(InvalidInput):
        svc.revoke(d["credential_id"], kind="cancel", ground="holder_request", decision_no="1",
                   decision_date=date(2026, 9, 1), signer="GĐ", reason="x", actor="c")  # fmt: skip
    with pytest.raises(InvalidInput):
        svc.revoke(d["credential_id"], kind="cancel", ground="issuer_error", decision_no="1",
                   decision_date=date(2026, 9, 1), signer="GĐ", reason=" ", actor="c")  # fmt: skip
    svc.revoke(d["credential_id"], kind="cancel", ground="unauthorised_issuer", decision_no="2",
               decision_date=date(2026, 9, 1), signer="GĐ", reason="Người ký không có thẩm quyền",
               actor="c")  # fmt: skip
    assert svc.diploma_status(d["credential_id"])["status"] == "cancelled"


def test_reissue_gives_a_new_register_number_and_supersedes_the_wrong_diploma(
    container: Container, svc: DiplomaService
) -> None:
    d = _issue(svc)[0]
    out = svc.reissue(d["credential_id"], decision_no="50/QĐ-THPTDEMO", decision_date=date(2026, 9, 2),
                      signer="Ngô Quang Trưởng", reason="Trường ghi sai nơi sinh",
                      changes={"place_of_birth": "Thủy Nguyên, Hải Phòng"}, evidence=["Giấy khai sinh"],
                      actor="clerk", issuer_staff_id=PRINCIPAL, seal_staff_id=SEAL)  # fmt: skip
    year = svc.clock.today().year
    assert out["register_no"] == f"4/THPT/{year}"
    last = _entries(container)[-1]
    assert last.kind == "reissued" and last.amends_seq == svc.diploma(d["credential_id"]).ledger_seq
    assert svc.diploma_status(d["credential_id"])["status"] == "reissued"
    assert svc.diploma(out["new"]).place_of_birth == "Thủy Nguyên, Hải Phòng"


def test_each_copy_from_the_register_is_logged_with_who_why_and_the_hash(
    container: Container, svc: DiplomaService
) -> None:
    d = _issue(svc)[0]
    out = svc.copy_from_register(d["credential_id"], kind="copy", requester_name="Nguyễn Thị Hoà", capacity="holder",
                                 purpose="Nộp hồ sơ tuyển dụng", given_by="clerk-1")  # fmt: skip
    assert out["content"]["register_entry"]["register_no"] == d["register_no"]
    with container.db.reader() as s:
        row = s.execute(select(DiplomaCopy)).scalar_one()
    assert (row.requester_name, row.capacity, row.purpose, row.given_by) == (
        "Nguyễn Thị Hoà",
        "holder",
        "Nộp hồ sơ tuyển dụng",
        "clerk-1",
    )
    assert row.content_sha256 == out["content_sha256"]
    with pytest.raises(InvalidInput):
        svc.copy_from_register(d["credential_id"], kind="copy", requester_name="Người lạ", capacity="curious",
                               purpose="xem", given_by="clerk-1")  # fmt: skip
    with container.db.reader() as s:
        assert len(list(s.execute(select(Diploma)).scalars())) == 3


def test_recording_a_decision_number_twice_is_a_conflict_that_names_the_recorded_one(svc: DiplomaService) -> None:
    first = decide(svc, "21/QĐ-THPTDEMO")
    with pytest.raises(Conflict) as refused:
        decide(svc, "21/QĐ-THPTDEMO")
    assert refused.value.extra["decision_id"] == first
    assert "21/QĐ-THPTDEMO" in refused.value.message.vi and "already recorded" in refused.value.message.en
