"""Reading a paper register book's file (XLSX or CSV) within :data:`REGISTER_LIMITS`, in a worker process.

Kept apart from :mod:`credential_service.diplomas.register_import` so that the worker imports only what
reading needs (openpyxl, the platform readers), not the database layer.
"""

from __future__ import annotations

from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.platform.spreadsheet_input import csv_rows, open_xlsx, sheet_rows
from credential_service.platform.upload_limits import MB, SpreadsheetLimits, run_limited
from credential_service.transcripts.import_rules import Table

SHEET = "SoGoc"

# One paper register book: up to 200,000 entries (a Sở's books since 2000 are a few thousand to tens of
# thousands of rows each) of 18 columns; read in a worker within these limits. Measured with 20,000 demo rows
# on a loaded 2-core box: the .xlsx (1.7 MB, 21 MB unpacked) took 8 s of CPU to read, the CSV 0.4 s; so
# a 200,000-row .xlsx needs on the order of 80 s, hence the 180 s.
REGISTER_LIMITS = SpreadsheetLimits(
    label=Message("tệp sổ gốc", "register file"), max_bytes=20 * MB, max_unzipped_bytes=400 * MB, max_sheets=10,
    max_rows=200_000, max_columns=100, max_cells=5_000_000, max_line_chars=64 * 1024, seconds=180.0,
    memory_bytes=3 * 1024 * MB,
)  # fmt: skip


def _invalid(vi: str, en: str) -> InvalidInput:
    msg = Message(vi, en)
    return InvalidInput(msg, problems=[Problem(msg, {"file": "register"})])


def read_register(data: bytes, file_name: str, limits: SpreadsheetLimits = REGISTER_LIMITS) -> Table:
    """The register sheet of an XLSX workbook (the first sheet) or a CSV file (UTF-8; , ; or tab), within
    ``limits`` (run it in a worker: :func:`read_register_isolated`)."""
    if file_name.lower().endswith(".csv") or not data.startswith(b"PK"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _invalid(
                f"Tệp {file_name} không phải mã UTF-8 (byte lỗi ở vị trí {exc.start}); hãy lưu lại dạng 'CSV UTF-8'.",
                f"File {file_name} is not UTF-8 (bad byte at offset {exc.start}); save it again as 'CSV UTF-8'.",
            ) from exc
        rows: list[tuple[int, list[Any]]] = [(n, list(v)) for n, v in csv_rows(text, limits, file=file_name)]
    else:
        with open_xlsx(data, limits, file="register") as wb:
            rows = list(sheet_rows(wb.worksheets[0], limits, file="register")) if wb.worksheets else []
    if not rows:
        return Table(SHEET, [], [])
    (hn, headers), data_rows = rows[0], rows[1:]
    return Table(SHEET, headers, data_rows, header_row=hn)


def read_register_isolated(data: bytes, file_name: str) -> Table:
    """:func:`read_register` in a worker process, within the time and memory of :data:`REGISTER_LIMITS`."""
    return run_limited(REGISTER_LIMITS, read_register, data, file_name, REGISTER_LIMITS)
