"""The dashboard's trend line (pure; issue #16 item 3, "trend lines"): the share of students with a fully signed
học bạ over time, against Section IV of the city's 2026 plan (every student's học bạ số fully signed by 6/2026:
``rules.PLAN_SHARE``, which the service passes in).

Source: the daily rows kept per school and level (``trend.py``). Rule: the figure of a scope (the city, a
commune, a level) on a day is the sum, over its schools and levels, of each one's latest row on or before that
day: a school with no change that day still counts as it last stood. There is one point per day on which some
row was kept, and a last point today carrying the latest figures forward. Suppressed like every cell
(``suppression.py``): a count of 1–4 students, and a share of them, is not published.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from credential_service.reporting.suppression import suppress

FIGURES = ("students", "locked", "signed_gvcn", "signed_principal", "sealed")
TABLES = ("trend",)


def changes(kept: Iterable[tuple[str, int, date, Mapping[str, int]]]) -> list[tuple[date, dict[str, int]]]:
    """The rule written plainly, for rows already read (``trend.read_changes`` computes the same in SQL): per
    day, each figure's change summed over the schools and levels: a row less the one before it of the same
    school and level. ``kept``: (school, level, day, figures) in any order."""
    latest: dict[tuple[str, int], Mapping[str, int]] = {}
    out: dict[date, dict[str, int]] = {}
    for school, level, day, figures in sorted(kept, key=lambda r: r[2]):
        old = latest.get((school, level), {})
        cell = out.setdefault(day, dict.fromkeys(FIGURES, 0))
        for f in FIGURES:
            cell[f] += int(figures.get(f, 0)) - int(old.get(f, 0))
        latest[(school, level)] = figures
    return sorted(out.items())


def trend_rows(
    day_changes: Iterable[tuple[date, Mapping[str, int]]],
    today: date,
    *,
    plan_share: float = 1.0,
    since: date | None = None,
) -> list[dict[str, Any]]:
    """One row per day with a change (oldest first), each figure the running sum of the changes up to it (the
    sum of each school's latest row on or before the day), the share fully signed and the plan's share; and a
    last row today. Changes after ``today`` are ignored (a clock moved back); days before ``since`` give no
    row but count for the later ones."""
    totals = dict.fromkeys(FIGURES, 0)
    points: list[dict[str, Any]] = []
    seen = False
    for day, change in sorted(day_changes, key=lambda r: r[0]):
        if day > today:
            break
        seen = True
        for f in FIGURES:
            totals[f] += int(change.get(f, 0))
        if since is None or day >= since:
            points.append({"day": day, **totals})
    if seen and (not points or points[-1]["day"] < today):
        points.append({"day": today, **totals})  # the line reaches today
    return [_published(p, plan_share) for p in points]


def _published(point: dict[str, Any], plan_share: float) -> dict[str, Any]:
    students, sealed = point["students"], point["sealed"]
    row = {
        **point,
        "day": point["day"].isoformat(),
        "share_signed": round(sealed / students, 4) if students else None,
        "plan_share": plan_share,
    }
    return suppress(row, FIGURES, {"share_signed": "students"})
