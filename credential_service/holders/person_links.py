"""Finding or creating the person behind a school record or a register row, and the person's identifier history.

A personal ID number (CCCD, 12 digits) links records to one person only when it agrees with the record; a
number that contradicts it links nothing. An old 9-digit CMND stays in the identifier history (Circular
59/2021/TT-BCA Art. 6: the personal ID supersedes it; it is not erased).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.holders.identity_rules import IdentifierKind, check_personal_id, mask, normalise_sex
from credential_service.holders.tables import DiplomaPerson, Person, PersonIdentifier, StudentPerson
from credential_service.platform.clock import Clock

log = logging.getLogger(__name__)


def _identifier(person_id: str, kind: IdentifierKind, value: str, source: str, clock: Clock) -> PersonIdentifier:
    return PersonIdentifier(
        id=str(uuid.uuid4()),
        person_id=person_id,
        kind=kind.value,
        value=value,
        valid_from=None,
        valid_to=None,
        source=source,
        created_at=clock.now(),
    )


def person_by_pin(session: Session, pin: str) -> Person | None:
    row = session.execute(
        select(Person)
        .join(PersonIdentifier, PersonIdentifier.person_id == Person.id)
        .where(PersonIdentifier.kind == IdentifierKind.PIN.value, PersonIdentifier.value == pin)
    ).first()
    return row[0] if row else None


def person_for(
    session: Session, clock: Clock, full_name: str, dob: date, sex: str, pin: str | None, source: str
) -> Person:
    """The person with this personal ID number, else a new person (with the number when it agrees)."""
    if pin and not check_personal_id(pin, sex=sex, date_of_birth=dob, today=clock.today()).ok:
        log.warning("personal ID on a %s record fails validation; not used to link (masked %s)", source, mask(pin))
        pin = None  # a number that contradicts the record links nothing; the person is linked without it
    person = person_by_pin(session, pin) if pin else None
    if person is None:
        person = Person(
            id=str(uuid.uuid4()), full_name=full_name, date_of_birth=dob, sex=normalise_sex(sex), created_at=clock.now()
        )
        session.add(person)
        session.flush()
        if pin:
            session.add(_identifier(person.id, IdentifierKind.PIN, pin, source, clock))
    return person


def keep_old_id_number(session: Session, clock: Clock, person_id: str, record_json: str | None) -> None:
    """An old 9-digit CMND carried by a (digitised paper) diploma record joins the person's identifier history."""
    holder = (json.loads(record_json).get("holder") or {}) if record_json else {}
    cmnd = holder.get("old_id_number")
    if not cmnd:
        return
    known = session.execute(
        select(PersonIdentifier.id).where(
            PersonIdentifier.person_id == person_id,
            PersonIdentifier.kind == IdentifierKind.CMND9.value,
            PersonIdentifier.value == cmnd,
        )
    ).first()
    if known is None:
        session.add(_identifier(person_id, IdentifierKind.CMND9, cmnd, "register", clock))


def records_linked_by_pin(session: Session, pins: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
    """{personal ID: (student record ids, diploma ids)} linked to the person who holds that ID."""
    if not pins:
        return {}
    pin_of = dict(
        session.execute(
            select(PersonIdentifier.person_id, PersonIdentifier.value).where(
                PersonIdentifier.kind == IdentifierKind.PIN.value, PersonIdentifier.value.in_(list(pins))
            )
        ).all()
    )
    out: dict[str, tuple[list[str], list[str]]] = {pin: ([], []) for pin in pin_of.values()}
    people = list(pin_of)
    for sid, pid in session.execute(
        select(StudentPerson.student_id, StudentPerson.person_id).where(StudentPerson.person_id.in_(people))
    ):
        out[pin_of[pid]][0].append(sid)
    for did, pid in session.execute(
        select(DiplomaPerson.diploma_id, DiplomaPerson.person_id).where(DiplomaPerson.person_id.in_(people))
    ):
        out[pin_of[pid]][1].append(did)
    return out


def personal_ids_of(session: Session, person_id: str) -> list[str]:
    """The person's 12-digit personal ID numbers, newest first."""
    return list(
        session.execute(
            select(PersonIdentifier.value)
            .where(PersonIdentifier.person_id == person_id, PersonIdentifier.kind == IdentifierKind.PIN.value)
            .order_by(PersonIdentifier.created_at.desc(), PersonIdentifier.value)
        ).scalars()
    )
