"""Where a resource named in a request path belongs (its school, class and commune), for the policies.

This reads several domains' tables, so it lives in ``app/`` (the composition root), not in ``staff/``.
An unknown id gives the city-wide place, which only Sở roles cover; the route then answers 404 to them.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select

from credential_service.diplomas.tables import Diploma, GraduationDecision
from credential_service.documents.tables import SignedDocument
from credential_service.platform.db import Database
from credential_service.platform.jobs import BatchJob
from credential_service.staff.policy import Scope
from credential_service.staff.roles import CITY, Place
from credential_service.staff.tables import School
from credential_service.transcripts.tables import SchoolClass, Transcript


def resource_place(db: Database, scope: Scope, params: Mapping[str, str]) -> Place | None:
    """The place of the resource in ``params`` for ``scope``; None when the policy has no scope."""
    if scope is Scope.NONE:
        return None
    with db.reader() as session:
        school_id: str | None = None
        class_id: str | None = None
        if scope is Scope.CLASS:
            klass = session.get(SchoolClass, params.get("class_id", ""))
            if klass is not None:
                school_id, class_id = klass.school_id, klass.id
        elif scope is Scope.TRANSCRIPT:
            row = session.execute(
                select(SchoolClass.school_id, SchoolClass.id)
                .join(Transcript, Transcript.class_id == SchoolClass.id)
                .where(Transcript.id == params.get("transcript_id", ""))
            ).first()
            if row is not None:
                school_id, class_id = row
        elif scope is Scope.DIPLOMA:
            diploma = session.get(Diploma, params.get("diploma_id", ""))
            school_id = diploma.school_id if diploma is not None else None
        elif scope is Scope.DECISION:
            decision = session.get(GraduationDecision, params.get("decision_id", ""))
            school_id = decision.school_id if decision is not None else None
        elif scope is Scope.SCHOOL:
            school_id = params.get("school_id") or None
        elif scope is Scope.JOB:
            job = session.get(BatchJob, params.get("job_id", ""))
            school_id = job.school_id if job is not None else None
        elif scope is Scope.DOCUMENT:
            document = session.get(SignedDocument, params.get("document_id", ""))
            school_id = document.school_id if document is not None else None
        if school_id is None:
            return CITY
        school = session.get(School, school_id)
        return Place(school_id=school_id, class_id=class_id, commune=school.commune if school else None)


def school_place(db: Database, school_code: str) -> Place:
    """The place of a school named by its code in a request body (unknown: the city-wide place)."""
    with db.reader() as session:
        school = session.execute(select(School).where(School.code == school_code)).scalar_one_or_none()
        return Place(school_id=school.id, commune=school.commune) if school else CITY
