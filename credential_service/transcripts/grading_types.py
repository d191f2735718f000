"""Shared vocabulary of the Circular 22/2021 rules: result levels, verdicts and rule traces.

See :mod:`credential_service.transcripts.grading` for the overview; every rule module returns a
:class:`Traced` value whose :class:`TraceStep` items name the article applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------- types


class Level(StrEnum):
    """Four levels of learning and conduct results (Art. 8 and Art. 9.2)."""

    TOT = "Tốt"
    KHA = "Khá"
    DAT = "Đạt"
    CHUA_DAT = "Chưa đạt"

    @property
    def rank(self) -> int:
        return {Level.TOT: 3, Level.KHA: 2, Level.DAT: 1, Level.CHUA_DAT: 0}[self]

    @property
    def label_en(self) -> str:
        return {Level.TOT: "Good", Level.KHA: "Fairly good", Level.DAT: "Pass", Level.CHUA_DAT: "Fail"}[self]

    @classmethod
    def from_rank(cls, rank: int) -> Level:
        return next(level for level in cls if level.rank == rank)

    def at_least(self, other: Level) -> bool:
        return self.rank >= other.rank


class Verdict(StrEnum):
    """Result of a comment-assessed subject (Art. 9.1.a)."""

    DAT = "Đạt"
    CHUA_DAT = "Chưa đạt"

    @property
    def label_en(self) -> str:
        return "Pass" if self is Verdict.DAT else "Fail"


SubjectValue = Decimal | Verdict  # a scored subject's average, or a comment subject's verdict


@dataclass(frozen=True)
class TraceStep:
    """One rule applied: the legal reference and what was done, in Vietnamese and English."""

    rule: str
    vi: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Traced(Generic[T]):
    """A rule's result together with the trace of how it was reached."""

    value: T
    trace: tuple[TraceStep, ...]


def _step(rule: str, vi: str, en: str) -> TraceStep:
    return TraceStep(rule, vi, en)
