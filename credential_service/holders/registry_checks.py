"""Checking person records against the national population database (issue #16 item 1, "mismatches with the
population registry").

For each person record with a personal ID number (or the ids asked for), the population-registry port
(``population_registry.py``) is asked whether the number, full name, date of birth and sex agree; the latest
outcome per person is kept in ``person_registry_checks``: ``match``, ``mismatch`` (with the names of the fields
that disagreed) or ``not_found``. The registry's values are never asked for nor stored (data minimisation, PDPL
91/2025); the Sở may verify these fields for its education-management functions (Law on Identification 2023;
Decree 70/2024 Art. 17(1)(a)).

The run goes in chunks (:data:`CHUNK` persons, one transaction each, the registry asked between transactions),
so a city's run never holds one huge transaction. A registry that is down raises the port's bilingual
:class:`ServiceUnavailable`: the answers already received (earlier chunks and the current one) are kept.
Each person checked gets one entry in their access log, which the holder reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credential_service.holders.access_log import LogEvent, append_log
from credential_service.holders.identity_rules import IdentifierKind
from credential_service.holders.population_registry import PopulationRegistry, RegistryAnswer, RegistryQuery
from credential_service.holders.tables import Person, PersonIdentifier, PersonRegistryCheck
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import ServiceUnavailable

CHUNK = 500
MATCH, MISMATCH, NOT_FOUND = "match", "mismatch", "not_found"
OUTCOMES = (MATCH, MISMATCH, NOT_FOUND)
# What the holder reads in their access log: what was done, on which legal basis (no consent: the Sở's duty),
# in the wording of the other purposes (admissions/register_rules.py:REGISTER_PURPOSE).
PURPOSE = (  # at most 255 characters (access_log.purpose)
    "holders.registry_check — đối chiếu với CSDL quốc gia về dân cư (kiểm tra chất lượng dữ liệu); căn cứ: nhiệm vụ "
    "của Sở GDĐT, không cần sự đồng ý / data quality check against the national population database; legal "
    "basis: the Sở's duty, no consent needed"
)
LOGGED_FIELDS = ("holder_name", "date_of_birth", "sex")  # the disclosure keys of the fields sent (labelled)
STAFF_READ = "staff_read"  # holders/staff_reads.py:STAFF_READ (that module sits in a higher layer)


@dataclass
class RunResult:
    """What a run did: persons checked, by outcome."""

    checked: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    def to_dict(self) -> dict[str, object]:
        return {"checked": self.checked, **self.outcomes}


def outcome_of(answer: RegistryAnswer) -> tuple[str, list[str]]:
    """The stored outcome of a registry answer and the fields that disagreed, in the port's field order (rule:
    the port's per-field verdicts, ``population_registry.py``; a found citizen with no field disagreeing is a
    match)."""
    if not answer.found:
        return NOT_FOUND, []
    fields = [name for name, verdict in answer.fields.items() if verdict == "mismatch"]
    return (MISMATCH, fields) if fields else (MATCH, [])


def check_persons(
    db: Database,
    registry: PopulationRegistry,
    clock: Clock,
    *,
    checked_by: str,
    person_ids: Sequence[str] | None = None,
    limit: int | None = None,
    chunk: int = CHUNK,
) -> RunResult:
    """Check every person with a personal ID number (or only ``person_ids``; at most ``limit``), in chunks of
    ``chunk`` persons, each stored in its own transaction. Persons without a number are not checked."""
    result = RunResult()
    after = ""
    wanted = sorted(set(person_ids)) if person_ids is not None else None
    while limit is None or result.checked < limit:
        size = chunk if limit is None else min(chunk, limit - result.checked)
        queries = _next_chunk(db, after, size, wanted)
        if not queries:
            break
        answers: list[tuple[str, RegistryAnswer]] = []
        try:
            for person_id, query in queries:
                answers.append((person_id, registry.verify(query)))
        except ServiceUnavailable:
            _store(db, clock, answers, checked_by, result)  # keep what the registry answered before it went down
            raise
        _store(db, clock, answers, checked_by, result)
        after = queries[-1][0]
    return result


def _next_chunk(db: Database, after: str, size: int, wanted: Sequence[str] | None) -> list[tuple[str, RegistryQuery]]:
    """The next ``size`` persons holding a personal ID number, by id after ``after``, with their query (the
    number in force: no end date, the latest recorded)."""
    with db.reader() as session:
        ids = select(PersonIdentifier.person_id).where(PersonIdentifier.kind == IdentifierKind.PIN.value)
        query = select(Person).where(Person.id.in_(ids), Person.id > after).order_by(Person.id).limit(size)
        if wanted is not None:
            query = query.where(Person.id.in_(list(wanted)))
        people = list(session.execute(query).scalars())
        pins: dict[str, str] = {}
        rows = session.execute(
            select(PersonIdentifier.person_id, PersonIdentifier.value)
            .where(
                PersonIdentifier.kind == IdentifierKind.PIN.value,
                PersonIdentifier.person_id.in_([p.id for p in people]),
            )
            .order_by(PersonIdentifier.valid_to.is_(None), PersonIdentifier.created_at, PersonIdentifier.id)
        )
        for person_id, value in rows:
            pins[person_id] = value  # the last one wins: in force, the latest recorded
        return [(p.id, RegistryQuery(pins[p.id], p.full_name, p.date_of_birth, p.sex)) for p in people]


def _store(
    db: Database, clock: Clock, answers: list[tuple[str, RegistryAnswer]], checked_by: str, result: RunResult
) -> None:
    if not answers:
        return
    at = clock.now()
    with db.transaction() as session:
        _replace(session, answers, checked_by, at)
        append_log(
            session,
            [
                LogEvent(
                    event=STAFF_READ,
                    actor_kind="staff",
                    actor_name=checked_by,
                    result="ok",
                    person_id=person_id,
                    purpose=PURPOSE,
                    fields=LOGGED_FIELDS,
                )
                for person_id, _ in answers
            ],
            at=at,
        )
    for _, answer in answers:
        result.outcomes[outcome_of(answer)[0]] += 1
    result.checked += len(answers)


def _replace(session: Session, answers: list[tuple[str, RegistryAnswer]], checked_by: str, at: datetime) -> None:
    """The latest outcome replaces the one before (one row per person)."""
    ids = [person_id for person_id, _ in answers]
    session.execute(delete(PersonRegistryCheck).where(PersonRegistryCheck.person_id.in_(ids)))
    for person_id, answer in answers:
        outcome, fields = outcome_of(answer)
        session.add(
            PersonRegistryCheck(
                person_id=person_id,
                outcome=outcome,
                mismatched_fields=fields,
                checked_at=at,
                checked_by=checked_by[:100],
            )
        )
