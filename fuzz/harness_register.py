#!/usr/bin/env python3
"""Fuzz the register-book importer: :func:`read_register` (:mod:`credential_service.diplomas.register_files`)
and :func:`validate_register` (:mod:`credential_service.diplomas.register_validation`), what
``RegisterImporter.check_file`` does, with no database; and the validation report printed from a refused book.

The input is one of

* an XLSX workbook (starts with ``PK``);
* one worksheet's XML (starts with ``<``), put into a well-formed XLSX package
  (:func:`fuzz.common.xlsx_from_sheets`) so that the fuzzer mutates cells and their types;
* anything else: a CSV file.

Books are THPT diplomas of the Sở, in the default register-number format, checked on a fixed day.

Fine: :class:`InvalidInput` and any other :class:`SogocError` that is not an internal error. A finding:
any other exception, and an accepted book with duplicate serials or register numbers.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

if __package__ in (None, ""):  # `python fuzz/harness_X.py`: make the `fuzz` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from credential_service.diplomas.register_book import BookInfo
from credential_service.diplomas.register_files import SHEET, read_register
from credential_service.diplomas.register_validation import format_report, report_json, validate_register
from credential_service.diplomas.rules import DEFAULT_REGISTER_FORMAT, DiplomaType
from credential_service.platform.errors import ErrorCategory, InvalidInput, SogocError
from credential_service.transcripts.import_rules import Table
from fuzz.common import Finding, run_as_script, xlsx_from_sheets

BOOK = BookInfo("SG-THPT-2004-Q1", "SO-GDDT-HP", "Sở Giáo dục và Đào tạo Hải Phòng", DiplomaType.THPT,
                signer_name="Giám đốc Sở")  # fmt: skip
TODAY = date(2026, 6, 15)


def read_table(data: bytes) -> Table:
    if data.startswith(b"PK"):
        return read_register(data, "so-goc.xlsx")
    if data.startswith(b"<"):
        return read_register(xlsx_from_sheets([(SHEET, data)]), "so-goc.xlsx")
    return read_register(data, "so-goc.csv")


def test_one_input(data: bytes) -> None:
    try:
        rows = validate_register(read_table(data), BOOK, register_format=DEFAULT_REGISTER_FORMAT, today=TODAY)
    except InvalidInput as e:
        format_report(e)
        report_json(e)
        return
    except SogocError as e:
        if e.category is ErrorCategory.INTERNAL:
            raise
        return
    serials = [r.serial_no for r in rows]
    numbers = [r.register_no for r in rows]
    if len(set(serials)) != len(serials) or len(set(numbers)) != len(numbers):
        raise Finding("an accepted book has duplicate serials or register numbers")


if __name__ == "__main__":
    run_as_script("register")
