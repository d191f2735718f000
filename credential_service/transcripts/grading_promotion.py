"""Promotion or programme completion (Circular 22/2021 Art. 12), summer training (Art. 13) and
re-assessment (Art. 14)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.grading_levels import learning_result
from credential_service.transcripts.grading_scores import fmt
from credential_service.transcripts.grading_types import Level, SubjectValue, Traced, TraceStep, Verdict, _step

# Art. 12.1.c: at most 45 sessions absent in the school year (excused or not, consecutive or not).
MAX_ABSENCES = 45
COMPLETION_GRADES = {9: "trung học cơ sở", 12: "trung học phổ thông"}


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
                        f"Môn {name} không thuộc diện kiểm tra, đánh giá lại (kết quả học tập cả năm: {learning_year})",
                        f"{name} is not eligible for re-assessment (year learning result: {learning_year.label_en})",
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
    passed = PromotionDecision.HOAN_THANH_CHUONG_TRINH if grade in COMPLETION_GRADES else PromotionDecision.LEN_LOP
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
        raise InvalidInput(Message("Dữ liệu sau hè không hợp lệ", "Invalid post-summer data"), problems=problems)

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
        f"Conduct {conduct.label_en} and learning {learning.label_en} (both Pass or better), absences ≤ 45 → passes",
    )
