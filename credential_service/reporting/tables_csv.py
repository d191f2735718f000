"""A dashboard table as CSV (pure): the JSON rows, one column per field, suppressed cells as "<5"."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from credential_service.reporting.suppression import cell_text


def columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every field of the rows in first-seen order, without the bookkeeping list ``suppressed``."""
    out: dict[str, None] = {}
    for row in rows:
        out.update(dict.fromkeys(k for k in row if k != "suppressed"))
    return list(out)


def _text(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return cell_text(row, name)


def to_csv(rows: list[dict[str, Any]]) -> str:
    names = columns(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_text(row, n) for n in names])
    return buffer.getvalue()
