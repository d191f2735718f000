"""One học bạ per level (issue #14): a school year continues the student's book of its level.

The paper học bạ is one book per level (primary 1–5, THCS 6–9, THPT 10–12): the years accumulate in it, and a
transfer continues it at the new school. Here each school year issues **a new version of the book that contains
the earlier years**: when a class is locked, each student's book head is found — the latest issued, not
superseded, version of the same level for an earlier school year, at this school or at another one (the same
person: the same student record, the holders service's person link, or the same personal ID number with the same
date of birth and name) — and the new record carries the head's years exactly as they were signed
(:func:`record.earlier_years_of`: results, school, class, the version each came from, its record hash, and who
signed it with which certificate), and names the version it continues (``continues``).

Each version is then a complete PAdES document, signed GVCN → principal → seal like any year, verifiable alone;
the earlier years' signatures stay valid on the earlier versions (which read ``superseded`` by the book's new
version) and are carried as signed facts in the new record. The seal appends a ``continued`` ledger entry that
amends the head's entry, so the two entries are linked, across schools too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.holders.tables import StudentPerson
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.errors import Conflict, Message
from credential_service.staff.tables import Staff
from credential_service.transcripts.record import LEVELS, YearSigner, earlier_years_of, level_of_grade
from credential_service.transcripts.tables import SchoolClass, SigningEvent, Student, Transcript
from credential_service.transcripts.workflow import Status

# the ledger entries that commit to a transcript's record, and those that replace the version they amend
RECORD_KINDS = ("issued", "amended", "corrected", "continued")
REPLACING_KINDS = ("amended", "corrected", "continued")
CONTINUED = "continued"
_STEP_ORDER = {"gvcn": 0, "principal": 1, "seal": 2}


@dataclass(frozen=True)
class Continuation:
    """What a new year's record takes from the book it continues."""

    version: int  # the new version's number: the head's + 1
    continues: dict[str, Any]
    earlier_years: list[dict[str, Any]]


def same_person(session: Session, student: Student) -> set[str]:
    """The student records (at any school) of the person behind ``student``."""
    ids = {student.id}
    link = session.get(StudentPerson, student.id)
    if link is not None:
        ids |= set(
            session.execute(select(StudentPerson.student_id).where(StudentPerson.person_id == link.person_id)).scalars()
        )
    if student.personal_id:  # the same number, birth date and name: a transfer not yet linked by the holders service
        candidates = session.execute(
            select(Student).where(
                Student.personal_id == student.personal_id, Student.date_of_birth == student.date_of_birth
            )
        ).scalars()
        ids |= {s.id for s in candidates if s.full_name.casefold() == student.full_name.casefold()}
    return ids


def record_entry_seq(session: Session, credential_id: str) -> int | None:
    """The ledger entry that commits to a transcript version's record (None when it is not ledgered)."""
    return session.execute(
        select(func.min(LedgerEntry.seq)).where(
            LedgerEntry.credential_id == credential_id, LedgerEntry.kind.in_(RECORD_KINDS)
        )
    ).scalar_one_or_none()


def _replaced(session: Session, credential_id: str) -> bool:
    seq = record_entry_seq(session, credential_id)
    if seq is None:
        return True  # issued in the register but not in the ledger: not a version to continue
    hit = session.execute(
        select(LedgerEntry.seq).where(LedgerEntry.amends_seq == seq, LedgerEntry.kind.in_(REPLACING_KINDS)).limit(1)
    ).first()
    return hit is not None


def book_head(session: Session, student: Student, klass: SchoolClass) -> Transcript | None:
    """The latest issued, not superseded, version of the student's book of ``klass``'s level, for an earlier
    school year; None when this year starts the book."""
    level = level_of_grade(klass.grade)
    if level is None:
        return None
    rows = session.execute(
        select(Transcript, SchoolClass.school_year)
        .join(SchoolClass, SchoolClass.id == Transcript.class_id)
        .where(
            Transcript.student_id.in_(sorted(same_person(session, student))),
            Transcript.status == Status.ISSUED.value,
            SchoolClass.grade.in_(LEVELS[level]),
            SchoolClass.school_year < klass.school_year,
        )
    ).all()
    ordered = sorted(rows, key=lambda r: (r[1], r[0].version, r[0].issued_at or r[0].created_at), reverse=True)
    return next((t for t, _year in ordered if not _replaced(session, t.id)), None)


def signers_of(session: Session, transcript_id: str) -> list[YearSigner]:
    """Who signed a transcript version: each signing event's step, the signer's name and certificate."""
    rows = list(
        session.execute(
            select(SigningEvent, Staff.full_name)
            .join(Staff, Staff.id == SigningEvent.staff_id)
            .where(SigningEvent.transcript_id == transcript_id)
        ).all()
    )
    rows.sort(key=lambda r: (r[0].signed_at, _STEP_ORDER.get(r[0].step, 9)))
    return [
        YearSigner(
            step=e.step,
            full_name=name,
            certificate_serial=e.certificate_serial,
            certificate_subject=e.certificate_subject,
            signed_at=e.signed_at.isoformat(timespec="seconds"),
        )
        for e, name in rows
    ]


def continuation(session: Session, student: Student, klass: SchoolClass) -> Continuation | None:
    """The book this year continues, as the new record carries it; None when the year starts a book."""
    head = book_head(session, student, klass)
    if head is None:
        return None
    record = json.loads(head.record_json)
    school = record.get("school") or {}
    years = earlier_years_of(
        record,
        credential_id=head.id,
        version=head.version,
        record_sha256=head.record_sha256,
        signers=signers_of(session, head.id),
    )
    continues = {"credential_id": head.id, "version": head.version, "school_code": school.get("code")}
    return Continuation(head.version + 1, continues, years)


def continued_entry(session: Session, record_json: str) -> int | None:
    """For a version that continues a book: the ledger entry of the version it continues (its seal links it)."""
    continues = json.loads(record_json).get("continues")
    if not isinstance(continues, dict) or not continues.get("credential_id"):
        return None
    return record_entry_seq(session, str(continues["credential_id"]))


def carry_book(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A new version of a book's year (after the summer, or a correction) keeps the book's earlier years and the
    version the year continued, exactly as the version it replaces has them."""
    kept: dict[str, Any] = {k: old[k] for k in ("continues", "earlier_years") if k in old}
    return {**new, **kept}


def continued_by(session: Session, credential_id: str) -> str | None:
    """The book's version that continues this one in the next school year, if any."""
    seq = record_entry_seq(session, credential_id)
    if seq is None:
        return None
    return session.execute(
        select(LedgerEntry.credential_id).where(LedgerEntry.amends_seq == seq, LedgerEntry.kind == CONTINUED).limit(1)
    ).scalar_one_or_none()


def require_book_heads(session: Session, transcripts: list[Transcript]) -> None:
    """Before the seal: each book a transcript continues still ends at the version it continues (nobody issued a
    new version of that year since the class was locked); else the seal would fork the book."""
    for t in transcripts:
        continues = json.loads(t.record_json).get("continues") or {}
        if continues.get("credential_id") and _replaced(session, str(continues["credential_id"])):
            raise Conflict(
                Message(
                    f"Học bạ {continues['credential_id']} (phiên bản {continues.get('version')}) mà năm học này tiếp "
                    "nối đã có phiên bản mới sau khi lớp được khóa sổ; không đóng dấu được. Hãy liên hệ quản trị "
                    "để khóa sổ lại lớp.",
                    f"The học bạ {continues['credential_id']} (version {continues.get('version')}) this year "
                    "continues has had a new version since the class was locked; not sealed. Ask the administrator "
                    "to lock the class again.",
                ),
                transcript_id=t.id,
            )


def refuse_if_continued(session: Session, credential_id: str) -> None:
    """A year the book has moved on from is not amended (that would fork the book): the book's latest version is."""
    newer = continued_by(session, credential_id)
    if newer is not None:
        raise Conflict(
            Message(
                f"Học bạ đã được tiếp nối ở năm học sau (phiên bản {newer}); hãy làm phiên bản mới từ phiên bản mới "
                "nhất của học bạ.",
                f"The học bạ continues in a later school year (version {newer}); make the new version from the "
                "book's latest version.",
            ),
            transcript_id=credential_id,
            continued_by=newer,
        )
