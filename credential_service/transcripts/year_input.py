"""One student's school year as entered by the school: the input of the Circular 22 rules.

JSON shape (``parse_year_input`` accepts exactly these keys)::

    {
      "grade": 10,
      "subjects": {
        "Toán": {"hk1": {"tx": [8, 7.5, 9, 8], "gk": 7, "ck": 8.5}, "hk2": {"tx": ["8", 8, 8, 8], "gk": "7", "ck": 8}},
        "Giáo dục thể chất": {"hk1": "Đ", "hk2": "Đạt"}
      },
      "conduct": {"hk1": "Tốt", "hk2": "Khá"},
      "absences": 12,
      "reassessment": {"Toán": 5.5, "Giáo dục thể chất": "Đ"},     # optional
      "summer_conduct": "Đạt",                                    # optional
      "comments": {"Toán": "Tiến bộ rõ."},                         # optional
      "teacher_comment": "Chăm ngoan.",                            # optional
      "programme": "GDTX"                                          # optional: continuing education (10–12)
    }

Scores may be int, float or numeric strings with a dot; each is converted through ``str()`` to Decimal.
"8,5" is refused with a message to use a dot. Verdicts accept "Đ", "Đạt", "CĐ", "Chưa đạt" (any case,
NFC or not). Subject names are looked up tolerantly (see ``subjects.lookup_subject``) and stored by their
programme name. ``year_input_to_json`` gives the canonical form (scores as "8.0"), which parses back to
an equal ``YearInput``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.assessment_counts import tx_count_for_subject_problem
from credential_service.transcripts.grading_scores import tx_count_problem
from credential_service.transcripts.grading_types import Level, SubjectValue, Verdict
from credential_service.transcripts.subjects import (
    GDTX_GRADES,
    Programme,
    Subject,
    find_subject,
    known_subjects,
    not_in_grade_message,
    parse_programme,
    programme_order,
    unknown_subject_message,
)
from credential_service.transcripts.value_parsers import (
    COUNT_EXPECTED,
    LEVEL_EXPECTED,
    VERDICT_EXPECTED,
    FieldError,
    is_blank,
    parse_count,
    parse_grade,
    parse_level,
    parse_score,
    parse_verdict,
    subject_value_problem,
)

__all__ = [
    "ScoredSemester",
    "SemesterInput",
    "SubjectInput",
    "YearInput",
    "parse_year_input",
    "score_text",
    "value_json",
    "year_input_to_json",
]
# the value parsers used to live here; re-exported for callers
__all__ += [
    "COUNT_EXPECTED",
    "LEVEL_EXPECTED",
    "VERDICT_EXPECTED",
    "FieldError",
    "is_blank",
    "parse_count",
    "parse_grade",
    "parse_level",
    "parse_score",
    "parse_verdict",
    "subject_value_problem",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class ScoredSemester:
    """One semester of a scored subject: regular (tx), mid-semester (gk) and end-of-semester (ck)."""

    tx: tuple[Decimal, ...]
    gk: Decimal
    ck: Decimal


SemesterInput = ScoredSemester | Verdict


@dataclass(frozen=True)
class SubjectInput:
    subject: Subject
    hk1: SemesterInput
    hk2: SemesterInput

    @property
    def name(self) -> str:
        return self.subject.name


@dataclass(frozen=True)
class YearInput:
    grade: int
    subjects: tuple[SubjectInput, ...]  # programme order, canonical names, no duplicates
    conduct_hk1: Level
    conduct_hk2: Level
    absences: int
    reassessment: Mapping[str, SubjectValue] = field(default_factory=lambda: _EMPTY)
    summer_conduct: Verdict | None = None
    comments: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    teacher_comment: str | None = None
    programme: Programme = Programme.GDPT

    def subject(self, name: str) -> SubjectInput:
        for s in self.subjects:
            if s.name == name:
                return s
        raise KeyError(name)


# ------------------------------------------------------------------------------ the document


_TOP_KEYS = {"grade", "subjects", "conduct", "absences", "reassessment", "summer_conduct", "comments"}
_TOP_KEYS |= {"teacher_comment", "programme"}
_PROGRAMME_EXPECTED = Message(
    "GDPT (giáo dục phổ thông) hoặc GDTX (giáo dục thường xuyên, lớp 10–12)",
    "GDPT (general education) or GDTX (continuing education, grades 10–12)",
)


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, where: str, message: Message, value: object = None, expected: Message | None = None) -> None:
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.problems.append(Problem(message, {"field": where}, shown, expected))

    def run(self, where: str, parse: Any, value: object) -> Any:
        try:
            return parse(value)
        except FieldError as err:
            self.add(where, err.message, value, err.expected)
            return None


def _missing(key: str) -> Message:
    return Message(f"Thiếu trường bắt buộc {key!r}", f"Missing required field {key!r}")


def parse_year_input(data: Mapping[str, Any]) -> YearInput:
    """Parse and check one student's year; raises InvalidInput with one Problem per bad field."""
    c = _Collector()
    if not isinstance(data, Mapping):
        raise InvalidInput(Message("Dữ liệu phải là một đối tượng JSON", "The input must be a JSON object"))
    for key in data:
        if key not in _TOP_KEYS:
            c.add(str(key), Message(f"Trường không được hỗ trợ: {key!r}", f"Unknown field: {key!r}"))
    for key in ("grade", "subjects", "conduct", "absences"):
        if key not in data:
            c.add(key, _missing(key))
    grade = c.run("grade", parse_grade, data["grade"]) if "grade" in data else None
    programme = _parse_programme(c, data.get("programme"), grade)
    subjects = _parse_subjects(c, data.get("subjects"), grade, programme) if "subjects" in data else []
    if grade is not None:
        for s in subjects:
            for hk in ("hk1", "hk2"):
                semester = getattr(s, hk)
                if isinstance(semester, ScoredSemester):
                    problem = tx_count_for_subject_problem(s.name, grade, len(semester.tx), programme)
                    if problem is not None:
                        c.add(f"subjects.{s.name}.{hk}.tx", problem, len(semester.tx))
    conduct = data.get("conduct")
    hk1 = hk2 = None
    if "conduct" in data:
        if isinstance(conduct, Mapping):
            _unknown_keys(c, "conduct", conduct, {"hk1", "hk2"})
            hk1 = c.run("conduct.hk1", parse_level, conduct.get("hk1"))
            hk2 = c.run("conduct.hk2", parse_level, conduct.get("hk2"))
        else:
            c.add("conduct", Message("Cần {hk1, hk2}", "Expected {hk1, hk2}"), str(conduct))
    absences = c.run("absences", parse_count, data["absences"]) if "absences" in data else None
    by_name = {s.name: s.subject for s in subjects}
    reassessment = _parse_reassessment(c, data.get("reassessment"), by_name)
    summer = data.get("summer_conduct")
    summer_conduct = None if summer is None else c.run("summer_conduct", parse_verdict, summer)
    comments = _parse_comments(c, data.get("comments"), by_name)
    teacher_comment = _optional_text(c, "teacher_comment", data.get("teacher_comment"))
    if c.problems or grade is None or hk1 is None or hk2 is None or absences is None:
        raise InvalidInput(Message("Dữ liệu năm học không hợp lệ", "Invalid school-year data"), problems=c.problems)
    return YearInput(
        grade=grade,
        subjects=tuple(subjects),
        conduct_hk1=hk1,
        conduct_hk2=hk2,
        absences=absences,
        reassessment=MappingProxyType(reassessment),
        summer_conduct=summer_conduct,
        comments=MappingProxyType(comments),
        teacher_comment=teacher_comment,
        programme=programme,
    )


def _parse_programme(c: _Collector, raw: object, grade: int | None) -> Programme:
    """The class's programme; GDTX is the THPT continuing-education programme (Circular 12/2022), grades 10–12."""
    try:
        programme = parse_programme(raw)
    except ValueError:
        c.add("programme", Message(f"Chương trình không hợp lệ: {raw!r}", f"Unknown programme: {raw!r}"),
              str(raw), _PROGRAMME_EXPECTED)  # fmt: skip
        return Programme.GDPT
    if programme is Programme.GDTX and grade is not None and grade not in GDTX_GRADES:
        c.add(
            "programme",
            Message(
                f"Chương trình GDTX chỉ áp dụng cho lớp 10–12 (Thông tư 12/2022), không cho lớp {grade}",
                f"The GDTX programme covers grades 10–12 only (Circular 12/2022), not grade {grade}",
            ),
            str(raw), _PROGRAMME_EXPECTED,
        )  # fmt: skip
        return Programme.GDPT  # one problem, not one more per subject
    return programme


def _unknown_keys(c: _Collector, where: str, obj: Mapping[str, Any], allowed: set[str]) -> None:
    for key in obj:
        if key not in allowed:
            c.add(f"{where}.{key}", Message(f"Trường không được hỗ trợ: {key!r}", f"Unknown field: {key!r}"))


def _optional_text(c: _Collector, where: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        c.add(where, Message("Cần một chuỗi văn bản", "Expected a text string"), str(value))
        return None
    text = unicodedata.normalize("NFC", value).strip()
    return text or None


def _resolve_subject(
    c: _Collector, where: str, name: object, grade: int | None, programme: Programme
) -> Subject | None:
    subject = find_subject(name) if isinstance(name, str) else None
    if subject is None:
        c.add(where, unknown_subject_message(name), str(name), known_subjects(grade, programme))
        return None
    if grade is not None and not subject.offered_in(grade, programme):
        c.add(where, not_in_grade_message(subject, grade, programme), str(name), known_subjects(grade, programme))
        return None
    return subject


def _parse_subjects(c: _Collector, raw: object, grade: int | None, programme: Programme) -> list[SubjectInput]:
    if not isinstance(raw, Mapping) or not raw:
        c.add("subjects", Message("Cần ít nhất một môn học", "At least one subject is required"))
        return []
    seen: dict[str, str] = {}
    parsed: list[SubjectInput] = []
    for key, body in raw.items():
        where = f"subjects.{key}"
        subject = _resolve_subject(c, where, key, grade, programme)
        if subject is None:
            continue
        if subject.name in seen:
            c.add(
                where,
                Message(
                    f"Môn {subject.name} bị nhập hai lần ({seen[subject.name]!r} và {key!r})",
                    f"{subject.name} is given twice ({seen[subject.name]!r} and {key!r})",
                ),
            )
            continue
        seen[subject.name] = key
        item = _parse_subject(c, where, subject, body)
        if item is not None:
            parsed.append(item)
    order = programme_order(s.name for s in parsed)
    return sorted(parsed, key=lambda s: order.index(s.name))


def _parse_subject(c: _Collector, where: str, subject: Subject, body: object) -> SubjectInput | None:
    if not isinstance(body, Mapping):
        c.add(where, Message("Cần {hk1, hk2}", "Expected {hk1, hk2}"), str(body))
        return None
    _unknown_keys(c, where, body, {"hk1", "hk2"})
    before = len(c.problems)
    semesters = [_parse_semester(c, f"{where}.{hk}", subject, body.get(hk)) for hk in ("hk1", "hk2")]
    hk1, hk2 = semesters
    if len(c.problems) > before or hk1 is None or hk2 is None:
        return None
    return SubjectInput(subject, hk1, hk2)


def _parse_semester(c: _Collector, where: str, subject: Subject, raw: object) -> SemesterInput | None:
    if raw is None:
        c.add(where, Message("Thiếu kết quả học kì", "Missing semester result"))
        return None
    if not subject.is_scored:
        if isinstance(raw, Mapping):
            c.add(
                where,
                Message(
                    f"Môn {subject.name} đánh giá bằng nhận xét: nhập Đ hoặc CĐ, không nhập điểm",
                    f"{subject.name} is assessed by comment: give Đ or CĐ, not scores",
                ),
                None,
                VERDICT_EXPECTED,
            )
            return None
        verdict: Verdict | None = c.run(where, parse_verdict, raw)
        return verdict
    if not isinstance(raw, Mapping):
        c.add(
            where,
            Message(
                f"Môn {subject.name} đánh giá bằng điểm số: cần {{tx, gk, ck}}",
                f"{subject.name} is scored: expected {{tx, gk, ck}}",
            ),
            str(raw),
        )
        return None
    _unknown_keys(c, where, raw, {"tx", "gk", "ck"})
    tx = _parse_tx(c, f"{where}.tx", raw.get("tx"))
    gk = c.run(f"{where}.gk", parse_score, raw.get("gk"))
    ck = c.run(f"{where}.ck", parse_score, raw.get("ck"))
    if tx is None or gk is None or ck is None:
        return None
    return ScoredSemester(tx, gk, ck)


def _parse_tx(c: _Collector, where: str, raw: object) -> tuple[Decimal, ...] | None:
    if not isinstance(raw, list | tuple):
        c.add(where, Message("Cần danh sách điểm thường xuyên", "Expected a list of regular scores"), str(raw))
        return None
    problem = tx_count_problem(len(raw))
    if problem is not None:
        c.add(where, problem, len(raw))
        return None
    scores = [c.run(f"{where}[{i}]", parse_score, v) for i, v in enumerate(raw)]
    if any(s is None for s in scores):
        return None
    return tuple(scores)


def _parse_reassessment(c: _Collector, raw: object, by_name: Mapping[str, Subject]) -> dict[str, SubjectValue]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        c.add("reassessment", Message("Cần {môn: kết quả}", "Expected {subject: result}"), str(raw))
        return {}
    out: dict[str, SubjectValue] = {}
    for key, value in raw.items():
        where = f"reassessment.{key}"
        subject = find_subject(key) if isinstance(key, str) else None
        if subject is None or subject.name not in by_name:
            c.add(
                where,
                Message(
                    f"Môn đánh giá lại {key!r} không có trong danh sách môn của năm học",
                    f"Re-assessed subject {key!r} is not among the year's subjects",
                ),
            )
            continue
        parsed, err = subject_value_problem(subject, value)
        if err is not None:
            c.add(
                where,
                err.message,
                value if isinstance(value, str | int | float) else str(value),
                err.expected,
            )
        elif parsed is not None:
            out[subject.name] = parsed
    return out


def _parse_comments(c: _Collector, raw: object, by_name: Mapping[str, Subject]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        c.add("comments", Message("Cần {môn: nhận xét}", "Expected {subject: comment}"), str(raw))
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        subject = find_subject(key) if isinstance(key, str) else None
        if subject is None or subject.name not in by_name:
            c.add(
                f"comments.{key}",
                Message(
                    f"Nhận xét cho môn {key!r} không có trong danh sách môn",
                    f"Comment for {key!r}, which is not among the year's subjects",
                ),
            )
            continue
        text = _optional_text(c, f"comments.{key}", value)
        if text:
            out[subject.name] = text
    return out


# ------------------------------------------------------------------------------ canonical JSON


def score_text(value: Decimal) -> str:
    """A score as stored: one decimal ("8.0", "7.5")."""
    return str(value.quantize(Decimal("0.1")))


def value_json(value: SubjectValue) -> str:
    return score_text(value) if isinstance(value, Decimal) else str(value)


def _semester_json(value: SemesterInput) -> Any:
    if isinstance(value, Verdict):
        return str(value)
    return {"tx": [score_text(s) for s in value.tx], "gk": score_text(value.gk), "ck": score_text(value.ck)}


def year_input_to_json(year: YearInput) -> dict[str, Any]:
    """The canonical JSON form of ``year`` (parses back with ``parse_year_input`` to an equal value)."""
    out: dict[str, Any] = {
        "grade": year.grade,
        "subjects": {s.name: {"hk1": _semester_json(s.hk1), "hk2": _semester_json(s.hk2)} for s in year.subjects},
        "conduct": {"hk1": str(year.conduct_hk1), "hk2": str(year.conduct_hk2)},
        "absences": year.absences,
    }
    if year.reassessment:
        out["reassessment"] = {n: value_json(year.reassessment[n]) for n in programme_order(year.reassessment)}
    if year.summer_conduct is not None:
        out["summer_conduct"] = str(year.summer_conduct)
    if year.comments:
        out["comments"] = {n: year.comments[n] for n in programme_order(year.comments)}
    if year.teacher_comment is not None:
        out["teacher_comment"] = year.teacher_comment
    if year.programme is not Programme.GDPT:  # general education is the default and stays implicit
        out["programme"] = year.programme.value
    return out
