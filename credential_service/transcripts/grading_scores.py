"""Scores and subject results (Circular 22/2021 Art. 5, 6 and 9.1): score checks, semester and year
averages of scored subjects, and the Đạt/Chưa đạt results of comment-assessed subjects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.grading_types import Traced, Verdict, _step

ONE_DECIMAL = Decimal("0.1")
MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("10")
# Regular assessments per semester: 2, 3 or 4 depending on periods per year (Art. 6); a THPT topic can add
# one. Checked loosely on purpose: the period count of each school's plan is not in our input.
MIN_TX = 1
MAX_TX = 5


def fmt(value: Decimal) -> str:
    """A score for people: one decimal when it has one, else as entered (8 → "8", 7.5 → "7.5")."""
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")


# ------------------------------------------------------------------------------------ score checks


def round_score(value: Decimal) -> Decimal:
    """Round half up to one decimal: 7.26 → 7.3, 7.25 → 7.3, 7.24 → 7.2 (Art. 5 / Art. 9)."""
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def score_problem(value: Decimal) -> Message | None:
    """Why ``value`` is not a valid score (0.0–10.0, at most one decimal; TT22 Art. 5), or None."""
    try:
        if not value.is_finite() or value < MIN_SCORE or value > MAX_SCORE:
            return Message(f"Điểm phải từ 0 đến 10, không được {fmt(value)}", f"A score must be 0–10, not {value}")
        if value != value.quantize(ONE_DECIMAL):
            return Message(
                f"Điểm chỉ được có một chữ số thập phân: {value}",
                f"A score has at most one decimal digit: {value}",
            )
    except InvalidOperation:
        return Message(f"Điểm không hợp lệ: {value}", f"Invalid score: {value}")
    return None


SCORE_EXPECTED = Message("số từ 0.0 đến 10.0, tối đa một chữ số thập phân", "a number 0.0–10.0, one decimal")


def tx_count_problem(count: int) -> Message | None:
    """Why ``count`` regular assessments in a semester is implausible (TT22 Art. 6), or None."""
    if MIN_TX <= count <= MAX_TX:
        return None
    return Message(
        f"Số điểm đánh giá thường xuyên trong học kì phải từ {MIN_TX} đến {MAX_TX}, đang có {count}",
        f"A semester needs {MIN_TX}–{MAX_TX} regular assessment scores, got {count}",
    )


def _require_scores(scores: Iterable[tuple[str, Decimal]]) -> None:
    problems = [
        Problem(msg, {"field": name}, str(value), SCORE_EXPECTED)
        for name, value in scores
        if (msg := score_problem(value)) is not None
    ]
    if problems:
        raise InvalidInput(Message("Điểm không hợp lệ", "Invalid score"), problems=problems)


# ------------------------------------------------------------------------------- subject results


def semester_average(tx: Sequence[Decimal], gk: Decimal, ck: Decimal) -> Traced[Decimal]:
    """ĐTBmhk = (TĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5) — TT22 Art. 9.1.b.

    Rounding: the exact quotient is rounded once, half up, to one decimal (intermediates are never
    rounded).
    """
    problem = tx_count_problem(len(tx))
    if problem is not None:
        raise InvalidInput(problem, problems=[Problem(problem, {"field": "tx"}, len(tx))])
    _require_scores([*((f"tx[{i}]", s) for i, s in enumerate(tx)), ("gk", gk), ("ck", ck)])
    total_tx = sum(tx, Decimal(0))
    exact = (total_tx + 2 * gk + 3 * ck) / Decimal(len(tx) + 5)
    result = round_score(exact)
    tx_text = " + ".join(fmt(s) for s in tx)
    formula = f"({tx_text} + 2×{fmt(gk)} + 3×{fmt(ck)}) / ({len(tx)} + 5) = {_show(exact)} → {result}"
    return Traced(
        result,
        (
            _step(
                "TT22/Điều 9.1.b",
                f"ĐTBmhk = (TĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (số ĐĐGtx + 5) = {formula} (làm tròn lên nửa)",
                f"Semester average = (sum of regular + 2·mid + 3·final) / (n regular + 5) = {formula} "
                "(rounded half up)",
            ),
        ),
    )


def year_average(hk1: Decimal, hk2: Decimal) -> Traced[Decimal]:
    """ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3 — TT22 Art. 9.1.b.

    The inputs are the published (already rounded) semester averages; the exact quotient is rounded
    once, half up, to one decimal: (7.2 + 2×7.3)/3 = 7.2666… → 7.3.
    """
    _require_scores([("hk1", hk1), ("hk2", hk2)])
    exact = (hk1 + 2 * hk2) / Decimal(3)
    result = round_score(exact)
    formula = f"({fmt(hk1)} + 2×{fmt(hk2)}) / 3 = {_show(exact)} → {result}"
    return Traced(
        result,
        (
            _step(
                "TT22/Điều 9.1.b",
                f"ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3 = {formula}",
                f"Year average = (semester I + 2·semester II) / 3 = {formula}",
            ),
        ),
    )


def _show(exact: Decimal) -> str:
    """An exact quotient for a trace, cut to 4 decimals (…) when longer."""
    shown = exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return fmt(shown.normalize()) + ("…" if shown != exact else "")


def comment_semester_result(assessments: Sequence[Verdict], required: int | None = None) -> Traced[Verdict]:
    """A comment subject's semester result: Đạt iff all required assessments were done and all are Đạt
    (TT22 Art. 9.1.a)."""
    done = len(assessments)
    enough = required is None or done >= required
    result = Verdict.DAT if enough and done > 0 and all(a is Verdict.DAT for a in assessments) else Verdict.CHUA_DAT
    return Traced(
        result,
        (
            _step(
                "TT22/Điều 9.1.a",
                f"{done} lần đánh giá (cần {required or 'đủ'}), "
                f"{sum(a is Verdict.DAT for a in assessments)} lần Đạt → {result}",
                f"{done} assessments (needed {required or 'all'}), "
                f"{sum(a is Verdict.DAT for a in assessments)} Đạt → {result.label_en}",
            ),
        ),
    )


def comment_year_result(hk1: Verdict, hk2: Verdict) -> Traced[Verdict]:
    """A comment subject's year result is its semester II result (TT22 Art. 9.1.a)."""
    return Traced(
        hk2,
        (
            _step(
                "TT22/Điều 9.1.a",
                f"Môn đánh giá bằng nhận xét: cả năm = học kì II = {hk2} (học kì I: {hk1})",
                f"Comment-assessed subject: year = semester II = {hk2.label_en} (semester I: {hk1.label_en})",
            ),
        ),
    )
