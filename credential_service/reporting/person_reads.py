"""The person records the data-quality check of persons reads (``person_rules.py``): each person's id, full
name, date of birth and personal ID numbers, read in one pass of ``persons`` and ``person_identifiers``.

These are the holders domain's tables, read here directly: ``HolderService`` has no read of every person (only
one person at a time). Moving this query behind a ``HolderService`` method is the holders owner's change. At a
city's size it reads about a million rows (seconds), so it is asked for (``GET
/api/v1/progress/quality/persons``), not computed on every dashboard — as the ledger reconciliation is.
"""

from __future__ import annotations

from sqlalchemy import select

from credential_service.holders.identity_rules import IdentifierKind
from credential_service.holders.tables import Person, PersonIdentifier, PersonRegistryCheck
from credential_service.platform.db import Database
from credential_service.reporting.person_rules import PersonFacts, RegistryCheck


def person_facts(db: Database) -> list[PersonFacts]:
    """Every person record with its personal ID numbers (the numbers stay in this process)."""
    with db.reader() as session:
        pins: dict[str, list[str]] = {}
        query = select(PersonIdentifier.person_id, PersonIdentifier.value).where(
            PersonIdentifier.kind == IdentifierKind.PIN.value
        )
        for person_id, value in session.execute(query):
            pins.setdefault(person_id, []).append(value)
        people = session.execute(select(Person.id, Person.full_name, Person.date_of_birth))
        return [PersonFacts(pid, name, born, tuple(pins.get(pid, ()))) for pid, name, born in people]


def registry_checks(db: Database) -> dict[str, RegistryCheck]:
    """Each checked person's latest check against the population registry (``holders/registry_checks.py``)."""
    with db.reader() as session:
        rows = session.execute(
            select(PersonRegistryCheck.person_id, PersonRegistryCheck.outcome, PersonRegistryCheck.mismatched_fields)
        )
        return {pid: RegistryCheck(outcome, tuple(fields or ())) for pid, outcome, fields in rows}
