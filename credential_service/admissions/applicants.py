"""One applicant as the allocation sees it, and the allocation's JSON input read into applicants (pure).

Minimum fields: the applicant's id (the exam registration number), scores, priority group, direct
admission, violation, ordered wishes, and the grade 6–9 learning and conduct results (for a specialised
school's eligibility). No name, no personal ID, no date of birth: the allocation does not need them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from credential_service.admissions.values import ValueProblem, decimal_of
from credential_service.admissions.year_rules import YearConfig, parse_config
from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.grading_types import Level
from credential_service.transcripts.value_parsers import FieldError, parse_level

MAX_APPLICANTS = 1_000_000
MAX_ID = 32
SCORE_MAX = Decimal(10)
THCS_YEARS = 4  # grades 6, 7, 8, 9


@dataclass(frozen=True)
class YearResult:
    """One THCS year's learning and conduct results (Circular 22/2021 Art. 8-9)."""

    learning: Level
    conduct: Level


@dataclass(frozen=True)
class Applicant:
    id: str
    scores: Mapping[str, Decimal] = field(default_factory=dict)  # a subject absent here: no score (absent)
    priority_group: str | None = None
    direct_admission: bool = False
    violation: bool = False
    wishes: tuple[str, ...] = ()
    grades_6_9: tuple[YearResult, ...] | None = None  # None: not known (not read from the register)


def _id_ok(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID and value.isprintable() and value == value.strip()


def score_of(value: object, subject: str) -> Decimal:
    """An exam score: 0–10 with at most two decimals (tests are marked in quarter points)."""
    return decimal_of(value, low=Decimal(0), high=SCORE_MAX, what=Message(f"điểm {subject}", f"{subject} score"))


class _Reader:
    def __init__(self, config: YearConfig) -> None:
        self.config = config
        self.problems: list[Problem] = []
        self.subjects = {name for name, _ in config.rules.subjects} | config.specialised_subjects
        self.groups = {g for g, _ in config.rules.priority_points}
        self.schools = {s.code for s in config.schools}

    def add(self, where: str, message: Message, value: Any = None) -> None:
        shown = value if value is None or isinstance(value, str | int | float | bool) else str(value)
        self.problems.append(Problem(message, {"key": where}, shown))

    def flag(self, where: str, raw: Mapping[str, Any], name: str) -> bool:
        value = raw.get(name, False)
        if not isinstance(value, bool):
            self.add(f"{where}.{name}", Message(f"'{name}' là true hoặc false", f"'{name}' is true or false"), value)
            return False
        return value

    def scores(self, where: str, raw: Any) -> dict[str, Decimal]:
        if not isinstance(raw, Mapping):
            self.add(f"{where}.scores", Message("'scores' là bảng môn → điểm", "'scores' is a table subject → score"))
            return {}
        out = {}
        for subject, value in raw.items():
            if subject not in self.subjects:
                self.add(
                    f"{where}.scores.{subject}",
                    Message(f"Môn không có trong kỳ thi: {subject}", f"Not an examined subject: {subject}"),
                )
            elif value is not None:  # null: absent from that test
                try:
                    out[subject] = score_of(value, subject)
                except ValueProblem as p:
                    self.add(f"{where}.scores.{subject}", p.message, value)
        return out

    def wishes(self, where: str, raw: Any) -> tuple[str, ...]:
        limit = self.config.rules.max_wishes
        if not isinstance(raw, list) or len(raw) > limit:
            self.add(
                f"{where}.wishes",
                Message(
                    f"'wishes' là danh sách tối đa {limit} mã trường",
                    f"'wishes' is a list of at most {limit} school codes",
                ),
            )
            return ()
        for i, code in enumerate(raw):
            if code not in self.schools:
                self.add(
                    f"{where}.wishes[{i}]",
                    Message(
                        f"Mã trường không có trong cấu hình: {code}", f"School code not in the configuration: {code}"
                    ),
                    code,
                )
        if len(set(raw)) != len(raw):
            self.add(
                f"{where}.wishes",
                Message("Một trường chỉ được đăng ký một lần", "A school may appear only once among the wishes"),
            )
        return tuple(str(c) for c in raw)

    def grades(self, where: str, raw: Any) -> tuple[YearResult, ...] | None:
        if raw is None:
            return None
        if not isinstance(raw, list) or len(raw) != THCS_YEARS:
            self.add(f"{where}.grades_6_9", Message("'grades_6_9' là 4 năm lớp 6–9", "'grades_6_9' is 4 years, 6–9"))
            return None
        out = []
        for i, year in enumerate(raw):
            try:
                if not isinstance(year, Mapping):
                    raise FieldError(Message("Mỗi năm là {learning, conduct}", "Each year is {learning, conduct}"))
                out.append(YearResult(parse_level(year.get("learning")), parse_level(year.get("conduct"))))
            except FieldError as e:
                self.add(f"{where}.grades_6_9[{i}]", e.message, None)
        return tuple(out) if len(out) == THCS_YEARS else None

    def applicant(self, i: int, raw: Any) -> Applicant | None:
        where = f"applicants[{i}]"
        if not isinstance(raw, Mapping):
            self.add(where, Message("Mỗi thí sinh là một bảng", "Each applicant is a table"))
            return None
        ident = raw.get("id")
        if not _id_ok(ident):
            self.add(
                f"{where}.id", Message(f"Mã thí sinh: 1–{MAX_ID} ký tự", f"Applicant id: 1–{MAX_ID} characters"), ident
            )
        group = raw.get("priority_group")
        if group is not None and str(group) not in self.groups:
            self.add(
                f"{where}.priority_group",
                Message(
                    f"Nhóm ưu tiên không có trong cấu hình: {group}",
                    f"Priority group not in the configuration: {group}",
                ),
                group,
            )
        applicant = Applicant(
            id=str(ident),
            scores=self.scores(where, raw.get("scores", {})),
            priority_group=None if group is None else str(group),
            direct_admission=self.flag(where, raw, "direct_admission"),
            violation=self.flag(where, raw, "violation"),
            wishes=self.wishes(where, raw.get("wishes", [])),
            grades_6_9=self.grades(where, raw.get("grades_6_9")),
        )
        return applicant if _id_ok(ident) else None


def applicants_from_data(raw: Any, config: YearConfig, *, source: str = "input") -> list[Applicant]:
    """Every applicant of the JSON input, or :class:`InvalidInput` listing every problem (nothing is allocated)."""
    reader = _Reader(config)
    if not isinstance(raw, list) or len(raw) > MAX_APPLICANTS:
        reader.add(
            "applicants",
            Message(
                f"'applicants' là danh sách tối đa {MAX_APPLICANTS:,} thí sinh",
                f"'applicants' is a list of at most {MAX_APPLICANTS:,}",
            ),
        )
        raw = []
    out = [a for i, r in enumerate(raw) if (a := reader.applicant(i, r)) is not None]
    seen: set[str] = set()
    for a in out:
        if a.id in seen:
            reader.add("applicants", Message(f"Mã thí sinh trùng: {a.id}", f"Duplicate applicant id: {a.id}"), a.id)
        seen.add(a.id)
    if reader.problems:
        for p in reader.problems:
            p.location["file"] = source
        raise InvalidInput(
            Message(
                f"Dữ liệu thí sinh có {len(reader.problems)} lỗi; chưa xét tuyển.",
                f"The applicants have {len(reader.problems)} problem(s); nothing was allocated.",
            ),
            problems=reader.problems,
        )
    return out


def allocation_input(text: str | bytes, *, source: str = "input.json") -> tuple[YearConfig, list[Applicant]]:
    """The allocation's JSON input (``{"rules", "schools", "applicants"}``; numbers read as exact decimals)."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as e:
        message = Message(f"Tệp {source} không phải JSON hợp lệ: {e}", f"{source} is not valid JSON: {e}")
        raise InvalidInput(message, problems=[Problem(message, {"file": source})]) from e
    if not isinstance(data, Mapping):
        message = Message("Dữ liệu vào là một đối tượng JSON", "The input is a JSON object")
        raise InvalidInput(message, problems=[Problem(message, {"file": source})])
    config = parse_config({k: v for k, v in data.items() if k != "applicants"}, source=source)
    return config, applicants_from_data(data.get("applicants"), config, source=source)
