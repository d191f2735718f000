"""Transcript issuance: import → lock (record + render) → GVCN → principal → seal and ledger.

The service stores a validated class import (all rows or none) and hands the rest to the module that
does it: reading classes and students (``class_views``), and the class-level steps — lock, then the
three signatures and the ledger (``class_steps``). Each step is all-or-nothing: the cryptographic work
is done first, outside the database transaction, and the results are written in one transaction that
also checks nobody changed the class meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from credential_service.diplomas.rules import CorrectionRequest
from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.documents.factory import DocumentFactory
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import Message, NotFound
from credential_service.staff.tables import School
from credential_service.transcripts import amendments, class_steps, class_views
from credential_service.transcripts.class_steps import StepReport
from credential_service.transcripts.import_rules import StudentYear
from credential_service.transcripts.import_warnings import id_number_warnings
from credential_service.transcripts.primary_year import PrimaryYearInput, primary_input_to_json
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


@dataclass(frozen=True)
class ImportReport:
    class_id: str
    students: int
    created: int
    updated: int
    unchanged: bool  # True when the same file had been imported already
    # accepted, but to check: ID numbers whose province or sex digit disagrees with the record
    warnings: tuple[dict[str, str], ...] = ()


class TranscriptService:
    def __init__(self, db: Database, documents: DocumentFactory, *, clock: Clock | None = None) -> None:
        self.db = db
        self.documents = documents
        self.clock = clock or SystemClock()

    # -- reading (see class_views) ---------------------------------------------------------
    def get_class(self, session: Session, class_id: str) -> SchoolClass:
        return class_views.get_class(session, class_id)

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
            return class_views.list_classes(session)

    def list_staff(self) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            return class_views.list_staff(session)

    def class_overview(self, class_id: str) -> dict[str, Any]:
        with self.db.reader() as session:
            return class_views.class_overview(session, class_id)

    def student_year(self, class_id: str, student_id: str) -> dict[str, Any]:
        """One student's evaluated year with the rule trace (for "why Khá and not Tốt?")."""
        with self.db.reader() as session:
            return class_views.student_year(session, class_id, student_id)

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
        warnings = tuple(w.to_json() for w in id_number_warnings(students, self.clock.today()))
        with self.db.transaction() as session:
            klass = self.get_class(session, class_id)
            if klass.status != Status.DRAFT:
                next_status(klass.status, Step.LOCK)  # raises a clear workflow error
            seen = session.execute(
                select(ImportBatch).where(ImportBatch.class_id == class_id, ImportBatch.source_sha256 == source_sha256)
            ).scalar_one_or_none()
            if seen is not None:
                return ImportReport(class_id, seen.student_count, 0, 0, unchanged=True, warnings=warnings)
            created = updated = 0
            for sy in students:
                student = self._upsert_student(session, klass.school_id, sy)
                data = (
                    primary_input_to_json(sy.year)
                    if isinstance(sy.year, PrimaryYearInput)
                    else year_input_to_json(sy.year)
                )
                evaluation = explain_year(data)
                existing = session.execute(
                    select(YearResult).where(YearResult.student_id == student.id, YearResult.class_id == class_id)
                ).scalar_one_or_none()
                if existing is None:
                    session.add(
                        YearResult(
                            id=str(uuid.uuid4()),
                            student_id=student.id,
                            class_id=class_id,
                            data=data,
                            evaluation=evaluation,
                        )
                    )
                    created += 1
                elif existing.data != data:
                    existing.data = data
                    existing.evaluation = evaluation
                    updated += 1
            session.add(
                ImportBatch(
                    id=str(uuid.uuid4()),
                    class_id=class_id,
                    source_sha256=source_sha256,
                    source_name=source_name[:255],
                    student_count=len(students),
                    created_at=self.clock.now(),
                )
            )
            return ImportReport(class_id, len(students), created, updated, unchanged=False, warnings=warnings)

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
            "details": dict(sy.details) if sy.details else None,
        }
        if student is None:
            student = Student(id=str(uuid.uuid4()), school_id=school_id, student_code=sy.code, **fields)
            session.add(student)
            session.flush()
        else:
            for key, value in fields.items():
                if getattr(student, key) != value:
                    setattr(student, key, value)
        return student

    # -- a new version after the summer (see amendments) -------------------------------------
    def amend_after_summer(
        self, transcript_id: str, results: amendments.SummerResults, *, staff_id: str, **kw: Any
    ) -> amendments.AmendmentReport:
        """Re-assessment and summer conduct results: version n+1, signed by the principal."""
        kw.setdefault("at", self.clock.now())
        return amendments.amend_after_summer(
            self.db, self.documents, self.clock, transcript_id, results, staff_id=staff_id, **kw
        )

    def correct_transcript(
        self, transcript_id: str, request: CorrectionRequest, *, staff_id: str, **kw: Any
    ) -> amendments.AmendmentReport:
        """A correction by the principal's decision (ground, evidence): version n+1, signed by the principal."""
        kw.setdefault("at", self.clock.now())
        return amendments.correct_transcript(
            self.db, self.documents, self.clock, transcript_id, request, staff_id=staff_id, **kw
        )

    def seal_amendment(self, transcript_id: str, *, staff_id: str, **kw: Any) -> amendments.AmendmentReport:
        """The school's seal on a summer amendment: issued, ledgered as ``amended``; the old version superseded."""
        kw.setdefault("at", self.clock.now())
        return amendments.seal_amendment(self.db, self.documents, self.clock, transcript_id, staff_id=staff_id, **kw)

    # -- the class-level steps (see class_steps) --------------------------------------------
    def lock_class(self, class_id: str, *, issued_on: date | None = None) -> StepReport:
        """Build the canonical records and render the PDFs of the whole class."""
        issued_on = issued_on or self.clock.today()
        return class_steps.lock_class(self.db, self.documents, self.clock, class_id, issued_on)

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
        return class_steps.sign_class(
            self.db, self.documents, self.clock, class_id, step, staff_id=staff_id, at=at or self.clock.now(),
            client=client, actor=actor, authorization=authorization,
        )  # fmt: skip

    # -- reading for the Sở's progress (reporting/service.py) -------------------------------
    def progress_facts(self, school_year: str | None = None) -> dict[str, Any]:
        """Counts straight from the register for the progress model: every school, and per class (of
        ``school_year``, or every year) its status, student-years, transcripts by status and the moment of
        its last change (import, lock or signature). No personal data."""
        year = [SchoolClass.school_year == school_year] if school_year else []
        with self.db.reader() as session:
            schools = _progress_schools(session)
            classes = _class_progress(session, year)
            years = sorted(session.execute(select(SchoolClass.school_year).distinct()).scalars())
        return {"schools": schools, "classes": classes, "school_years": years}

    def progress_schools(self) -> list[dict[str, Any]]:
        """Every school (id, code, name, commune) for the progress model."""
        with self.db.reader() as session:
            return _progress_schools(session)

    def identity_facts(self, school_year: str | None = None) -> Iterator[tuple[str, str | None, str, date, str | None]]:
        """Per student-year of ``school_year`` (or every year): (class id, personal ID number, sex, date of
        birth, place of birth), for the data-quality counts; the caller keeps only aggregates. Streamed (the
        session stays open while the caller iterates): a city is about a million rows."""
        year = [SchoolClass.school_year == school_year] if school_year else []
        with self.db.reader() as session:
            yield from _class_identities(session, year)

    # -- the same reads inside the caller's transaction, for the progress summaries that
    # -- reporting/summaries.py keeps in the transaction of each change --------------------------
    @staticmethod
    def classes_touched(session: Session) -> set[str]:
        """The classes whose progress counts the pending changes of ``session`` may move (read before a
        flush): a class itself, its results, imports and transcripts, a transcript's signatures, and a
        student's identity (every class the student is in)."""
        classes: set[str] = set()
        transcripts: set[str] = set()
        students: set[str] = set()
        for obj in (*session.new, *session.dirty, *session.deleted):
            if isinstance(obj, SchoolClass):
                classes.add(obj.id)
            elif isinstance(obj, (YearResult, ImportBatch, Transcript)):
                if obj.class_id:  # not set yet: counted once it is
                    classes.add(obj.class_id)
            elif isinstance(obj, SigningEvent):
                transcripts.add(obj.transcript_id)
            elif isinstance(obj, Student) and obj not in session.new:
                students.add(obj.id)
        known = {o.id for o in (*session.new, *session.dirty) if isinstance(o, Transcript)}
        transcripts -= known
        with session.no_autoflush:
            for ids in _chunks(sorted(transcripts)):
                classes.update(session.execute(select(Transcript.class_id).where(Transcript.id.in_(ids))).scalars())
            for ids in _chunks(sorted(students)):
                classes.update(
                    session.execute(select(YearResult.class_id).where(YearResult.student_id.in_(ids))).scalars()
                )
        return classes

    @staticmethod
    def class_progress_facts(session: Session, class_ids: Sequence[str] | None) -> list[dict[str, Any]]:
        """``progress_facts``' per-class counts of the given classes (None: every class), in ``session``."""
        if class_ids is None:
            return _class_progress(session, [])
        return [k for ids in _chunks(class_ids) for k in _class_progress(session, [SchoolClass.id.in_(ids)])]

    @staticmethod
    def class_identity_facts(
        session: Session, class_ids: Sequence[str] | None
    ) -> Iterator[tuple[str, str | None, str, date, str | None]]:
        """``identity_facts`` of the given classes (None: every class), in ``session``."""
        if class_ids is None:
            yield from _class_identities(session, [])
            return
        for ids in _chunks(class_ids):
            yield from _class_identities(session, [SchoolClass.id.in_(ids)])

    def issued_ids(self) -> list[str]:
        """Every transcript version that was ever issued (sealed), superseded or not: each has a ledger entry
        (the Sở's reconciliation of the register with the ledger)."""
        with self.db.reader() as session:
            return list(session.execute(select(Transcript.id).where(Transcript.issued_at.is_not(None))).scalars())

    # -- reading for admissions (admissions/register_reader.py, issue #15) --------------------
    def sealed_lower_secondary(self, personal_ids: Sequence[str], student_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The sealed (issued) grade 6–9 transcripts of the students stating one of ``personal_ids`` or among
        ``student_ids`` (linked to the person by the holders service): per student and class only the latest
        issued version (a new version after the summer or a correction replaces the one before). Each: its id,
        version, the student's id and stated personal ID, grade, school year, the record and its hash (for the
        caller to check against the ledger and to take only the fields it needs)."""
        if not personal_ids and not student_ids:
            return []
        with self.db.reader() as session:
            rows = session.execute(
                select(
                    Transcript.id, Transcript.version, Transcript.student_id, Transcript.class_id, Student.personal_id,
                    SchoolClass.grade, SchoolClass.school_year, Transcript.record_json, Transcript.record_sha256,
                )
                .join(Student, Student.id == Transcript.student_id)
                .join(SchoolClass, SchoolClass.id == Transcript.class_id)
                .where(
                    Transcript.status == Status.ISSUED.value,
                    SchoolClass.grade.in_([6, 7, 8, 9]),
                    or_(Student.personal_id.in_(list(personal_ids)), Transcript.student_id.in_(list(student_ids))),
                )
            ).all()  # fmt: skip
        latest: dict[tuple[str, str], Any] = {}
        for r in rows:
            key = (r.student_id, r.class_id)
            if key not in latest or r.version > latest[key].version:
                latest[key] = r
        keys = ("version", "student_id", "personal_id", "grade", "school_year", "record_json", "record_sha256")
        return [{"credential_id": r.id, **{k: getattr(r, k) for k in keys}} for _, r in sorted(latest.items())]


def _chunks(ids: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _progress_schools(session: Session) -> list[dict[str, Any]]:
    return [
        {"school_id": s.id, "code": s.code, "name": s.name, "commune": s.commune}
        for s in session.execute(select(School).order_by(School.code)).scalars()
    ]


def _class_progress(session: Session, where: list[Any]) -> list[dict[str, Any]]:
    """Per class matching ``where`` (conditions on ``SchoolClass``): status, student-years, transcripts by
    status and the moment of its last change (import, lock or signature)."""
    students: dict[str, int] = {
        cid: n
        for cid, n in session.execute(
            select(YearResult.class_id, func.count())
            .join(SchoolClass, SchoolClass.id == YearResult.class_id)
            .where(*where)
            .group_by(YearResult.class_id)
        )
    }
    by_status: dict[str, dict[str, int]] = {}
    changed: dict[str, datetime] = {}
    for cid, status, n, at in session.execute(
        select(Transcript.class_id, Transcript.status, func.count(), func.max(Transcript.created_at))
        .join(SchoolClass, SchoolClass.id == Transcript.class_id)
        .where(*where)
        .group_by(Transcript.class_id, Transcript.status)
    ):
        by_status.setdefault(cid, {})[status] = n
        changed[cid] = max(changed.get(cid, at), at)
    for cid, at in [
        *session.execute(
            select(Transcript.class_id, func.max(SigningEvent.signed_at))
            .join(Transcript, Transcript.id == SigningEvent.transcript_id)
            .join(SchoolClass, SchoolClass.id == Transcript.class_id)
            .where(*where)
            .group_by(Transcript.class_id)
        ),
        *session.execute(
            select(ImportBatch.class_id, func.max(ImportBatch.created_at))
            .join(SchoolClass, SchoolClass.id == ImportBatch.class_id)
            .where(*where)
            .group_by(ImportBatch.class_id)
        ),
    ]:
        if at is not None:
            changed[cid] = max(changed.get(cid, at), at)
    return [
        {
            "class_id": k.id,
            "school_id": k.school_id,
            "name": k.name,
            "grade": k.grade,
            "school_year": k.school_year,
            "status": k.status,
            "students": students.get(k.id, 0),
            "transcripts": by_status.get(k.id, {}),
            "last_change": changed.get(k.id),
        }
        for k in session.execute(
            select(
                SchoolClass.id,
                SchoolClass.school_id,
                SchoolClass.name,
                SchoolClass.grade,
                SchoolClass.school_year,
                SchoolClass.status,
            )
            .where(*where)
            .order_by(SchoolClass.name)
        )
    ]


def _class_identities(session: Session, where: list[Any]) -> Iterator[tuple[str, str | None, str, date, str | None]]:
    yield from session.execute(
        select(YearResult.class_id, Student.personal_id, Student.sex, Student.date_of_birth, Student.place_of_birth)
        .join(Student, Student.id == YearResult.student_id)
        .join(SchoolClass, SchoolClass.id == YearResult.class_id)
        .where(*where)
    )
