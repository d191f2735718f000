"""Year awards (Circular 22/2021 Art. 15.1): "Học sinh Xuất sắc" and "Học sinh Giỏi"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from credential_service.transcripts.grading_levels import MIN_SUBJECTS_COUNTED
from credential_service.transcripts.grading_types import Level, SubjectValue, Traced, _step


@dataclass(frozen=True)
class Award:
    code: str
    label_vi: str
    label_en: str


XUAT_SAC = Award("HOC_SINH_XUAT_SAC", "Học sinh Xuất sắc", "Excellent student")
GIOI = Award("HOC_SINH_GIOI", "Học sinh Giỏi", "Very good student")


def award(
    conduct: Level, learning: Level, year_values: Mapping[str, SubjectValue], *, retained_for_absences: bool = False
) -> Traced[Award | None]:
    """Year award (TT22 Art. 15.1): "Học sinh Xuất sắc" for conduct Tốt, learning Tốt and at least 6
    scored subjects with ĐTBmcn ≥ 9.0; otherwise "Học sinh Giỏi" for conduct Tốt and learning Tốt.

    Decided (issue #14): a student retained only for absences (> 45 sessions, Art. 12.1.c) keeps the title.
    Art. 15.1 names conduct and learning and nothing else, and retention is a separate decision (Art. 12);
    adding an attendance condition the Circular does not have would be inventing a rule. The trace says so,
    so that nobody reading the record takes the two for a contradiction."""
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
    note = (
        (
            _step(
                "TT22/Điều 15.1, Điều 12.1.c",
                "Danh hiệu xét theo rèn luyện và học tập (Điều 15.1), không xét số buổi nghỉ; việc ở lại lớp "
                "do nghỉ quá 45 buổi (Điều 12) là quyết định riêng, không làm mất danh hiệu",
                "The title depends on conduct and learning (Art. 15.1), not on absences; being retained for over 45 "
                "absences (Art. 12) is a separate decision and does not withdraw the title",
            ),
        )
        if retained_for_absences
        else ()
    )
    return Traced(
        result,
        (
            *note,
            _step(
                "TT22/Điều 15.1.a" if result is XUAT_SAC else "TT22/Điều 15.1.b",
                f"Rèn luyện Tốt, học tập Tốt, {n9} môn có ĐTBmcn từ 9.0 (Xuất sắc cần ≥ 6) → {result.label_vi}",
                f"Conduct Good, learning Good, {n9} subjects with year average ≥ 9.0 (Excellent needs ≥ 6) "
                f"→ {result.label_en}",
            ),
        ),
    )
