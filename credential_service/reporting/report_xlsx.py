"""The report's workbook: a cover sheet, then one sheet per dashboard table with the same rows as the JSON.

Each table sheet has the Vietnamese label of each column in row 1 and the JSON field name in row 2 (so a
machine can read it back), then one row per JSON row. Counts are numbers; a suppressed cell is the text
"<5", as on the page and in the CSV; a share is a number formatted as a percentage.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from credential_service.reporting.report_rules import ALL_TABLES, SHEET_TITLES, ReportPeriod, header_labels
from credential_service.reporting.suppression import MARK
from credential_service.reporting.tables_csv import columns

COVER = "Thông tin"


def _cell(row: dict[str, Any], name: str) -> Any:
    if name in (row.get("suppressed") or ()):
        return MARK
    value = row.get(name)
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return value


def write_workbook(progress: dict[str, Any], period: ReportPeriod, *, made_at: str) -> bytes:
    """The workbook for ``progress`` (``ReportingService.progress``) as XLSX bytes."""
    wb = Workbook()
    cover = wb.active
    cover.title = COVER
    bold = Font(bold=True)
    suppression = progress["suppression"]
    plan = progress["plan"]
    for line in (
        ("Báo cáo tiến độ chuyển đổi số ngành giáo dục / Progress report", None),
        ("Sở Giáo dục và Đào tạo Hải Phòng", None),
        ("Kỳ báo cáo / period", period.key),
        ("Năm học / school year", progress["school_year"]),
        ("Số liệu tính lúc / computed at", made_at),
        ("Kế hoạch / plan", f"{plan['share_signed']:.0%} học bạ số đủ chữ ký trước {plan['by']}"),
        ("Ẩn ô nhỏ / suppression", suppression["rule_vi"]),
        ("", suppression["rule_en"]),
    ):
        cover.append(list(line))
    cover["A1"].font = bold
    cover.column_dimensions["A"].width = 36
    cover.column_dimensions["B"].width = 70
    for name in ALL_TABLES:
        rows: list[dict[str, Any]] = progress["tables"][name]
        ws = wb.create_sheet(SHEET_TITLES[name].vi)
        names = columns(rows) or ["key"]
        ws.append(header_labels(names))
        ws.append(names)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_cell(row, n) for n in names])
        for i, n in enumerate(names, start=1):
            ws.column_dimensions[get_column_letter(i)].width = 28 if n in ("name", "label", "role") else 14
            if n in ("share_signed", "share_valid", "share_failed"):
                for (cell,) in ws.iter_rows(min_row=3, min_col=i, max_col=i):
                    if isinstance(cell.value, float):
                        cell.number_format = "0.00%"
        ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_tables(data: bytes) -> dict[str, list[dict[str, Any]]]:
    """The tables back from a workbook this module wrote (row 2 names the fields): used by the tests and by
    anyone checking the file against the JSON."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ALL_TABLES:
        rows = list(wb[SHEET_TITLES[name].vi].iter_rows(values_only=True))
        fields = [str(f) for f in rows[1]]
        out[name] = [dict(zip(fields, r, strict=True)) for r in rows[2:]]
    wb.close()
    return out
