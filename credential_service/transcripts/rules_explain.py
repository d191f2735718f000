"""Evaluate one student's year under Circular 22/2021/TT-BGDĐT and explain it.

``evaluate_year(YearInput) -> YearEvaluation`` is the typed entry point (the service builds the transcript
record from it); ``explain_year(dict) -> dict`` parses the JSON input, evaluates it and returns a JSON-able
explanation with the full rule trace::

    >>> out = explain_year({"grade": 10, "subjects": {...}, "conduct": {"hk1": "Tốt", "hk2": "Tốt"},
    ...                     "absences": 0})
    >>> out["learning_result"]["year"], out["promotion"]["decision"]
    ('Khá', 'LEN_LOP')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from credential_service.transcripts.grading import (
    Award,
    Level,
    Promotion,
    SubjectValue,
    TraceStep,
    Verdict,
    award,
    comment_year_result,
    conduct_year,
    learning_result,
    promotion,
    semester_average,
    year_average,
)
from credential_service.transcripts.primary_catalogue import PRIMARY_GRADES
from credential_service.transcripts.primary_year import explain_primary_year
from credential_service.transcripts.record import CONDUCT_AFTER_SUMMER, LEARNING_AFTER_REASSESSMENT
from credential_service.transcripts.subjects import AssessmentMode, Subject
from credential_service.transcripts.year_input import (
    FieldError,
    ScoredSemester,
    SemesterInput,
    SubjectInput,
    YearInput,
    parse_count,
    parse_year_input,
    value_json,
)


@dataclass(frozen=True)
class SubjectResult:
    """A subject's results: ĐTBmhk/ĐTBmcn (Decimal) or Đạt/Chưa đạt, and any re-assessment value."""

    subject: Subject
    hk1: SubjectValue
    hk2: SubjectValue
    year: SubjectValue
    reassessed: SubjectValue | None = None
    comment: str | None = None

    @property
    def name(self) -> str:
        return self.subject.name

    @property
    def mode(self) -> AssessmentMode:
        return self.subject.mode


@dataclass(frozen=True)
class YearEvaluation:
    """Everything Circular 22 decides about one student's year, with the trace of rules applied."""

    input: YearInput
    subjects: tuple[SubjectResult, ...]
    learning_hk1: Level
    learning_hk2: Level
    learning_year: Level
    conduct_hk1: Level
    conduct_hk2: Level
    conduct_year: Level
    promotion: Promotion
    award: Award | None
    trace: tuple[TraceStep, ...]

    @property
    def learning_after_reassessment(self) -> Level | None:
        return self.promotion.learning_after_reassessment

    @property
    def conduct_after_summer(self) -> Level | None:
        return self.promotion.conduct_after_summer

    def values(self, period: str) -> dict[str, SubjectValue]:
        """Each subject's value for "hk1", "hk2" or "year"."""
        return {r.name: getattr(r, period) for r in self.subjects}


def _semester_value(item: SubjectInput, semester: SemesterInput, label: str, trace: list[TraceStep]) -> SubjectValue:
    if isinstance(semester, ScoredSemester):
        result = semester_average(list(semester.tx), semester.gk, semester.ck)
        trace.extend(_prefixed(result.trace, f"{item.name} {label}"))
        return result.value
    return semester


def _prefixed(steps: tuple[TraceStep, ...], prefix: str) -> list[TraceStep]:
    return [TraceStep(s.rule, f"{prefix}: {s.vi}", f"{prefix}: {s.en}") for s in steps]


def _subject_result(item: SubjectInput, year: YearInput, trace: list[TraceStep]) -> SubjectResult:
    hk1 = _semester_value(item, item.hk1, "HK1", trace)
    hk2 = _semester_value(item, item.hk2, "HK2", trace)
    if isinstance(hk1, Decimal) and isinstance(hk2, Decimal):
        yearly = year_average(hk1, hk2)
    elif isinstance(hk1, Verdict) and isinstance(hk2, Verdict):
        yearly = comment_year_result(hk1, hk2)  # type: ignore[assignment]
    else:  # pragma: no cover - parse_year_input guarantees one mode per subject
        raise AssertionError(f"mixed assessment modes for {item.name}")
    trace.extend(_prefixed(yearly.trace, f"{item.name} CN"))
    return SubjectResult(
        item.subject,
        hk1,
        hk2,
        yearly.value,
        reassessed=year.reassessment.get(item.name),
        comment=year.comments.get(item.name),
    )


def evaluate_year(year: YearInput) -> YearEvaluation:
    """Apply Circular 22 to one student's year. Raises InvalidInput when the post-summer data (re-assessment,
    summer training) does not fit the year's results."""
    trace: list[TraceStep] = []
    results = tuple(_subject_result(item, year, trace) for item in year.subjects)
    per_period: dict[str, Level] = {}
    for period, code in (("hk1", "HK1"), ("hk2", "HK2"), ("year", "CN")):
        learning = learning_result({r.name: getattr(r, period) for r in results}, period=code)
        trace.extend(learning.trace)
        per_period[period] = learning.value
    conduct = conduct_year(year.conduct_hk1, year.conduct_hk2)
    trace.extend(conduct.trace)
    year_values = {r.name: r.year for r in results}
    decided = promotion(
        grade=year.grade,
        conduct=conduct.value,
        learning=per_period["year"],
        year_values=year_values,
        absences=year.absences,
        reassessment=year.reassessment,
        summer_conduct=year.summer_conduct,
    )
    trace.extend(decided.trace)
    prize = award(conduct.value, per_period["year"], year_values, retained_for_absences=decided.value.absences_exceeded)
    trace.extend(prize.trace)
    return YearEvaluation(
        input=year,
        subjects=results,
        learning_hk1=per_period["hk1"],
        learning_hk2=per_period["hk2"],
        learning_year=per_period["year"],
        conduct_hk1=year.conduct_hk1,
        conduct_hk2=year.conduct_hk2,
        conduct_year=conduct.value,
        promotion=decided.value,
        award=prize.value,
        trace=tuple(trace),
    )


# ---------------------------------------------------------------------------------------- JSON


def _optional(value: SubjectValue | Level | None) -> str | None:
    if value is None:
        return None
    return value_json(value) if isinstance(value, Decimal | Verdict) else str(value)


def subject_result_to_dict(r: SubjectResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "mode": str(r.mode),
        "hk1": value_json(r.hk1),
        "hk2": value_json(r.hk2),
        "year": value_json(r.year),
    }
    if r.reassessed is not None:
        out["reassessed"] = value_json(r.reassessed)
    if r.comment is not None:
        out["comment"] = r.comment
    return out


def promotion_to_dict(p: Promotion) -> dict[str, Any]:
    return {
        "decision": str(p.decision),
        "label_vi": p.label_vi,
        "label_en": p.label_en,
        "reassess_subjects": list(p.reassess_subjects),
        "after_reassessment": p.after_reassessment,
        "after_summer_training": p.after_summer_training,
        "absences_exceeded": p.absences_exceeded,
    }


def evaluation_to_dict(ev: YearEvaluation) -> dict[str, Any]:
    """A JSON-able view of an evaluation (strings for scores and levels)."""
    return {
        "grade": ev.input.grade,
        "subjects": {r.name: subject_result_to_dict(r) for r in ev.subjects},
        "learning_result": {
            "hk1": str(ev.learning_hk1),
            "hk2": str(ev.learning_hk2),
            "year": str(ev.learning_year),
            LEARNING_AFTER_REASSESSMENT: _optional(ev.learning_after_reassessment),
        },
        "conduct": {
            "hk1": str(ev.conduct_hk1),
            "hk2": str(ev.conduct_hk2),
            "year": str(ev.conduct_year),
            CONDUCT_AFTER_SUMMER: _optional(ev.conduct_after_summer),
        },
        "absences": ev.input.absences,
        "promotion": promotion_to_dict(ev.promotion),
        "award": None
        if ev.award is None
        else {"code": ev.award.code, "label_vi": ev.award.label_vi, "label_en": ev.award.label_en},
        "teacher_comment": ev.input.teacher_comment,
        "trace": [s.to_dict() for s in ev.trace],
    }


def explain_year(data: Mapping[str, Any]) -> dict[str, Any]:
    """Parse one student's year (see ``year_input``), apply Circular 22 and explain the result.

    A primary year (``grade`` 1–5) is explained under Circular 27 instead, in its own shape (``subjects``,
    ``overall``, ``award``, ``completion``, ``trace``; see :mod:`~credential_service.transcripts.primary_year`).
    The class import reaches this function only with grades 6–12 (``parse_year_input`` checks them first).

    Raises InvalidInput for malformed input.
    """
    if _is_primary(data):
        return explain_primary_year(data)
    return evaluation_to_dict(evaluate_year(parse_year_input(data)))


def _is_primary(data: object) -> bool:
    if not isinstance(data, Mapping) or "grade" not in data:
        return False
    try:
        return parse_count(data["grade"]) in PRIMARY_GRADES
    except FieldError:
        return False
