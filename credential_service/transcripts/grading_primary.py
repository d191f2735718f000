"""Circular 27/2020/TT-BGDĐT (assessment of primary students, grades 1–5) as pure functions.

Like the Circular 22 rules (:mod:`~credential_service.transcripts.grading`), every rule returns a
:class:`~credential_service.transcripts.grading_types.Traced` result whose steps name the article applied
(``"TT27/Điều 9.1.a"``) and say in Vietnamese and English what was applied.

Usage::

    >>> year = {"Tiếng Việt": PrimaryPeriod(SubjectLevel.T, 9), "Đạo đức": PrimaryPeriod(SubjectLevel.T)}
    >>> qualities = dict.fromkeys(QUALITIES, QualityLevel.TOT)
    >>> competences = dict.fromkeys(GENERAL_COMPETENCES, QualityLevel.TOT)
    >>> overall_result(grade=3, subjects=year, qualities=qualities, competences=competences).value
    <OverallResult.HOAN_THANH_XUAT_SAC: 'Hoàn thành xuất sắc'>

What the Circular says, as applied here:

* subjects and educational activities are rated T / H / C (Hoàn thành tốt / Hoàn thành / Chưa hoàn thành)
  at the end of semester I and of the year (Art. 7.1);
* the tested subjects have a periodic test at the end of semester I and of the year, marked 0–10 in whole
  numbers; 0 is allowed (Art. 7.2);
* the qualities and the general and specific competences are rated Tốt / Đạt / Cần cố gắng (Art. 7.3);
* the overall result of the year has four levels (Art. 9); the title "Học sinh Xuất sắc" follows from it,
  "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện" is the teacher's proposal (Art. 12.1);
* completing the grade, and in grade 5 completing primary, which the principal confirms in the học bạ
  (Art. 11; Law on Education 2019 Art. 34 as amended).

Sources and certainty: the levels, the scale and the four overall levels are quoted by the domain brief
(``shared/domain/vietnam-education.md`` §1.9) and issue #14. The subject list per grade is the 2018
programme (Circular 32/2018/TT-BGDĐT); which subjects are tested, the article numbers of clauses 7, 11 and
12, and the conditions of the "Tiêu biểu" title are our reading of the Circular, marked [B] in the brief.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.transcripts.grading_awards import XUAT_SAC, Award
from credential_service.transcripts.grading_types import Traced, TraceStep, _step
from credential_service.transcripts.primary_catalogue import (
    GENERAL_COMPETENCES,
    LAST_PRIMARY_GRADE,
    PRIMARY_GRADES,
    QUALITIES,
    QUALITY_LEVEL_EXPECTED,
    SPECIFIC_COMPETENCES,
    SUBJECT_BY_NAME,
    TEST_EXPECTED,
    OverallResult,
    PrimarySubject,
    QualityLevel,
    SubjectLevel,
    parse_test_score,
    primary_subjects_for_grade,
)
from credential_service.transcripts.value_parsers import FieldError

# ------------------------------------------------------------------------------------- year checks


@dataclass(frozen=True)
class PrimaryPeriod:
    """A subject's result at the end of semester I or of the year: its level and, if tested, the test."""

    level: SubjectLevel
    test: int | None = None


def year_problems(
    *,
    grade: int,
    subjects: Mapping[str, PrimaryPeriod],
    qualities: Mapping[str, QualityLevel],
    competences: Mapping[str, QualityLevel],
) -> list[Problem]:
    """What keeps the overall result from being computed: subjects not taught in the grade, a test score on
    an untested subject or a missing one on a tested subject (TT27 Art. 7.2), a score out of 0–10, a
    missing or unknown quality, a missing general competence or an unknown competence (Art. 5.2, 7.3).
    Names must be canonical (as in :data:`PRIMARY_SUBJECTS`, :data:`QUALITIES` …)."""
    if grade not in PRIMARY_GRADES:
        msg = Message(f"Lớp tiểu học phải từ 1 đến 5, không phải {grade}", f"A primary grade is 1–5, not {grade}")
        return [Problem(msg, {"field": "grade"}, grade, Message("1–5", "1–5"))]
    problems: list[Problem] = []
    for name, period in subjects.items():
        subject = SUBJECT_BY_NAME.get(name)
        where = {"field": f"subjects.{name}"}
        if subject is None or not subject.offered_in(grade):
            taught = ", ".join(s.name for s in primary_subjects_for_grade(grade))
            problems.append(
                Problem(
                    Message(f"Môn {name} không có ở lớp {grade}", f"The subject {name} is not taught in grade {grade}"),
                    where,
                    name,
                    Message(f"một trong: {taught}", f"one of: {taught}"),
                )
            )
            continue
        problems.extend(period_problems(subject, grade, period, f"subjects.{name}.year.test"))
    for name in QUALITIES:
        if name not in qualities:
            problems.append(_missing("phẩm chất", "quality", name, f"qualities.{name}"))
    problems.extend(_unknown(qualities, QUALITIES, "phẩm chất", "quality", "qualities"))
    for name in GENERAL_COMPETENCES:
        if name not in competences:
            problems.append(_missing("năng lực chung", "general competence", name, f"competences.{name}"))
    problems.extend(
        _unknown(competences, GENERAL_COMPETENCES + SPECIFIC_COMPETENCES, "năng lực", "competence", "competences")
    )
    return problems


def period_problems(subject: PrimarySubject, grade: int, period: PrimaryPeriod, field: str) -> list[Problem]:
    """The test of one period (end of semester I or of the year): present exactly when the subject is
    tested in ``grade``, and a whole number 0–10 (TT27 Art. 7.2). ``field`` locates the test."""
    where = {"field": field}
    if not subject.tested_in(grade):
        if period.test is None:
            return []
        msg = Message(
            f"Môn {subject.name} lớp {grade} không có bài kiểm tra định kì (TT27 Điều 7.2)",
            f"{subject.name} has no periodic test in grade {grade} (TT27 Art. 7.2)",
        )
        return [Problem(msg, where, period.test)]
    if period.test is None:
        msg = Message(
            f"Thiếu điểm kiểm tra định kì môn {subject.name} (lớp {grade} có bài kiểm tra, TT27 Điều 7.2)",
            f"Missing the periodic test score of {subject.name} (tested in grade {grade}, TT27 Art. 7.2)",
        )
        return [Problem(msg, where, None, TEST_EXPECTED)]
    try:
        parse_test_score(period.test)
    except FieldError as err:
        return [Problem(err.message, where, period.test, err.expected)]
    return []


def _missing(vi: str, en: str, name: str, field: str) -> Problem:
    return Problem(
        Message(f"Thiếu đánh giá {vi} {name}", f"Missing the rating of the {en} {name}"),
        {"field": field},
        None,
        QUALITY_LEVEL_EXPECTED,
    )


def _unknown(given: Mapping[str, QualityLevel], known: tuple[str, ...], vi: str, en: str, prefix: str) -> list[Problem]:
    names = ", ".join(known)
    return [
        Problem(
            Message(f"Không có {vi} {name!r} trong chương trình", f"No such {en} in the programme: {name!r}"),
            {"field": f"{prefix}.{name}"},
            name,
            Message(f"một trong: {names}", f"one of: {names}"),
        )
        for name in given
        if name not in known
    ]


# -------------------------------------------------------------------------------- overall result


@dataclass(frozen=True)
class _Bar:
    """What one level of Art. 9 asks for."""

    result: OverallResult
    rule: str
    subject_levels: frozenset[SubjectLevel]
    quality_levels: frozenset[QualityLevel]
    min_test: int


_T, _H = SubjectLevel.T, SubjectLevel.H
_TOT, _DAT = QualityLevel.TOT, QualityLevel.DAT
# TT27 Art. 9.1.a: the three upper levels, each "not the one above, but …"; the fourth is the rest.
_BARS = (
    _Bar(OverallResult.HOAN_THANH_XUAT_SAC, "TT27/Điều 9.1.a", frozenset({_T}), frozenset({_TOT}), 9),
    _Bar(OverallResult.HOAN_THANH_TOT, "TT27/Điều 9.1.a", frozenset({_T}), frozenset({_TOT}), 7),
    _Bar(OverallResult.HOAN_THANH, "TT27/Điều 9.1.a", frozenset({_T, _H}), frozenset({_TOT, _DAT}), 5),
)


def _join(items: list[str]) -> tuple[str, str]:
    return (", ".join(items) or "không", ", ".join(items) or "none")


def _check(
    bar: _Bar,
    subjects: Mapping[str, PrimaryPeriod],
    ratings: Mapping[str, QualityLevel],
) -> tuple[bool, TraceStep]:
    low_subjects = [f"{n} ({p.level})" for n, p in subjects.items() if p.level not in bar.subject_levels]
    low_ratings = [f"{n} ({v})" for n, v in ratings.items() if v not in bar.quality_levels]
    low_tests = [f"{n} ({p.test})" for n, p in subjects.items() if p.test is not None and p.test < bar.min_test]
    met = not (low_subjects or low_ratings or low_tests)
    levels = "/".join(level for level in SubjectLevel if level in bar.subject_levels)
    ratings_ok = " hoặc ".join(q for q in QualityLevel if q in bar.quality_levels)
    ratings_en = " or ".join(q.label_en for q in QualityLevel if q in bar.quality_levels)
    s_vi, s_en = _join(low_subjects)
    r_vi, r_en = _join(low_ratings)
    t_vi, t_en = _join(low_tests)
    verdict_vi = "đạt" if met else "không đạt"
    verdict_en = "met" if met else "not met"
    return met, _step(
        bar.rule,
        f"{bar.result} ({verdict_vi}): cần mọi môn {levels}, mọi phẩm chất, năng lực {ratings_ok}, "
        f"bài kiểm tra cuối năm từ {bar.min_test} điểm; môn chưa đạt: {s_vi}; phẩm chất, năng lực chưa đạt: "
        f"{r_vi}; bài kiểm tra dưới {bar.min_test}: {t_vi}",
        f"{bar.result.label_en} ({verdict_en}): needs every subject {levels}, every quality and competence "
        f"{ratings_en}, end-of-year tests ≥ {bar.min_test}; subjects short: {s_en}; qualities and competences "
        f"short: {r_en}; tests below {bar.min_test}: {t_en}",
    )


def overall_result(
    *,
    grade: int,
    subjects: Mapping[str, PrimaryPeriod],
    qualities: Mapping[str, QualityLevel],
    competences: Mapping[str, QualityLevel],
) -> Traced[OverallResult]:
    """The year's overall result (TT27 Art. 9):

    * Hoàn thành xuất sắc: every subject T, every quality and competence Tốt, every end-of-year test ≥ 9;
    * Hoàn thành tốt: not the above, but every subject T, every quality and competence Tốt, tests ≥ 7;
    * Hoàn thành: not the above, but every subject T or H, every quality and competence Tốt or Đạt,
      tests ≥ 5;
    * Chưa hoàn thành: otherwise.

    ``subjects`` holds the end-of-year result of each subject taught (canonical names); the tested
    subjects of the grade must carry their end-of-year test. Raises InvalidInput (see
    :func:`year_problems`) when the result cannot be computed.
    """
    problems = year_problems(grade=grade, subjects=subjects, qualities=qualities, competences=competences)
    if problems:
        raise InvalidInput(
            Message("Kết quả năm học tiểu học không đầy đủ", "Incomplete primary school year"), problems=problems
        )
    ratings = {**qualities, **competences}
    steps: list[TraceStep] = []
    for bar in _BARS:
        met, step = _check(bar, subjects, ratings)
        steps.append(step)
        if met:
            result = bar.result
            break
    else:
        result = OverallResult.CHUA_HOAN_THANH
    steps.append(
        _step(
            "TT27/Điều 9.1.a",
            f"Đánh giá kết quả giáo dục lớp {grade}: {result}",
            f"Overall result, grade {grade}: {result.label_en}",
        )
    )
    return Traced(result, tuple(steps))


# ----------------------------------------------------------------------------------------- awards

TIEU_BIEU = Award(
    "HOC_SINH_TIEU_BIEU",
    "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện",
    "Outstanding student in learning and conduct",
)


@dataclass(frozen=True)
class PrimaryAward:
    """A primary title: computed from the overall result, or the teacher's proposal recorded as given."""

    award: Award
    teacher_proposal: bool  # True: proposed by the teacher (and recognised by the class), not computed
    reason: str | None = None  # the achievement or progress the teacher names


def primary_award(overall: OverallResult, *, tieu_bieu_proposal: str | None = None) -> Traced[PrimaryAward | None]:
    """The year title (TT27 Art. 12.1): "Học sinh Xuất sắc" for Hoàn thành xuất sắc (computed);
    "Học sinh Tiêu biểu …" only as the teacher's proposal, recorded with its stated reason, never computed.

    Raises InvalidInput when a "Tiêu biểu" proposal is made for a student who already has "Học sinh Xuất
    sắc" (one title a year) or the proposal states no reason.
    """
    if overall is OverallResult.HOAN_THANH_XUAT_SAC:
        if tieu_bieu_proposal is not None:
            msg = Message(
                "Học sinh đã đạt danh hiệu Học sinh Xuất sắc; không đề xuất thêm Học sinh Tiêu biểu",
                "The student already has the title Học sinh Xuất sắc; no Học sinh Tiêu biểu proposal",
            )
            raise InvalidInput(msg, problems=[Problem(msg, {"field": "award_proposal"}, tieu_bieu_proposal)])
        return Traced(
            PrimaryAward(XUAT_SAC, teacher_proposal=False),
            (
                _step(
                    "TT27/Điều 12.1.a",
                    "Kết quả giáo dục Hoàn thành xuất sắc → khen danh hiệu Học sinh Xuất sắc",
                    "Overall result Completed with excellence → title Học sinh Xuất sắc",
                ),
            ),
        )
    if tieu_bieu_proposal is None:
        return Traced(
            None,
            (
                _step(
                    "TT27/Điều 12.1",
                    f"Kết quả giáo dục {overall}, không có đề xuất của giáo viên → không khen danh hiệu",
                    f"Overall result {overall.label_en}, no teacher proposal → no title",
                ),
            ),
        )
    reason = " ".join(tieu_bieu_proposal.split())
    if not reason:
        msg = Message(
            "Đề xuất Học sinh Tiêu biểu phải nêu thành tích hoặc sự tiến bộ",
            "A Học sinh Tiêu biểu proposal must state the achievement or progress",
        )
        raise InvalidInput(msg, problems=[Problem(msg, {"field": "award_proposal"}, tieu_bieu_proposal)])
    return Traced(
        PrimaryAward(TIEU_BIEU, teacher_proposal=True, reason=reason),
        (
            _step(
                "TT27/Điều 12.1.b",
                f"Ghi nhận đề xuất của giáo viên (không tính toán): {TIEU_BIEU.label_vi} — {reason}",
                f"Teacher's proposal recorded as given (not computed): {TIEU_BIEU.label_en} — {reason}",
            ),
        ),
    )


# ------------------------------------------------------------------------------------- completion


class CompletionDecision(StrEnum):
    HOAN_THANH_LOP_HOC = "HOAN_THANH_CHUONG_TRINH_LOP_HOC"  # grades 1–4
    HOAN_THANH_TIEU_HOC = "HOAN_THANH_CHUONG_TRINH_TIEU_HOC"  # grade 5, confirmed by the principal
    CHUA_HOAN_THANH_LOP_HOC = "CHUA_HOAN_THANH_CHUONG_TRINH_LOP_HOC"


@dataclass(frozen=True)
class PrimaryCompletion:
    decision: CompletionDecision
    label_vi: str
    label_en: str
    principal_confirms: bool  # grade 5: the principal confirms completion of primary in the học bạ


def primary_completion(grade: int, overall: OverallResult) -> Traced[PrimaryCompletion]:
    """Completion of the grade (TT27 Art. 11.1: any result but Chưa hoàn thành) and, in grade 5, of primary,
    which the principal confirms in the học bạ (Art. 11.2; Law on Education Art. 34). A student who has not
    completed the grade gets help and is assessed again before a decision to repeat (Art. 11.3); that
    later decision is not made here."""
    if overall is OverallResult.CHUA_HOAN_THANH:
        completion = PrimaryCompletion(
            CompletionDecision.CHUA_HOAN_THANH_LOP_HOC,
            f"Chưa hoàn thành chương trình lớp {grade}",
            f"Has not completed the grade {grade} programme",
            principal_confirms=False,
        )
        rule = "TT27/Điều 11.3"
    elif grade == LAST_PRIMARY_GRADE:
        completion = PrimaryCompletion(
            CompletionDecision.HOAN_THANH_TIEU_HOC,
            "Hoàn thành chương trình tiểu học",
            "Completed the primary programme",
            principal_confirms=True,
        )
        rule = "TT27/Điều 11.2"
    else:
        completion = PrimaryCompletion(
            CompletionDecision.HOAN_THANH_LOP_HOC,
            f"Hoàn thành chương trình lớp {grade}",
            f"Completed the grade {grade} programme",
            principal_confirms=False,
        )
        rule = "TT27/Điều 11.1"
    confirm_vi = " (Hiệu trưởng xác nhận trong học bạ)" if completion.principal_confirms else ""
    confirm_en = " (confirmed by the principal in the học bạ)" if completion.principal_confirms else ""
    return Traced(
        completion,
        (
            _step(
                rule,
                f"Kết quả giáo dục {overall} → {completion.label_vi}{confirm_vi}",
                f"Overall result {overall.label_en} → {completion.label_en}{confirm_en}",
            ),
        ),
    )
