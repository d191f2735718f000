"""Learning result (Circular 22/2021 Art. 9.2, adjusted by Art. 9.3) and year conduct (Art. 8.2.b)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from credential_service.transcripts.grading_types import Level, SubjectValue, Traced, TraceStep, Verdict, _step

MIN_SUBJECTS_COUNTED = 6  # "ít nhất 06 môn học" in Art. 9.2 and Art. 15
_PERIOD = {"HK1": ("học kì I", "semester I"), "HK2": ("học kì II", "semester II"), "CN": ("cả năm", "year")}


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
                f"Year conduct: semester I {hk1.label_en}, semester II {hk2.label_en} → {result.label_en} ({why[1]})",
            ),
        ),
    )
