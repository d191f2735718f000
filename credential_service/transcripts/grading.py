"""Circular 22/2021/TT-BGDĐT (assessment of THCS and THPT students) as pure functions.

Every rule returns its result together with a trace: a tuple of :class:`TraceStep`, each naming the
article applied (``rule``, e.g. ``"TT22/Điều 9.1.b"``) and saying in Vietnamese and English what was
applied, with the numbers. The trace is stored with the transcript so that appeals and audits can replay
the decision.

Arithmetic is :class:`decimal.Decimal` only, never float. Scores are 0.0–10.0 with at most one decimal.

Usage::

    >>> r = semester_average([Decimal("8"), Decimal("7.5"), Decimal("9")], Decimal("7"), Decimal("8.5"))
    >>> r.value
    Decimal('8.0')
    >>> year_average(Decimal("7.2"), Decimal("7.3")).value   # (7.2 + 14.6) / 3 = 7.2666… → 7.3
    Decimal('7.3')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, TypeVar

from credential_service.platform.errors import InvalidInput, Message, Problem

T = TypeVar("T")

ONE_DECIMAL = Decimal("0.1")
MIN_SCORE = Decimal("0")
MAX_SCORE = Decimal("10")
# Regular assessments per semester: 2, 3 or 4 depending on periods per year (Art. 6); a THPT topic can add
# one. Checked loosely on purpose: the period count of each school's plan is not in our input.
MIN_TX = 1
MAX_TX = 5
# Art. 12.1.c: at most 45 sessions absent in the school year (excused or not, consecutive or not).
MAX_ABSENCES = 45
MIN_SUBJECTS_COUNTED = 6  # "ít nhất 06 môn học" in Art. 9.2 and Art. 15
COMPLETION_GRADES = {9: "trung học cơ sở", 12: "trung học phổ thông"}


# ---------------------------------------------------------------------------------------------- types


class Level(StrEnum):
    """Four levels of learning and conduct results (Art. 8 and Art. 9.2)."""

    TOT = "Tốt"
    KHA = "Khá"
    DAT = "Đạt"
    CHUA_DAT = "Chưa đạt"

    @property
    def rank(self) -> int:
        return {Level.TOT: 3, Level.KHA: 2, Level.DAT: 1, Level.CHUA_DAT: 0}[self]

    @property
    def label_en(self) -> str:
        return {Level.TOT: "Good", Level.KHA: "Fairly good", Level.DAT: "Pass", Level.CHUA_DAT: "Fail"}[self]

    @classmethod
    def from_rank(cls, rank: int) -> Level:
        return next(level for level in cls if level.rank == rank)

    def at_least(self, other: Level) -> bool:
        return self.rank >= other.rank


class Verdict(StrEnum):
    """Result of a comment-assessed subject (Art. 9.1.a)."""

    DAT = "Đạt"
    CHUA_DAT = "Chưa đạt"

    @property
    def label_en(self) -> str:
        return "Pass" if self is Verdict.DAT else "Fail"


SubjectValue = Decimal | Verdict  # a scored subject's average, or a comment subject's verdict


@dataclass(frozen=True)
class TraceStep:
    """One rule applied: the legal reference and what was done, in Vietnamese and English."""

    rule: str
    vi: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Traced(Generic[T]):
    """A rule's result together with the trace of how it was reached."""

    value: T
    trace: tuple[TraceStep, ...]


class PromotionDecision(StrEnum):
    LEN_LOP = "LEN_LOP"  # promoted
    HOAN_THANH_CHUONG_TRINH = "HOAN_THANH_CHUONG_TRINH"  # grade 9 / 12: programme completed
    CAN_DANH_GIA_LAI = "CAN_DANH_GIA_LAI"  # must be re-assessed in some subjects (Art. 14)
    CAN_REN_LUYEN_HE = "CAN_REN_LUYEN_HE"  # must do summer training (Art. 13)
    O_LAI_LOP = "O_LAI_LOP"  # retained


@dataclass(frozen=True)
class Promotion:
    decision: PromotionDecision
    label_vi: str
    label_en: str
    reassess_subjects: tuple[str, ...] = ()
    after_reassessment: bool = False
    after_summer_training: bool = False
    learning_after_reassessment: Level | None = None
    conduct_after_summer: Level | None = None
    absences_exceeded: bool = False


@dataclass(frozen=True)
class Award:
    code: str
    label_vi: str
    label_en: str


XUAT_SAC = Award("HOC_SINH_XUAT_SAC", "Học sinh Xuất sắc", "Excellent student")
GIOI = Award("HOC_SINH_GIOI", "Học sinh Giỏi", "Very good student")

_PERIOD = {"HK1": ("học kì I", "semester I"), "HK2": ("học kì II", "semester II"), "CN": ("cả năm", "year")}


def _step(rule: str, vi: str, en: str) -> TraceStep:
    return TraceStep(rule, vi, en)


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
            return Message(
                f"Điểm phải từ 0 đến 10, không được {fmt(value)}", f"A score must be 0–10, not {value}"
            )
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
    result = (
        Verdict.DAT
        if enough and done > 0 and all(a is Verdict.DAT for a in assessments)
        else Verdict.CHUA_DAT
    )
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


# ------------------------------------------------------------------------------- learning result


@dataclass(frozen=True)
class _Tally:
    comment_fail: tuple[str, ...]
    scores: Mapping[str, Decimal]

    def count_at_least(self, threshold: Decimal) -> int:
        return sum(1 for v in self.scores.values() if v >= threshold)

    def below(self, threshold: Decimal) -> list[str]:
        return [name for name, v in self.scores.items() if v < threshold]


# (floor for every scored subject, threshold that at least 6 subjects must reach) — TT22 Art. 9.2.a/b
_UPPER_LEVELS: dict[Level, tuple[Decimal, Decimal]] = {
    Level.TOT: (Decimal("6.5"), Decimal("8.0")),
    Level.KHA: (Decimal("5.0"), Decimal("6.5")),
}
_DAT_COUNT_THRESHOLD = Decimal("5.0")  # Art. 9.2.c
_DAT_FLOOR = Decimal("3.5")


def _tally(values: Mapping[str, SubjectValue]) -> _Tally:
    fails = tuple(n for n, v in values.items() if isinstance(v, Verdict) and v is Verdict.CHUA_DAT)
    scores = {n: v for n, v in values.items() if isinstance(v, Decimal)}
    return _Tally(fails, scores)


def _upper_blockers(level: Level, tally: _Tally) -> tuple[bool, list[str]]:
    """For Tốt/Khá: (is the "at least 6 subjects" count met, subjects breaking the per-subject floor)."""
    floor, high = _UPPER_LEVELS[level]
    count_ok = tally.count_at_least(high) >= MIN_SUBJECTS_COUNTED
    return count_ok, [*tally.comment_fail, *tally.below(floor)]


def _meets_dat(tally: _Tally) -> bool:
    return (
        len(tally.comment_fail) <= 1
        and tally.count_at_least(_DAT_COUNT_THRESHOLD) >= MIN_SUBJECTS_COUNTED
        and not tally.below(_DAT_FLOOR)
    )


def _base_level(tally: _Tally) -> Level:
    for level in (Level.TOT, Level.KHA):
        count_ok, blockers = _upper_blockers(level, tally)
        if count_ok and not blockers:
            return level
    return Level.DAT if _meets_dat(tally) else Level.CHUA_DAT


def _describe(level: Level, tally: _Tally) -> tuple[str, str]:
    if level in _UPPER_LEVELS:
        floor, high = _UPPER_LEVELS[level]
        n_high = tally.count_at_least(high)
        low = tally.below(floor)
        fails = list(tally.comment_fail)
        return (
            f"{level}: môn nhận xét Chưa đạt: {fails or 'không'}; môn điểm dưới {floor}: {low or 'không'}; "
            f"{n_high} môn từ {high} trở lên (cần ≥ {MIN_SUBJECTS_COUNTED})",
            f"{level.label_en}: comment subjects failed: {fails or 'none'}; scored subjects below {floor}: "
            f"{low or 'none'}; {n_high} subjects at {high} or above (need ≥ {MIN_SUBJECTS_COUNTED})",
        )
    n5 = tally.count_at_least(_DAT_COUNT_THRESHOLD)
    low = tally.below(_DAT_FLOOR)
    return (
        f"Đạt: {len(tally.comment_fail)} môn nhận xét Chưa đạt (tối đa 1); {n5} môn từ 5.0 trở lên "
        f"(cần ≥ {MIN_SUBJECTS_COUNTED}); môn dưới 3.5: {low or 'không'}",
        f"Pass: {len(tally.comment_fail)} comment subjects failed (max 1); {n5} subjects at 5.0 or above "
        f"(need ≥ {MIN_SUBJECTS_COUNTED}); subjects below 3.5: {low or 'none'}",
    )


def learning_result(values: Mapping[str, SubjectValue], *, period: str = "CN") -> Traced[Level]:
    """Learning result (Tốt/Khá/Đạt/Chưa đạt) of one semester ("HK1"/"HK2") or the year ("CN").

    ``values`` maps each subject to its ĐTBmhk/ĐTBmcn (Decimal) or its Đạt/Chưa đạt verdict.
    Levels: TT22 Art. 9.2. Adjustment: TT22 Art. 9.3.

    Our reading of Art. 9.3 ("nếu mức đánh giá … bị thấp xuống từ 02 mức trở lên so với mức đánh giá
    quy định tại điểm a, điểm b khoản 2 … chỉ do kết quả đánh giá của duy nhất 01 môn học thì … được điều
    chỉnh lên mức liền kề"): the student would reach Tốt (or else Khá) but for exactly one subject — the
    "at least 6 subjects" count for that level is met and exactly one subject (a comment subject at Chưa
    đạt, or a scored subject under the level's floor) breaks it — and the level actually reached is 2 or
    more steps lower. Then the result moves up ONE step from the level reached (Tốt→Đạt becomes Khá,
    Tốt→Chưa đạt becomes Đạt, Khá→Chưa đạt becomes Đạt), as the analogous rule of Circular 58/2011 spelt
    out case by case.
    """
    vi_period, en_period = _PERIOD.get(period, (period, period))
    tally = _tally(values)
    steps: list[TraceStep] = []
    base = _base_level(tally)
    for level in (Level.TOT, Level.KHA, Level.DAT):
        vi, en = _describe(level, tally)
        steps.append(_step(f"TT22/Điều 9.2.{'abc'[3 - level.rank]}", vi, en))
        if level is base:
            break
    steps.append(
        _step(
            "TT22/Điều 9.2",
            f"Kết quả học tập {vi_period}: {base}",
            f"Learning result ({en_period}): {base.label_en}",
        )
    )
    result = base
    for target in (Level.TOT, Level.KHA):
        if target.rank - base.rank < 2:
            continue
        count_ok, blockers = _upper_blockers(target, tally)
        if count_ok and len(blockers) == 1:
            result = Level.from_rank(base.rank + 1)
            steps.append(
                _step(
                    "TT22/Điều 9.3",
                    f"Chỉ do một môn ({blockers[0]}) mà bị hạ từ {target} xuống {base} (≥ 2 mức) "
                    f"→ điều chỉnh lên mức liền kề: {result}",
                    f"Only one subject ({blockers[0]}) lowers the result from {target.label_en} to "
                    f"{base.label_en} (≥ 2 levels) → adjusted up to the adjacent level: {result.label_en}",
                )
            )
            break
    return Traced(result, tuple(steps))


# -------------------------------------------------------------------------------------- conduct


def conduct_year(hk1: Level, hk2: Level) -> Traced[Level]:
    """Year conduct from the two semesters (TT22 Art. 8.2.b), written as semester II + semester I."""
    if hk2 is Level.TOT and hk1.at_least(Level.KHA):
        result, why = Level.TOT, ("HK II Tốt, HK I từ Khá trở lên", "II Good, I Fairly good or better")
    elif hk2 is Level.KHA and hk1.at_least(Level.DAT):
        result, why = Level.KHA, ("HK II Khá, HK I từ Đạt trở lên", "II Fairly good, I Pass or better")
    elif hk2 is Level.DAT and hk1 is Level.TOT:
        result, why = Level.KHA, ("HK II Đạt, HK I Tốt", "II Pass, I Good")
    elif hk2 is Level.TOT:
        result, why = Level.KHA, ("HK II Tốt, HK I Đạt hoặc Chưa đạt", "II Good, I Pass or Fail")
    elif hk2 is Level.DAT:
        result, why = (
            Level.DAT,
            ("HK II Đạt, HK I Khá, Đạt hoặc Chưa đạt", "II Pass, I Fairly good/Pass/Fail"),
        )
    elif hk2 is Level.KHA:
        result, why = Level.DAT, ("HK II Khá, HK I Chưa đạt", "II Fairly good, I Fail")
    else:
        result, why = Level.CHUA_DAT, ("các trường hợp còn lại", "all other cases")
    return Traced(
        result,
        (
            _step(
                "TT22/Điều 8.2.b",
                f"Rèn luyện cả năm: HK I {hk1}, HK II {hk2} → {result} ({why[0]})",
                f"Year conduct: semester I {hk1.label_en}, semester II {hk2.label_en} → {result.label_en} "
                f"({why[1]})",
            ),
        ),
    )


# ------------------------------------------------------------------------------------ promotion


def reassessment_subjects(year_values: Mapping[str, SubjectValue]) -> list[str]:
    """Subjects that may be re-assessed (TT22 Art. 14.1): comment subjects at Chưa đạt and scored
    subjects with ĐTBmcn below 5.0."""
    return [
        name
        for name, value in year_values.items()
        if (isinstance(value, Verdict) and value is Verdict.CHUA_DAT)
        or (isinstance(value, Decimal) and value < Decimal("5.0"))
    ]


def _promotion(decision: PromotionDecision, grade: int, **kw: Any) -> Promotion:
    labels = {
        PromotionDecision.LEN_LOP: ("Được lên lớp", "Promoted to the next grade"),
        PromotionDecision.CAN_DANH_GIA_LAI: (
            "Phải kiểm tra, đánh giá lại một số môn học",
            "Must be re-assessed in some subjects",
        ),
        PromotionDecision.CAN_REN_LUYEN_HE: (
            "Phải rèn luyện trong kì nghỉ hè",
            "Must do conduct training during the summer holiday",
        ),
        PromotionDecision.O_LAI_LOP: ("Không được lên lớp (ở lại lớp)", "Not promoted (repeats the grade)"),
    }
    if decision is PromotionDecision.HOAN_THANH_CHUONG_TRINH:
        level = COMPLETION_GRADES[grade]
        en = "lower secondary" if grade == 9 else "upper secondary"
        vi_label, en_label = f"Hoàn thành chương trình {level}", f"Completed the {en} programme"
    else:
        vi_label, en_label = labels[decision]
    return Promotion(decision, vi_label, en_label, **kw)


def _reassessment_errors(
    reassessment: Mapping[str, SubjectValue], eligible: Sequence[str], learning_year: Level
) -> list[Problem]:
    problems = []
    for name in reassessment:
        if name not in eligible:
            problems.append(
                Problem(
                    Message(
                        f"Môn {name} không thuộc diện kiểm tra, đánh giá lại "
                        f"(kết quả học tập cả năm: {learning_year})",
                        f"{name} is not eligible for re-assessment (year learning result: "
                        f"{learning_year.label_en})",
                    ),
                    {"field": f"reassessment.{name}"},
                    str(reassessment[name]),
                    Message(f"một trong: {list(eligible)}", f"one of: {list(eligible)}"),
                )
            )
    return problems


def promotion(
    *,
    grade: int,
    conduct: Level,
    learning: Level,
    year_values: Mapping[str, SubjectValue],
    absences: int,
    reassessment: Mapping[str, SubjectValue] | None = None,
    summer_conduct: Verdict | None = None,
) -> Traced[Promotion]:
    """Promotion or programme completion (TT22 Art. 12, summer training Art. 13, re-assessment Art. 14).

    Promoted (grades 9 and 12: programme completed) when the year conduct and the year learning result
    are at least Đạt — counting summer training and re-assessment results — and absences ≤ 45.
    Re-assessment replaces the year value of each re-assessed subject and the learning result is
    recomputed (Art. 14.2). Our reading where the Circular is silent: a student with both conduct and
    learning at Chưa đạt first does summer training; re-assessment follows once conduct is Đạt.

    Raises InvalidInput when a re-assessment result is given for a subject that is not eligible, or a
    summer-training result is given when none was needed.
    """
    steps: list[TraceStep] = []
    passed = (
        PromotionDecision.HOAN_THANH_CHUONG_TRINH if grade in COMPLETION_GRADES else PromotionDecision.LEN_LOP
    )
    reassessment = dict(reassessment or {})
    eligible = reassessment_subjects(year_values) if learning is Level.CHUA_DAT else []
    problems = _reassessment_errors(reassessment, eligible, learning)
    if summer_conduct is not None and conduct is not Level.CHUA_DAT:
        problems.append(
            Problem(
                Message(
                    f"Chỉ học sinh có rèn luyện cả năm Chưa đạt mới rèn luyện hè (đang là {conduct})",
                    f"Summer training applies only when year conduct is Chưa đạt (it is {conduct.label_en})",
                ),
                {"field": "summer_conduct"},
                str(summer_conduct),
            )
        )
    if problems:
        raise InvalidInput(
            Message("Dữ liệu sau hè không hợp lệ", "Invalid post-summer data"), problems=problems
        )

    if absences > MAX_ABSENCES:
        steps.append(
            _step(
                "TT22/Điều 12.2",
                f"Nghỉ {absences} buổi > {MAX_ABSENCES} buổi → không được lên lớp",
                f"Absent {absences} sessions > {MAX_ABSENCES} → not promoted",
            )
        )
        return Traced(_promotion(PromotionDecision.O_LAI_LOP, grade, absences_exceeded=True), tuple(steps))
    steps.append(
        _step(
            "TT22/Điều 12.1.c",
            f"Nghỉ {absences} buổi ≤ {MAX_ABSENCES} buổi: đạt điều kiện chuyên cần",
            f"Absent {absences} sessions ≤ {MAX_ABSENCES}: attendance condition met",
        )
    )

    conduct_final: Level | None = conduct
    conduct_after: Level | None = None
    if conduct is Level.CHUA_DAT:
        if summer_conduct is None:
            conduct_final = None
            steps.append(
                _step(
                    "TT22/Điều 13",
                    "Rèn luyện cả năm Chưa đạt → phải rèn luyện trong kì nghỉ hè",
                    "Year conduct Chưa đạt → summer training required",
                )
            )
        else:
            conduct_after = Level.DAT if summer_conduct is Verdict.DAT else Level.CHUA_DAT
            conduct_final = conduct_after
            steps.append(
                _step(
                    "TT22/Điều 13",
                    f"Kết quả rèn luyện sau kì nghỉ hè: {summer_conduct}",
                    f"Conduct after summer training: {summer_conduct.label_en}",
                )
            )
            if conduct_after is Level.CHUA_DAT:
                return Traced(
                    _promotion(PromotionDecision.O_LAI_LOP, grade, after_summer_training=True,
                               conduct_after_summer=conduct_after, reassess_subjects=tuple(eligible)),
                    tuple(steps),
                )  # fmt: skip

    after_summer = conduct_after is not None
    if learning is not Level.CHUA_DAT:
        if conduct_final is None:
            return Traced(_promotion(PromotionDecision.CAN_REN_LUYEN_HE, grade), tuple(steps))
        steps.append(_pass_step(conduct_final, learning))
        return Traced(
            _promotion(passed, grade, after_summer_training=after_summer, conduct_after_summer=conduct_after),
            tuple(steps),
        )

    steps.append(
        _step(
            "TT22/Điều 14.1",
            f"Kết quả học tập cả năm Chưa đạt → các môn được kiểm tra, đánh giá lại: {eligible}",
            f"Year learning result Chưa đạt → subjects eligible for re-assessment: {eligible}",
        )
    )
    if conduct_final is None:
        return Traced(
            _promotion(PromotionDecision.CAN_REN_LUYEN_HE, grade, reassess_subjects=tuple(eligible)),
            tuple(steps),
        )
    if not eligible:
        steps.append(
            _step(
                "TT22/Điều 14.1",
                "Không có môn nào thuộc diện đánh giá lại (thiếu môn có điểm từ 5.0) → không được lên lớp",
                "No subject can be re-assessed (too few scored subjects at 5.0) → not promoted",
            )
        )
        return Traced(_promotion(PromotionDecision.O_LAI_LOP, grade), tuple(steps))
    if not reassessment:
        return Traced(
            _promotion(PromotionDecision.CAN_DANH_GIA_LAI, grade, reassess_subjects=tuple(eligible),
                       after_summer_training=after_summer, conduct_after_summer=conduct_after),
            tuple(steps),
        )  # fmt: skip

    recomputed = learning_after_reassessment(year_values, reassessment)
    steps.extend(recomputed.trace)
    after = recomputed.value
    decision = passed if after.at_least(Level.DAT) else PromotionDecision.O_LAI_LOP
    if decision is passed:
        steps.append(_pass_step(conduct_final, after))
    else:
        steps.append(
            _step(
                "TT22/Điều 12.2",
                "Sau kiểm tra, đánh giá lại kết quả học tập vẫn Chưa đạt → không được lên lớp",
                "After re-assessment the learning result is still Chưa đạt → not promoted",
            )
        )
    return Traced(
        _promotion(decision, grade, reassess_subjects=tuple(eligible), after_reassessment=True,
                   learning_after_reassessment=after, after_summer_training=after_summer,
                   conduct_after_summer=conduct_after),
        tuple(steps),
    )  # fmt: skip


def learning_after_reassessment(
    year_values: Mapping[str, SubjectValue], reassessment: Mapping[str, SubjectValue]
) -> Traced[Level]:
    """Recompute the year learning result with each re-assessed subject's new value in place of its year
    value (TT22 Art. 14.2)."""
    replaced = dict(year_values)
    steps = []
    for name, new in reassessment.items():
        old = year_values.get(name)
        replaced[name] = new
        steps.append(
            _step(
                "TT22/Điều 14.2",
                f"Môn {name}: kết quả đánh giá lại {_value_text(new)} thay cho {_value_text(old)}",
                f"{name}: re-assessment result {_value_text(new)} replaces {_value_text(old)}",
            )
        )
    result = learning_result(replaced, period="CN")
    return Traced(result.value, (*steps, *result.trace))


def _value_text(value: SubjectValue | None) -> str:
    if value is None:
        return "-"
    return fmt(value) if isinstance(value, Decimal) else str(value)


def _pass_step(conduct: Level, learning: Level) -> TraceStep:
    return _step(
        "TT22/Điều 12.1",
        f"Rèn luyện {conduct} và học tập {learning} (đều từ Đạt trở lên), nghỉ không quá 45 buổi → đạt",
        f"Conduct {conduct.label_en} and learning {learning.label_en} (both Pass or better), "
        "absences ≤ 45 → passes",
    )


# --------------------------------------------------------------------------------------- awards


def award(conduct: Level, learning: Level, year_values: Mapping[str, SubjectValue]) -> Traced[Award | None]:
    """Year award (TT22 Art. 15.1): "Học sinh Xuất sắc" for conduct Tốt, learning Tốt and at least 6
    scored subjects with ĐTBmcn ≥ 9.0; otherwise "Học sinh Giỏi" for conduct Tốt and learning Tốt."""
    n9 = sum(1 for v in year_values.values() if isinstance(v, Decimal) and v >= Decimal("9.0"))
    if conduct is not Level.TOT or learning is not Level.TOT:
        return Traced(
            None,
            (
                _step(
                    "TT22/Điều 15.1",
                    f"Không khen danh hiệu: rèn luyện {conduct}, học tập {learning} (cần cả hai Tốt)",
                    f"No title: conduct {conduct.label_en}, learning {learning.label_en} (both must be Good)",
                ),
            ),
        )
    result = XUAT_SAC if n9 >= MIN_SUBJECTS_COUNTED else GIOI
    return Traced(
        result,
        (
            _step(
                "TT22/Điều 15.1.a" if result is XUAT_SAC else "TT22/Điều 15.1.b",
                f"Rèn luyện Tốt, học tập Tốt, {n9} môn có ĐTBmcn từ 9.0 (Xuất sắc cần ≥ 6) "
                f"→ {result.label_vi}",
                f"Conduct Good, learning Good, {n9} subjects with year average ≥ 9.0 (Excellent needs ≥ 6) "
                f"→ {result.label_en}",
            ),
        ),
    )
