"""A new version of one issued học bạ after the summer: re-assessment scores and summer conduct training.

Circular 22/2021 Art. 13-14: a student whose year learning result is Chưa đạt is re-assessed in July, and one
whose year conduct is Chưa đạt does summer training; the promotion decision is then made again. The year was
already signed and issued, so the result is a **new version** of the học bạ, never an edit of the old one:

1. :func:`amend_after_summer` — the principal enters the results; the year is evaluated again with its trace
   (``rules_explain``), the register's year result is updated, and version n+1 is built (its record names the
   version it amends and why), rendered and signed by the principal, with the principal's fresh confirmation
   taken by the route. Status ``signed_principal``.
2. :func:`seal_amendment` — the school's seal, as for every issued học bạ (timestamp and LTV data). Status
   ``issued``; the ledger gets an ``amended`` entry that amends the old version's entry, so the old version
   reads ``superseded`` by the new one everywhere (status endpoint, verify page, ``sogoc verify``).

The new version carries the principal's and the seal's signatures (``signing_profile.AMENDMENT_FIELDS``): the
homeroom teacher signed the year as it was; the changed decision is the principal's. Each step is all or
nothing, like the class steps: the crypto first, then one transaction that checks nothing changed meanwhile.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.documents.factory import DocumentFactory
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem
from credential_service.signers.certificates import backend_for_label, require_usable_certificate
from credential_service.staff.authz import require_assignment
from credential_service.staff.tables import Staff
from credential_service.transcripts.class_steps import SignatureMade, class_context, record_signature
from credential_service.transcripts.class_views import get_class
from credential_service.transcripts.grading_promotion import PromotionDecision
from credential_service.transcripts.record import StudentIdentity, build_transcript_record
from credential_service.transcripts.rules_explain import explain_year
from credential_service.transcripts.tables import SigningEvent, Student, Transcript, YearResult
from credential_service.transcripts.workflow import Status, Step

# The decisions that summer results can change (TT22 Art. 13: summer training; Art. 14: re-assessment).
AMENDABLE = {PromotionDecision.CAN_DANH_GIA_LAI.value, PromotionDecision.CAN_REN_LUYEN_HE.value}
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
    reason = " ".join(results.reason.split())
    if not reason or len(reason) > REASON_MAX:
        msg = Message(f"Cần lý do (tối đa {REASON_MAX} ký tự).", f"A reason is needed (at most {REASON_MAX} chars).")
        raise InvalidInput(msg, problems=[Problem(msg, {"field": "reason"})])
    with db.reader() as session:
        old = session.get(Transcript, transcript_id)
        if old is None:
            raise _not_found(transcript_id)
        if old.status != Status.ISSUED.value or _latest(session, old).id != old.id:
            raise Conflict(
                Message(
                    "Chỉ sửa sau hè được phiên bản mới nhất đã phát hành của học bạ.",
                    "Only the latest issued version of a transcript can be amended after the summer.",
                ),
                transcript_id=transcript_id,
            )
        klass = get_class(session, old.class_id)
        student = session.get(Student, old.student_id)
        year_result = session.execute(
            select(YearResult).where(YearResult.student_id == old.student_id, YearResult.class_id == old.class_id)
        ).scalar_one()
        assert student is not None
        decision = year_result.evaluation["promotion"]["decision"]
        if decision not in AMENDABLE:
            raise Conflict(
                Message(
                    f"Quyết định của năm học là «{year_result.evaluation['promotion']['label_vi']}»: không có kết "
                    "quả hè nào để nhập (chỉ khi phải kiểm tra lại hoặc rèn luyện hè).",
                    f"The year's decision is «{year_result.evaluation['promotion']['label_en']}»: there are no "
                    "summer results to enter (only after re-assessment or summer training).",
                ),
                decision=decision,
            )
        day = vn_date(at)
        staff = require_assignment(session, staff_id=staff_id, role="principal", klass=klass, on=day)
        key_label = staff.key_label
        context = class_context(session, klass, day)
        cert = documents.certificate(key_label, authorization)
        require_usable_certificate(session, cert, at)
        old_version, old_record_sha, base_data = old.version, old.record_sha256, dict(year_result.data)
        identity = StudentIdentity(
            student_code=student.student_code, full_name=student.full_name, date_of_birth=student.date_of_birth,
            sex=student.sex, place_of_birth=student.place_of_birth, ethnicity=student.ethnicity,
            personal_id=student.personal_id, details=student.details,
        )  # fmt: skip
    data = {**base_data, "reassessment": dict(results.reassessment)}
    if results.summer_conduct is not None:
        data["summer_conduct"] = results.summer_conduct
    if not data["reassessment"]:
        data.pop("reassessment")
    evaluation = explain_year(data)  # validates: a bilingual problem per bad field
    credential_id = str(uuid.uuid4())
    record = build_transcript_record(
        credential_id=credential_id, version=old_version + 1, issued_on=day, student=identity, context=context,
        evaluation=evaluation, teacher_comment=data.get("teacher_comment"),
    )  # fmt: skip
    record["amends"] = {"credential_id": transcript_id, "version": old_version, "reason": reason, "ground": "summer"}
    record_bytes = canonical_json(record)
    pdf = documents.render(record, record_bytes)
    (signed,) = documents.sign_many(Step.PRINCIPAL, key_label, [pdf], at=at, authorization=authorization)
    with db.transaction() as session:
        old = session.get(Transcript, transcript_id, with_for_update=True)
        if old is None or old.record_sha256 != old_record_sha or _latest(session, old).id != old.id:
            raise Conflict(Message("Học bạ vừa được thay đổi; hãy thử lại.", "The transcript just changed; retry."))
        now = clock.now()
        new = Transcript(
            id=credential_id, student_id=old.student_id, class_id=old.class_id, version=old_version + 1,
            status=Status.LOCKED.value, record_json=record_bytes.decode("utf-8"),
            record_sha256=sha256_hex(record_bytes), salt=secrets.token_hex(32), pdf=pdf, pdf_sha256=sha256_hex(pdf),
            created_at=now,
        )  # fmt: skip
        session.add(new)
        session.flush()
        record_signature(
            session, new,
            SignatureMade(Step.PRINCIPAL, staff_id, signed.pdf, signed.certificate_serial, signed.certificate_subject),
            status=Status.SIGNED_PRINCIPAL, at=now, checks=signed.checks, cert=cert,
            backend=backend_for_label(key_label), client=client, actor=actor,
        )  # fmt: skip
        row = session.execute(
            select(YearResult).where(YearResult.student_id == old.student_id, YearResult.class_id == old.class_id)
        ).scalar_one()
        row.data, row.evaluation = data, evaluation  # the register's year now holds the summer results
        return AmendmentReport(credential_id, transcript_id, old_version + 1, new.status, evaluation["promotion"])


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
    """The school's seal on the new version: issued, ledgered as ``amended`` (amending the old version's
    entry) with a signed checkpoint, in one transaction."""
    with db.reader() as session:
        t = session.get(Transcript, transcript_id)
        if t is None:
            raise _not_found(transcript_id)
        amends = json.loads(t.record_json).get("amends")
        if not amends or t.status != Status.SIGNED_PRINCIPAL.value:
            raise Conflict(
                Message(
                    "Chỉ đóng dấu được phiên bản sửa sau hè đã có chữ ký của hiệu trưởng.",
                    "Only a summer amendment the principal has signed can be sealed here.",
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
                .where(LedgerEntry.credential_id == old_id, LedgerEntry.kind.in_(("issued", "amended")))
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
                kind="amended", credential_id=t.id, record_sha256=t.record_sha256, salt=t.salt,
                pdf_sha256=t.pdf_sha256, register_no=None, amends_seq=old_entry, time=now,
            ),
        )  # fmt: skip
        publish_in_transaction(session, documents.settings, at=now)  # signed checkpoint, same transaction
        results = json.loads(t.record_json)["results"]
        return AmendmentReport(t.id, old_id, t.version, t.status, results.get("promotion") or {})
