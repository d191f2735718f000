"""The progress model (pure): counts per class summed to schools, communes, levels and the city; the signing
backlog; the schools furthest behind the plan; and which communes a person may see.

Everything is computed from facts read from the register (``TranscriptService.progress_facts``,
``DiplomaService.deadline_view``), never typed in. Section IV of the city's 2026 plan: every student has a
fully signed học bạ số by 6/2026.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from credential_service.platform.errors import Message
from credential_service.reporting.quality import QUALITY_FIELDS
from credential_service.reporting.suppression import suppress
from credential_service.staff.roles import SO_ROLES, Grant, Role
from credential_service.transcripts.workflow import Status

PLAN_SHARE = 1.0
PLAN_BY = date(2026, 6, 30)
TOP_BEHIND = 20


class Level(StrEnum):
    PRIMARY = "tieu_hoc"  # grades 1–5
    LOWER = "thcs"  # grades 6–9
    UPPER = "thpt"  # grades 10–12


LEVEL_LABELS: dict[Level, Message] = {
    Level.PRIMARY: Message("Tiểu học", "Primary"),
    Level.LOWER: Message("THCS", "Lower secondary"),
    Level.UPPER: Message("THPT", "Upper secondary"),
}


def level_of_grade(grade: int) -> Level:
    return Level.PRIMARY if grade <= 5 else Level.LOWER if grade <= 9 else Level.UPPER


def school_year_of(day: date) -> str:
    """The school year a date falls in (a year runs from August): 2026-05-10 → "2025-2026"."""
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{start + 1}"


# The step each class status waits for, and who takes it (transcripts/workflow.py:TRANSITIONS).
WAITING: dict[str, tuple[str, Message]] = {
    Status.DRAFT.value: ("lock", Message("GVCN/Hiệu trưởng khóa sổ", "GVCN or principal to lock")),
    Status.LOCKED.value: ("gvcn", Message("GVCN ký", "homeroom teacher to sign")),
    Status.SIGNED_GVCN.value: ("principal", Message("Hiệu trưởng ký", "principal to sign")),
    Status.SIGNED_PRINCIPAL.value: ("seal", Message("Đóng dấu nhà trường", "school seal")),
}
# Which transcript statuses have passed each milestone (the counts are cumulative: a sealed học bạ was locked).
_REACHED = {
    "locked": {Status.LOCKED, Status.SIGNED_GVCN, Status.SIGNED_PRINCIPAL, Status.ISSUED},
    "signed_gvcn": {Status.SIGNED_GVCN, Status.SIGNED_PRINCIPAL, Status.ISSUED},
    "signed_principal": {Status.SIGNED_PRINCIPAL, Status.ISSUED},
    "sealed": {Status.ISSUED},
}


@dataclass
class Tally:
    """The counts of one cell of the dashboard (a class, school, commune, level or the city)."""

    students: int = 0  # student-years with results in the register
    drafted: int = 0  # results entered, not yet locked
    locked: int = 0
    signed_gvcn: int = 0
    signed_principal: int = 0
    sealed: int = 0  # fully signed (GVCN, principal, seal) and in the ledger
    no_personal_id: int = 0
    pin_malformed: int = 0
    pin_province: int = 0
    pin_sex: int = 0
    pin_birth_year: int = 0
    diplomas_graduates: int = 0
    diplomas_issued: int = 0
    diplomas_issued_late: int = 0
    diplomas_due: int = 0
    diplomas_late: int = 0

    def add(self, other: Tally) -> None:
        mine, theirs = self.__dict__, other.__dict__  # the city sums a few thousand: kept quick
        for name in COUNT_FIELDS:
            mine[name] += theirs[name]

    @property
    def share_signed(self) -> float | None:
        return round(self.sealed / self.students, 4) if self.students else None

    def row(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["share_signed"] = self.share_signed
        return out


COUNT_FIELDS = tuple(f.name for f in fields(Tally))
SHARES = {"share_signed": "students"}


@dataclass(frozen=True)
class SchoolFacts:
    school_id: str
    code: str
    name: str
    commune: str | None


@dataclass
class ClassFacts:
    """One class's facts; or, with ``classes`` > 1, the classes of one school at one level and status summed
    (what the city's tables need, read from the summaries: ``reporting/summaries.py``). ``counts``: the tally
    when it was counted already (the summaries keep it); else it is derived from ``transcripts``."""

    class_id: str
    school_id: str
    name: str
    grade: int
    school_year: str
    status: str
    students: int
    transcripts: dict[str, int]
    last_change: datetime | None
    quality: dict[str, int] = field(default_factory=dict)
    classes: int = 1
    counts: Tally | None = None

    @property
    def level(self) -> Level:
        return level_of_grade(self.grade)

    def tally(self) -> Tally:
        if self.counts is not None:
            return self.counts
        t = Tally(students=self.students)
        t.drafted = max(self.students - sum(self.transcripts.values()), 0)
        for name, reached in _REACHED.items():
            setattr(t, name, sum(n for s, n in self.transcripts.items() if s in reached))
        for name in QUALITY_FIELDS:
            setattr(t, name, self.quality.get(name, 0))
        return t


@dataclass(frozen=True)
class DiplomaFacts:
    """One graduation decision's deadline counts (``DiplomaService.deadline_view``)."""

    school_code: str | None
    decision_date: date
    graduates: int
    counts: Mapping[str, int]

    def tally(self) -> Tally:
        c = self.counts
        return Tally(
            diplomas_graduates=self.graduates,
            diplomas_issued=c.get("on_time", 0) + c.get("issued_late", 0),
            diplomas_issued_late=c.get("issued_late", 0),
            diplomas_due=c.get("due", 0),
            diplomas_late=c.get("late", 0),
        )


@dataclass(frozen=True)
class Filters:
    level: Level | None = None
    commune: str | None = None
    school_year: str | None = None


def visible_communes(grants: Iterable[Grant], on: date) -> frozenset[str] | None:
    """None when the person sees the whole city (a Sở role in force); else the communes of their commune
    officer grants (empty: nothing)."""
    grants = [g for g in grants if g.in_force(on)]
    if any(g.role in SO_ROLES and g.school_id is None and g.commune is None for g in grants):
        return None
    return frozenset(g.commune for g in grants if g.role is Role.COMMUNE_OFFICER and g.commune)


@dataclass
class Model:
    """The dashboard's tables, before suppression."""

    city: Tally
    communes: dict[str, Tally]
    levels: dict[Level, Tally]
    schools: dict[str, tuple[SchoolFacts, Tally, set[Level]]]
    classes: list[ClassFacts]


_RANK = {lv: i for i, lv in enumerate(Level)}


def build_model(
    schools: Iterable[SchoolFacts], classes: Iterable[ClassFacts], diplomas: Iterable[DiplomaFacts], f: Filters
) -> Model:
    """Sum the classes (and the diploma decisions) of the schools that pass the filters."""
    kept = {s.school_id: s for s in schools if f.commune is None or s.commune == f.commune}
    by_code = {s.code: s for s in kept.values()}
    model = Model(Tally(), {}, {}, {}, [])
    for s in kept.values():
        model.schools[s.school_id] = (s, Tally(), set())
    in_year = [k for k in classes if k.school_id in kept and f.school_year in (None, k.school_year)]
    top: dict[str, Level] = {}  # a school's diplomas count under its highest level (THPT issues THPT diplomas)
    for k in in_year:
        level = k.level
        if k.school_id not in top or _RANK[top[k.school_id]] < _RANK[level]:
            top[k.school_id] = level
        if f.level is not None and level is not f.level:
            continue
        model.classes.append(k)
        _, tally, levels = model.schools[k.school_id]
        t = k.tally()
        tally.add(t)
        levels.add(level)
        model.levels.setdefault(level, Tally()).add(t)
    for d in diplomas:
        owner = by_code.get(d.school_code or "")
        if owner is None or (f.school_year is not None and school_year_of(d.decision_date) != f.school_year):
            continue
        highest = top.get(owner.school_id)
        if f.level is not None and highest is not f.level:
            continue
        t = d.tally()
        model.schools[owner.school_id][1].add(t)
        if highest is not None:
            model.levels.setdefault(highest, Tally()).add(t)
    if f.level is not None:  # a school with no class of the level is not part of it
        model.schools = {sid: v for sid, v in model.schools.items() if v[2]}
    for school, tally, _ in model.schools.values():
        model.city.add(tally)
        model.communes.setdefault(school.commune or "", Tally()).add(tally)
    return model


# ---------------------------------------------------------------------------------------------- rows


def published(row: dict[str, Any]) -> dict[str, Any]:
    """A row as it may leave the service: small cells suppressed (``suppression.py``)."""
    return suppress(row, COUNT_FIELDS, SHARES)


def school_row(school: SchoolFacts, tally: Tally, levels: set[Level]) -> dict[str, Any]:
    return published(
        {
            "code": school.code,
            "name": school.name,
            "commune": school.commune,
            "levels": sorted(lv.value for lv in levels),
            **tally.row(),
        }
    )


def class_row(k: ClassFacts, waiting_since: Callable[[ClassFacts], str | None]) -> dict[str, Any]:
    step = WAITING.get(k.status)
    return published(
        {
            "class_id": k.class_id,
            "name": k.name,
            "grade": k.grade,
            "level": k.level.value,
            "school_year": k.school_year,
            "status": k.status,
            "waiting_for": step[0] if step and k.students else None,
            "waiting_role": step[1].vi if step and k.students else None,
            "waiting_since": waiting_since(k) if step and k.students else None,
            **k.tally().row(),
        }
    )


def tables(model: Model) -> dict[str, list[dict[str, Any]]]:
    """Every table behind the dashboard, suppressed (the JSON, the page and the CSVs all read these)."""
    schools = [school_row(*v) for v in sorted(model.schools.values(), key=lambda v: v[0].code)]
    return {
        "city": [published({"key": "city", "label": "Toàn thành phố", **model.city.row()})],
        "communes": [
            published({"key": name, "label": name or "(chưa rõ xã/phường)", **t.row()})
            for name, t in sorted(model.communes.items())
        ],
        "levels": [
            published({"key": lv.value, "label": LEVEL_LABELS[lv].vi, **model.levels[lv].row()})
            for lv in Level
            if lv in model.levels
        ],
        "schools": schools,
        "behind": behind(model),
        "backlog": backlog(model.classes),
    }


def behind(model: Model, n: int = TOP_BEHIND) -> list[dict[str, Any]]:
    """The ``n`` schools furthest behind the plan: lowest share of fully signed học bạ first, then the most
    students still to sign. Schools with nobody to sign are not behind."""
    rows = [(s, t, lv) for s, t, lv in model.schools.values() if t.students and t.sealed < t.students]
    rows.sort(key=lambda r: (r[1].sealed / r[1].students, -(r[1].students - r[1].sealed), r[0].code))
    return [{"rank": i + 1, **school_row(*r), "gap": r[1].students - r[1].sealed} for i, r in enumerate(rows[:n])]


def backlog(classes: Iterable[ClassFacts]) -> list[dict[str, Any]]:
    """Per waiting step: the role, the classes and documents (student-years) waiting, and since when (the
    oldest last change of a waiting class)."""
    out: dict[str, dict[str, Any]] = {}
    for k in classes:
        step = WAITING.get(k.status)
        if step is None or not k.students:
            continue
        name, who = step
        row = out.setdefault(name, {"step": name, "role": who.vi, "role_en": who.en, "classes": 0, "documents": 0})
        row["classes"] += k.classes
        row["documents"] += k.students
        if k.last_change is not None:
            since = row.get("since")
            row["since"] = min(since, k.last_change) if since else k.last_change
    order = [s for s, _ in WAITING.values()]
    rows = sorted(out.values(), key=lambda r: order.index(r["step"]))
    for r in rows:
        r["since"] = r["since"].isoformat() if r.get("since") else None
    return [suppress(r, ("documents",)) for r in rows]


TABLES = ("city", "communes", "levels", "schools", "behind", "backlog")
