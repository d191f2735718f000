"""How many regular assessments (ĐĐGtx) a scored subject has in a semester (pure rules).

Circular 22/2021/TT-BGDĐT Art. 7.1: a subject of at most 35 periods a year has 2 regular assessments a
semester, of more than 35 up to 70 periods 3, of more than 70 periods 4. The periods a year are those of the
2018 programme (Circular 32/2018/TT-BGDĐT as amended by Circular 13/2022/TT-BGDĐT), 35 weeks a year.
In THPT the assessment of a subject's learning topics (chuyên đề học tập) counts as one more regular
assessment, so a THPT subject with topics may have one more.

The continuing-education programme (GDTX, Circular 12/2022/TT-BGDĐT) has its own periods a year, which are not
tabled here: a GDTX year is held only to the general bounds of 2 to 4 regular scores (``tx_count_problem``).
"""

from __future__ import annotations

from decimal import Decimal

from credential_service.platform.errors import Message

_THCS = range(6, 10)
_THPT = range(10, 13)

# Periods a year of the scored subjects, (subject, grades) -> periods.
_PERIODS: tuple[tuple[str, range, Decimal], ...] = (
    ("Ngữ văn", _THCS, Decimal(140)),
    ("Toán", _THCS, Decimal(140)),
    ("Ngoại ngữ 1", _THCS, Decimal(105)),
    ("Giáo dục công dân", _THCS, Decimal(35)),
    ("Lịch sử và Địa lí", _THCS, Decimal(105)),
    ("Khoa học tự nhiên", _THCS, Decimal(140)),
    ("Công nghệ", range(6, 8), Decimal(35)),
    ("Công nghệ", range(8, 10), Decimal("52.5")),
    ("Tin học", _THCS, Decimal(35)),
    ("Ngữ văn", _THPT, Decimal(105)),
    ("Toán", _THPT, Decimal(105)),
    ("Ngoại ngữ 1", _THPT, Decimal(105)),
    ("Lịch sử", _THPT, Decimal("52.5")),
    ("Địa lí", _THPT, Decimal(70)),
    ("Giáo dục kinh tế và pháp luật", _THPT, Decimal(70)),
    ("Vật lí", _THPT, Decimal(70)),
    ("Hóa học", _THPT, Decimal(70)),
    ("Sinh học", _THPT, Decimal(70)),
    ("Công nghệ", _THPT, Decimal(70)),
    ("Tin học", _THPT, Decimal(70)),
    ("Giáo dục quốc phòng và an ninh", _THPT, Decimal(35)),
    ("Tiếng dân tộc thiểu số", range(6, 13), Decimal(105)),
    ("Ngoại ngữ 2", range(6, 13), Decimal(105)),
)

# THPT subjects with learning topics (chuyên đề học tập) in the 2018 programme.
_WITH_TOPICS = frozenset(
    {
        "Ngữ văn", "Toán", "Lịch sử", "Địa lí", "Giáo dục kinh tế và pháp luật", "Vật lí", "Hóa học",
        "Sinh học", "Công nghệ", "Tin học",
    }
)  # fmt: skip


def periods_per_year(subject: str, grade: int) -> Decimal | None:
    """The subject's periods a year in ``grade``, or None when the programme gives none (not scored there)."""
    for name, grades, periods in _PERIODS:
        if name == subject and grade in grades:
            return periods
    return None


def regular_assessments(periods: Decimal) -> int:
    """TT22 Art. 7.1: ≤ 35 periods → 2, > 35 to 70 → 3, > 70 → 4."""
    if periods <= 35:
        return 2
    if periods <= 70:
        return 3
    return 4


def allowed_tx_counts(subject: str, grade: int, programme: str = "GDPT") -> range | None:
    """How many regular scores a semester of ``subject`` in ``grade`` may have; None when unknown."""
    if programme != "GDPT":  # GDTX: its periods a year are not tabled here (module docstring)
        return None
    periods = periods_per_year(subject, grade)
    if periods is None:
        return None
    n = regular_assessments(periods)
    extra = 1 if grade in _THPT and subject in _WITH_TOPICS else 0
    return range(n, n + extra + 1)


def tx_count_for_subject_problem(subject: str, grade: int, count: int, programme: str = "GDPT") -> Message | None:
    """Why ``count`` regular scores is not what ``subject`` has in ``grade`` (TT22 Art. 7.1), or None."""
    allowed = allowed_tx_counts(subject, grade, programme)
    if allowed is None or count in allowed:
        return None
    periods = periods_per_year(subject, grade)
    want = f"{allowed.start}" if len(allowed) == 1 else f"{allowed.start} hoặc {allowed.stop - 1}"
    want_en = f"{allowed.start}" if len(allowed) == 1 else f"{allowed.start} or {allowed.stop - 1}"
    topic = " (thêm 1 nếu có chuyên đề học tập)" if len(allowed) > 1 else ""
    topic_en = " (one more with learning topics)" if len(allowed) > 1 else ""
    return Message(
        f"Môn {subject} lớp {grade} ({periods} tiết/năm) có {want} điểm đánh giá thường xuyên mỗi học kì"
        f"{topic} (Thông tư 22/2021 Điều 7), đang có {count}",
        f"{subject} in grade {grade} ({periods} periods a year) has {want_en} regular assessment scores a semester"
        f"{topic_en} (Circular 22/2021 Art. 7), got {count}",
    )
