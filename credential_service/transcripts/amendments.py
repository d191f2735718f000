"""New versions of an issued học bạ: after the summer, and corrections by the principal's decision.

The year was signed and issued, so a change is always a **new version**, never an edit of the old one.

* **After the summer** (Circular 22/2021 Art. 13-14): a student whose year learning result is Chưa đạt is
  re-assessed in July, and one whose conduct is Chưa đạt does summer training; the promotion decision is made
  again (:func:`amend_after_summer`).
* **A correction** of the identity block by the principal's decision, with its ground and evidence, on the
  same grounds as a diploma's (:func:`correct_transcript`).

Both go the same way: the principal signs version n+1 (its record names the version it amends and why, in
``amends``) and the register's year result and student are updated (status ``signed_principal``); then the
school's seal (:func:`seal_amendment`: timestamp and LTV data, status ``issued``), and the ledger gets an
``amended`` or ``corrected`` entry that amends the old version's entry, so the old version reads
``superseded`` by the new one everywhere (status endpoint, verify page, ``sogoc verify``), with the reason.

The new version carries the principal's and the seal's signatures (``signing_profile.AMENDMENT_FIELDS``): the
homeroom teacher signed the year as it was; the change is the principal's decision. Each step is all or nothing,
like the class steps: the crypto first, then one transaction that checks nothing changed meanwhile. The routes
(``routes_amendments.py``) take each signer's own fresh confirmation.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from credential_service.diplomas.rules import (
    CORRECTION_GROUND_LABELS,
    CorrectionRequest,
    display_name,
    validate_correction,
)
from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.documents.factory import DocumentFactory
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem, SogocError
from credential_service.signers.audit_trail import audit_row, refusal_reason
from credential_service.signers.certificates import backend_for_label, require_usable_certificate
from credential_service.staff.authz import require_assignment
from credential_service.staff.tables import Staff
from credential_service.transcripts.class_steps import SignatureMade, class_context, record_signature
from credential_service.transcripts.class_views import get_class
from credential_service.transcripts.grading_promotion import PromotionDecision
from credential_service.transcripts.level_book import RECORD_KINDS, carry_book, refuse_if_continued
from credential_service.transcripts.record import StudentIdentity, build_transcript_record
from credential_service.transcripts.rules_explain import explain_year
from credential_service.transcripts.tables import SigningEvent, Student, Transcript, YearResult
from credential_service.transcripts.workflow import Status, Step

# The decisions that summer results can change (TT22 Art. 13: summer training; Art. 14: re-assessment).
AMENDABLE = {PromotionDecision.CAN_DANH_GIA_LAI.value, PromotionDecision.CAN_REN_LUYEN_HE.value}
SUMMER = "summer"  # the ``amends.ground`` of a summer amendment; a correction's is its legal ground
REASON_MAX = 500


@dataclass(frozen=True)
class SummerResults:
    """What the principal enters after the summer: re-assessed subjects (subject -> score or Đ/CĐ), the
    conduct after summer training (Đ/CĐ), and the reason printed in the ledgered record."""

    reassessment: Mapping[str, Any]
    summer_conduct: str | None
    reason: str


@dataclass(frozen=True)
class AmendmentReport:
    transcript_id: str  # the new version
    amends: str  # the version it replaces
    version: int
    status: str
    promotion: dict[str, Any]


def _not_found(transcript_id: str) -> NotFound:
    return NotFound(Message(f"Không có học bạ số mã {transcript_id}.", f"No transcript with id {transcript_id}."))


def _latest(session: Any, old: Transcript) -> Transcript:
    newest = (
        session.execute(
            select(Transcript)
            .where(Transcript.student_id == old.student_id, Transcript.class_id == old.class_id)
            .order_by(Transcript.version.desc())
        )
        .scalars()
        .first()
    )
    assert newest is not None
    return newest  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Snapshot:
    """The latest issued version of a học bạ and the register rows behind it, as read before any crypto."""

    transcript_id: str
    version: int
    record_sha256: str
    identity: StudentIdentity
    data: dict[str, Any]  # the year's canonical input
    evaluation: dict[str, Any]


@dataclass(frozen=True)
class NewVersion:
    """What changes in version n+1: the year (data and evaluation), the student, and why (``amends``)."""

    data: dict[str, Any]
    evaluation: dict[str, Any]
    identity: StudentIdentity
    amends: dict[str, Any]
    student_changes: Mapping[str, Any]  # Student columns to update in the register, with the new version


@contextmanager
def _audited(db: Database, clock: Clock, document_id: str, step: Step, staff_id: str, **kw: Any) -> Iterator[None]:
    """A refused signing goes to the audit trail too, as in the class steps (then the refusal is raised)."""
    try:
        yield
    except SogocError as e:
        with db.transaction() as session:
            session.add(
                audit_row(
                    operation="transcript-version", outcome="refused", document_kind="transcript",
                    document_id=document_id, staff_id=staff_id, at=clock.now(), step=step.value,
                    reason=refusal_reason(e), message=e.message, **kw,
                )
            )  # fmt: skip
        raise


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if not reason or len(reason) > REASON_MAX:
        msg = Message(f"Cần lý do (tối đa {REASON_MAX} ký tự).", f"A reason is needed (at most {REASON_MAX} chars).")
        raise InvalidInput(msg, problems=[Problem(msg, {"field": "reason"})])
    return reason


def _snapshot(session: Any, transcript_id: str) -> tuple[Snapshot, Transcript]:
    old = session.get(Transcript, transcript_id)
    if old is None:
        raise _not_found(transcript_id)
    if old.status != Status.ISSUED.value or _latest(session, old).id != old.id:
        raise Conflict(
            Message(
                "Chỉ làm phiên bản mới từ phiên bản mới nhất đã phát hành của học bạ.",
                "A new version can only be made from the latest issued version of a transcript.",
            ),
            transcript_id=transcript_id,
        )
    refuse_if_continued(session, transcript_id)  # one học bạ per level: amend the book's latest version
    student = session.get(Student, old.student_id)
    assert student is not None
    year = session.execute(
        select(YearResult).where(YearResult.student_id == old.student_id, YearResult.class_id == old.class_id)
    ).scalar_one()
    identity = StudentIdentity(
        student_code=student.student_code, full_name=student.full_name, date_of_birth=student.date_of_birth,
        sex=student.sex, place_of_birth=student.place_of_birth, ethnicity=student.ethnicity,
        personal_id=student.personal_id, details=student.details,
    )  # fmt: skip
    snap = Snapshot(old.id, old.version, old.record_sha256, identity, dict(year.data), dict(year.evaluation))
    return snap, old


def _principal_signs_new_version(
    db: Database,
    documents: DocumentFactory,
    clock: Clock,
    transcript_id: str,
    change: Callable[[Snapshot], NewVersion],
    *,
    staff_id: str,
    at: datetime,
    actor: str | None,
    client: str | None,
    authorization: BatchAuthorization | None,
) -> AmendmentReport:
    """Version n+1 of an issued học bạ, built by ``change``, rendered and signed by the principal; the register
    (year result, student) is updated in the same transaction. Status ``signed_principal``: the seal follows."""
    with db.reader() as session:
        snap, old = _snapshot(session, transcript_id)
        klass = get_class(session, old.class_id)
        old_record = json.loads(old.record_json)
        new = change(snap)  # validates; raises a bilingual problem per bad field
        day = vn_date(at)
    with (
        _audited(db, clock, transcript_id, Step.PRINCIPAL, staff_id, client=client, actor=actor),
        db.reader() as session,
    ):
        staff = require_assignment(session, staff_id=staff_id, role="principal", klass=klass, on=day)
        key_label = staff.key_label
        context = class_context(session, klass, day)
        cert = documents.certificate(key_label, authorization)
        require_usable_certificate(session, cert, at)
    credential_id = str(uuid.uuid4())
    record = build_transcript_record(
        credential_id=credential_id, version=snap.version + 1, issued_on=day, student=new.identity, context=context,
        evaluation=new.evaluation, teacher_comment=new.data.get("teacher_comment"),
    )  # fmt: skip
    record["amends"] = {"credential_id": transcript_id, "version": snap.version, **new.amends}
    record = carry_book(old_record, record)  # a book's earlier years stay in its new version
    record_bytes = canonical_json(record)
    pdf = documents.render(record, record_bytes)
    with _audited(db, clock, transcript_id, Step.PRINCIPAL, staff_id, client=client, actor=actor, cert=cert):
        (signed,) = documents.sign_many(Step.PRINCIPAL, key_label, [pdf], at=at, authorization=authorization)
    with db.transaction() as session:
        current = session.get(Transcript, transcript_id, with_for_update=True)
        if current is None or current.record_sha256 != snap.record_sha256 or _latest(session, current).id != current.id:
            raise Conflict(Message("Học bạ vừa được thay đổi; hãy thử lại.", "The transcript just changed; retry."))
        now = clock.now()
        row = Transcript(
            id=credential_id, student_id=current.student_id, class_id=current.class_id, version=snap.version + 1,
            status=Status.LOCKED.value, record_json=record_bytes.decode("utf-8"),
            record_sha256=sha256_hex(record_bytes), salt=secrets.token_hex(32), pdf=pdf, pdf_sha256=sha256_hex(pdf),
            created_at=now,
        )  # fmt: skip
        session.add(row)
        session.flush()
        record_signature(
            session, row,
            SignatureMade(Step.PRINCIPAL, staff_id, signed.pdf, signed.certificate_serial, signed.certificate_subject),
            status=Status.SIGNED_PRINCIPAL, at=now, checks=signed.checks, cert=cert,
            backend=backend_for_label(key_label), client=client, actor=actor,
        )  # fmt: skip
        year = session.execute(
            select(YearResult).where(
                YearResult.student_id == current.student_id, YearResult.class_id == current.class_id
            )
        ).scalar_one()
        year.data, year.evaluation = new.data, new.evaluation  # the register's year as the new version has it
        student = session.get(Student, current.student_id)
        for column, value in new.student_changes.items():
            setattr(student, column, value)
        promotion = new.evaluation.get("promotion") or {}  # a primary year has none (Circular 27)
        return AmendmentReport(credential_id, transcript_id, snap.version + 1, row.status, promotion)


def amend_after_summer(
    db: Database,
    documents: DocumentFactory,
    clock: Clock,
    transcript_id: str,
    results: SummerResults,
    *,
    staff_id: str,
    at: datetime,
    actor: str | None = None,
    client: str | None = None,
    authorization: BatchAuthorization | None = None,
) -> AmendmentReport:
    reason = _reason(results.reason)

    def change(snap: Snapshot) -> NewVersion:
        decision = snap.evaluation.get("promotion") or {"decision": None, "label_vi": "—", "label_en": "—"}
        if decision["decision"] not in AMENDABLE:
            raise Conflict(
                Message(
                    f"Quyết định của năm học là «{decision['label_vi']}»: không có kết quả hè nào để nhập (chỉ khi "
                    "phải kiểm tra lại hoặc rèn luyện hè).",
                    f"The year's decision is «{decision['label_en']}»: there are no summer results to enter (only "
                    "after re-assessment or summer training).",
                ),
                decision=decision["decision"],
            )
        data = {**snap.data, "reassessment": dict(results.reassessment)}
        if results.summer_conduct is not None:
            data["summer_conduct"] = results.summer_conduct
        if not data["reassessment"]:
            data.pop("reassessment")
        evaluation = explain_year(data)  # validates: a bilingual problem per bad field
        return NewVersion(data, evaluation, snap.identity, {"reason": reason, "ground": SUMMER}, {})

    return _principal_signs_new_version(
        db, documents, clock, transcript_id, change, staff_id=staff_id, at=at, actor=actor, client=client,
        authorization=authorization,
    )  # fmt: skip


def correct_transcript(
    db: Database,
    documents: DocumentFactory,
    clock: Clock,
    transcript_id: str,
    request: CorrectionRequest,
    *,
    staff_id: str,
    at: datetime,
    actor: str | None = None,
    client: str | None = None,
    authorization: BatchAuthorization | None = None,
) -> AmendmentReport:
    """A correction of an issued học bạ by the principal's decision, with its ground and evidence: the same
    grounds and fields as a diploma's (civil status: Circular 21/2019 Art. 22, applied to the học bạ's identity
    block, which must agree with the diploma). Append-only: version n+1, ledgered ``corrected``."""

    def change(snap: Snapshot) -> NewVersion:
        printed = {
            "full_name": snap.identity.full_name,
            "date_of_birth": snap.identity.date_of_birth.isoformat(),
            "place_of_birth": snap.identity.place_of_birth,
            "sex": snap.identity.sex,
            "ethnicity": snap.identity.ethnicity,
        }
        ground = validate_correction(request, printed, today=vn_date(at))
        value: Any = request.new_value.strip()
        if request.field == "full_name":
            value = display_name(value)
        elif request.field == "date_of_birth":
            value = date.fromisoformat(value)
        amends = {
            "ground": ground.value,
            "reason": CORRECTION_GROUND_LABELS[ground].vi,
            "decision": f"{request.decision_no} ({request.decision_date:%d/%m/%Y})",
            "signer": request.signer,
            "field": request.field,
            "old_value": request.old_value,
            "new_value": request.new_value.strip(),
            "evidence": [e.strip() for e in request.evidence if e.strip()],
        }
        identity = replace(snap.identity, **{request.field: value})
        return NewVersion(snap.data, snap.evaluation, identity, amends, {request.field: value})

    return _principal_signs_new_version(
        db, documents, clock, transcript_id, change, staff_id=staff_id, at=at, actor=actor, client=client,
        authorization=authorization,
    )  # fmt: skip


def seal_amendment(
    db: Database,
    documents: DocumentFactory,
    clock: Clock,
    transcript_id: str,
    *,
    staff_id: str,
    at: datetime,
    actor: str | None = None,
    client: str | None = None,
    authorization: BatchAuthorization | None = None,
) -> AmendmentReport:
    """The school's seal on the new version: issued, ledgered as ``amended`` (summer) or ``corrected``, amending
    the old version's entry, with a signed checkpoint, in one transaction."""
    with (
        _audited(db, clock, transcript_id, Step.SEAL, staff_id, client=client, actor=actor),
        db.reader() as session,
    ):
        t = session.get(Transcript, transcript_id)
        if t is None:
            raise _not_found(transcript_id)
        amends = json.loads(t.record_json).get("amends")
        if not amends or t.status != Status.SIGNED_PRINCIPAL.value:
            raise Conflict(
                Message(
                    "Chỉ đóng dấu được phiên bản mới (sau hè hoặc chỉnh sửa) đã có chữ ký của hiệu trưởng.",
                    "Only a new version (after the summer, or a correction) the principal has signed is sealed here.",
                ),
                transcript_id=transcript_id,
                status=t.status,
            )
        klass = get_class(session, t.class_id)
        staff = require_assignment(session, staff_id=staff_id, role="seal", klass=klass, on=vn_date(at))
        key_label = staff.key_label
        cert = documents.certificate(key_label, authorization)
        require_usable_certificate(session, cert, at)
        before, old_id, pdf_to_seal = t.pdf_sha256, str(amends["credential_id"]), t.pdf
        old_entry = (
            session.execute(
                select(LedgerEntry.seq)
                .where(LedgerEntry.credential_id == old_id, LedgerEntry.kind.in_(RECORD_KINDS))
                .order_by(LedgerEntry.seq.desc())
            )
            .scalars()
            .first()
        )
        # the seal's revocation data also covers the principal (a key held elsewhere: read from the PDF)
        earlier = [
            label
            for label in session.execute(
                select(Staff.key_label)
                .join(SigningEvent, SigningEvent.staff_id == Staff.id)
                .where(SigningEvent.transcript_id == transcript_id)
            ).scalars()
            if not label.startswith("external:")
        ]
    with _audited(db, clock, transcript_id, Step.SEAL, staff_id, client=client, actor=actor, cert=cert):
        (signed,) = documents.sign_many(
            Step.SEAL, key_label, [pdf_to_seal], at=at, earlier_key_labels=earlier, authorization=authorization
        )
    with db.transaction() as session:
        t = session.get(Transcript, transcript_id, with_for_update=True)
        if t is None or t.pdf_sha256 != before or t.status != Status.SIGNED_PRINCIPAL.value:
            raise Conflict(Message("Tài liệu đã bị thay đổi trong lúc ký.", "Document changed while signing."))
        now = clock.now()
        record_signature(
            session, t,
            SignatureMade(Step.SEAL, staff_id, signed.pdf, signed.certificate_serial, signed.certificate_subject),
            status=Status.ISSUED, at=now, checks=signed.checks, cert=cert, backend=backend_for_label(key_label),
            client=client, actor=actor,
        )  # fmt: skip
        t.issued_at = now
        ledger.append(
            session,
            ledger.LeafEvent(
                kind="amended" if amends.get("ground") == SUMMER else "corrected", credential_id=t.id,
                record_sha256=t.record_sha256, salt=t.salt, pdf_sha256=t.pdf_sha256, register_no=None,
                amends_seq=old_entry, time=now,
            ),
        )  # fmt: skip
        publish_in_transaction(session, documents.settings, at=now)  # signed checkpoint, same transaction
        results = json.loads(t.record_json)["results"]
        return AmendmentReport(t.id, old_id, t.version, t.status, results.get("promotion") or {})
