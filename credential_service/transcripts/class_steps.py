"""The class-level steps of issuance: lock (build the canonical records and render the PDFs), then sign —
GVCN → principal → seal, the seal also appending the ``issued`` ledger entries and a signed checkpoint.

Each step works on every transcript of the class at once and is all-or-nothing: the cryptographic work
is done first, outside the database transaction, and the results are written in one transaction that
also checks nobody changed the class meanwhile (:func:`require_unchanged`). A refusal or a crash leaves
every document exactly as it was; every signing attempt, signed or refused, goes to the audit trail.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.documents.factory import DocumentFactory, SignedStep
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message, SogocError
from credential_service.signers.audit_trail import audit_row, refusal_reason
from credential_service.signers.certificates import backend_for_label, require_usable_certificate
from credential_service.staff.authz import in_force, require_assignment
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts.class_views import class_rows, get_class
from credential_service.transcripts.level_book import CONTINUED, continuation, continued_entry, require_book_heads
from credential_service.transcripts.record import (
    ClassContext,
    StudentIdentity,
    build_transcript_record,
    with_earlier_years,
)
from credential_service.transcripts.signing_profile import profile
from credential_service.transcripts.tables import SchoolClass, SigningEvent, Transcript
from credential_service.transcripts.workflow import Status, Step, next_status


@dataclass(frozen=True)
class StepReport:
    class_id: str
    step: str
    status: str
    transcripts: int


def require_unchanged(klass: SchoolClass, expected_status: str) -> None:
    """Refuse to write a step's results if someone else moved the class on meanwhile."""
    if klass.status != expected_status:
        raise Conflict(
            Message(
                "Lớp vừa được người khác thay đổi trạng thái; vui lòng tải lại và thử lại.",
                "The class changed state meanwhile; reload and try again.",
            )
        )


def lock_class(db: Database, documents: DocumentFactory, clock: Clock, class_id: str, issued_on: date) -> StepReport:
    """Lock the class: one canonical record and one rendered (unsigned) PDF per student."""
    with db.reader() as session:
        klass = get_class(session, class_id)
        next_status(klass.status, Step.LOCK)
        context = class_context(session, klass, issued_on)
        rows = class_rows(session, class_id)
        if not rows:
            raise Conflict(
                Message(
                    f"Lớp {klass.name} chưa có kết quả học tập nào; hãy nhập điểm trước khi khóa sổ.",
                    f"Class {klass.name} has no results yet; import them before locking.",
                )
            )
        # each student's book of this level, continued from its latest issued version (issue #14)
        books = {student.id: continuation(session, student, klass) for student, _result in rows}
    prepared = []
    for student, result in rows:
        credential_id = str(uuid.uuid4())
        book = books[student.id]
        version = book.version if book is not None else 1
        record = build_transcript_record(
            credential_id=credential_id,
            version=version,
            issued_on=issued_on,
            student=StudentIdentity(
                student_code=student.student_code,
                full_name=student.full_name,
                date_of_birth=student.date_of_birth,
                sex=student.sex,
                place_of_birth=student.place_of_birth,
                ethnicity=student.ethnicity,
                personal_id=student.personal_id,
                details=student.details,
            ),
            context=context,
            evaluation=result.evaluation,
            teacher_comment=result.data.get("teacher_comment"),
        )
        if book is not None:
            record = with_earlier_years(record, continues=book.continues, earlier_years=book.earlier_years)
        record_bytes = canonical_json(record)
        pdf = documents.render(record, record_bytes)
        prepared.append((student.id, credential_id, version, record_bytes, pdf))
    with db.transaction() as session:
        session.get(SchoolClass, class_id, with_for_update=True)  # PostgreSQL: one concurrent lock wins
        klass = get_class(session, class_id)
        klass.status = next_status(klass.status, Step.LOCK).value
        now = clock.now()
        for student_id, credential_id, version, record_bytes, pdf in prepared:
            session.add(
                Transcript(
                    id=credential_id,
                    student_id=student_id,
                    class_id=class_id,
                    version=version,
                    status=Status.LOCKED.value,
                    record_json=record_bytes.decode("utf-8"),
                    record_sha256=sha256_hex(record_bytes),
                    salt=secrets.token_hex(32),
                    pdf=pdf,
                    pdf_sha256=sha256_hex(pdf),
                    created_at=now,
                )
            )
        return StepReport(class_id, Step.LOCK.value, klass.status, len(prepared))


def class_context(session: Session, klass: SchoolClass, on: date) -> ClassContext:
    """The school, class, homeroom teacher and principal printed on the class's transcripts on ``on``."""
    school = session.get(School, klass.school_id)
    assert school is not None

    def holder(role: str, class_scoped: bool) -> str:
        query = (
            select(Staff.full_name)
            .join(RoleAssignment, RoleAssignment.staff_id == Staff.id)
            .where(RoleAssignment.role == role, RoleAssignment.school_id == klass.school_id)
            .where(in_force(on))
        )
        if class_scoped:
            query = query.where(RoleAssignment.class_id == klass.id)
        name = session.execute(query).scalars().first()
        if name is None:
            raise Conflict(
                Message(
                    f"Lớp {klass.name} chưa có {'giáo viên chủ nhiệm' if class_scoped else 'hiệu trưởng'} "
                    "được phân công; không thể khóa sổ.",
                    f"Class {klass.name} has no assigned {'homeroom teacher' if class_scoped else 'principal'}; "
                    "cannot lock.",
                )
            )
        return name

    return ClassContext(
        school_code=school.code,
        school_name=school.name,
        province=school.province,
        school_year=klass.school_year,
        class_name=klass.name,
        grade=klass.grade,
        homeroom_teacher=holder("gvcn", True),
        principal=holder("principal", False),
        programme=klass.programme or "GDPT",
    )


def sign_class(
    db: Database,
    documents: DocumentFactory,
    clock: Clock,
    class_id: str,
    step: Step,
    *,
    staff_id: str,
    at: datetime,
    client: str | None = None,
    actor: str | None = None,
    authorization: BatchAuthorization | None = None,
) -> StepReport:
    """Run one signing step over the whole class, all or nothing; every attempt goes to the audit trail."""
    seen: dict[str, Any] = {}
    try:
        return _sign_class(
            db, documents, clock, class_id, step, staff_id=staff_id, at=at, client=client, actor=actor, seen=seen,
            authorization=authorization,
        )  # fmt: skip
    except SogocError as e:
        with db.transaction() as session:
            for document_id in seen.get("documents") or [None]:
                session.add(
                    audit_row(
                        operation="transcript-step",
                        outcome="refused",
                        document_kind="transcript",
                        document_id=document_id,
                        staff_id=staff_id,
                        at=clock.now(),
                        step=step.value,
                        cert=seen.get("cert"),
                        backend=seen.get("backend"),
                        client=client,
                        actor=actor,
                        reason=refusal_reason(e),
                        message=e.message,
                        checks=getattr(e, "extra", {}).get("checks"),
                    )
                )
        raise


def _sign_class(
    db: Database,
    documents: DocumentFactory,
    clock: Clock,
    class_id: str,
    step: Step,
    *,
    staff_id: str,
    at: datetime,
    client: str | None,
    actor: str | None,
    seen: dict[str, Any],
    authorization: BatchAuthorization | None = None,
) -> StepReport:
    role = profile(step).role
    with db.reader() as session:
        klass = get_class(session, class_id)
        transcripts = list(
            session.execute(select(Transcript).where(Transcript.class_id == class_id).order_by(Transcript.id)).scalars()
        )
        seen["documents"] = [t.id for t in transcripts]
        next_status(klass.status, step)
        staff = require_assignment(session, staff_id=staff_id, role=role, klass=klass, on=vn_date(at))
        key_label = staff.key_label
        seen["backend"] = backend_for_label(key_label)
        cert = documents.certificate(key_label, authorization)
        seen["cert"] = cert
        require_usable_certificate(session, cert, at)  # revoked or compromised in the signer registry
        class_status = klass.status
        earlier_labels: list[str] = []
        if step == Step.SEAL:  # the seal's revocation data also covers the earlier signers
            require_book_heads(session, transcripts)  # the books continued are still where the lock found them
            earlier_labels = list(
                session.execute(
                    select(Staff.key_label)
                    .join(SigningEvent, SigningEvent.staff_id == Staff.id)
                    .join(Transcript, Transcript.id == SigningEvent.transcript_id)
                    .where(Transcript.class_id == class_id)
                    .distinct()
                ).scalars()
            )
            if any(label.startswith("external:") for label in earlier_labels):
                # a key held at the signer's computer is not here: read the signers' certificates
                # from the documents themselves
                earlier_labels = []
    # Crypto outside the transaction; a refusal raises before anything is written.
    results: list[SignedStep] = documents.sign_many(
        step,
        key_label,
        [t.pdf for t in transcripts],
        at=at,
        earlier_key_labels=earlier_labels,
        authorization=authorization,
    )
    signed = list(zip(transcripts, results, strict=True))
    with db.transaction() as session:
        # PostgreSQL: lock the class row, so a concurrent batch of the same step waits here and then sees
        # the new status (409) instead of writing its results too (SQLite: the write lock already does)
        session.get(SchoolClass, class_id, with_for_update=True)
        klass = get_class(session, class_id)
        require_unchanged(klass, class_status)
        after = next_status(klass.status, step)
        klass.status = after.value
        now = clock.now()
        by_id = {t.id: t for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()}
        events = []
        for original, result in signed:
            t = by_id[original.id]
            if t.pdf_sha256 != original.pdf_sha256:
                raise Conflict(Message("Tài liệu đã bị thay đổi trong lúc ký.", "Document changed while signing."))
            record_signature(
                session,
                t,
                SignatureMade(step, staff_id, result.pdf, result.certificate_serial, result.certificate_subject),
                status=after,
                at=now,
                checks=result.checks,
                cert=cert,
                backend=seen.get("backend"),
                client=client,
                actor=actor,
            )
            if after == Status.ISSUED:
                t.issued_at = now
                continued = continued_entry(session, t.record_json)  # a book's new year links the year before
                events.append(
                    ledger.LeafEvent(
                        kind="issued" if continued is None else CONTINUED,
                        credential_id=t.id,
                        record_sha256=t.record_sha256,
                        salt=t.salt,
                        pdf_sha256=t.pdf_sha256,
                        register_no=None,
                        amends_seq=continued,
                        time=now,
                    )
                )
        if events:
            ledger.append_many(session, events)
            publish_in_transaction(session, documents.settings, at=now)  # signed checkpoint, same transaction
        return StepReport(class_id, step.value, after.value, len(signed))


@dataclass(frozen=True)
class SignatureMade:
    """A signature just made on one transcript: the step, whose, the signed PDF and the certificate."""

    step: Step
    staff_id: str
    pdf: bytes
    certificate_serial: str
    certificate_subject: str


def record_signature(
    session: Session,
    t: Transcript,
    made: SignatureMade,
    *,
    status: Status,
    at: datetime,
    checks: dict[str, Any],
    cert: asn1_x509.Certificate | None,
    backend: str | None,
    client: str | None,
    actor: str | None = None,
) -> None:
    """Record one signature on a transcript, however it was made (server key, token, CSC or the signer's
    computer): the signing event, the audit row, and the transcript's new PDF and status."""
    pdf_sha256 = hashlib.sha256(made.pdf).hexdigest()
    session.add(
        SigningEvent(
            id=str(uuid.uuid4()),
            transcript_id=t.id,
            step=made.step.value,
            staff_id=made.staff_id,
            certificate_serial=made.certificate_serial,
            certificate_subject=made.certificate_subject,
            checks=checks,
            pdf_sha256_before=t.pdf_sha256,
            pdf_sha256_after=pdf_sha256,
            signed_at=at,
        )
    )
    session.add(
        audit_row(
            operation="transcript-step",
            outcome="signed",
            document_kind="transcript",
            document_id=t.id,
            revision=t.version,
            staff_id=made.staff_id,
            at=at,
            step=made.step.value,
            cert=cert,
            backend=backend,
            client=client,
            actor=actor,
            checks=checks,
        )
    )
    t.pdf = made.pdf
    t.pdf_sha256 = pdf_sha256
    t.status = status.value
