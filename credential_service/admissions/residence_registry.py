"""The population-registry port for admissions by residence: a child's residence (nơi cư trú) and date of birth,
read from the national population database, never typed into the form.

The holders' port (``holders/population_registry.py``) only answers match / mismatch on identity fields; grade 1
and 6 admissions need two facts from the record itself (domain brief §4.1: "child PIN, DOB, residence from the
population DB"), so this port asks for exactly those two and nothing else (data minimisation, PDPL 91/2025). It
is asked once for a whole list (city scale), and every child asked about goes to their access log (the
service does that).

* :class:`DevResidenceRegistry` — DEV ONLY: answers from a mapping of synthetic children.
* The production adapter (the provincial data-sharing platform) is not written yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class ResidenceFacts:
    residence: str  # the residence area as the registry codes it (e.g. the ward's name or code)
    date_of_birth: date

    def __repr__(self) -> str:  # personal data: never in a log line
        return "ResidenceFacts(***)"


class ResidenceRegistry(Protocol):
    def residence_facts(self, personal_ids: Sequence[str]) -> Mapping[str, ResidenceFacts]:
        """The facts of each personal ID the registry knows; an unknown ID is absent from the answer."""
        ...


class DevResidenceRegistry:
    """DEV ONLY: synthetic children (personal ID → residence and date of birth)."""

    def __init__(self, children: Mapping[str, ResidenceFacts]) -> None:
        self.children = dict(children)
        self.asked: list[str] = []

    def residence_facts(self, personal_ids: Sequence[str]) -> Mapping[str, ResidenceFacts]:
        self.asked.extend(personal_ids)
        return {pin: self.children[pin] for pin in personal_ids if pin in self.children}
