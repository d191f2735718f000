"""A school's seal as a batch job: every class the principal has signed, one job item per class.

The seal operator confirms once for the school; each class is then sealed by
:func:`~credential_service.transcripts.class_steps.sign_class` exactly as the per-class step does it: all or
nothing, with the class row locked, the ``issued`` ledger entries and a signed checkpoint in the same
transaction. That is what makes an item safe to run again after a worker dies: either the class's transaction
committed (the class is ``issued``, and the item finds it so and does nothing), or nothing of it was written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import func, select

from credential_service.documents.batch_keys import needs_authorization
from credential_service.platform.errors import Conflict, Message, SigningRefused
from credential_service.platform.jobs import JobHandler, JobItem, JobService
from credential_service.staff.policy import Actor
from credential_service.staff.service import StaffAuthService
from credential_service.staff.tables import School, Staff
from credential_service.transcripts.service import TranscriptService
from credential_service.transcripts.tables import SchoolClass, Transcript
from credential_service.transcripts.workflow import Status, Step

SEAL_CLASS = "transcripts.seal_class"


def seal_plan(service: TranscriptService, school_id: str) -> list[tuple[str, str, int]]:
    """The school's classes waiting for the seal (signed by the principal): (class id, name, transcripts)."""
    with service.db.reader() as session:
        rows = session.execute(
            select(SchoolClass.id, SchoolClass.name, func.count(Transcript.id))
            .join(Transcript, Transcript.class_id == SchoolClass.id)
            .where(SchoolClass.school_id == school_id, SchoolClass.status == Status.SIGNED_PRINCIPAL.value)
            .group_by(SchoolClass.id, SchoolClass.name)
            .order_by(SchoolClass.name, SchoolClass.id)
        ).all()
    return [(class_id, name, int(n)) for class_id, name, n in rows]


def school_seal_items(
    service: TranscriptService, school_id: str, *, seal_staff_id: str, actor: str
) -> tuple[str, list[JobItem]]:
    """The job's title and items for sealing the school's waiting classes with the seal ``seal_staff_id``.

    Refused when nothing waits, or when the seal's key needs a per-batch secret (a remote signing service's
    PIN/OTP): such a secret is typed for one batch and is never stored, so it cannot be handed to a worker; seal
    those classes one by one instead."""
    with service.db.reader() as session:
        school = session.get(School, school_id)
        seal = session.get(Staff, seal_staff_id)
        school_name = school.name if school is not None else school_id
        key_label = seal.key_label if seal is not None else ""
    if needs_authorization(key_label):
        raise SigningRefused(
            Message(
                "Con dấu của trường ở dịch vụ ký số từ xa, cần mã PIN/OTP cho từng lần ký, nên không chạy nền được; "
                "hãy đóng dấu từng lớp.",
                "The school's seal is at a remote signing service that needs a PIN/OTP per batch, so it cannot run "
                "in the background; seal class by class instead.",
            ),
            reason="authorization_required",
        )
    plan = seal_plan(service, school_id)
    if not plan:
        raise Conflict(
            Message(
                "Không có lớp nào đang chờ đóng dấu (hiệu trưởng chưa phê duyệt lớp nào).",
                "No class is waiting for the seal (the principal has not approved any).",
            )
        )
    items = [
        JobItem(
            payload={"class_id": class_id, "class_name": name, "staff_id": seal_staff_id, "actor": actor},
            weight=count,
        )
        for class_id, name, count in plan
    ]
    documents = sum(item.weight for item in items)
    title = f"Đóng dấu {documents} học bạ của {len(items)} lớp, {school_name} / seal {documents} transcripts"
    return title, items


def school_seal_purpose(school_id: str) -> str:
    """What the seal operator's fresh confirmation names for sealing the whole school."""
    return f"sign:school:{school_id}:seal"


def submit_school_seal(
    service: TranscriptService,
    staff_auth: StaffAuthService,
    jobs: JobService,
    actor: Actor,
    school_id: str,
    confirm: Callable[[str], None],
) -> str:
    """Queue the school's seal for ``actor``: the seal in force, each class's step checked for the actor, then
    the actor's own fresh confirmation (``confirm(purpose)`` consumes it); the job id."""
    seal = staff_auth.seal_for_school(school_id)
    title, items = school_seal_items(service, school_id, seal_staff_id=seal, actor=actor.display)
    for item in items:  # the operator holds the seal of each class's school, today
        staff_auth.signer_for_class_step(actor, class_id=item.payload["class_id"], step=Step.SEAL.value)
    confirm(school_seal_purpose(school_id))
    return jobs.submit(SEAL_CLASS, items, title=title, created_by=actor.display, school_id=school_id)


def seal_class_handler(service: TranscriptService) -> JobHandler:
    """Seal one class of a school's seal job; nothing to do when it is sealed already."""

    def handle(payload: Mapping[str, Any]) -> dict[str, Any]:
        class_id = str(payload["class_id"])
        with service.db.reader() as session:
            klass = session.get(SchoolClass, class_id)
            status = klass.status if klass is not None else None
        if status == Status.ISSUED.value:
            return {"class_id": class_id, "step": Step.SEAL.value, "status": status, "already_sealed": True}
        report = service.sign_class(
            class_id,
            Step.SEAL,
            staff_id=str(payload["staff_id"]),
            actor=str(payload.get("actor") or ""),
            client="batch-job",
        )
        return asdict(report)

    return handle
