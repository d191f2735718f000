"""Validating a register book's rows (:func:`validate_register`): every problem is reported with the sheet,
row, column, value and what was expected (impossible dates, malformed ID numbers, duplicate serials,
register numbers out of sequence, missing mandatory fields), Vietnamese first, English second. A book
with any problem is refused whole (:class:`InvalidInput`); :func:`format_report` and :func:`report_json`
print the problems.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from credential_service.diplomas import rules
from credential_service.diplomas.register_book import COLUMNS, OPTIONAL, REQUIRED, BookInfo, LegacyRow
from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.import_rules import (
    FieldError,
    Table,
    clean_text,
    header_key,
    parse_date,
    parse_personal_id,
    parse_sex,
)

_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]{2,31}$")
MIN_AGE, MAX_AGE = 13, 80  # plausible age at graduation [B]


class _Report:
    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.problems: list[Problem] = []

    def add(self, row: int, column: str | None, vi: str, en: str, value: Any = None,
            expected: Message | None = None) -> None:  # fmt: skip
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.problems.append(Problem(Message(vi, en), {"sheet": self.sheet, "row": row, "column": column}, shown,
                                     expected))  # fmt: skip


YEAR_DIGITS = 4
PLACE_DIGITS = 6  # page and line numbers in one book: 200,000 entries at most (REGISTER_LIMITS)


def _whole_number(value: Any, max_digits: int) -> int | None:
    """The cell as a whole number written with 1 to ``max_digits`` ASCII digits, else ``None``.

    ``str.isdigit`` alone is not enough: it is also true for digits ``int`` refuses (superscripts such
    as '²'), and ``int`` refuses more than 4,300 digits.
    """
    text = clean_text(value)
    if not 0 < len(text) <= max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def validate_register(table: Table, book: BookInfo, *, register_format: str, today: date) -> list[LegacyRow]:
    """Every row of a register book, or InvalidInput naming every problem (sheet, row, column, value, expected)."""
    report = _Report(table.name)
    columns: dict[str, int] = {}
    wanted = {header_key(h): h for h in (*REQUIRED, *OPTIONAL)}
    for i, h in enumerate(table.headers):
        name = wanted.get(header_key(h))
        if name and name not in columns:
            columns[name] = i
    missing = [h for h in REQUIRED if h not in columns]
    if missing:
        report.add(table.header_row, None, f"Sổ sai mẫu: thiếu cột {', '.join(missing)}",
                   f"The register does not match the template: missing columns {', '.join(missing)}", None,
                   Message(f"các cột: {', '.join(COLUMNS)}", f"columns: {', '.join(COLUMNS)}"))  # fmt: skip
        _raise(report)
    if not table.rows:
        report.add(table.header_row, None, "Sổ không có dòng nào", "The register has no rows")
        _raise(report)

    def cell(values: Sequence[Any], name: str) -> Any:
        i = columns.get(name)
        if i is None or i >= len(values):
            return None
        v = values[i]
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    out: list[LegacyRow] = []
    serials: dict[str, int] = {}
    numbers: dict[str, int] = {}
    last_seq: dict[int, tuple[int, int]] = {}  # register year -> (seq, row)
    type_code = book.diploma_type.value
    for n, values in table.rows:
        ok = True
        for name in REQUIRED:
            if cell(values, name) is None:
                report.add(n, name, f"Thiếu {name}", f"Missing mandatory field {name}")
                ok = False
        full_name = rules.display_name(clean_text(cell(values, "Họ và tên")))
        dob: date | None = None
        raw_dob = cell(values, "Ngày sinh")
        if raw_dob is not None:
            try:
                dob = parse_date(raw_dob)
            except FieldError as err:
                report.add(n, "Ngày sinh", f"Ngày sinh không thể có: {err.message.vi}",
                           f"Impossible date of birth: {err.message.en}", raw_dob, err.expected)  # fmt: skip
                ok = False
        raw_year = cell(values, "Năm tốt nghiệp")
        year = _whole_number(raw_year, YEAR_DIGITS)
        if raw_year is not None and (year is None or not rules.FIRST_LEGACY_YEAR <= year <= today.year):
            report.add(n, "Năm tốt nghiệp", "Năm tốt nghiệp không hợp lệ", "Invalid graduation year", raw_year,
                       Message(f"năm từ {rules.FIRST_LEGACY_YEAR} đến {today.year}",
                               f"a year from {rules.FIRST_LEGACY_YEAR} to {today.year}"))  # fmt: skip
            ok, year = False, None
        if dob is not None:
            if dob > today:
                report.add(n, "Ngày sinh", "Ngày sinh ở tương lai", "Date of birth in the future", raw_dob)
                ok = False
            elif year is not None and not MIN_AGE <= year - dob.year <= MAX_AGE:
                report.add(n, "Ngày sinh", f"Ngày sinh không thể có: {year - dob.year} tuổi khi tốt nghiệp năm {year}",
                           f"Impossible date of birth: aged {year - dob.year} at graduation in {year}", raw_dob,
                           Message(f"từ {MIN_AGE} đến {MAX_AGE} tuổi khi tốt nghiệp",
                                   f"aged {MIN_AGE} to {MAX_AGE} at graduation"))  # fmt: skip
                ok = False
        sex = ""
        if cell(values, "Giới tính") is not None:
            try:
                sex = parse_sex(cell(values, "Giới tính")).value
            except FieldError as err:
                report.add(n, "Giới tính", err.message.vi, err.message.en, cell(values, "Giới tính"), err.expected)
                ok = False
        pin: str | None = None
        old_id: str | None = None
        raw_pin = cell(values, "Số định danh")
        if raw_pin is not None:
            digits = clean_text(raw_pin).replace(" ", "")
            if len(digits) == 9 and digits.isdigit() and digits.isascii():
                old_id = digits  # an old 9-digit CMND: valid, not a personal ID number; kept as history [B]
            else:
                try:
                    pin = parse_personal_id(raw_pin, dob)
                except FieldError as err:
                    report.add(n, "Số định danh", f"Số định danh sai dạng: {err.message.vi}",
                               f"Malformed ID number: {err.message.en}", raw_pin,
                               Message("12 chữ số (CCCD) hoặc 9 chữ số (CMND cũ)",
                                       "12 digits (personal ID) or 9 digits (old ID card)"))  # fmt: skip
                    ok = False
        serial = clean_text(cell(values, "Số hiệu văn bằng")).upper().replace(" ", "")
        if serial:
            if not _SERIAL.match(serial):
                report.add(n, "Số hiệu văn bằng", "Số hiệu văn bằng sai dạng", "Malformed diploma serial", serial,
                           Message("3–32 chữ cái/chữ số", "3–32 letters or digits"))  # fmt: skip
                ok = False
            elif serial in serials:
                report.add(n, "Số hiệu văn bằng", f"Trùng số hiệu với dòng {serials[serial]}",
                           f"Duplicate serial: also on row {serials[serial]}", serial)  # fmt: skip
                ok = False
            else:
                serials[serial] = n
        register_no = clean_text(cell(values, "Số vào sổ"))
        parsed = rules.parse_register_no(register_no, register_format) if register_no else None
        seq = reg_year = 0
        if register_no:
            expected_no = Message(
                f"dạng {register_format}, loại {type_code}",
                f"formatted {register_format}, type {type_code}",
            )
            if parsed is None or parsed.type not in (None, type_code):
                report.add(n, "Số vào sổ", "Số vào sổ sai dạng", "Malformed register number", register_no, expected_no)
                ok = False
            elif parsed.seq < 1:  # Circular 21/2019 Art. 13: natural numbers, from 1 in each year
                report.add(n, "Số vào sổ", "Số thứ tự trong số vào sổ phải bắt đầu từ 1",
                           "The sequence number in a register number starts at 1", register_no,
                           Message(f"số thứ tự từ 1, dạng {register_format}",
                                   f"a sequence number from 1, formatted {register_format}"))  # fmt: skip
                ok = False
            else:
                # a format without {year} numbers within the graduation year's book
                reg_year = parsed.year if parsed.year is not None else (year or 0)
                register_no = rules.format_register_no(parsed.seq, type_code, reg_year, register_format)
                seq = parsed.seq
                if register_no in numbers:
                    report.add(n, "Số vào sổ", f"Trùng số vào sổ với dòng {numbers[register_no]}",
                               f"Duplicate register number: also on row {numbers[register_no]}",
                               register_no)  # fmt: skip
                    ok = False
                else:
                    numbers[register_no] = n
                if year is not None and reg_year < year:
                    report.add(n, "Số vào sổ", f"Năm vào sổ {reg_year} trước năm tốt nghiệp {year}",
                               f"Register year {reg_year} is before the graduation year {year}",
                               register_no)  # fmt: skip
                    ok = False
                previous = last_seq.get(reg_year)
                # Circular 21/2019 Art. 13: consecutive ascending numbers within each calendar year
                if previous is not None and seq != previous[0] + 1:
                    report.add(n, "Số vào sổ", f"Số vào sổ không liên tục: sau {previous[0]} (dòng {previous[1]}) "
                               f"phải là {previous[0] + 1}",
                               f"Register number out of sequence: after {previous[0]} (row {previous[1]}) comes "
                               f"{previous[0] + 1}", register_no,
                               Message(f"{previous[0] + 1}/{type_code}/{reg_year}",
                                       f"{previous[0] + 1}/{type_code}/{reg_year}"))  # fmt: skip
                    ok = False
                last_seq[reg_year] = (seq, n)
        decision_date: date | None = None
        raw_dd = cell(values, "Ngày quyết định")
        if raw_dd is not None:
            try:
                decision_date = parse_date(raw_dd)
                if decision_date > today or (year is not None and decision_date.year not in (year, year + 1)):
                    raise FieldError(Message(f"ngày {decision_date:%d/%m/%Y}", f"date {decision_date.isoformat()}"))
            except FieldError as err:
                report.add(n, "Ngày quyết định", f"Ngày quyết định không thể có: {err.message.vi}",
                           f"Impossible decision date: {err.message.en}", raw_dd,
                           Message("trong năm tốt nghiệp, không ở tương lai",
                                   "in the graduation year, not in the future"))  # fmt: skip
                ok = False
        page, line = (_whole_number(cell(values, name), PLACE_DIGITS) for name in ("Trang", "Dòng"))
        for name, v in (("Trang", page), ("Dòng", line)):
            raw = cell(values, name)
            if raw is not None and (v is None or v < 1):
                report.add(n, name, f"{name} phải là số nguyên dương", f"{name} must be a positive whole number", raw,
                           Message(f"số nguyên dương, tối đa {PLACE_DIGITS} chữ số",
                                   f"a positive whole number of at most {PLACE_DIGITS} digits"))  # fmt: skip
                ok = False
        if not ok or dob is None or year is None or page is None or line is None:
            continue
        out.append(
            LegacyRow(
                row=n, full_name=full_name, date_of_birth=dob,
                place_of_birth=clean_text(cell(values, "Nơi sinh")) or None, sex=sex,
                ethnicity=clean_text(cell(values, "Dân tộc")) or None,
                school=clean_text(cell(values, "Học sinh trường")), graduation_year=year,
                classification=clean_text(cell(values, "Xếp loại tốt nghiệp")) or None, serial_no=serial,
                register_no=register_no, register_seq=seq, register_year=reg_year,
                decision_no=clean_text(cell(values, "Số quyết định")) or None, decision_date=decision_date,
                personal_id=pin, page=page, line=line, scan_ref=clean_text(cell(values, "Ảnh quét")) or None,
                note=clean_text(cell(values, "Ghi chú")) or None, name_key=rules.name_key(full_name),
                old_id_number=old_id,
            )
        )  # fmt: skip
    if report.problems:
        _raise(report)
    return out


def _raise(report: _Report) -> None:
    problems = sorted(report.problems, key=lambda p: int(p.location.get("row") or 0))
    rows = len({p.location.get("row") for p in problems})
    raise InvalidInput(
        Message(f"Sổ có {len(problems)} lỗi ở {rows} dòng; chưa có dòng nào được nhập.",
                f"The register has {len(problems)} problem(s) on {rows} row(s); nothing was imported."),
        problems=problems,
        hint=Message("Sửa các ô được nêu (đối chiếu với sổ giấy và ảnh quét) rồi nhập lại cả tệp.",
                     "Fix the cells listed (check the paper book and its scan) and import the whole file again."),
    )  # fmt: skip


def format_report(err: InvalidInput, limit: int = 200) -> str:
    """The validation report as text, one problem per line (what the CLI prints)."""
    lines = [f"{err.message.vi}", f"{err.message.en}"]
    for p in err.problems[:limit]:
        loc = p.location
        where = f"dòng/row {loc.get('row')}, cột/column {loc.get('column') or '-'}"
        value = f" — giá trị/value: {p.value!r}" if p.value is not None else ""
        expected = f" — cần/expected: {p.expected.vi} / {p.expected.en}" if p.expected else ""
        lines.append(f"  [{where}] {p.message.vi} / {p.message.en}{value}{expected}")
    if len(err.problems) > limit:
        lines.append(f"  … {len(err.problems) - limit} lỗi khác / more")
    return "\n".join(lines)


def report_json(err: InvalidInput) -> str:
    return json.dumps([p.to_dict() for p in err.problems], ensure_ascii=False, indent=1)
