"""Exact decimal values of admissions (scores, coefficients, points), parsed and written the same way
everywhere: never a binary float, at most two decimal places, Vietnamese with a decimal comma.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from credential_service.platform.errors import Message

CENT = Decimal("0.01")
ZERO = Decimal(0)


class ValueProblem(Exception):
    """One value could not be read; the caller attaches where it was."""

    def __init__(self, message: Message, expected: Message | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.expected = expected


def decimal_of(value: object, *, low: Decimal, high: Decimal, places: int = 2, what: Message) -> Decimal:
    """``value`` (int, Decimal, float, or numeric text with a dot) as an exact Decimal in [low, high] with at
    most ``places`` decimals; raises :class:`ValueProblem` naming ``what``."""
    expected = Message(
        f"số từ {vi_number(low)} đến {vi_number(high)}, tối đa {places} chữ số thập phân (dấu chấm)",
        f"a number from {low} to {high}, at most {places} decimal places (dot)",
    )
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueProblem(Message(f"Thiếu hoặc sai {what.vi}", f"Missing or invalid {what.en}"), expected)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueProblem(Message(f"{what.vi} không hữu hạn", f"{what.en} is not finite"), expected)
        value = repr(value)  # the shortest text that gives this float back: 1.1, never 1.100000000000000088
    text = str(value).strip()
    if "," in text:
        raise ValueProblem(Message(f"Dùng dấu chấm thập phân: {text!r}", f"Use a decimal dot: {text!r}"), expected)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueProblem(
            Message(f"{what.vi} không phải số: {text!r}", f"{what.en} is not a number: {text!r}"), expected
        ) from None
    if not number.is_finite() or not low <= number <= high:
        raise ValueProblem(
            Message(f"{what.vi} ngoài khoảng cho phép: {text}", f"{what.en} is out of range: {text}"), expected
        )
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueProblem(
            Message(
                f"{what.vi} có quá {places} chữ số thập phân: {text}",
                f"{what.en} has more than {places} decimal places: {text}",
            ),
            expected,
        )
    return number


def cents(value: Decimal) -> Decimal:
    """Rounded half up to two places: how totals are published and compared."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def en_number(value: Decimal) -> str:
    return f"{cents(value):.2f}"


def vi_number(value: Decimal) -> str:
    return en_number(value).replace(".", ",")
