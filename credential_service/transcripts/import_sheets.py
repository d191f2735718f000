"""The sheets of an import file as read, and the problem report filled while checking them: header
matching, cell access and per-cell parsing that records a problem at ``{"sheet", "row", "column"}``.

Used by :mod:`credential_service.transcripts.import_rules` (and its :class:`Table` by the readers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from credential_service.platform.errors import Message, Problem
from credential_service.transcripts.import_cells import Cell, clean_text, header_key
from credential_service.transcripts.value_parsers import FieldError, is_blank


@dataclass(frozen=True)
class Table:
    """A sheet as read: its name, header cells (row ``header_row``) and numbered data rows."""

    name: str
    headers: list[Any]
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)
    header_row: int = 1


class _Report:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, sheet: str, row: int, column: str | None, message: Message, value: Cell = None,
        expected: Message | None = None,
    ) -> None:  # fmt: skip
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.problems.append(Problem(message, {"sheet": sheet, "row": row, "column": column}, shown, expected))


@dataclass
class _Sheet:
    table: Table
    columns: dict[str, int]

    def cell(self, values: Sequence[Cell], header: str) -> Cell:
        index = self.columns.get(header)
        if index is None or index >= len(values):
            return None
        value = values[index]
        return None if is_blank(value) else value


def _map_headers(table: Table, required: Sequence[str], optional: Sequence[str], report: _Report) -> _Sheet | None:
    """Locate the columns; report a wrong or empty sheet."""
    wanted = {header_key(h): h for h in (*required, *optional)}
    columns: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        canonical = wanted.get(header_key(header))
        if canonical is not None and canonical not in columns:
            columns[canonical] = index
    missing = [h for h in required if h not in columns]
    if missing:
        found = [clean_text(h) for h in table.headers if not is_blank(h)]
        report.add(
            table.name, table.header_row, None,
            Message(
                f"Bảng {table.name} sai mẫu: thiếu cột {', '.join(missing)} "
                f"(các cột có: {found or 'không có'})",
                f"Sheet {table.name} does not match the template: missing columns {', '.join(missing)} "
                f"(found: {found or 'none'})",
            ),
            None,
            Message(f"các cột: {', '.join(required)}", f"columns: {', '.join(required)}"),
        )  # fmt: skip
        return None
    if not [row for row in table.rows if not _blank_row(row[1])]:
        report.add(
            table.name, table.header_row, None,
            Message(f"Bảng {table.name} không có dòng dữ liệu nào", f"Sheet {table.name} has no data rows"),
        )  # fmt: skip
        return None
    return _Sheet(table, columns)


def _blank_row(values: Sequence[Cell]) -> bool:
    return all(is_blank(v) for v in values)


def _field(report: _Report, sheet: _Sheet, row: int, values: Sequence[Cell], header: str, parse: Any) -> Any:
    value = sheet.cell(values, header)
    try:
        return parse(value)
    except FieldError as err:
        report.add(sheet.table.name, row, header, err.message, value, err.expected)
        return None
