"""Data quality of the person records (pure; issue #16 item 1, "duplicate persons" and "mismatches with the
population registry").

Duplicate persons — the rule decided here (``holders/person_links.py`` links records to one person by the
personal ID number only when it agrees with the record, else creates a person without a number):

* **same ID number**: two or more person records holding the same 12-digit personal ID number
  (``person_identifiers`` of kind ``pin``). The number is unique to a citizen (Law on Identification 2023,
  Art. 12), so these are one person recorded twice.
* **same name and date of birth, no ID number**: two or more person records with neither any personal ID
  number, whose normalised full name (Unicode NFC, case-folded, spaces collapsed: the comparison the population
  registry port makes, ``holders/population_registry.py:name_key``) and date of birth are the same. Likely one
  person recorded twice; to be checked by a person, since namesakes born the same day exist.
* A person with a number and one without, of the same name and date of birth, are **not** counted: the number
  tells them apart only if the other record had one, so the pair is left to the registry check.

A person is counted once however many groups hold it. The drill-down rows name the person records by their
internal id only (no name, number or date of birth leaves this module).

Mismatches with the population registry — counted from the latest check of each person
(``holders/registry_checks.py``, table ``person_registry_checks``; ``sogoc holder registry-check`` runs it):

* **mismatch**: the registry holds the personal ID number, and the name, date of birth or sex disagree (the
  fields named, never the values);
* **not found**: the registry does not hold the number;
* **checked**: persons with a stored check; **unchecked**: persons with a personal ID number never checked
  (persons without a number cannot be checked and are in neither).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

SAME_PIN = "same_personal_id"
SAME_NAME_DOB = "same_name_dob_no_id"
KINDS = (SAME_PIN, SAME_NAME_DOB)
FIRST = 20  # groups listed in the JSON answer; the CSV lists all
REGISTRY_MISMATCH = "registry_mismatch"
REGISTRY_NOT_FOUND = "registry_not_found"
REGISTRY_NOTE = {
    "vi": "Theo lần đối chiếu gần nhất của từng người với CSDL quốc gia về dân cư (sogoc holder registry-check); "
    "chỉ ghi tên trường không khớp, không ghi giá trị.",
    "en": "From each person's latest check against the national population database (sogoc holder registry-check); "
    "only the names of the fields that disagree are kept, never the values.",
}


@dataclass(frozen=True)
class PersonFacts:
    person_id: str
    full_name: str
    date_of_birth: date
    pins: tuple[str, ...]  # the person's 12-digit personal ID numbers (none: empty)


@dataclass(frozen=True)
class RegistryCheck:
    """A person's latest check against the population registry: match | mismatch | not_found, and the names of
    the fields that disagreed."""

    outcome: str
    fields: tuple[str, ...] = ()


def name_key(name: str) -> str:
    """A full name as compared (the population registry port's normalisation)."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def duplicate_groups(persons: Iterable[PersonFacts]) -> list[dict[str, Any]]:
    """Each group of two or more person records that are likely one person: kind, the shared key's kind of
    value (never the value), the number of records and their ids; largest groups first."""
    by_pin: dict[str, set[str]] = {}
    by_name: dict[tuple[str, date], set[str]] = {}
    for p in persons:
        if p.pins:
            for pin in set(p.pins):
                by_pin.setdefault(pin, set()).add(p.person_id)
        else:
            by_name.setdefault((name_key(p.full_name), p.date_of_birth), set()).add(p.person_id)
    groups = [(SAME_PIN, ids) for ids in by_pin.values() if len(ids) > 1]
    groups += [(SAME_NAME_DOB, ids) for ids in by_name.values() if len(ids) > 1]
    rows = [{"kind": kind, "persons": len(ids), "person_ids": sorted(ids)} for kind, ids in groups]
    return sorted(rows, key=lambda r: (-r["persons"], KINDS.index(r["kind"]), r["person_ids"]))


def registry_counts(persons: Iterable[PersonFacts], checks: Mapping[str, RegistryCheck]) -> dict[str, int]:
    """Persons whose latest registry check is a mismatch or not found, persons checked, and persons with a
    personal ID number never checked (the rule in this module's docstring)."""
    people = list(persons)
    latest = [checks[p.person_id] for p in people if p.person_id in checks]
    return {
        "registry_mismatches": sum(1 for c in latest if c.outcome == "mismatch"),
        "registry_not_found": sum(1 for c in latest if c.outcome == "not_found"),
        "registry_checked": len(latest),
        "registry_unchecked": sum(1 for p in people if p.pins and p.person_id not in checks),
    }


def person_quality(persons: Iterable[PersonFacts], checks: Mapping[str, RegistryCheck] | None = None) -> dict[str, Any]:
    """The counts and the drill-down: persons checked, distinct persons in any duplicate group, groups and
    persons by kind, the first :data:`FIRST` groups (``groups`` in the CSV has them all), and the counts of
    the latest registry checks (the CSV lists the persons behind them)."""
    people = list(persons)
    groups = duplicate_groups(people)
    by_kind = {
        kind: {
            "groups": sum(1 for g in groups if g["kind"] == kind),
            "persons": len({i for g in groups if g["kind"] == kind for i in g["person_ids"]}),
        }
        for kind in KINDS
    }
    return {
        "persons": len(people),
        "duplicate_persons": len({i for g in groups for i in g["person_ids"]}),
        "by_kind": by_kind,
        "groups": groups[:FIRST],
        "groups_total": len(groups),
        **registry_counts(people, checks or {}),
        "registry_note_vi": REGISTRY_NOTE["vi"],
        "registry_note_en": REGISTRY_NOTE["en"],
    }


def group_rows(groups: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The groups as CSV rows: one row per person record, with its group's number and kind."""
    return [
        {"group": n, "kind": g["kind"], "persons": g["persons"], "person_id": pid, "fields": ""}
        for n, g in enumerate(groups, start=1)
        for pid in g["person_ids"]
    ]


def registry_rows(persons: Iterable[PersonFacts], checks: Mapping[str, RegistryCheck]) -> list[dict[str, Any]]:
    """The persons behind ``registry_mismatches`` and ``registry_not_found`` as CSV rows (the same columns as
    :func:`group_rows`): internal id and the names of the fields that disagreed, never the values."""
    kinds = {"mismatch": REGISTRY_MISMATCH, "not_found": REGISTRY_NOT_FOUND}
    rows = [
        {"group": "", "kind": kinds[c.outcome], "persons": 1, "person_id": p.person_id, "fields": ";".join(c.fields)}
        for p in persons
        if (c := checks.get(p.person_id)) is not None and c.outcome in kinds
    ]
    return sorted(rows, key=lambda r: (r["kind"], r["person_id"]))
