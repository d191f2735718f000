"""The Circular 27/2020/TT-BGDĐT catalogue for primary school (grades 1–5): the levels, the subjects and
which are tested in each grade, the qualities and competences, and the parsers of their values.

The rules that use them (the year's checks, the overall result, awards, completion) are in
:mod:`~credential_service.transcripts.grading_primary`.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from credential_service.platform.errors import Message
from credential_service.transcripts.subjects import subject_key
from credential_service.transcripts.value_parsers import FieldError, is_blank

PRIMARY_GRADES = frozenset({1, 2, 3, 4, 5})
LAST_PRIMARY_GRADE = 5
MIN_TEST, MAX_TEST = 0, 10  # TT27 Art. 7.2: 10-point scale, whole numbers, 0 allowed


# ---------------------------------------------------------------------------------------------- levels


class SubjectLevel(StrEnum):
    """Level of a subject or educational activity (TT27 Art. 7.1)."""

    T = "T"  # Hoàn thành tốt
    H = "H"  # Hoàn thành
    C = "C"  # Chưa hoàn thành

    @property
    def label_vi(self) -> str:
        return {SubjectLevel.T: "Hoàn thành tốt", SubjectLevel.H: "Hoàn thành", SubjectLevel.C: "Chưa hoàn thành"}[self]

    @property
    def label_en(self) -> str:
        return {SubjectLevel.T: "Completed well", SubjectLevel.H: "Completed", SubjectLevel.C: "Not completed"}[self]


class QualityLevel(StrEnum):
    """Level of a quality or a competence (TT27 Art. 7.3)."""

    TOT = "Tốt"
    DAT = "Đạt"
    CAN_CO_GANG = "Cần cố gắng"

    @property
    def code(self) -> str:
        return {QualityLevel.TOT: "T", QualityLevel.DAT: "Đ", QualityLevel.CAN_CO_GANG: "C"}[self]

    @property
    def label_en(self) -> str:
        return {QualityLevel.TOT: "Good", QualityLevel.DAT: "Pass", QualityLevel.CAN_CO_GANG: "Needs effort"}[self]


class OverallResult(StrEnum):
    """The four levels of the year's overall result (TT27 Art. 9)."""

    HOAN_THANH_XUAT_SAC = "Hoàn thành xuất sắc"
    HOAN_THANH_TOT = "Hoàn thành tốt"
    HOAN_THANH = "Hoàn thành"
    CHUA_HOAN_THANH = "Chưa hoàn thành"

    @property
    def label_en(self) -> str:
        return {
            OverallResult.HOAN_THANH_XUAT_SAC: "Completed with excellence",
            OverallResult.HOAN_THANH_TOT: "Completed well",
            OverallResult.HOAN_THANH: "Completed",
            OverallResult.CHUA_HOAN_THANH: "Not completed",
        }[self]


# -------------------------------------------------------------------------------------------- subjects


@dataclass(frozen=True)
class PrimarySubject:
    """A subject or educational activity of the 2018 primary programme."""

    name: str  # NFC, as in the programme
    grades: frozenset[int]
    tested_grades: frozenset[int] = frozenset()  # grades with periodic tests (TT27 Art. 7.2)
    optional: bool = False

    def offered_in(self, grade: int) -> bool:
        return grade in self.grades

    def tested_in(self, grade: int) -> bool:
        return grade in self.tested_grades


_ALL = PRIMARY_GRADES
_FROM_3 = frozenset({3, 4, 5})
_FROM_4 = frozenset({4, 5})

# Circular 32/2018 (programme) for the list; TT27 Art. 7.2 for the tests: Tiếng Việt, Toán, Ngoại ngữ 1,
# Lịch sử và Địa lí, Khoa học, Tin học và Công nghệ, in the grades where each is compulsory.
PRIMARY_SUBJECTS: tuple[PrimarySubject, ...] = (
    PrimarySubject("Tiếng Việt", _ALL, _ALL),
    PrimarySubject("Toán", _ALL, _ALL),
    PrimarySubject("Ngoại ngữ 1", _ALL, _FROM_3),  # optional in grades 1–2, compulsory from grade 3
    PrimarySubject("Đạo đức", _ALL),
    PrimarySubject("Tự nhiên và Xã hội", frozenset({1, 2, 3})),
    PrimarySubject("Lịch sử và Địa lí", _FROM_4, _FROM_4),
    PrimarySubject("Khoa học", _FROM_4, _FROM_4),
    PrimarySubject("Tin học và Công nghệ", _FROM_3, _FROM_3),
    PrimarySubject("Giáo dục thể chất", _ALL),
    PrimarySubject("Âm nhạc", _ALL),  # Nghệ thuật (Âm nhạc)
    PrimarySubject("Mĩ thuật", _ALL),  # Nghệ thuật (Mĩ thuật)
    PrimarySubject("Hoạt động trải nghiệm", _ALL),
    PrimarySubject("Tiếng dân tộc thiểu số", _ALL, optional=True),
)

_PRIMARY_ALIASES: dict[str, str] = {
    "TV": "Tiếng Việt",
    "Tiếng Anh": "Ngoại ngữ 1",
    "NN1": "Ngoại ngữ 1",
    "Ngoại ngữ": "Ngoại ngữ 1",
    "TNXH": "Tự nhiên và Xã hội",
    "LS&ĐL": "Lịch sử và Địa lí",
    "LSĐL": "Lịch sử và Địa lí",
    "Lịch sử - Địa lí": "Lịch sử và Địa lí",
    "Tin học - Công nghệ": "Tin học và Công nghệ",
    "GDTC": "Giáo dục thể chất",
    "Thể dục": "Giáo dục thể chất",
    "Nghệ thuật (Âm nhạc)": "Âm nhạc",
    "Nghệ thuật (Mĩ thuật)": "Mĩ thuật",
    "HĐTN": "Hoạt động trải nghiệm",
}

# TT27 Art. 5.2 (the programme's core qualities and competences).
QUALITIES = ("Yêu nước", "Nhân ái", "Chăm chỉ", "Trung thực", "Trách nhiệm")
GENERAL_COMPETENCES = ("Tự chủ và tự học", "Giao tiếp và hợp tác", "Giải quyết vấn đề và sáng tạo")
SPECIFIC_COMPETENCES = ("Ngôn ngữ", "Tính toán", "Khoa học", "Công nghệ", "Tin học", "Thẩm mĩ", "Thể chất")


def _index(names: Iterable[str], aliases: Mapping[str, str]) -> dict[str, str]:
    index = {subject_key(n): n for n in names}
    index.update({subject_key(a): target for a, target in aliases.items()})
    return index


SUBJECT_BY_NAME = {s.name: s for s in PRIMARY_SUBJECTS}
_SUBJECT_INDEX = _index(SUBJECT_BY_NAME, _PRIMARY_ALIASES)
_QUALITY_INDEX = _index(QUALITIES, {})
_COMPETENCE_INDEX = _index(GENERAL_COMPETENCES + SPECIFIC_COMPETENCES, {})


def primary_subjects_for_grade(grade: int) -> list[PrimarySubject]:
    """The subjects and activities taught in ``grade`` (programme order)."""
    return [s for s in PRIMARY_SUBJECTS if s.offered_in(grade)]


def find_primary_subject(name: object) -> PrimarySubject | None:
    """The primary subject called ``name`` (case, spacing, NFD and common abbreviations tolerated)."""
    if not isinstance(name, str):
        return None
    target = _SUBJECT_INDEX.get(subject_key(name))
    return None if target is None else SUBJECT_BY_NAME[target]


def canonical_quality(name: object) -> str | None:
    return _QUALITY_INDEX.get(subject_key(name)) if isinstance(name, str) else None


def canonical_competence(name: object) -> str | None:
    return _COMPETENCE_INDEX.get(subject_key(name)) if isinstance(name, str) else None


# ---------------------------------------------------------------------------------------------- values

TEST_EXPECTED = Message("số nguyên từ 0 đến 10", "a whole number from 0 to 10")
SUBJECT_LEVEL_EXPECTED = Message(
    "T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)",
    "T (Hoàn thành tốt), H (Hoàn thành) or C (Chưa hoàn thành)",
)
QUALITY_LEVEL_EXPECTED = Message("Tốt, Đạt hoặc Cần cố gắng (T, Đ, C)", "Tốt, Đạt or Cần cố gắng (T, Đ, C)")


def _text_key(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


_SUBJECT_LEVELS = {
    "t": SubjectLevel.T, "hoàn thành tốt": SubjectLevel.T,
    "h": SubjectLevel.H, "hoàn thành": SubjectLevel.H,
    "c": SubjectLevel.C, "chưa hoàn thành": SubjectLevel.C,
}  # fmt: skip
_QUALITY_LEVELS = {
    "t": QualityLevel.TOT, "tốt": QualityLevel.TOT,
    "đ": QualityLevel.DAT, "đạt": QualityLevel.DAT,
    "c": QualityLevel.CAN_CO_GANG, "cần cố gắng": QualityLevel.CAN_CO_GANG,
}  # fmt: skip


def parse_test_score(value: object) -> int:
    """A periodic test score: a whole number 0–10 (TT27 Art. 7.2: no decimals); raises FieldError."""
    if is_blank(value):
        raise FieldError(Message("Thiếu điểm kiểm tra", "Missing test score"), TEST_EXPECTED)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldError(Message(f"Điểm phải là số: {value!r}", f"A score must be a number: {value!r}"), TEST_EXPECTED)
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise FieldError(_decimal_message(value), TEST_EXPECTED)
        value = int(value)
    text = str(value).strip()
    if not text.isascii() or not text.isdigit():
        if any(c in text for c in ".,") and text.replace(".", "").replace(",", "").isdigit():
            raise FieldError(_decimal_message(text), TEST_EXPECTED)
        raise FieldError(
            Message(f"Điểm kiểm tra không phải số nguyên: {text!r}", f"The test score is not a whole number: {text!r}"),
            TEST_EXPECTED,
        )
    score = int(text)
    if not MIN_TEST <= score <= MAX_TEST:
        raise FieldError(
            Message(f"Điểm kiểm tra phải từ 0 đến 10: {score}", f"A test score must be 0–10: {score}"), TEST_EXPECTED
        )
    return score


def _decimal_message(value: object) -> Message:
    return Message(
        f"Điểm kiểm tra định kì tiểu học là số nguyên, không cho điểm thập phân: {value}",
        f"Primary periodic test scores are whole numbers, no decimals: {value}",
    )


def parse_subject_level(value: object) -> SubjectLevel:
    """T / H / C (also written out: "Hoàn thành tốt", "Hoàn thành", "Chưa hoàn thành"); raises FieldError."""
    if isinstance(value, SubjectLevel):
        return value
    if isinstance(value, str) and _text_key(value) in _SUBJECT_LEVELS:
        return _SUBJECT_LEVELS[_text_key(value)]
    if is_blank(value):
        raise FieldError(Message("Thiếu mức đánh giá môn học", "Missing subject level"), SUBJECT_LEVEL_EXPECTED)
    raise FieldError(
        Message(f"Mức đánh giá môn học không hợp lệ: {value!r}", f"Invalid subject level: {value!r}"),
        SUBJECT_LEVEL_EXPECTED,
    )


def parse_quality_level(value: object) -> QualityLevel:
    """Tốt / Đạt / Cần cố gắng (also T, Đ, C); raises FieldError."""
    if isinstance(value, QualityLevel):
        return value
    if isinstance(value, str) and _text_key(value) in _QUALITY_LEVELS:
        return _QUALITY_LEVELS[_text_key(value)]
    if is_blank(value):
        raise FieldError(Message("Thiếu mức đánh giá", "Missing level"), QUALITY_LEVEL_EXPECTED)
    raise FieldError(
        Message(f"Mức đánh giá không hợp lệ: {value!r}", f"Invalid level: {value!r}"), QUALITY_LEVEL_EXPECTED
    )
