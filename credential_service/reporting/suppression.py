"""Small-cell suppression (pure): no published aggregate is about fewer than five students.

Why: a count of 1–4 students at a school or in a class can single out a person (the one student without an
ID number, the two whose học bạ is not signed), and the issue forbids personal data in aggregates. A zero
names nobody and is shown. Only primary suppression is done here: a suppressed cell can still be worked out
by subtracting shown cells (a funnel's neighbours); complementary suppression is future work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

THRESHOLD = 5
MARK = "<5"  # how a suppressed cell is shown on the page and in CSV; in JSON it is null and listed in "suppressed"


def is_small(n: int | None) -> bool:
    """A count of students that must not be published: 1 to THRESHOLD - 1."""
    return n is not None and 0 < n < THRESHOLD


def suppress(row: Mapping[str, Any], counts: Iterable[str], shares: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A copy of ``row`` with every small count in ``counts`` set to None and named in ``row["suppressed"]``.

    ``shares`` maps a share field to the count it is a share of (its base): the share is suppressed when
    its base is small, since a share of three students is as telling as the count.
    """
    out = dict(row)
    hidden: list[str] = list(out.get("suppressed") or [])
    for name in counts:
        if is_small(out.get(name)):
            out[name] = None
            hidden.append(name)
    for share, base in (shares or {}).items():
        if is_small(row.get(base)) and out.get(share) is not None:
            out[share] = None
            hidden.append(share)
    out["suppressed"] = sorted(set(hidden))
    return out


def cell_text(row: Mapping[str, Any], name: str) -> str:
    """A cell for CSV and the page: the marker for a suppressed cell, '' for a missing one."""
    if name in (row.get("suppressed") or ()):
        return MARK
    value = row.get(name)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)
