"""Staff reads of a person's records go to the access log the holder sees ("who looked at my records").

The guard (``staff/access.py``) calls this for the policies that show personal data; the entry names the
person who read (from their session), what (the record) and why (the policy's purpose).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from credential_service.diplomas.tables import Diploma
from credential_service.holders.access_log import LogEvent, append_log
from credential_service.holders.identity_rules import IdentifierKind
from credential_service.holders.tables import DiplomaPerson, PersonIdentifier, StudentPerson
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.transcripts.tables import Transcript, YearResult

STAFF_READ = "staff_read"


def log_staff_reads(
    db: Database,
    clock: Clock,
    *,
    actor: str,
    purpose: str,
    class_id: str | None = None,
    student_ids: Sequence[str] = (),
    transcript_ids: Sequence[str] = (),
    diploma_ids: Sequence[str] = (),
) -> int:
    """One entry per person whose record was shown; returns how many were written."""
    with db.transaction() as session:
        students = list(student_ids)
        if class_id is not None:
            students += list(
                session.execute(select(YearResult.student_id).where(YearResult.class_id == class_id)).scalars()
            )
        credential_of: dict[str, str | None] = dict.fromkeys(students)
        for tid, sid in session.execute(
            select(Transcript.id, Transcript.student_id).where(Transcript.id.in_(list(transcript_ids)))
        ).all():
            credential_of[sid] = tid
        people = dict(
            session.execute(
                select(StudentPerson.student_id, StudentPerson.person_id).where(
                    StudentPerson.student_id.in_(list(credential_of))
                )
            ).all()
        )

        def read(person_id: str | None, credential_id: str | None) -> LogEvent:
            return LogEvent(
                event=STAFF_READ,
                actor_kind="staff",
                actor_name=actor,
                result="shown",
                person_id=person_id,
                credential_id=credential_id,
                purpose=purpose,
            )

        events = [read(people.get(sid), credential_of[sid]) for sid in credential_of]
        if diploma_ids:
            holders = dict(
                session.execute(
                    select(DiplomaPerson.diploma_id, DiplomaPerson.person_id).where(
                        DiplomaPerson.diploma_id.in_(list(diploma_ids))
                    )
                ).all()
            )
            known = set(session.execute(select(Diploma.id).where(Diploma.id.in_(list(diploma_ids)))).scalars())
            events += [read(holders.get(d), d) for d in diploma_ids if d in known]
        return append_log(session, events, at=clock.now())


def log_staff_reads_of_people(
    db: Database, clock: Clock, *, actor: str, purpose: str, personal_ids: Sequence[str]
) -> int:
    """One entry per personal ID whose record a staff member was shown (e.g. an admissions applicant's page),
    in the log of the person who holds that ID (``person_id`` left empty while no person is known yet)."""
    with db.transaction() as session:
        known = dict(
            session.execute(
                select(PersonIdentifier.value, PersonIdentifier.person_id).where(
                    PersonIdentifier.kind == IdentifierKind.PIN.value, PersonIdentifier.value.in_(list(personal_ids))
                )
            ).all()
        )
        events = [
            LogEvent(event=STAFF_READ, actor_kind="staff", actor_name=actor, result="shown",
                     person_id=known.get(pin), purpose=purpose)
            for pin in personal_ids
        ]  # fmt: skip
        return append_log(session, events, at=clock.now())
