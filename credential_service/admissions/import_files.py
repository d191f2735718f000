"""Reading the admissions workbook within :data:`ADMISSIONS_LIMITS` in a worker process, and writing one (demo,
tests). The format is :mod:`credential_service.admissions.import_rules`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook

from credential_service.admissions.import_rules import (
    CATEGORY,
    DIRECT,
    GROUP,
    PIN,
    PRIORITY,
    RESULTS,
    SBD,
    VIOLATION,
    WISHES,
    ApplicantRecord,
)
from credential_service.admissions.year_rules import YearConfig
from credential_service.platform.errors import Message
from credential_service.platform.spreadsheet_input import open_xlsx, sheet_rows
from credential_service.platform.upload_limits import MB, SpreadsheetLimits, run_limited
from credential_service.transcripts.import_sheets import Table

# A city's grade-10 year: about 26,000 applicants (30,000 with room), four sheets of up to ~15 columns.
ADMISSIONS_LIMITS = SpreadsheetLimits(
    label=Message("tệp tuyển sinh", "admissions workbook"),
    max_bytes=20 * MB,
    max_unzipped_bytes=300 * MB,
    max_sheets=10,
    max_rows=60_000,
    max_columns=40,
    max_cells=2_000_000,
    max_line_chars=64 * 1024,
    seconds=120.0,
    memory_bytes=2 * 1024 * MB,
)


def read_workbook(data: bytes, limits: SpreadsheetLimits = ADMISSIONS_LIMITS) -> dict[str, Table]:
    """Every sheet of the workbook as a :class:`Table` (row 1: headers), within ``limits``."""
    out: dict[str, Table] = {}
    with open_xlsx(data, limits, file="xlsx") as workbook:
        for ws in workbook.worksheets:
            rows = list(sheet_rows(ws, limits, file="xlsx"))
            if not rows:
                out[ws.title] = Table(ws.title, [], [])
                continue
            (header_row, headers), body = rows[0], rows[1:]
            out[ws.title] = Table(ws.title, headers, body, header_row=header_row)
    return out


def read_workbook_isolated(data: bytes) -> dict[str, Table]:
    """:func:`read_workbook` in a worker process, within the time and memory of :data:`ADMISSIONS_LIMITS`."""
    return run_limited(ADMISSIONS_LIMITS, read_workbook, data, ADMISSIONS_LIMITS)


def _score_cell(value: object) -> object:
    return "V" if value is None else str(value)


def write_workbook(records: Sequence[ApplicantRecord], config: YearConfig) -> bytes:
    """A workbook in the import format holding ``records`` (all cells text, as a clerk's export would be)."""
    subjects = [name for name, _ in config.rules.subjects]
    specialised = sorted(config.specialised_subjects)
    ranks = [f"NV{k + 1}" for k in range(config.rules.max_wishes)]
    wb = Workbook()
    results = wb.active
    assert results is not None
    results.title = RESULTS
    results.append([SBD, PIN, *subjects, *specialised, VIOLATION])
    for r in records:
        specialised_cells = [_score_cell(r.scores[s]) if s in r.scores else None for s in specialised]
        results.append(
            [
                r.registration_no,
                r.personal_id,
                *(_score_cell(r.scores.get(s)) for s in subjects),
                *specialised_cells,
                "x" if r.violation else None,
            ]
        )
    wishes = wb.create_sheet(WISHES)
    wishes.append([SBD, *ranks])
    for r in records:
        if r.wishes:
            wishes.append([r.registration_no, *r.wishes])
    priority = wb.create_sheet(PRIORITY)
    priority.append([SBD, GROUP])
    for r in records:
        if r.priority_group is not None:
            priority.append([r.registration_no, r.priority_group])
    direct = wb.create_sheet(DIRECT)
    direct.append([SBD, CATEGORY])
    for r in records:
        if r.direct_category is not None:
            direct.append([r.registration_no, r.direct_category])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
