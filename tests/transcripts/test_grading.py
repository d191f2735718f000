"""Circular 22/2021/TT-BGDĐT rules, with cases taken from the regulation (domain brief §1.2–1.7)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.grading import (
    GIOI,
    XUAT_SAC,
    Level,
    PromotionDecision,
    SubjectValue,
    Verdict,
    award,
    comment_semester_result,
    comment_year_result,
    conduct_year,
    learning_result,
    promotion,
    reassessment_subjects,
    round_score,
    score_problem,
    semester_average,
    tx_count_problem,
    year_average,
)

T, K, Đ, CĐ = Level.TOT, Level.KHA, Level.DAT, Level.CHUA_DAT


def scores(*values: str, comment: tuple[Verdict, ...] = ()) -> dict[str, D | Verdict]:
    out: dict[str, D | Verdict] = {f"S{i}": D(v) for i, v in enumerate(values)}
    out.update({f"C{i}": v for i, v in enumerate(comment)})
    return out


# --- rounding and averages ----------------------------------------------------------------------------


@pytest.mark.parametrize(("exact", "rounded"), [("7.26", "7.3"), ("7.25", "7.3"), ("7.24", "7.2"), ("9.95", "10.0")])
def test_round_score_is_half_up_to_one_decimal(exact: str, rounded: str) -> None:
    assert round_score(D(exact)) == D(rounded)


def test_semester_average_uses_weights_1_2_3_and_n_plus_5() -> None:
    # (8 + 7.5 + 9 + 2·7 + 3·8) / (3 + 5) = 62.5 / 8 = 7.8125 → 7.8
    result = semester_average([D("8"), D("7.5"), D("9")], D("7"), D("8"))
    assert result.value == D("7.8")
    assert result.trace[0].rule == "TT22/Điều 9.1.b"
    assert "7.8125" in result.trace[0].vi and "7.8125" in result.trace[0].en


def test_semester_average_rounds_only_the_final_quotient() -> None:
    # (7 + 7 + 2·7 + 3·7.6) / 7 = 50.8 / 7 = 7.2571… → 7.3
    assert semester_average([D("7"), D("7")], D("7"), D("7.6")).value == D("7.3")


def test_year_average_counts_semester_two_twice() -> None:
    # (7.2 + 2·7.3) / 3 = 7.2666… → 7.3 (the brief's 7.26 → 7.3 example)
    result = year_average(D("7.2"), D("7.3"))
    assert result.value == D("7.3")
    assert "7.2667" in result.trace[0].vi


def test_year_average_exact_value() -> None:
    assert year_average(D("6.0"), D("9.0")).value == D("8.0")


def test_averages_never_return_floats() -> None:
    assert isinstance(semester_average([D("8")], D("8"), D("8")).value, D)
    assert isinstance(year_average(D("8"), D("8")).value, D)


# --- score validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("ok", ["0", "0.0", "10", "10.0", "8.5", "8.50"])
def test_valid_scores(ok: str) -> None:
    assert score_problem(D(ok)) is None


@pytest.mark.parametrize("bad", ["10.5", "-0.5", "8.25", "NaN"])
def test_invalid_scores_are_explained(bad: str) -> None:
    problem = score_problem(D(bad))
    assert problem is not None and problem.vi and problem.en


def test_semester_average_refuses_out_of_range_score() -> None:
    with pytest.raises(InvalidInput):
        semester_average([D("10.5")], D("8"), D("8"))


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (2, True), (4, True), (5, True), (6, False)])
def test_regular_assessment_count_is_checked_loosely(count: int, ok: bool) -> None:
    assert (tx_count_problem(count) is None) is ok


# --- comment subjects --------------------------------------------------------------------------------


def test_comment_year_result_is_semester_two() -> None:
    assert comment_year_result(Verdict.CHUA_DAT, Verdict.DAT).value is Verdict.DAT
    assert comment_year_result(Verdict.DAT, Verdict.CHUA_DAT).value is Verdict.CHUA_DAT


def test_comment_semester_needs_all_assessments_done_and_dat() -> None:
    assert comment_semester_result([Verdict.DAT] * 3, required=3).value is Verdict.DAT
    assert comment_semester_result([Verdict.DAT] * 2, required=3).value is Verdict.CHUA_DAT
    assert comment_semester_result([Verdict.DAT, Verdict.CHUA_DAT]).value is Verdict.CHUA_DAT


# --- learning result thresholds (Art. 9.2) -------------------------------------------------------------


def test_tot_needs_all_at_least_6_5_and_six_at_8() -> None:
    assert learning_result(scores("8.0", "8.0", "8.0", "8.0", "8.0", "8.0", "6.5")).value is T


def test_only_five_subjects_at_8_is_kha() -> None:
    assert learning_result(scores("8.0", "8.0", "8.0", "8.0", "8.0", "7.9", "6.5")).value is K


def test_one_subject_at_6_4_blocks_tot() -> None:
    assert learning_result(scores("9", "9", "9", "9", "9", "9", "6.4")).value is K


def test_kha_needs_all_at_least_5_and_six_at_6_5() -> None:
    assert learning_result(scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.5", "5.0")).value is K
    assert learning_result(scores("6.5", "6.5", "6.5", "6.5", "6.5", "6.4", "5.0")).value is Đ


def test_dat_needs_six_at_5_and_none_below_3_5() -> None:
    assert learning_result(scores("5", "5", "5", "5", "5", "5", "3.5", "3.5")).value is Đ
    assert learning_result(scores("5", "5", "5", "5", "5", "4.9", "6")).value is Đ  # six at ≥ 5.0 still
    assert learning_result(scores("5", "5", "5", "5", "4.9", "4.9", "6")).value is CĐ


def test_a_comment_subject_chua_dat_blocks_tot_and_kha() -> None:
    values = scores("9", "9", "9", "9", "9", "9", comment=(Verdict.CHUA_DAT, Verdict.DAT))
    # Tốt → Đạt would be 2 steps for one subject: adjusted to Khá (see adjustment tests)
    assert learning_result(values).value is K


def test_two_comment_subjects_chua_dat_is_chua_dat() -> None:
    values = scores("6", "6", "6", "6", "6", "6", comment=(Verdict.CHUA_DAT, Verdict.CHUA_DAT))
    assert learning_result(values).value is CĐ


def test_learning_trace_names_article_9() -> None:
    trace = learning_result(scores("8", "8", "8", "8", "8", "8")).trace
    assert trace[0].rule == "TT22/Điều 9.2.a"
    assert any("Tốt" in s.vi for s in trace)


# --- adjustment rule (Art. 9.3) ------------------------------------------------------------------------


def test_tot_dropped_to_dat_by_one_subject_is_lifted_to_kha() -> None:
    # Would be Tốt but one subject at 4.0 (< 5.0): base level Đạt, 2 steps down → Khá
    result = learning_result(scores("9", "9", "9", "9", "9", "9", "4.0"))
    assert result.value is K
    assert result.trace[-1].rule == "TT22/Điều 9.3"
    assert "S6" in result.trace[-1].vi


def test_tot_dropped_to_chua_dat_by_one_subject_is_lifted_to_dat() -> None:
    # One subject at 3.0 (< 3.5): base Chưa đạt, 3 steps below Tốt → adjacent level above = Đạt
    assert learning_result(scores("9", "9", "9", "9", "9", "9", "3.0")).value is Đ


def test_kha_dropped_to_chua_dat_by_one_subject_is_lifted_to_dat() -> None:
    assert learning_result(scores("7", "7", "7", "7", "7", "7", "3.0")).value is Đ


def test_one_step_drop_is_not_adjusted() -> None:
    # Tốt blocked by one subject at 6.0 only drops to Khá: no adjustment
    result = learning_result(scores("9", "9", "9", "9", "9", "9", "6.0"))
    assert result.value is K
    assert all(s.rule != "TT22/Điều 9.3" for s in result.trace)


def test_two_weak_subjects_are_not_adjusted() -> None:
    assert learning_result(scores("9", "9", "9", "9", "9", "9", "3.0", "3.0")).value is CĐ


def test_no_adjustment_when_the_six_subject_count_is_not_met() -> None:
    # Only five subjects at ≥ 6.5: the student would not reach Khá even without the weak subject
    assert learning_result(scores("7", "7", "7", "7", "7", "5", "3.0")).value is CĐ


# --- conduct year (Art. 8.2.b): every cell of the 4×4 table --------------------------------------------

CONDUCT_TABLE = {
    # (HK I, HK II): year
    (T, T): T, (K, T): T, (Đ, T): K, (CĐ, T): K,
    (T, K): K, (K, K): K, (Đ, K): K, (CĐ, K): Đ,
    (T, Đ): K, (K, Đ): Đ, (Đ, Đ): Đ, (CĐ, Đ): Đ,
    (T, CĐ): CĐ, (K, CĐ): CĐ, (Đ, CĐ): CĐ, (CĐ, CĐ): CĐ,
}  # fmt: skip


@pytest.mark.parametrize(("hk1", "hk2"), list(CONDUCT_TABLE))
def test_conduct_year_table(hk1: Level, hk2: Level) -> None:
    result = conduct_year(hk1, hk2)
    assert result.value is CONDUCT_TABLE[(hk1, hk2)]
    assert result.trace[0].rule == "TT22/Điều 8.2.b"


def test_conduct_table_covers_all_sixteen_cells() -> None:
    assert len(CONDUCT_TABLE) == 16


# --- promotion (Art. 12–14) ----------------------------------------------------------------------------

GOOD = {"Toán": D("7.0"), "Ngữ văn": D("6.0")}


def test_promoted_with_45_absences() -> None:
    r = promotion(grade=10, conduct=K, learning=K, year_values=GOOD, absences=45)
    assert r.value.decision is PromotionDecision.LEN_LOP


def test_retained_with_46_absences() -> None:
    r = promotion(grade=10, conduct=T, learning=T, year_values=GOOD, absences=46)
    assert r.value.decision is PromotionDecision.O_LAI_LOP
    assert r.value.absences_exceeded
    assert r.trace[0].rule == "TT22/Điều 12.2"


@pytest.mark.parametrize(("grade", "label"), [(9, "trung học cơ sở"), (12, "trung học phổ thông")])
def test_grade_9_and_12_complete_the_programme(grade: int, label: str) -> None:
    r = promotion(grade=grade, conduct=Đ, learning=Đ, year_values=GOOD, absences=0)
    assert r.value.decision is PromotionDecision.HOAN_THANH_CHUONG_TRINH
    assert label in r.value.label_vi


def test_reassessment_subjects_are_comment_chua_dat_and_scored_below_5() -> None:
    values: dict[str, SubjectValue] = {
        "Toán": D("4.9"),
        "Ngữ văn": D("5.0"),
        "Giáo dục thể chất": Verdict.CHUA_DAT,
        "Âm nhạc": Verdict.DAT,
    }
    assert reassessment_subjects(values) == ["Toán", "Giáo dục thể chất"]


FAILING: dict[str, SubjectValue] = {
    **{f"S{i}": D("6.0") for i in range(5)},
    "Toán": D("3.0"),
    "Vật lí": D("4.0"),
    "Giáo dục thể chất": Verdict.DAT,
}


def test_learning_chua_dat_needs_reassessment_with_subject_list() -> None:
    r = promotion(grade=10, conduct=K, learning=CĐ, year_values=FAILING, absences=3)
    assert r.value.decision is PromotionDecision.CAN_DANH_GIA_LAI
    assert r.value.reassess_subjects == ("Toán", "Vật lí")


def test_reassessment_results_recompute_the_learning_result() -> None:
    r = promotion(
        grade=10, conduct=K, learning=CĐ, year_values=FAILING, absences=3,
        reassessment={"Toán": D("5.5"), "Vật lí": D("5.0")},
    )  # fmt: skip
    assert r.value.decision is PromotionDecision.LEN_LOP
    assert r.value.after_reassessment
    assert r.value.learning_after_reassessment is Đ
    assert any(s.rule == "TT22/Điều 14.2" for s in r.trace)


def test_failed_reassessment_means_retention() -> None:
    r = promotion(
        grade=10, conduct=K, learning=CĐ, year_values=FAILING, absences=3,
        reassessment={"Toán": D("3.0"), "Vật lí": D("3.0")},
    )  # fmt: skip
    assert r.value.decision is PromotionDecision.O_LAI_LOP
    assert r.value.learning_after_reassessment is CĐ


def test_reassessment_of_an_ineligible_subject_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        promotion(grade=10, conduct=K, learning=CĐ, year_values=FAILING, absences=3, reassessment={"S0": D("9.0")})
    assert err.value.problems[0].location == {"field": "reassessment.S0"}


def test_conduct_chua_dat_needs_summer_training() -> None:
    r = promotion(grade=10, conduct=CĐ, learning=K, year_values=GOOD, absences=0)
    assert r.value.decision is PromotionDecision.CAN_REN_LUYEN_HE


def test_summer_training_dat_promotes() -> None:
    r = promotion(grade=10, conduct=CĐ, learning=K, year_values=GOOD, absences=0, summer_conduct=Verdict.DAT)
    assert r.value.decision is PromotionDecision.LEN_LOP
    assert r.value.after_summer_training and r.value.conduct_after_summer is Đ


def test_summer_training_chua_dat_retains() -> None:
    r = promotion(grade=10, conduct=CĐ, learning=K, year_values=GOOD, absences=0, summer_conduct=Verdict.CHUA_DAT)
    assert r.value.decision is PromotionDecision.O_LAI_LOP


def test_summer_result_without_summer_training_is_refused() -> None:
    with pytest.raises(InvalidInput):
        promotion(grade=10, conduct=K, learning=K, year_values=GOOD, absences=0, summer_conduct=Verdict.DAT)


def test_both_chua_dat_first_summer_training_then_reassessment() -> None:
    r = promotion(grade=10, conduct=CĐ, learning=CĐ, year_values=FAILING, absences=0)
    assert r.value.decision is PromotionDecision.CAN_REN_LUYEN_HE
    assert r.value.reassess_subjects == ("Toán", "Vật lí")
    r = promotion(grade=10, conduct=CĐ, learning=CĐ, year_values=FAILING, absences=0, summer_conduct=Verdict.DAT)
    assert r.value.decision is PromotionDecision.CAN_DANH_GIA_LAI


# --- awards (Art. 15) ----------------------------------------------------------------------------------

SIX_AT_9: dict[str, SubjectValue] = {
    **{f"S{i}": D("9.0") for i in range(6)},
    "S6": D("8.9"),
    "GDTC": Verdict.DAT,
}
FIVE_AT_9: dict[str, SubjectValue] = {**{f"S{i}": D("9.0") for i in range(5)}, "S5": D("8.9"), "S6": D("8.9")}


def test_excellent_with_exactly_six_subjects_at_9() -> None:
    r = award(T, T, SIX_AT_9)
    assert r.value == XUAT_SAC
    assert r.trace[0].rule == "TT22/Điều 15.1.a"


def test_five_subjects_at_9_is_gioi() -> None:
    assert award(T, T, FIVE_AT_9).value == GIOI


@pytest.mark.parametrize(("conduct", "learning"), [(K, T), (T, K), (Đ, Đ)])
def test_no_award_without_conduct_and_learning_tot(conduct: Level, learning: Level) -> None:
    assert award(conduct, learning, SIX_AT_9).value is None
