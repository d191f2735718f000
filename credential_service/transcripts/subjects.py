"""Subjects of the 2018 general-education programme (CT GDPT 2018) for THCS and THPT.

Sources: Circular 32/2018/TT-BGDĐT as amended by Circular 13/2022/TT-BGDĐT (subject lists; Lịch sử is
compulsory in THPT since 13/2022) and Circular 22/2021/TT-BGDĐT Art. 5 (which subjects are assessed by
comment only, Đạt/Chưa đạt, and which by comment combined with scores).

Usage::

    >>> lookup_subject("tiếng anh", grade=10).name
    'Ngoại ngữ 1'
    >>> lookup_subject("GDQP-AN").mode
    <AssessmentMode.SCORE: 'SCORE'>

Names are Unicode NFC exactly as written in the programme. ``lookup_subject`` tolerates case, spacing,
punctuation, NFD input, old-style tone placement ("Hoá" / "Hóa"), y/i spelling ("lý" / "lí") and a few
common abbreviations; anything else raises :class:`InvalidInput`.

Continuing education (giáo dục thường xuyên, GDTX) at THPT level follows its own programme (Circular
12/2022/TT-BGDĐT): the compulsory subjects Ngữ văn, Toán, Lịch sử and Giáo dục quốc phòng và an ninh, the
compulsory activity Hoạt động trải nghiệm, hướng nghiệp, and four subjects the learner chooses among Địa lí,
Giáo dục kinh tế và pháp luật, Vật lí, Hóa học, Sinh học, Công nghệ and Tin học. There is no Giáo dục thể chất,
art or local-content subject. Ngoại ngữ 1 is accepted as the programme's optional subject. ``Programme`` names
which list a class follows; the assessment (Circular 22) is the same.

THCS "Nghệ thuật" has two contents, Âm nhạc and Mĩ thuật; schools record them either as one subject or
as two ("Nghệ thuật (Âm nhạc)"), so both "Nghệ thuật" and "Âm nhạc"/"Mĩ thuật" exist in grades 6–9.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from credential_service.platform.errors import InvalidInput, Message, Problem

THCS_GRADES = frozenset({6, 7, 8, 9})
THPT_GRADES = frozenset({10, 11, 12})
ALL_GRADES = THCS_GRADES | THPT_GRADES


class Programme(StrEnum):
    """Which programme a class follows: general education, or continuing education at THPT level."""

    GDPT = "GDPT"  # chương trình giáo dục phổ thông 2018 (Circular 32/2018, 13/2022)
    GDTX = "GDTX"  # chương trình giáo dục thường xuyên cấp THPT (Circular 12/2022)

    @property
    def label_vi(self) -> str:
        return "Giáo dục phổ thông" if self is Programme.GDPT else "Giáo dục thường xuyên"

    @property
    def label_en(self) -> str:
        return "General education" if self is Programme.GDPT else "Continuing education"


GDTX_GRADES = frozenset({10, 11, 12})
# Circular 12/2022/TT-BGDĐT (the GDTX programme at THPT level): compulsory, elective (4 of 7) and optional.
GDTX_THPT_SUBJECTS = frozenset({
    "Ngữ văn", "Toán", "Lịch sử", "Giáo dục quốc phòng và an ninh", "Hoạt động trải nghiệm, hướng nghiệp",
    "Địa lí", "Giáo dục kinh tế và pháp luật", "Vật lí", "Hóa học", "Sinh học", "Công nghệ", "Tin học",
    "Ngoại ngữ 1",
})  # fmt: skip


class AssessmentMode(StrEnum):
    """How a subject is assessed (Circular 22/2021/TT-BGDĐT, Art. 5)."""

    SCORE = "SCORE"  # nhận xét kết hợp đánh giá bằng điểm số
    COMMENT = "COMMENT"  # đánh giá bằng nhận xét: Đạt / Chưa đạt

    @property
    def label_vi(self) -> str:
        return "Nhận xét kết hợp điểm số" if self is AssessmentMode.SCORE else "Nhận xét (Đạt/Chưa đạt)"


@dataclass(frozen=True)
class Subject:
    """One subject of the programme."""

    name: str  # NFC, exactly as in the programme
    mode: AssessmentMode
    grades: frozenset[int]
    optional: bool = False  # môn học tự chọn (Tiếng dân tộc thiểu số, Ngoại ngữ 2)

    def offered_in(self, grade: int, programme: Programme = Programme.GDPT) -> bool:
        if programme is Programme.GDTX:
            return grade in GDTX_GRADES and self.name in GDTX_THPT_SUBJECTS
        return grade in self.grades

    @property
    def is_scored(self) -> bool:
        return self.mode is AssessmentMode.SCORE


_S = AssessmentMode.SCORE
_C = AssessmentMode.COMMENT

# Order: the order of the programme / the học bạ subject table.
SUBJECTS: tuple[Subject, ...] = (
    Subject("Ngữ văn", _S, ALL_GRADES),
    Subject("Toán", _S, ALL_GRADES),
    Subject("Ngoại ngữ 1", _S, ALL_GRADES),
    Subject("Giáo dục công dân", _S, THCS_GRADES),
    Subject("Lịch sử và Địa lí", _S, THCS_GRADES),
    Subject("Khoa học tự nhiên", _S, THCS_GRADES),
    Subject("Lịch sử", _S, THPT_GRADES),
    Subject("Địa lí", _S, THPT_GRADES),
    Subject("Giáo dục kinh tế và pháp luật", _S, THPT_GRADES),
    Subject("Vật lí", _S, THPT_GRADES),
    Subject("Hóa học", _S, THPT_GRADES),
    Subject("Sinh học", _S, THPT_GRADES),
    Subject("Công nghệ", _S, ALL_GRADES),
    Subject("Tin học", _S, ALL_GRADES),
    Subject("Giáo dục quốc phòng và an ninh", _S, THPT_GRADES),
    Subject("Giáo dục thể chất", _C, ALL_GRADES),
    Subject("Nghệ thuật", _C, THCS_GRADES),
    Subject("Âm nhạc", _C, ALL_GRADES),
    Subject("Mĩ thuật", _C, ALL_GRADES),
    Subject("Hoạt động trải nghiệm, hướng nghiệp", _C, ALL_GRADES),
    Subject("Nội dung giáo dục của địa phương", _C, ALL_GRADES),
    Subject("Tiếng dân tộc thiểu số", _S, ALL_GRADES, optional=True),
    Subject("Ngoại ngữ 2", _S, ALL_GRADES, optional=True),
)

# Common ways teachers and spreadsheets write the subjects (matched after ``subject_key``).
ALIASES: dict[str, str] = {
    "Văn": "Ngữ văn",
    "Tiếng Anh": "Ngoại ngữ 1",
    "Anh văn": "Ngoại ngữ 1",
    "Ngoại ngữ": "Ngoại ngữ 1",
    "NN1": "Ngoại ngữ 1",
    "NN2": "Ngoại ngữ 2",
    "GDCD": "Giáo dục công dân",
    "LS&ĐL": "Lịch sử và Địa lí",
    "LSĐL": "Lịch sử và Địa lí",
    "Lịch sử - Địa lí": "Lịch sử và Địa lí",
    "KHTN": "Khoa học tự nhiên",
    "Sử": "Lịch sử",
    "Địa": "Địa lí",
    "GDKT&PL": "Giáo dục kinh tế và pháp luật",
    "GDKTPL": "Giáo dục kinh tế và pháp luật",
    "Lí": "Vật lí",
    "Hóa": "Hóa học",
    "Sinh": "Sinh học",
    "Tin": "Tin học",
    "GDQP-AN": "Giáo dục quốc phòng và an ninh",
    "GDQP&AN": "Giáo dục quốc phòng và an ninh",
    "GDQPAN": "Giáo dục quốc phòng và an ninh",
    "GDQP": "Giáo dục quốc phòng và an ninh",
    "Giáo dục quốc phòng - an ninh": "Giáo dục quốc phòng và an ninh",
    "GDTC": "Giáo dục thể chất",
    "Thể dục": "Giáo dục thể chất",
    "Nghệ thuật (Âm nhạc)": "Âm nhạc",
    "Nghệ thuật (Mĩ thuật)": "Mĩ thuật",
    "HĐTN": "Hoạt động trải nghiệm, hướng nghiệp",
    "HĐTN, HN": "Hoạt động trải nghiệm, hướng nghiệp",
    "HĐTNHN": "Hoạt động trải nghiệm, hướng nghiệp",
    "Hoạt động trải nghiệm": "Hoạt động trải nghiệm, hướng nghiệp",
    "GDĐP": "Nội dung giáo dục của địa phương",
    "Giáo dục địa phương": "Nội dung giáo dục của địa phương",
    "Nội dung GDĐP": "Nội dung giáo dục của địa phương",
}

# Old-style tone placement ("hoá", "thuý") → new style ("hóa", "thúy"), and y-with-tone → i-with-tone,
# applied to both sides of a comparison only (never to stored names).
_TONE_STYLE = {
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip
_Y_TO_I = str.maketrans({"ý": "í", "ỳ": "ì", "ỷ": "ỉ", "ỹ": "ĩ", "ỵ": "ị"})
_PUNCTUATION = re.compile(r"[\s\-–&,/().:;_]+")


def subject_key(text: str) -> str:
    """A comparison key: NFC, case-folded, tone-style and y/i unified, punctuation collapsed."""
    key = unicodedata.normalize("NFC", text).casefold()
    for old, new in _TONE_STYLE.items():
        key = key.replace(old, new)
    key = key.translate(_Y_TO_I)
    key = _PUNCTUATION.sub(" ", key).strip()
    return key.replace(" và ", " ")


def _build_index() -> dict[str, Subject]:
    by_name = {s.name: s for s in SUBJECTS}
    index: dict[str, Subject] = {}
    for subject in SUBJECTS:
        index[subject_key(subject.name)] = subject
    for alias, target in ALIASES.items():
        key = subject_key(alias)
        if key in index and index[key].name != target:
            raise AssertionError(f"alias {alias!r} collides with {index[key].name!r}")
        index[key] = by_name[target]
    if len({subject_key(s.name) for s in SUBJECTS}) != len(SUBJECTS):
        raise AssertionError("two subjects share a comparison key")
    return index


_INDEX = _build_index()
BY_NAME: dict[str, Subject] = {s.name: s for s in SUBJECTS}


def find_subject(name: str) -> Subject | None:
    """The subject called ``name`` (tolerant matching), or None."""
    if not isinstance(name, str):
        return None
    return _INDEX.get(subject_key(name))


def lookup_subject(name: str, *, grade: int | None = None, programme: Programme = Programme.GDPT) -> Subject:
    """The subject called ``name``; raises InvalidInput for an unknown name or one not taught in ``grade``."""
    subject = find_subject(name)
    if subject is None:
        raise InvalidInput(
            unknown_subject_message(name),
            problems=[Problem(unknown_subject_message(name), {"field": "subject"}, name, known_subjects())],
        )
    if grade is not None and not subject.offered_in(grade, programme):
        msg = not_in_grade_message(subject, grade, programme)
        raise InvalidInput(msg, problems=[Problem(msg, {"field": "subject"}, name)])
    return subject


def unknown_subject_message(name: object) -> Message:
    return Message(
        f"Môn học không có trong chương trình GDPT 2018: {name!r}",
        f"Not a subject of the 2018 general-education programme: {name!r}",
    )


def not_in_grade_message(subject: Subject, grade: int, programme: Programme = Programme.GDPT) -> Message:
    if programme is Programme.GDTX:
        return Message(
            f"Môn {subject.name} không có trong chương trình giáo dục thường xuyên cấp THPT (Thông tư 12/2022)",
            f"The subject {subject.name} is not in the continuing-education (GDTX) THPT programme (Circular 12/2022)",
        )
    return Message(
        f"Môn {subject.name} không có ở lớp {grade}",
        f"The subject {subject.name} is not taught in grade {grade}",
    )


def known_subjects(grade: int | None = None, programme: Programme = Programme.GDPT) -> Message:
    """A message listing the valid subject names (for a problem's ``expected``)."""
    names = ", ".join(s.name for s in subjects_for_grade(grade, programme)) if grade else ", ".join(BY_NAME)
    return Message(f"một trong: {names}", f"one of: {names}")


def subjects_for_grade(grade: int | None, programme: Programme = Programme.GDPT) -> list[Subject]:
    """All subjects taught in ``grade`` (programme order)."""
    return [s for s in SUBJECTS if grade is None or s.offered_in(grade, programme)]


def parse_programme(value: object) -> Programme:
    """``GDPT`` (also absent) or ``GDTX``, tolerant of case and of the programme's full Vietnamese name."""
    if value is None:
        return Programme.GDPT
    key = subject_key(value) if isinstance(value, str) else ""
    for programme in Programme:
        if key in (subject_key(programme.value), subject_key(programme.label_vi)):
            return programme
    raise ValueError(value)


def programme_order(names: Iterable[str]) -> list[str]:
    """Sort canonical subject names in programme order (unknown names last, alphabetically)."""
    position = {s.name: i for i, s in enumerate(SUBJECTS)}
    return sorted(names, key=lambda n: (position.get(n, len(position)), n))
