"""Transcript issuance: import → lock (record + render) → GVCN → principal → seal and ledger.

Each class-level step works on every transcript of the class at once and is all-or-nothing:
the cryptographic work is done first, outside the database transaction, and the results are
written in one transaction that also checks nobody changed the class meanwhile. A refusal or a
crash leaves every document exactly as it was.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.documents.factory import DocumentFactory, SignedStep
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message, NotFound, SogocError
from credential_service.signers.service import audit_row, backend_for_label, refusal_reason, require_usable_certificate
from credential_service.staff.authz import require_assignment
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts.import_rules import StudentYear
from credential_service.transcripts.record import ClassContext, StudentIdentity, build_transcript_record
from credential_service.transcripts.rules_explain import explain_year
from credential_service.transcripts.tables import (
    ImportBatch,
    SchoolClass,
    SigningEvent,
    Student,
    Transcript,
    YearResult,
)
from credential_service.transcripts.workflow import Status, Step, next_status
from credential_service.transcripts.year_input import year_input_to_json

STEP_ROLE = {Step.GVCN: "gvcn", Step.PRINCIPAL: "principal", Step.SEAL: "seal"}


@dataclass(frozen=True)
class ImportReport:
    class_id: str
    students: int
    created: int
    updated: int
    unchanged: bool  # True when the same file had been imported already


@dataclass(frozen=True)
class StepReport:
    class_id: str
    step: str
    status: str
    transcripts: int


def _new_id() -> str:
    return str(uuid.uuid4())


def require_unchanged(klass: SchoolClass, expected_status: str) -> None:
    """Refuse to write a step's results if someone else moved the class on meanwhile."""
    if klass.status != expected_status:
        raise Conflict(
            Message(
                "Lớp vừa được người khác thay đổi trạng thái; vui lòng tải lại và thử lại.",
                "The class changed state meanwhile; reload and try again.",
            )
        )


def _class_rows(session: Session, class_id: str) -> list[tuple[Student, YearResult]]:
    """The class's students with their year results, in student-code order."""
    rows = session.execute(
        select(Student, YearResult)
        .join(YearResult, YearResult.student_id == Student.id)
        .where(YearResult.class_id == class_id)
        .order_by(Student.student_code)
    ).all()
    return [(student, result) for student, result in rows]


class TranscriptService:
    def __init__(self, db: Database, documents: DocumentFactory, *, clock: Clock | None = None) -> None:
        self.db = db
        self.documents = documents
        self.clock = clock or SystemClock()

    # -- reading -------------------------------------------------------------------------
    def get_class(self, session: Session, class_id: str) -> SchoolClass:
        klass = session.get(SchoolClass, class_id)
        if klass is None:
            raise NotFound(Message(f"Không có lớp mã {class_id}.", f"No class with id {class_id}."))
        return klass

    def find_class(self, school_code: str, class_name: str, school_year: str) -> SchoolClass:
        with self.db.reader() as session:
            row = session.execute(
                select(SchoolClass)
                .join(School, School.id == SchoolClass.school_id)
                .where(
                    School.code == school_code,
                    SchoolClass.name == class_name,
                    SchoolClass.school_year == school_year,
                )
            ).scalar_one_or_none()
        if row is None:
            raise NotFound(
                Message(
                    f"Không có lớp {class_name} năm học {school_year} ở trường {school_code}.",
                    f"No class {class_name} ({school_year}) at school {school_code}.",
                )
            )
        return row

    def list_classes(self) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            rows = session.execute(
                select(SchoolClass, School)
                .join(School, School.id == SchoolClass.school_id)
                .order_by(School.code, SchoolClass.school_year, SchoolClass.name)
            ).all()
            return [
                {
                    "class_id": k.id,
                    "school_id": k.school_id,
                    "school": {"code": s.code, "name": s.name},
                    "name": k.name,
                    "grade": k.grade,
                    "school_year": k.school_year,
                    "status": k.status,
                }
                for k, s in rows
            ]

    def list_staff(self) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            staff = list(session.execute(select(Staff).order_by(Staff.full_name)).scalars())
            roles = list(session.execute(select(RoleAssignment)).scalars())
            classes = {k.id: k.name for k in session.execute(select(SchoolClass)).scalars()}
            return [
                {
                    "staff_id": s.id,
                    "full_name": s.full_name,
                    "kind": s.kind,
                    "roles": [
                        {
                            "role": r.role,
                            "class": classes.get(r.class_id) if r.class_id else None,
                            "class_id": r.class_id,
                            "valid_from": r.valid_from.isoformat(),
                            "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                        }
                        for r in roles
                        if r.staff_id == s.id
                    ],
                }
                for s in staff
            ]

    def class_overview(self, class_id: str) -> dict[str, Any]:
        with self.db.reader() as session:
            klass = self.get_class(session, class_id)
            school = session.get(School, klass.school_id)
            assert school is not None
            rows = _class_rows(session, class_id)
            transcripts = {
                t.student_id: t
                for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()
            }
            students = []
            for student, result in rows:
                ev = result.evaluation
                t = transcripts.get(student.id)
                students.append(
                    {
                        "student_id": student.id,
                        "student_code": student.student_code,
                        "full_name": student.full_name,
                        "date_of_birth": student.date_of_birth.isoformat(),
                        "learning_result": ev["learning_result"]["year"],
                        "conduct": ev["conduct"]["year"],
                        "absences": ev.get("absences"),
                        "promotion": ev["promotion"],
                        "award": ev.get("award"),
                        "subjects": ev["subjects"],
                        "transcript_id": t.id if t else None,
                        "transcript_status": t.status if t else None,
                    }
                )
            return {
                "class_id": klass.id,
                "school": {"code": school.code, "name": school.name},
                "name": klass.name,
                "grade": klass.grade,
                "school_year": klass.school_year,
                "status": klass.status,
                "students": students,
            }

    def student_year(self, class_id: str, student_id: str) -> dict[str, Any]:
        """One student's evaluated year with the rule trace (for "why Khá and not Tốt?")."""
        with self.db.reader() as session:
            klass = self.get_class(session, class_id)
            row = session.execute(
                select(Student, YearResult)
                .join(YearResult, YearResult.student_id == Student.id)
                .where(YearResult.class_id == class_id, Student.id == student_id)
            ).first()
            if row is None:
                raise NotFound(
                    Message(
                        f"Lớp {klass.name} không có học sinh mã {student_id}.",
                        f"Class {klass.name} has no student {student_id}.",
                    )
                )
            student, result = row
            return {
                "class_id": class_id,
                "class_name": klass.name,
                "school_year": klass.school_year,
                "student": {
                    "student_id": student.id,
                    "student_code": student.student_code,
                    "full_name": student.full_name,
                    "date_of_birth": student.date_of_birth.isoformat(),
                    "sex": student.sex,
                },
                "evaluation": result.evaluation,
            }

    def transcript(self, transcript_id: str) -> Transcript:
        with self.db.reader() as session:
            t = session.get(Transcript, transcript_id)
            if t is None:
                raise NotFound(
                    Message(f"Không có học bạ số mã {transcript_id}.", f"No transcript with id {transcript_id}.")
                )
            return t

    # -- import ----------------------------------------------------------------------------
    def import_results(
        self, class_id: str, students: Sequence[StudentYear], *, source_name: str, source_sha256: str
    ) -> ImportReport:
        """Store a validated class import. Re-importing the same file changes nothing."""
        with self.db.transaction() as session:
            klass = self.get_class(session, class_id)
            if klass.status != Status.DRAFT:
                next_status(klass.status, Step.LOCK)  # raises a clear workflow error
            seen = session.execute(
                select(ImportBatch).where(ImportBatch.class_id == class_id, ImportBatch.source_sha256 == source_sha256)
            ).scalar_one_or_none()
            if seen is not None:
                return ImportReport(class_id, seen.student_count, 0, 0, unchanged=True)
            created = updated = 0
            for sy in students:
                student = self._upsert_student(session, klass.school_id, sy)
                data = year_input_to_json(sy.year)
                evaluation = explain_year(data)
                existing = session.execute(
                    select(YearResult).where(YearResult.student_id == student.id, YearResult.class_id == class_id)
                ).scalar_one_or_none()
                if existing is None:
                    session.add(
                        YearResult(
                            id=_new_id(), student_id=student.id, class_id=class_id, data=data, evaluation=evaluation
                        )
                    )
                    created += 1
                elif existing.data != data:
                    existing.data = data
                    existing.evaluation = evaluation
                    updated += 1
            session.add(
                ImportBatch(
                    id=_new_id(),
                    class_id=class_id,
                    source_sha256=source_sha256,
                    source_name=source_name[:255],
                    student_count=len(students),
                    created_at=self.clock.now(),
                )
            )
            return ImportReport(class_id, len(students), created, updated, unchanged=False)

    def _upsert_student(self, session: Session, school_id: str, sy: StudentYear) -> Student:
        student = session.execute(
            select(Student).where(Student.school_id == school_id, Student.student_code == sy.code)
        ).scalar_one_or_none()
        fields = {
            "full_name": sy.full_name,
            "date_of_birth": sy.date_of_birth,
            "sex": str(sy.sex.value),
            "place_of_birth": sy.place_of_birth or None,
            "ethnicity": sy.ethnicity or None,
            "personal_id": sy.personal_id,
        }
        if student is None:
            student = Student(id=_new_id(), school_id=school_id, student_code=sy.code, **fields)
            session.add(student)
            session.flush()
        else:
            for key, value in fields.items():
                if getattr(student, key) != value:
                    setattr(student, key, value)
        return student

    # -- lock: build the canonical records and render the PDFs -------------------------------
    def lock_class(self, class_id: str, *, issued_on: date | None = None) -> StepReport:
        issued_on = issued_on or self.clock.today()
        with self.db.reader() as session:
            klass = self.get_class(session, class_id)
            next_status(klass.status, Step.LOCK)
            context = self._class_context(session, klass, issued_on)
            rows = _class_rows(session, class_id)
            if not rows:
                raise Conflict(
                    Message(
                        f"Lớp {klass.name} chưa có kết quả học tập nào; hãy nhập điểm trước khi khóa sổ.",
                        f"Class {klass.name} has no results yet; import them before locking.",
                    )
                )
        prepared = []
        for student, result in rows:
            credential_id = _new_id()
            record = build_transcript_record(
                credential_id=credential_id,
                version=1,
                issued_on=issued_on,
                student=StudentIdentity(
                    student_code=student.student_code,
                    full_name=student.full_name,
                    date_of_birth=student.date_of_birth,
                    sex=student.sex,
                    place_of_birth=student.place_of_birth,
                    ethnicity=student.ethnicity,
                    personal_id=student.personal_id,
                ),
                context=context,
                evaluation=result.evaluation,
                teacher_comment=result.data.get("teacher_comment"),
            )
            record_bytes = canonical_json(record)
            pdf = self.documents.render(record, record_bytes)
            prepared.append((student.id, credential_id, record_bytes, pdf))
        with self.db.transaction() as session:
            session.get(SchoolClass, class_id, with_for_update=True)  # PostgreSQL: one concurrent lock wins
            klass = self.get_class(session, class_id)
            klass.status = next_status(klass.status, Step.LOCK).value
            now = self.clock.now()
            for student_id, credential_id, record_bytes, pdf in prepared:
                session.add(
                    Transcript(
                        id=credential_id,
                        student_id=student_id,
                        class_id=class_id,
                        version=1,
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

    def _class_context(self, session: Session, klass: SchoolClass, on: date) -> ClassContext:
        school = session.get(School, klass.school_id)
        assert school is not None

        def holder(role: str, class_scoped: bool) -> str:
            query = (
                select(Staff.full_name)
                .join(RoleAssignment, RoleAssignment.staff_id == Staff.id)
                .where(RoleAssignment.role == role, RoleAssignment.school_id == klass.school_id)
                .where(RoleAssignment.valid_from <= on)
                .where((RoleAssignment.valid_to.is_(None)) | (RoleAssignment.valid_to >= on))
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
        )

    # -- signing steps --------------------------------------------------------------------
    def sign_class(
        self,
        class_id: str,
        step: Step,
        *,
        staff_id: str,
        at: datetime | None = None,
        client: str | None = None,
        actor: str | None = None,
        authorization: BatchAuthorization | None = None,
    ) -> StepReport:
        """Run one signing step over the whole class, all or nothing; every attempt goes to the audit trail."""
        at = at or self.clock.now()
        seen: dict[str, Any] = {}
        try:
            return self._sign_class(
                class_id, step, staff_id=staff_id, at=at, client=client, actor=actor, seen=seen,
                authorization=authorization,
            )  # fmt: skip
        except SogocError as e:
            with self.db.transaction() as session:
                for document_id in seen.get("documents") or [None]:
                    session.add(
                        audit_row(
                            operation="transcript-step",
                            outcome="refused",
                            document_kind="transcript",
                            document_id=document_id,
                            staff_id=staff_id,
                            at=self.clock.now(),
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
        self,
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
        role = STEP_ROLE[step]
        with self.db.reader() as session:
            klass = self.get_class(session, class_id)
            transcripts = list(
                session.execute(
                    select(Transcript).where(Transcript.class_id == class_id).order_by(Transcript.id)
                ).scalars()
            )
            seen["documents"] = [t.id for t in transcripts]
            next_status(klass.status, step)
            staff = require_assignment(session, staff_id=staff_id, role=role, klass=klass, on=vn_date(at))
            key_label = staff.key_label
            seen["backend"] = backend_for_label(key_label)
            cert = self.documents.certificate(key_label, authorization)
            seen["cert"] = cert
            require_usable_certificate(session, cert, at)  # revoked or compromised in the signer registry
            class_status = klass.status
            earlier_labels: list[str] = []
            if step == Step.SEAL:  # the seal's revocation data also covers the earlier signers
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
        results: list[SignedStep] = self.documents.sign_many(
            step,
            key_label,
            [t.pdf for t in transcripts],
            at=at,
            earlier_key_labels=earlier_labels,
            authorization=authorization,
        )
        signed = list(zip(transcripts, results, strict=True))
        with self.db.transaction() as session:
            # PostgreSQL: lock the class row, so a concurrent batch of the same step waits here and then sees
            # the new status (409) instead of writing its results too (SQLite: the write lock already does)
            session.get(SchoolClass, class_id, with_for_update=True)
            klass = self.get_class(session, class_id)
            require_unchanged(klass, class_status)
            after = next_status(klass.status, step)
            klass.status = after.value
            now = self.clock.now()
            by_id = {
                t.id: t for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()
            }
            events = []
            for original, result in signed:
                t = by_id[original.id]
                if t.pdf_sha256 != original.pdf_sha256:
                    raise Conflict(Message("Tài liệu đã bị thay đổi trong lúc ký.", "Document changed while signing."))
                session.add(
                    SigningEvent(
                        id=_new_id(),
                        transcript_id=t.id,
                        step=step.value,
                        staff_id=staff_id,
                        certificate_serial=result.certificate_serial,
                        certificate_subject=result.certificate_subject,
                        checks=result.checks,
                        pdf_sha256_before=t.pdf_sha256,
                        pdf_sha256_after=hashlib.sha256(result.pdf).hexdigest(),
                        signed_at=now,
                    )
                )
                session.add(
                    audit_row(
                        operation="transcript-step",
                        outcome="signed",
                        document_kind="transcript",
                        document_id=t.id,
                        revision=t.version,
                        staff_id=staff_id,
                        at=now,
                        step=step.value,
                        cert=cert,
                        backend=seen.get("backend"),
                        client=client,
                        actor=actor,
                        checks=result.checks,
                    )
                )
                t.pdf = result.pdf
                t.pdf_sha256 = hashlib.sha256(result.pdf).hexdigest()
                t.status = after.value
                if after == Status.ISSUED:
                    t.issued_at = now
                    events.append(
                        ledger.LeafEvent(
                            kind="issued",
                            credential_id=t.id,
                            record_sha256=t.record_sha256,
                            salt=t.salt,
                            pdf_sha256=t.pdf_sha256,
                            register_no=None,
                            amends_seq=None,
                            time=now,
                        )
                    )
            if events:
                ledger.append_many(session, events)
                publish_in_transaction(session, self.documents.settings, at=now)  # signed checkpoint, same transaction
            return StepReport(class_id, step.value, after.value, len(signed))
