"""A year's grade-10 admission rules, as configuration, checked when loaded (pure).

The rules change every year and are not all confirmed for the merged city (domain brief §4.2), so every
figure is read from the year's file, never written in code. The file is TOML (Python's own ``tomllib``)
or the same structure as JSON (``sogoc admissions allocate``)::

    year = "2026-2027"
    [rules]
    subjects = { "Toán" = 1, "Ngữ văn" = 1, "Ngoại ngữ" = 1 }
    priority_points = { "1" = 2.0, "2" = 1.5, "3" = 1.0 }
    disqualify_at_or_below = 1.0
    wish_offsets = [0.0, 1.0, 2.0]          # one per wish rank: the number of wishes
    tie_break = ["Toán+Ngữ văn", "Toán"]    # one subject, or subjects joined by "+"
    direct_admission_categories = { "DTNT" = "Học sinh trường PTDTNT" }
    [[schools]]
    code = "THPT-A"
    quota = 2
    [[schools]]
    code = "CHUYEN-TOAN"
    quota = 1
    specialised_subject = "Toán chuyên"
    specialised_coefficient = 2
    requires_grades_6_9_at_least = "Khá"

:func:`parse_config` checks every key and collects every problem, each located (``{"file", "key"}``) and
bilingual, and raises one :class:`InvalidInput`; nothing half-valid is returned.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from credential_service.admissions.values import ZERO, ValueProblem, decimal_of
from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.grading_types import Level
from credential_service.transcripts.value_parsers import FieldError, parse_level

MAX_SUBJECTS = 10
MAX_WISHES = 10
MAX_SCHOOLS = 2_000
MAX_QUOTA = 100_000
CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
RULE_KEYS = frozenset(
    {
        "subjects",
        "priority_points",
        "disqualify_at_or_below",
        "wish_offsets",
        "tie_break",
        "direct_admission_categories",
    }
)
SCHOOL_KEYS = frozenset(
    {"code", "name", "quota", "specialised_subject", "specialised_coefficient", "requires_grades_6_9_at_least"}
)


@dataclass(frozen=True)
class TieBreakKey:
    """A tie-break key: the sum of the scores of one or more subjects (each ranked descending)."""

    label: str
    subjects: tuple[str, ...]


@dataclass(frozen=True)
class SchoolRule:
    code: str
    name: str
    quota: int
    specialised_subject: str | None = None
    specialised_coefficient: Decimal | None = None
    requires_grades_6_9_at_least: Level | None = None

    @property
    def is_specialised(self) -> bool:
        return self.specialised_subject is not None


@dataclass(frozen=True)
class YearRules:
    subjects: tuple[tuple[str, Decimal], ...]  # (subject, coefficient), in the file's order
    priority_points: tuple[tuple[str, Decimal], ...]  # (group, points)
    disqualify_at_or_below: Decimal
    wish_offsets: tuple[Decimal, ...]  # offset of wish rank k is wish_offsets[k - 1]; len = number of wishes
    tie_break: tuple[TieBreakKey, ...]
    direct_admission_categories: tuple[tuple[str, str], ...] = ()

    @property
    def max_wishes(self) -> int:
        return len(self.wish_offsets)

    def points_of(self, group: str | None) -> Decimal:
        return dict(self.priority_points).get(group, ZERO) if group is not None else ZERO


@dataclass(frozen=True)
class YearConfig:
    year: str | None
    rules: YearRules
    schools: tuple[SchoolRule, ...]

    def school(self, code: str) -> SchoolRule | None:
        return next((s for s in self.schools if s.code == code), None)

    @property
    def specialised_subjects(self) -> frozenset[str]:
        return frozenset(s.specialised_subject for s in self.schools if s.specialised_subject)


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []

    def add(self, key: str, message: Message, value: Any = None, expected: Message | None = None) -> None:
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.items.append(Problem(message, {"file": self.source, "key": key}, shown, expected))

    def number(self, key: str, value: Any, *, low: Decimal, high: Decimal, what: Message) -> Decimal | None:
        try:
            return decimal_of(value, low=low, high=high, what=what)
        except ValueProblem as p:
            self.add(key, p.message, value, p.expected)
            return None

    def table(self, key: str, value: Any) -> Mapping[str, Any]:
        if isinstance(value, Mapping):
            return value
        self.add(
            key, Message(f"'{key}' phải là một bảng tên → giá trị", f"'{key}' must be a table of name → value"), value
        )
        return {}

    def unknown_keys(self, key: str, data: Mapping[str, Any], known: frozenset[str]) -> None:
        for name in sorted(set(data) - known):
            self.add(
                f"{key}.{name}" if key else name,
                Message(f"Khóa không được hỗ trợ: '{name}' (viết sai?)", f"Unknown key '{name}' (a typo?)"),
                None,
                Message(", ".join(sorted(known)), ", ".join(sorted(known))),
            )


def _subjects(p: _Problems, raw: Any) -> tuple[tuple[str, Decimal], ...]:
    # Circular 30/2024/TT-BGDĐT: Toán, Ngữ văn and a third subject or a combined test, chosen by the Sở.
    out: list[tuple[str, Decimal]] = []
    table = p.table("rules.subjects", raw)
    if not table:
        p.add("rules.subjects", Message("Cần ít nhất một môn thi", "At least one exam subject is needed"))
    if len(table) > MAX_SUBJECTS:
        p.add("rules.subjects", Message(f"Tối đa {MAX_SUBJECTS} môn", f"At most {MAX_SUBJECTS} subjects"))
    for name, coefficient in table.items():
        value = p.number(
            f"rules.subjects.{name}",
            coefficient,
            low=Decimal("0.01"),
            high=Decimal(10),
            what=Message(f"hệ số môn {name}", f"coefficient of {name}"),
        )
        if value is not None and _name_ok(p, f"rules.subjects.{name}", name):
            out.append((name.strip(), value))
    return tuple(out)


def _name_ok(p: _Problems, key: str, name: str) -> bool:
    if not name.strip() or len(name) > 64 or "+" in name:
        p.add(
            key,
            Message(
                "Tên môn rỗng, dài quá 64 ký tự hoặc có dấu '+'",
                "A subject name is empty, over 64 characters or holds a '+'",
            ),
            name,
        )
        return False
    return True


def _priority(p: _Problems, raw: Any) -> tuple[tuple[str, Decimal], ...]:
    # Circular 30/2024/TT-BGDĐT: priority points by group (group 1 +2.0, group 2 +1.5, group 3 +1.0 in 2025).
    out = []
    for group, points in p.table("rules.priority_points", raw if raw is not None else {}).items():
        value = p.number(
            f"rules.priority_points.{group}",
            points,
            low=ZERO,
            high=Decimal(10),
            what=Message(f"điểm ưu tiên nhóm {group}", f"priority points of group {group}"),
        )
        if value is not None:
            out.append((str(group).strip(), value))
    return tuple(out)


def _offsets(p: _Problems, raw: Any) -> tuple[Decimal, ...]:
    # The Sở's plan: the number of wishes, and how far above a school's round-1 cutoff a later wish must be.
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_WISHES:
        p.add(
            "rules.wish_offsets",
            Message(
                f"Cần một danh sách từ 1 đến {MAX_WISHES} độ lệch, mỗi nguyện vọng một",
                f"A list of 1 to {MAX_WISHES} offsets is needed, one per wish rank",
            ),
            None if isinstance(raw, list) else raw,
        )
        return ()
    values = [
        p.number(
            f"rules.wish_offsets[{i}]",
            v,
            low=ZERO,
            high=Decimal(50),
            what=Message(f"độ lệch nguyện vọng {i + 1}", f"offset of wish {i + 1}"),
        )
        for i, v in enumerate(raw)
    ]
    if values[0] not in (None, ZERO):
        p.add(
            "rules.wish_offsets[0]",
            Message("Nguyện vọng 1 không có độ lệch (phải là 0)", "Wish 1 has no offset (it must be 0)"),
            raw[0],
        )
    return tuple(v for v in values if v is not None) if None not in values else ()


def _tie_break(p: _Problems, raw: Any, known: frozenset[str]) -> tuple[TieBreakKey, ...]:
    # The Sở's plan names the tie-break order (e.g. Toán + Ngữ văn, then Toán).
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        p.add(
            "rules.tie_break",
            Message(
                'Cần danh sách khóa, ví dụ ["Toán+Ngữ văn", "Toán"]',
                'A list of keys is needed, e.g. ["Toán+Ngữ văn", "Toán"]',
            ),
            None,
        )
        return ()
    out = []
    for i, label in enumerate(raw):
        subjects = tuple(s.strip() for s in label.split("+"))
        unknown = [s for s in subjects if s not in known]
        if unknown or len(set(subjects)) != len(subjects):
            p.add(
                f"rules.tie_break[{i}]",
                Message(
                    f"Khóa xét bằng điểm nêu môn không có trong kỳ thi: {unknown}",
                    f"The tie-break key names subjects that are not examined: {unknown}",
                ),
                label,
                Message(", ".join(sorted(known)), ", ".join(sorted(known))),
            )
            continue
        out.append(TieBreakKey(label, subjects))
    return tuple(out)


def _categories(p: _Problems, raw: Any) -> tuple[tuple[str, str], ...]:
    # Circular 30/2024/TT-BGDĐT: who is admitted directly (tuyển thẳng); the Sở lists the categories.
    table = p.table("rules.direct_admission_categories", raw if raw is not None else {})
    out = []
    for code, label in table.items():
        if not isinstance(label, str) or not label.strip() or not _code_ok(code):
            p.add(
                f"rules.direct_admission_categories.{code}",
                Message(
                    "Mỗi diện tuyển thẳng cần mã (chữ in hoa, số, '-') và tên",
                    "Each category needs a code (capitals, digits, '-') and a name",
                ),
                label if isinstance(label, str) else None,
            )
            continue
        out.append((code, label.strip()))
    return tuple(out)


def _code_ok(code: object) -> bool:
    return isinstance(code, str) and 0 < len(code) <= 32 and set(code) <= CODE_CHARS


def _school(p: _Problems, i: int, raw: Any) -> SchoolRule | None:
    key = f"schools[{i}]"
    if not isinstance(raw, Mapping):
        p.add(key, Message("Mỗi trường là một bảng (code, quota, …)", "Each school is a table (code, quota, …)"))
        return None
    p.unknown_keys(key, raw, SCHOOL_KEYS)
    code = raw.get("code")
    if not _code_ok(code):
        p.add(
            f"{key}.code",
            Message(
                "Mã trường: 1–32 ký tự in hoa, số, '-', '_' hoặc '.'",
                "School code: 1–32 capitals, digits, '-', '_' or '.'",
            ),
            code,
        )
    quota = raw.get("quota")
    if isinstance(quota, bool) or not isinstance(quota, int) or not 0 <= quota <= MAX_QUOTA:
        p.add(
            f"{key}.quota",
            Message("Chỉ tiêu phải là số nguyên từ 0", "The quota is a whole number from 0"),
            quota,
            Message(f"0–{MAX_QUOTA}", f"0–{MAX_QUOTA}"),
        )
        quota = None
    subject, coefficient, level = raw.get("specialised_subject"), None, None
    specialised_keys = ("specialised_coefficient", "requires_grades_6_9_at_least")
    if subject is None:
        for name in specialised_keys:
            if name in raw:
                p.add(
                    f"{key}.{name}",
                    Message(
                        f"'{name}' chỉ dùng cho trường chuyên (cần specialised_subject)",
                        f"'{name}' is for a specialised school (needs specialised_subject)",
                    ),
                )
    else:
        # Trần Phú 2025-26: Toán + Văn + NN (coefficient 1) + the specialised subject (coefficient 2); grades 6–9
        # learning and conduct at least Khá.
        if not isinstance(subject, str):
            p.add(f"{key}.specialised_subject", Message("Môn chuyên là tên môn", "The specialised subject is a name"))
        elif not _name_ok(p, f"{key}.specialised_subject", subject):
            return None
        coefficient = p.number(
            f"{key}.specialised_coefficient",
            raw.get("specialised_coefficient"),
            low=Decimal("0.01"),
            high=Decimal(10),
            what=Message("hệ số môn chuyên", "specialised coefficient"),
        )
        if "requires_grades_6_9_at_least" in raw:
            try:
                level = parse_level(raw["requires_grades_6_9_at_least"])
            except FieldError as e:
                p.add(f"{key}.requires_grades_6_9_at_least", e.message, raw["requires_grades_6_9_at_least"], e.expected)
    name = raw.get("name", code)
    if not isinstance(name, str) or len(name) > 200:
        p.add(f"{key}.name", Message("Tên trường là chuỗi ≤ 200 ký tự", "The school name is text ≤ 200 characters"))
        return None
    if not _code_ok(code) or quota is None:
        return None
    if subject is not None and (not isinstance(subject, str) or coefficient is None):
        return None
    return SchoolRule(str(code), name, quota, subject, coefficient, level)


def parse_config(data: Any, *, source: str = "config") -> YearConfig:
    """The year's configuration from a parsed TOML/JSON document, or :class:`InvalidInput` listing every problem."""
    p = _Problems(source)
    if not isinstance(data, Mapping):
        p.add("", Message("Tệp cấu hình phải là một bảng", "The configuration must be a table"))
        raise _invalid(p)
    p.unknown_keys("", data, frozenset({"year", "rules", "schools", "applicants"}))
    year = data.get("year")
    if year is not None and (not isinstance(year, str | int) or isinstance(year, bool) or len(str(year)) > 16):
        p.add(
            "year",
            Message('Năm tuyển sinh là chuỗi ngắn, ví dụ "2026-2027"', 'The year is short text, e.g. "2026-2027"'),
            year,
        )
        year = None
    rules = p.table("rules", data.get("rules"))
    p.unknown_keys("rules", rules, RULE_KEYS)
    subjects = _subjects(p, rules.get("subjects"))
    points = _priority(p, rules.get("priority_points"))
    threshold = p.number(
        "rules.disqualify_at_or_below",
        rules.get("disqualify_at_or_below"),
        low=ZERO,
        high=Decimal(10),
        what=Message("điểm liệt", "disqualifying score"),
    )
    offsets = _offsets(p, rules.get("wish_offsets"))
    raw_schools = data.get("schools")
    if not isinstance(raw_schools, list) or not 1 <= len(raw_schools) <= MAX_SCHOOLS:
        p.add(
            "schools", Message(f"Cần danh sách 1–{MAX_SCHOOLS} trường", f"A list of 1–{MAX_SCHOOLS} schools is needed")
        )
        raw_schools = []
    schools = [s for i, r in enumerate(raw_schools) if (s := _school(p, i, r)) is not None]
    seen: set[str] = set()
    for i, s in enumerate(schools):
        if s.code in seen:
            p.add(f"schools[{i}].code", Message(f"Mã trường trùng: {s.code}", f"Duplicate school code: {s.code}"))
        seen.add(s.code)
    subject_names = {name for name, _ in subjects}
    for i, s in enumerate(schools):
        if s.specialised_subject in subject_names:
            p.add(
                f"schools[{i}].specialised_subject",
                Message(
                    "Môn chuyên phải là một bài thi riêng, khác các môn thi chung",
                    "The specialised subject is its own test, not one of the common subjects",
                ),
                s.specialised_subject,
            )
    known = frozenset(subject_names | {s.specialised_subject for s in schools if s.specialised_subject})
    tie_break = _tie_break(p, rules.get("tie_break"), known)
    categories = _categories(p, rules.get("direct_admission_categories"))
    if p.items or threshold is None or not offsets:
        raise _invalid(p)
    year_rules = YearRules(subjects, points, threshold, offsets, tie_break, categories)
    return YearConfig(None if year is None else str(year), year_rules, tuple(schools))


def parse_toml_config(text: str, *, source: str = "config.toml") -> YearConfig:
    """A configuration file's text (TOML; numbers read as exact decimals)."""
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as e:
        message = Message(f"Tệp cấu hình không phải TOML hợp lệ: {e}", f"The configuration is not valid TOML: {e}")
        raise InvalidInput(message, problems=[Problem(message, {"file": source})]) from e
    return parse_config(data, source=source)


def _invalid(p: _Problems) -> InvalidInput:
    return InvalidInput(
        Message(
            f"Cấu hình tuyển sinh {p.source} có {len(p.items)} lỗi; chưa nạp gì.",
            f"The admissions configuration {p.source} has {len(p.items)} problem(s); nothing was loaded.",
        ),
        problems=p.items,
    )


def config_to_data(config: YearConfig) -> dict[str, Any]:
    """The configuration as plain data (the structure :func:`parse_config` reads), decimals kept exact."""
    r = config.rules
    rules: dict[str, Any] = {
        "subjects": dict(r.subjects),
        "priority_points": dict(r.priority_points),
        "disqualify_at_or_below": r.disqualify_at_or_below,
        "wish_offsets": list(r.wish_offsets),
        "tie_break": [k.label for k in r.tie_break],
        "direct_admission_categories": dict(r.direct_admission_categories),
    }
    schools = []
    for s in config.schools:
        school: dict[str, Any] = {"code": s.code, "name": s.name, "quota": s.quota}
        if s.is_specialised:
            school["specialised_subject"] = s.specialised_subject
            school["specialised_coefficient"] = s.specialised_coefficient
            if s.requires_grades_6_9_at_least is not None:
                school["requires_grades_6_9_at_least"] = s.requires_grades_6_9_at_least.value
        schools.append(school)
    out: dict[str, Any] = {"rules": rules, "schools": schools}
    if config.year is not None:
        out["year"] = config.year
    return out
