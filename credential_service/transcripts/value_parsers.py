"""Parsers for single values of a school year: a score, a verdict (Đạt / Chưa đạt), a level (Tốt / Khá /
Đạt / Chưa đạt), a count, a grade. Each raises :class:`FieldError`; the caller attaches the location.

Shared by the JSON input (:mod:`credential_service.transcripts.year_input`) and the spreadsheet import
(:mod:`credential_service.transcripts.import_rules`).
"""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from credential_service.platform.errors import Message
from credential_service.transcripts.grading_scores import SCORE_EXPECTED, score_problem
from credential_service.transcripts.grading_types import Level, SubjectValue, Verdict
from credential_service.transcripts.subjects import ALL_GRADES, Subject


class FieldError(Exception):
    """A single value could not be parsed; the caller attaches the location."""

    def __init__(self, message: Message, expected: Message | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.expected = expected


_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
VERDICT_EXPECTED = Message('"Đ"/"Đạt" hoặc "CĐ"/"Chưa đạt"', '"Đ"/"Đạt" or "CĐ"/"Chưa đạt"')
LEVEL_EXPECTED = Message("Tốt, Khá, Đạt hoặc Chưa đạt", "Tốt, Khá, Đạt or Chưa đạt")


def _text_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_score(value: object) -> Decimal:
    """A score from int, float, Decimal or a numeric string; raises FieldError."""
    if is_blank(value):
        raise FieldError(Message("Thiếu điểm", "Missing score"), SCORE_EXPECTED)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise FieldError(Message(f"Điểm phải là số: {value!r}", f"A score must be a number: {value!r}"))
    if isinstance(value, float) and not math.isfinite(value):
        raise FieldError(Message("Điểm phải là số hữu hạn", "A score must be a finite number"), SCORE_EXPECTED)
    text = str(value).strip()
    if _COMMA_DECIMAL.match(text):
        raise FieldError(
            Message(
                f"Dùng dấu chấm cho phần thập phân: {text} → {text.replace(',', '.')}",
                f"Use a dot as the decimal separator: {text} → {text.replace(',', '.')}",
            ),
            SCORE_EXPECTED,
        )
    try:
        score = Decimal(text)
    except InvalidOperation:
        raise FieldError(
            Message(f"Điểm không phải là số: {text!r}", f"The score is not a number: {text!r}"),
            SCORE_EXPECTED,
        ) from None
    problem = score_problem(score)
    if problem is not None:
        raise FieldError(problem, SCORE_EXPECTED)
    return score


_VERDICTS = {"đ": Verdict.DAT, "đạt": Verdict.DAT, "cđ": Verdict.CHUA_DAT, "chưa đạt": Verdict.CHUA_DAT}
_LEVELS = {
    "tốt": Level.TOT, "t": Level.TOT, "khá": Level.KHA, "k": Level.KHA,
    "đạt": Level.DAT, "đ": Level.DAT, "chưa đạt": Level.CHUA_DAT, "cđ": Level.CHUA_DAT,
}  # fmt: skip


def parse_verdict(value: object) -> Verdict:
    """Đạt / Chưa đạt from "Đ", "Đạt", "CĐ", "Chưa đạt" (case-insensitive, NFC); raises FieldError."""
    if isinstance(value, Verdict):
        return value
    if isinstance(value, str) and _text_key(value) in _VERDICTS:
        return _VERDICTS[_text_key(value)]
    if is_blank(value):
        raise FieldError(Message("Thiếu kết quả đánh giá", "Missing assessment result"), VERDICT_EXPECTED)
    raise FieldError(
        Message(f"Kết quả đánh giá không hợp lệ: {value!r}", f"Invalid assessment result: {value!r}"),
        VERDICT_EXPECTED,
    )


def parse_level(value: object) -> Level:
    """Tốt / Khá / Đạt / Chưa đạt (also T, K, Đ, CĐ); raises FieldError."""
    if isinstance(value, Level):
        return value
    if isinstance(value, str) and _text_key(value) in _LEVELS:
        return _LEVELS[_text_key(value)]
    if is_blank(value):
        raise FieldError(Message("Thiếu mức đánh giá", "Missing level"), LEVEL_EXPECTED)
    raise FieldError(Message(f"Mức đánh giá không hợp lệ: {value!r}", f"Invalid level: {value!r}"), LEVEL_EXPECTED)


COUNT_EXPECTED = Message("số nguyên không âm", "a non-negative whole number")


def parse_count(value: object) -> int:
    """A non-negative whole number (int, integral float, or digits); raises FieldError."""
    if is_blank(value):
        raise FieldError(Message("Thiếu giá trị", "Missing value"), COUNT_EXPECTED)
    if isinstance(value, bool):
        raise FieldError(Message(f"Không phải số: {value!r}", f"Not a number: {value!r}"), COUNT_EXPECTED)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text.isdigit() or not text.isascii():
        raise FieldError(
            Message(f"Không phải số nguyên không âm: {value!r}", f"Not a non-negative whole number: {value!r}"),
            COUNT_EXPECTED,
        )
    return int(text)


def parse_grade(value: object) -> int:
    grade = parse_count(value)
    if grade not in ALL_GRADES:
        raise FieldError(
            Message(f"Khối lớp phải từ 6 đến 12, không phải {grade}", f"Grade must be 6–12, not {grade}"),
            Message("6–12", "6–12"),
        )
    return grade


def subject_value_problem(subject: Subject, value: object) -> tuple[SubjectValue | None, FieldError | None]:
    """Parse a subject's single year value (a re-assessment): a score or a verdict by the subject's mode."""
    try:
        return (parse_score(value) if subject.is_scored else parse_verdict(value)), None
    except FieldError as err:
        return None, err
