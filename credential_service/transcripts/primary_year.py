"""One primary student's school year (grades 1–5, Circular 27/2020): the JSON input and its explanation.

JSON shape (``parse_primary_year`` accepts exactly these keys; issue #14)::

    {
      "grade": 3,
      "subjects": {"Tiếng Việt": {"hk1": {"level": "T", "test": 9}, "year": {"level": "T", "test": 10}},
                   "Đạo đức": {"hk1": {"level": "H"}, "year": {"level": "T"}}},
      "qualities": {"Yêu nước": "Tốt", "Nhân ái": "Tốt", "Chăm chỉ": "Đạt", "Trung thực": "Tốt",
                    "Trách nhiệm": "Tốt"},
      "competences": {"Tự chủ và tự học": "Tốt", "Giao tiếp và hợp tác": "Tốt",
                      "Giải quyết vấn đề và sáng tạo": "Tốt", "Ngôn ngữ": "Tốt", "Tính toán": "Tốt"},
      "award_proposal": "Tiến bộ vượt bậc môn Toán",     # optional: the teacher's "Tiêu biểu" proposal
      "teacher_comment": "Chăm ngoan."                    # optional
    }

Subjects without a periodic test have no ``test``. Every problem is reported at once, bilingually, with the
field it concerns (:class:`~credential_service.platform.errors.InvalidInput`).

Not wired yet: ``rules_explain.explain_year`` (the API, the CLI and the class import) still accepts grades
6–12 only, because a primary evaluation has no record layout or PDF template yet.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.grading_primary import (
    PrimaryAward,
    PrimaryCompletion,
    PrimaryPeriod,
    overall_result,
    period_problems,
    primary_award,
    primary_completion,
    year_problems,
)
from credential_service.transcripts.grading_types import Traced
from credential_service.transcripts.primary_catalogue import (
    PRIMARY_GRADES,
    OverallResult,
    QualityLevel,
    canonical_competence,
    canonical_quality,
    find_primary_subject,
    parse_quality_level,
    parse_subject_level,
    parse_test_score,
    primary_subjects_for_grade,
)
from credential_service.transcripts.value_parsers import FieldError, parse_count

_TOP_KEYS = {"grade", "subjects", "qualities", "competences", "award_proposal", "teacher_comment"}
_PERIODS = ("hk1", "year")
GRADE_EXPECTED = Message("1–5", "1–5")


@dataclass(frozen=True)
class PrimarySubjectInput:
    name: str  # canonical
    hk1: PrimaryPeriod
    year: PrimaryPeriod


@dataclass(frozen=True)
class PrimaryYearInput:
    grade: int
    subjects: tuple[PrimarySubjectInput, ...]  # programme order
    qualities: Mapping[str, QualityLevel]
    competences: Mapping[str, QualityLevel]
    award_proposal: str | None = None
    teacher_comment: str | None = None


@dataclass(frozen=True)
class PrimaryYearEvaluation:
    input: PrimaryYearInput
    overall: Traced[OverallResult]
    award: Traced[PrimaryAward | None]
    completion: Traced[PrimaryCompletion]


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, field: str, message: Message, value: object = None, expected: Message | None = None) -> None:
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.items.append(Problem(message, {"field": field}, shown, expected))

    def run(self, field: str, parse: Any, value: object) -> Any:
        try:
            return parse(value)
        except FieldError as err:
            self.add(field, err.message, value, err.expected)
            return None


def _unknown_field(key: object) -> Message:
    return Message(f"Trường không được hỗ trợ: {key!r}", f"Unknown field: {key!r}")


def _parse_grade(value: object) -> int:
    grade = parse_count(value)
    if grade not in PRIMARY_GRADES:
        raise FieldError(
            Message(f"Lớp tiểu học phải từ 1 đến 5, không phải {grade}", f"A primary grade is 1–5, not {grade}"),
            GRADE_EXPECTED,
        )
    return grade


def parse_primary_year(data: Mapping[str, Any]) -> PrimaryYearInput:
    """Parse and check one primary student's year; raises InvalidInput with one Problem per bad field."""
    if not isinstance(data, Mapping):
        raise InvalidInput(Message("Dữ liệu phải là một đối tượng JSON", "The input must be a JSON object"))
    p = _Problems()
    for key in data:
        if key not in _TOP_KEYS:
            p.add(str(key), _unknown_field(key))
    for key in ("grade", "subjects"):  # missing qualities and competences are named one by one below
        if key not in data:
            p.add(key, Message(f"Thiếu trường bắt buộc {key!r}", f"Missing required field {key!r}"))
    grade: int | None = p.run("grade", _parse_grade, data["grade"]) if "grade" in data else None
    subjects = _parse_subjects(p, data.get("subjects"), grade) if "subjects" in data else []
    qualities = _parse_ratings(p, "qualities", data.get("qualities"), canonical_quality, "phẩm chất", "quality")
    competences = _parse_ratings(
        p, "competences", data.get("competences"), canonical_competence, "năng lực", "competence"
    )
    proposal = _optional_text(p, "award_proposal", data.get("award_proposal"))
    comment = _optional_text(p, "teacher_comment", data.get("teacher_comment"))
    if grade is not None:
        for item in subjects:
            subject = find_primary_subject(item.name)
            if subject is not None:  # always: _parse_subjects keeps known subjects only
                p.items.extend(period_problems(subject, grade, item.hk1, f"subjects.{item.name}.hk1.test"))
        # the year tests, missing qualities and general competences (unknown names were reported above)
        year = {s.name: s.year for s in subjects}
        p.items.extend(year_problems(grade=grade, subjects=year, qualities=qualities, competences=competences))
    if p.items or grade is None:
        raise InvalidInput(
            Message("Dữ liệu năm học tiểu học không hợp lệ", "Invalid primary year data"), problems=p.items
        )
    return PrimaryYearInput(
        grade=grade,
        subjects=tuple(subjects),
        qualities=MappingProxyType(qualities),
        competences=MappingProxyType(competences),
        award_proposal=proposal,
        teacher_comment=comment,
    )


def _parse_subjects(p: _Problems, raw: object, grade: int | None) -> list[PrimarySubjectInput]:
    if not isinstance(raw, Mapping) or not raw:
        p.add("subjects", Message("Cần ít nhất một môn học", "At least one subject is required"))
        return []
    taught = primary_subjects_for_grade(grade) if grade is not None else []
    expected = Message(
        "một trong: " + ", ".join(s.name for s in taught), "one of: " + ", ".join(s.name for s in taught)
    )
    parsed: dict[str, PrimarySubjectInput] = {}
    for key, body in raw.items():
        field = f"subjects.{key}"
        subject = find_primary_subject(key)
        if subject is None:
            p.add(
                field,
                Message(
                    f"Môn học không có trong chương trình tiểu học: {key!r}",
                    f"Not a subject of the primary programme: {key!r}",
                ),
                key,
                expected if taught else None,
            )
            continue
        if grade is not None and not subject.offered_in(grade):
            p.add(
                field,
                Message(
                    f"Môn {subject.name} không có ở lớp {grade}",
                    f"The subject {subject.name} is not taught in grade {grade}",
                ),
                key,
                expected,
            )
            continue
        if subject.name in parsed:
            p.add(field, Message(f"Môn {subject.name} bị nhập hai lần", f"{subject.name} is given twice"), key)
            continue
        item = _parse_subject(p, field, subject.name, body)
        if item is not None:
            parsed[subject.name] = item
    order = [s.name for s in primary_subjects_for_grade(grade)] if grade is not None else list(parsed)
    return sorted(parsed.values(), key=lambda s: order.index(s.name) if s.name in order else len(order))


def _parse_subject(p: _Problems, field: str, name: str, body: object) -> PrimarySubjectInput | None:
    if not isinstance(body, Mapping):
        p.add(field, Message("Cần {hk1, year}", "Expected {hk1, year}"), body)
        return None
    for key in body:
        if key not in _PERIODS:
            p.add(f"{field}.{key}", _unknown_field(key))
    before = len(p.items)
    periods = [_parse_period(p, f"{field}.{period}", body.get(period)) for period in _PERIODS]
    hk1, year = periods
    if len(p.items) > before or hk1 is None or year is None:
        return None
    return PrimarySubjectInput(name, hk1, year)


def _parse_period(p: _Problems, field: str, raw: object) -> PrimaryPeriod | None:
    if raw is None:
        p.add(
            field, Message("Thiếu kết quả đánh giá", "Missing result"), None, Message("{level, test}", "{level, test}")
        )
        return None
    if not isinstance(raw, Mapping):
        p.add(field, Message("Cần {level, test}", "Expected {level, test}"), raw)
        return None
    for key in raw:
        if key not in {"level", "test"}:
            p.add(f"{field}.{key}", _unknown_field(key))
    level = p.run(f"{field}.level", parse_subject_level, raw.get("level"))
    test = None
    if raw.get("test") is not None:
        test = p.run(f"{field}.test", parse_test_score, raw.get("test"))
        if test is None:
            return None
    return None if level is None else PrimaryPeriod(level, test)


def _parse_ratings(p: _Problems, key: str, raw: object, canonical: Any, vi: str, en: str) -> dict[str, QualityLevel]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        p.add(key, Message(f"Cần {{{vi}: mức}}", f"Expected {{{en}: level}}"), raw)
        return {}
    out: dict[str, QualityLevel] = {}
    for name, value in raw.items():
        field = f"{key}.{name}"
        known = canonical(name)
        if known is None:
            p.add(field, Message(f"Không có {vi} {name!r} trong chương trình", f"No such {en}: {name!r}"), name)
            continue
        level = p.run(field, parse_quality_level, value)
        if level is not None:
            out[known] = level
    return out


def _optional_text(p: _Problems, field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        p.add(field, Message("Cần một chuỗi văn bản", "Expected a text string"), value)
        return None
    return unicodedata.normalize("NFC", value).strip() or None


# ------------------------------------------------------------------------------------ evaluation


def evaluate_primary_year(year: PrimaryYearInput) -> PrimaryYearEvaluation:
    """Apply Circular 27: the overall result (Art. 9), the title (Art. 12.1) and completion (Art. 11)."""
    overall = overall_result(
        grade=year.grade,
        subjects={s.name: s.year for s in year.subjects},
        qualities=year.qualities,
        competences=year.competences,
    )
    award = primary_award(overall.value, tieu_bieu_proposal=year.award_proposal)
    completion = primary_completion(year.grade, overall.value)
    return PrimaryYearEvaluation(year, overall, award, completion)


def _period_json(period: PrimaryPeriod) -> dict[str, Any]:
    out: dict[str, Any] = {"level": str(period.level)}
    if period.test is not None:
        out["test"] = period.test
    return out


def primary_evaluation_to_dict(ev: PrimaryYearEvaluation) -> dict[str, Any]:
    """A JSON-able view: subjects (hk1 and year, each with level and test if tested), the ratings, the
    overall result, the title, completion and the trace."""
    award = ev.award.value
    completion = ev.completion.value
    return {
        "grade": ev.input.grade,
        "subjects": {s.name: {"hk1": _period_json(s.hk1), "year": _period_json(s.year)} for s in ev.input.subjects},
        "qualities": {k: str(v) for k, v in ev.input.qualities.items()},
        "competences": {k: str(v) for k, v in ev.input.competences.items()},
        "overall": str(ev.overall.value),
        "overall_en": ev.overall.value.label_en,
        "award": None
        if award is None
        else {
            "code": award.award.code,
            "label_vi": award.award.label_vi,
            "label_en": award.award.label_en,
            "teacher_proposal": award.teacher_proposal,
            "reason": award.reason,
        },
        "completion": {
            "decision": str(completion.decision),
            "label_vi": completion.label_vi,
            "label_en": completion.label_en,
            "principal_confirms": completion.principal_confirms,
        },
        "teacher_comment": ev.input.teacher_comment,
        "trace": [s.to_dict() for s in (*ev.overall.trace, *ev.award.trace, *ev.completion.trace)],
    }


def explain_primary_year(data: Mapping[str, Any]) -> dict[str, Any]:
    """Parse one primary student's year, apply Circular 27 and explain the result; raises InvalidInput."""
    return primary_evaluation_to_dict(evaluate_primary_year(parse_primary_year(data)))


def primary_input_to_json(year: PrimaryYearInput) -> dict[str, Any]:
    """The canonical JSON of a primary year's input (what the register stores; ``parse_primary_year`` reads it
    back to the same input)."""
    out: dict[str, Any] = {
        "grade": year.grade,
        "subjects": {s.name: {"hk1": _period_json(s.hk1), "year": _period_json(s.year)} for s in year.subjects},
        "qualities": {k: str(v) for k, v in year.qualities.items()},
        "competences": {k: str(v) for k, v in year.competences.items()},
    }
    if year.award_proposal:
        out["award_proposal"] = year.award_proposal
    if year.teacher_comment:
        out["teacher_comment"] = year.teacher_comment
    return out
