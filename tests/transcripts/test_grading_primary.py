"""Circular 27/2020 (primary, grades 1–5): levels, tests, qualities and competences, Art. 9's overall result,
the titles of Art. 12 and completion of primary. Boundary cases come from Art. 9 as issue #14 quotes it."""

from __future__ import annotations

import unicodedata

import pytest

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.grading_primary import (
    TIEU_BIEU,
    CompletionDecision,
    PrimaryPeriod,
    overall_result,
    primary_award,
    primary_completion,
)
from credential_service.transcripts.primary_catalogue import (
    GENERAL_COMPETENCES,
    QUALITIES,
    SPECIFIC_COMPETENCES,
    OverallResult,
    QualityLevel,
    SubjectLevel,
    find_primary_subject,
    parse_quality_level,
    parse_subject_level,
    parse_test_score,
    primary_subjects_for_grade,
)
from credential_service.transcripts.value_parsers import FieldError

T, H, C = SubjectLevel.T, SubjectLevel.H, SubjectLevel.C
TOT, DAT, CCG = QualityLevel.TOT, QualityLevel.DAT, QualityLevel.CAN_CO_GANG
XS, HTT, HT, CHT = (
    OverallResult.HOAN_THANH_XUAT_SAC,
    OverallResult.HOAN_THANH_TOT,
    OverallResult.HOAN_THANH,
    OverallResult.CHUA_HOAN_THANH,
)

GRADE3_TESTED = ("Tiếng Việt", "Toán", "Ngoại ngữ 1", "Tin học và Công nghệ")
GRADE3_UNTESTED = (
    "Đạo đức",
    "Tự nhiên và Xã hội",
    "Giáo dục thể chất",
    "Âm nhạc",
    "Mĩ thuật",
    "Hoạt động trải nghiệm",
)
ALL_TOT = dict.fromkeys(QUALITIES, TOT)
COMPETENCES_TOT = dict.fromkeys(GENERAL_COMPETENCES + SPECIFIC_COMPETENCES, TOT)


def grade3(test: int = 10, **changes: PrimaryPeriod) -> dict[str, PrimaryPeriod]:
    """A grade-3 year: every subject T, every tested subject scoring ``test``, then ``changes``."""
    year = {n: PrimaryPeriod(T, test) for n in GRADE3_TESTED} | {n: PrimaryPeriod(T) for n in GRADE3_UNTESTED}
    return year | {n.replace("_", " "): p for n, p in changes.items()}


def result(
    subjects: dict[str, PrimaryPeriod],
    qualities: dict[str, QualityLevel] = ALL_TOT,
    competences: dict[str, QualityLevel] = COMPETENCES_TOT,
    grade: int = 3,
) -> OverallResult:
    return overall_result(grade=grade, subjects=subjects, qualities=qualities, competences=competences).value


def problem_fields(err: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [p.location["field"] for p in err.value.problems]


# ------------------------------------------------------------------------------- Art. 9 examples


def test_issue_example_with_chăm_chỉ_dat_is_hoan_thanh() -> None:
    """The input of issue #14: Tiếng Việt T (test 10), Đạo đức T, Chăm chỉ Đạt, the rest Tốt."""
    out = overall_result(
        grade=3,
        subjects={"Tiếng Việt": PrimaryPeriod(T, 10), "Đạo đức": PrimaryPeriod(T)},
        qualities=ALL_TOT | {"Chăm chỉ": DAT},
        competences=dict.fromkeys(
            ("Tự chủ và tự học", "Giao tiếp và hợp tác", "Giải quyết vấn đề và sáng tạo", "Ngôn ngữ", "Tính toán"),
            TOT,
        ),
    )
    assert out.value is HT
    assert [s.rule for s in out.trace] == ["TT27/Điều 9.1.a"] * 4
    assert "Chăm chỉ (Đạt)" in out.trace[0].vi and "Chăm chỉ (Đạt)" in out.trace[1].en
    assert out.trace[-1].vi == "Đánh giá kết quả giáo dục lớp 3: Hoàn thành"


def test_all_t_all_tot_and_tests_of_9_is_hoan_thanh_xuat_sac() -> None:
    assert result(grade3(test=9)) is XS


def test_one_end_of_year_test_of_8_instead_of_9_is_hoan_thanh_tot() -> None:
    out = overall_result(grade=3, subjects=grade3(test=9, Toán=PrimaryPeriod(T, 8)), qualities=ALL_TOT,
                         competences=COMPETENCES_TOT)  # fmt: skip
    assert out.value is HTT
    assert "Toán (8)" in out.trace[0].vi and "không đạt" in out.trace[0].vi


def test_tests_of_7_are_hoan_thanh_tot_and_6_is_hoan_thanh() -> None:
    assert result(grade3(test=7)) is HTT
    assert result(grade3(test=7, Toán=PrimaryPeriod(T, 6))) is HT


def test_tests_of_5_are_hoan_thanh_and_4_is_chua_hoan_thanh() -> None:
    assert result(grade3(test=5)) is HT
    assert result(grade3(test=5, Tiếng_Việt=PrimaryPeriod(T, 4))) is CHT


def test_a_test_score_of_0_is_allowed_and_is_below_every_bar() -> None:
    assert result(grade3(test=10, Toán=PrimaryPeriod(T, 0))) is CHT


def test_one_quality_dat_with_perfect_scores_is_only_hoan_thanh() -> None:
    assert result(grade3(test=10), qualities=ALL_TOT | {"Trung thực": DAT}) is HT


def test_one_competence_dat_with_perfect_scores_is_only_hoan_thanh() -> None:
    assert result(grade3(test=10), competences=COMPETENCES_TOT | {"Tính toán": DAT}) is HT


def test_one_subject_h_with_perfect_scores_is_only_hoan_thanh() -> None:
    """A single H blocks Xuất sắc (seen in practice, brief §1.9) and Hoàn thành tốt (Art. 9)."""
    assert result(grade3(test=10, Đạo_đức=PrimaryPeriod(H))) is HT
    assert result(grade3(test=10, Toán=PrimaryPeriod(H, 10))) is HT


def test_one_subject_c_is_chua_hoan_thanh() -> None:
    assert result(grade3(test=10, Mĩ_thuật=PrimaryPeriod(C))) is CHT


def test_one_quality_can_co_gang_is_chua_hoan_thanh() -> None:
    out = overall_result(grade=3, subjects=grade3(test=10), qualities=ALL_TOT | {"Trách nhiệm": CCG},
                         competences=COMPETENCES_TOT)  # fmt: skip
    assert out.value is CHT
    assert "Trách nhiệm (Cần cố gắng)" in out.trace[2].vi
    assert out.trace[-1].en == "Overall result, grade 3: Not completed"


def test_grade_4_tests_history_geography_and_science() -> None:
    subjects = {s.name: PrimaryPeriod(T, 9 if s.tested_in(4) else None) for s in primary_subjects_for_grade(4)}
    assert result(subjects, grade=4) is XS
    assert result(subjects | {"Khoa học": PrimaryPeriod(T, 7)}, grade=4) is HTT


# ------------------------------------------------------------------------------------ bad input


def test_a_missing_test_score_on_a_tested_subject_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9, Toán=PrimaryPeriod(T)))
    assert problem_fields(err) == ["subjects.Toán.year.test"]
    assert "Thiếu điểm kiểm tra định kì môn Toán" in err.value.problems[0].message.vi


def test_a_test_score_on_an_untested_subject_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9, Đạo_đức=PrimaryPeriod(T, 9)))
    assert problem_fields(err) == ["subjects.Đạo đức.year.test"]
    assert "has no periodic test in grade 3" in err.value.problems[0].message.en


def test_a_test_score_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9, Toán=PrimaryPeriod(T, 11)))
    assert problem_fields(err) == ["subjects.Toán.year.test"]


def test_a_subject_not_taught_in_the_grade_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9) | {"Khoa học": PrimaryPeriod(T, 9)})
    assert problem_fields(err) == ["subjects.Khoa học"]
    assert err.value.problems[0].message.en == "The subject Khoa học is not taught in grade 3"


def test_a_missing_quality_and_general_competence_are_refused() -> None:
    qualities = {k: v for k, v in ALL_TOT.items() if k != "Trung thực"}
    competences = {k: v for k, v in COMPETENCES_TOT.items() if k != "Giao tiếp và hợp tác"}
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9), qualities=qualities, competences=competences)
    assert problem_fields(err) == ["qualities.Trung thực", "competences.Giao tiếp và hợp tác"]
    assert err.value.problems[0].message.en == "Missing the rating of the quality Trung thực"


def test_an_unknown_quality_or_competence_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9), qualities=ALL_TOT | {"Dũng cảm": TOT}, competences=COMPETENCES_TOT | {"Bơi": TOT})
    assert problem_fields(err) == ["qualities.Dũng cảm", "competences.Bơi"]


def test_a_secondary_grade_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        result(grade3(test=9), grade=6)
    assert problem_fields(err) == ["grade"]


@pytest.mark.parametrize("value", [8.5, "8.5", "8,5", 9.25])
def test_a_decimal_test_score_is_refused(value: object) -> None:
    with pytest.raises(FieldError, match="no decimals") as err:
        parse_test_score(value)
    assert err.value.message.vi.startswith("Điểm kiểm tra định kì tiểu học là số nguyên")


@pytest.mark.parametrize("value", [-1, 11, "abc", True, None, ""])
def test_a_test_score_must_be_a_whole_number_from_0_to_10(value: object) -> None:
    with pytest.raises(FieldError):
        parse_test_score(value)


@pytest.mark.parametrize(("value", "score"), [(0, 0), (10, 10), ("7", 7), (" 9 ", 9), (9.0, 9)])
def test_whole_test_scores_are_accepted(value: object, score: int) -> None:
    assert parse_test_score(value) == score


def test_subject_levels_are_t_h_c_or_written_out() -> None:
    assert parse_subject_level("t") is T
    assert parse_subject_level("Hoàn thành") is H
    assert parse_subject_level(unicodedata.normalize("NFD", "Chưa hoàn thành")) is C
    with pytest.raises(FieldError, match="Invalid subject level: 'Tốt'") as err:
        parse_subject_level("Tốt")
    assert err.value.expected is not None and err.value.expected.en.startswith("T (Hoàn thành tốt)")


def test_quality_levels_are_tot_dat_can_co_gang() -> None:
    assert parse_quality_level("Đ") is DAT
    assert parse_quality_level("cần cố gắng") is CCG
    assert parse_quality_level("T") is TOT
    with pytest.raises(FieldError):
        parse_quality_level("Khá")


# -------------------------------------------------------------------------------------- subjects


def test_subjects_per_grade_follow_the_2018_programme() -> None:
    names = {g: [s.name for s in primary_subjects_for_grade(g)] for g in range(1, 6)}
    assert "Tự nhiên và Xã hội" in names[1] and "Tự nhiên và Xã hội" not in names[4]
    assert "Khoa học" in names[4] and "Khoa học" not in names[3]
    assert "Tin học và Công nghệ" in names[3] and "Tin học và Công nghệ" not in names[2]
    tested = {g: [s.name for s in primary_subjects_for_grade(g) if s.tested_in(g)] for g in range(1, 6)}
    assert tested[1] == tested[2] == ["Tiếng Việt", "Toán"]
    assert tested[3] == list(GRADE3_TESTED)
    assert tested[5] == ["Tiếng Việt", "Toán", "Ngoại ngữ 1", "Lịch sử và Địa lí", "Khoa học", "Tin học và Công nghệ"]


@pytest.mark.parametrize(
    ("written", "name"),
    [
        (unicodedata.normalize("NFD", "tiếng việt"), "Tiếng Việt"),
        ("LS&ĐL", "Lịch sử và Địa lí"),
        ("Tin học & Công nghệ", "Tin học và Công nghệ"),
        ("TNXH", "Tự nhiên và Xã hội"),
        ("Nghệ thuật (Mĩ thuật)", "Mĩ thuật"),
    ],
)
def test_subject_names_are_matched_tolerantly(written: str, name: str) -> None:
    subject = find_primary_subject(written)
    assert subject is not None and subject.name == name


def test_an_unknown_subject_name_is_not_found() -> None:
    assert find_primary_subject("Vật lí") is None
    assert find_primary_subject(3) is None


# ---------------------------------------------------------------------------------------- awards


def test_hoan_thanh_xuat_sac_earns_hoc_sinh_xuat_sac() -> None:
    out = primary_award(XS)
    assert out.value is not None
    assert out.value.award.label_vi == "Học sinh Xuất sắc" and not out.value.teacher_proposal
    assert out.trace[0].rule == "TT27/Điều 12.1.a"


def test_hoan_thanh_tot_alone_earns_no_title() -> None:
    out = primary_award(HTT)
    assert out.value is None
    assert "no teacher proposal" in out.trace[0].en


def test_tieu_bieu_is_recorded_as_the_teachers_proposal() -> None:
    out = primary_award(HTT, tieu_bieu_proposal="  Tiến bộ vượt bậc   môn Toán ")
    assert out.value is not None
    assert out.value.award is TIEU_BIEU
    assert out.value.teacher_proposal and out.value.reason == "Tiến bộ vượt bậc môn Toán"
    assert "không tính toán" in out.trace[0].vi and out.trace[0].rule == "TT27/Điều 12.1.b"


def test_tieu_bieu_proposal_for_a_xuat_sac_student_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        primary_award(XS, tieu_bieu_proposal="Giải nhất vẽ tranh")
    assert problem_fields(err) == ["award_proposal"]


def test_tieu_bieu_proposal_without_a_reason_is_refused() -> None:
    with pytest.raises(InvalidInput):
        primary_award(HT, tieu_bieu_proposal="   ")


# ------------------------------------------------------------------------------------ completion


def test_grade_5_completion_of_primary_is_confirmed_by_the_principal() -> None:
    out = primary_completion(5, HTT)
    assert out.value.decision is CompletionDecision.HOAN_THANH_TIEU_HOC
    assert out.value.label_vi == "Hoàn thành chương trình tiểu học" and out.value.principal_confirms
    assert "Hiệu trưởng xác nhận" in out.trace[0].vi


def test_grades_1_to_4_complete_the_grade_without_the_principals_confirmation() -> None:
    out = primary_completion(3, HT)
    assert out.value.decision is CompletionDecision.HOAN_THANH_LOP_HOC
    assert out.value.label_vi == "Hoàn thành chương trình lớp 3" and not out.value.principal_confirms


def test_chua_hoan_thanh_in_grade_5_does_not_complete_primary() -> None:
    out = primary_completion(5, CHT)
    assert out.value.decision is CompletionDecision.CHUA_HOAN_THANH_LOP_HOC
    assert not out.value.principal_confirms
