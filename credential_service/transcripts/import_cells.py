"""Parsers for one cell of a class import spreadsheet (see :mod:`credential_service.transcripts.import_rules`
for the file format): text cleanup and header matching, date of birth, personal ID, sex, student code and
regular scores. Each parser raises :class:`FieldError`; the caller attaches the sheet, row and column.

Also used by the diploma register import.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from credential_service.platform.errors import Message
from credential_service.transcripts.grading_scores import SCORE_EXPECTED, tx_count_problem
from credential_service.transcripts.value_parsers import FieldError, parse_score

Cell = Any  # str | int | float | date | datetime | None, as a reader produced it


class Sex(StrEnum):
    NAM = "Nam"
    NU = "Nữ"


# ------------------------------------------------------------------------------------ text and headers


def header_key(text: object) -> str:
    """Header comparison key: NFC, no diacritics, đ→d, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFD", str(text or ""))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("đ", "d").replace("Đ", "D")
    return " ".join(bare.casefold().split())


def clean_text(value: Cell) -> str:
    """A cell as NFC text with single spaces ("" for blank)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
DATE_EXPECTED = Message("ngày dạng dd/mm/yyyy hoặc yyyy-mm-dd", "a date as dd/mm/yyyy or yyyy-mm-dd")


def parse_date(value: Cell) -> date:
    """A date from a date cell, "dd/mm/yyyy" or ISO "yyyy-mm-dd"; raises FieldError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if not text:
        raise FieldError(Message("Thiếu ngày sinh", "Missing date of birth"), DATE_EXPECTED)
    iso, dmy = _ISO.match(text), _DMY.match(text)
    try:
        if iso:
            parsed = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif dmy:
            parsed = date(int(dmy[3]), int(dmy[2]), int(dmy[1]))
        else:
            raise ValueError(text)
    except ValueError:
        raise FieldError(Message(f"Ngày không hợp lệ: {text!r}", f"Invalid date: {text!r}"), DATE_EXPECTED) from None
    if parsed.year < 1900:
        raise FieldError(Message(f"Năm sinh không hợp lý: {text!r}", f"Implausible birth year: {text!r}"))
    return parsed


PIN_EXPECTED = Message(
    "12 chữ số (định dạng ô là văn bản để giữ số 0 đầu)",
    "12 digits (format the cell as text to keep leading zeros)",
)


def pin_birth_year(pin: str) -> int:
    """Birth year encoded in a 12-digit personal ID: digit 4 gives the century, digits 5–6 the year."""
    century_digit = int(pin[3])
    return (century_digit // 2 + 19) * 100 + int(pin[4:6])


def parse_personal_id(value: Cell, birth: date | None) -> str | None:
    """A 12-digit personal ID (or None when blank); raises FieldError."""
    text = clean_text(value).replace(" ", "")
    if not text:
        return None
    if not (len(text) == 12 and text.isdigit() and text.isascii()):
        raise FieldError(
            Message(
                f"Số định danh phải gồm đúng 12 chữ số: {text!r}",
                f"A personal ID is exactly 12 digits: {text!r}",
            ),
            PIN_EXPECTED,
        )
    if birth is not None and pin_birth_year(text) != birth.year:
        raise FieldError(
            Message(
                f"Số định danh mã hóa năm sinh {pin_birth_year(text)}, khác ngày sinh {birth:%d/%m/%Y}",
                f"The personal ID encodes birth year {pin_birth_year(text)}, not that of {birth.isoformat()}",
            ),
            Message("số định danh khớp năm sinh", "an ID matching the birth year"),
        )
    return text


_SEXES = {"nam": Sex.NAM, "nu": Sex.NU}
SEX_EXPECTED = Message("Nam hoặc Nữ", "Nam or Nữ")


def parse_sex(value: Cell) -> Sex:
    key = header_key(value)
    if key in _SEXES:
        return _SEXES[key]
    raise FieldError(Message(f"Giới tính không hợp lệ: {value!r}", f"Invalid sex: {value!r}"), SEX_EXPECTED)


def student_code(value: Cell) -> str:
    return clean_text(value)


_TX_SPLIT = re.compile(r"[;\s]+")


def parse_tx(value: Cell) -> tuple[Decimal, ...]:
    """Regular scores from one cell ("8; 7.5 9", or a single number); raises FieldError."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        scores: tuple[Decimal, ...] = (parse_score(value),)
    else:
        tokens = [t for t in _TX_SPLIT.split(clean_text(value)) if t]
        if not tokens:
            raise FieldError(Message("Thiếu điểm thường xuyên", "Missing regular scores"), SCORE_EXPECTED)
        for token in tokens:
            if "," in token and not re.fullmatch(r"\d+,\d+", token):
                raise FieldError(
                    Message(
                        f"Ngăn cách các điểm bằng dấu ';' hoặc dấu cách, không dùng dấu phẩy: {value!r}",
                        f"Separate scores with ';' or spaces, not commas: {value!r}",
                    ),
                    Message('ví dụ "8; 7.5; 9"', 'e.g. "8; 7.5; 9"'),
                )
        scores = tuple(parse_score(t) for t in tokens)
    problem = tx_count_problem(len(scores))
    if problem is not None:
        raise FieldError(problem)
    return scores
