"""The history behind the dashboard's trend line (issue #16 item 3): each school's học bạ figures per level as
they stood at the end of each day with a change (``progress_school_days``).

The register keeps no history, so this keeps one. ``summaries.py`` calls :func:`snapshot` in the same
transaction as each change that rewrites a school's summary rows, and :func:`rebuild` snapshots every school
(``sogoc progress summaries --rebuild``). The day is Vietnam's calendar day from the injected clock: the
reporting service registers its clock for its database's engine (:func:`keep_days`). A write through an engine
no clock was registered for (a process that never built the reporting service, a migration) leaves no
snapshot: this module never reads the wall clock. The trend for a day sums each school's latest row on or
before it (``trend_rules.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from credential_service.platform.clock import Clock
from credential_service.reporting.tables import ProgressSchoolDay, ProgressSchoolSummary

FIGURES = ("students", "locked", "signed_gvcn", "signed_principal", "sealed")  # the headline's counts
_DAYS = cast(Table, ProgressSchoolDay.__table__)
_SCHOOLS = cast(Table, ProgressSchoolSummary.__table__)
_CLOCKS: WeakKeyDictionary[Engine, Clock] = WeakKeyDictionary()
Key = tuple[str, str, int]  # school, school year, level's first grade


def keep_days(engine: Engine, clock: Clock) -> None:
    """Snapshot the changes written through ``engine`` on ``clock``'s days."""
    _CLOCKS[engine] = clock


def today_of(session: Session) -> date | None:
    """The day a change in ``session`` is snapshotted on (None: no clock registered for its engine)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    clock = _CLOCKS.get(engine)
    return clock.today() if clock is not None else None


def snapshot(session: Session, places: Iterable[tuple[str, str]] | None, day: date) -> int:
    """Write ``day``'s rows of the given (school, school year) pairs (None: every school) from the school
    summary rows, replacing any row of that day; a level a school had on an earlier day and no longer has
    gets a row of zeros, so its latest row does not count it on. Each row keeps its change from the row
    before it of the same school and level; the row after it (there is one only if the clock was moved back)
    gets its change again. Returns the rows written."""
    t, d = _SCHOOLS.c, _DAYS.c
    pairs = sorted(set(places)) if places is not None else None
    if pairs == []:
        return 0
    now_q = select(t.school_id, t.school_year, t.level_grade, *(func.sum(_SCHOOLS.c[f]).label(f) for f in FIGURES))
    kept_q = select(d.school_id, d.school_year, d.level_grade, d.day, *(_DAYS.c[f] for f in FIGURES))
    mine: list[Any] = []
    if pairs is not None:
        now_q = now_q.where(or_(*(and_(t.school_id == s, t.school_year == y) for s, y in pairs)))
        mine = [or_(*(and_(d.school_id == s, d.school_year == y) for s, y in pairs))]
    now_q = now_q.group_by(t.school_id, t.school_year, t.level_grade)
    rows: dict[Key, dict[str, int]] = {}
    for school_id, year, level, *counts in session.execute(now_q):
        rows[(school_id, year, level)] = dict(zip(FIGURES, (int(n or 0) for n in counts), strict=True))
    before: dict[Key, dict[str, int]] = {}  # each key's latest row before the day
    after: dict[Key, tuple[date, dict[str, int]]] = {}  # and its first row after it
    for school_id, year, level, on, *counts in session.execute(kept_q.where(*mine, d.day != day).order_by(d.day)):
        key, figures = (school_id, year, level), dict(zip(FIGURES, counts, strict=True))
        if on < day:
            before[key] = figures
        else:
            after.setdefault(key, (on, figures))
    for key in before:
        rows.setdefault(key, dict.fromkeys(FIGURES, 0))
    session.execute(delete(_DAYS).where(*mine, d.day == day))
    zero = dict.fromkeys(FIGURES, 0)
    values = [
        {
            "school_id": s, "school_year": y, "level_grade": lv, "day": day, **figures,
            **_changes(figures, before.get((s, y, lv), zero)),
        }
        for (s, y, lv), figures in sorted(rows.items())
    ]  # fmt: skip
    if values:
        session.execute(insert(_DAYS), values)
    for (s, y, lv), (on, figures) in after.items():
        where = (d.school_id == s, d.school_year == y, d.level_grade == lv, d.day == on)
        session.execute(update(_DAYS).where(*where).values(**_changes(figures, rows.get((s, y, lv), zero))))
    return len(values)


def _changes(figures: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {f"{f}_change": int(figures[f]) - int(before[f]) for f in FIGURES}


def read_changes(
    session: Session, school_year: str, level_grade: int | None, schools: frozenset[str] | None, today: date
) -> list[tuple[date, dict[str, int]]]:
    """Per day of ``school_year`` up to ``today`` (oldest first), each figure's change summed over the schools
    (one level, or all; the given schools, or all): the running sum of the changes is the sum of each school's
    latest row (``trend_rules.py``). One GROUP BY; one row per day leaves the database."""
    d = _DAYS.c
    where = [d.school_year == school_year, d.day <= today]
    if level_grade is not None:
        where.append(d.level_grade == level_grade)
    if schools is not None:
        where.append(d.school_id.in_(sorted(schools)))
    sums = (func.sum(_DAYS.c[f"{f}_change"]) for f in FIGURES)
    query = select(d.day, *sums).where(*where).group_by(d.day).order_by(d.day)
    return [(day, dict(zip(FIGURES, (int(n or 0) for n in s), strict=True))) for day, *s in session.execute(query)]


def read_rows(session: Session, school_year: str) -> list[tuple[str, int, date, dict[str, int]]]:
    """Every kept row of ``school_year`` as (school, level, day, figures): for checking the kept changes
    against the rule written plainly (``trend_rules.changes``)."""
    d = _DAYS.c
    query = select(d.school_id, d.level_grade, d.day, *(_DAYS.c[f] for f in FIGURES)).where(
        d.school_year == school_year
    )
    return [(s, lv, on, dict(zip(FIGURES, c, strict=True))) for s, lv, on, *c in session.execute(query)]
