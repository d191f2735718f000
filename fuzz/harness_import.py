#!/usr/bin/env python3
"""Fuzz the class-result importers: :mod:`credential_service.transcripts.spreadsheets` (XLSX and CSV
readers) and :func:`validate_class_import`, the read-and-validate half of ``imports.import_xlsx`` /
``import_csv`` (the other half stores the result and needs a database; it is not fuzzed here).

The input is one of

* an XLSX workbook (starts with ``PK``), read with :func:`read_xlsx`;
* two worksheets' XML separated by a form feed (starts with ``<``): put into a well-formed XLSX
  package with the sheets ``HocSinh`` and ``Diem`` (:func:`fuzz.common.xlsx_from_sheets`), so that
  the fuzzer mutates cells and their types (dates, numbers, booleans, errors) rather than ZIP bytes;
* anything else: ``HocSinh.csv`` and ``Diem.csv`` separated by a form feed, read with :func:`read_csv`.

The tables are validated for a grade-8 class and a grade-10 class (the seeds hold both).

Fine: :class:`InvalidInput` and any other :class:`SogocError` that is not an internal error (how the
importers document a refused file). A finding: any other exception, and an accepted import whose
students do not match the roster.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # `python fuzz/harness_X.py`: make the `fuzz` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from credential_service.platform.errors import ErrorCategory, SogocError
from credential_service.transcripts.import_rules import RESULTS_SHEET, ROSTER_SHEET, Table, validate_class_import
from credential_service.transcripts.spreadsheets import read_csv, read_xlsx
from fuzz.common import SHEET_SEPARATOR, Finding, run_as_script, xlsx_from_sheets

GRADES = (8, 10)


def read_tables(data: bytes) -> tuple[Table, Table]:
    if data.startswith(b"PK"):
        return read_xlsx(data)
    first, _, second = data.partition(SHEET_SEPARATOR)
    if data.startswith(b"<"):
        return read_xlsx(xlsx_from_sheets([(ROSTER_SHEET, first), (RESULTS_SHEET, second)]))
    return read_csv(first, second)


def _documented(e: SogocError) -> bool:
    return e.category is not ErrorCategory.INTERNAL


def test_one_input(data: bytes) -> None:
    try:
        roster, results = read_tables(data)
    except SogocError as e:
        if _documented(e):
            return
        raise
    for grade in GRADES:
        try:
            students = validate_class_import(roster, results, grade=grade)
        except SogocError as e:
            if _documented(e):
                continue
            raise
        codes = [s.code for s in students]
        if len(set(codes)) != len(codes) or not students:
            raise Finding(f"grade {grade}: accepted an import with students {codes}")


if __name__ == "__main__":
    run_as_script("import")
