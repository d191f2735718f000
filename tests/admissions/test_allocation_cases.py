"""The allocation on hand-worked cases (issue #15 "Done when"), each total worked out in the comment."""

from __future__ import annotations

from decimal import Decimal

from admissions_cases import CHUYEN_TOAN, applicant, config

from credential_service.admissions.allocation import Allocation, Assignment, Outcome, allocate
from credential_service.admissions.applicants import YearResult
from credential_service.transcripts.grading_types import Level

D = Decimal


def by_id(result: Allocation) -> dict[str, Assignment]:
    return {a.applicant: a for a in result.assignments}


def test_the_issue_example_admits_the_applicant_to_the_specialised_school_with_toan_chuyen_counted_twice() -> None:
    c = config([{"code": "THPT-A", "quota": 2}, CHUYEN_TOAN])
    # 8.0 + 7.5 + 9.0 + 2 × 7.0 = 38.50
    a = by_id(allocate(c, [applicant("A01", "8.0", "7.5", "9.0", "CHUYEN-TOAN", "THPT-A", chuyen="7.0")]))["A01"]
    assert (a.school, a.wish, a.total) == ("CHUYEN-TOAN", 1, D("38.50"))


def test_a_specialised_total_on_the_2025_tran_phu_scale_of_50() -> None:
    # Trần Phú 2025-26: Toán + Văn + NN + 2 × specialised; 8.0 + 7.25 + 6.0 + 2 × 6.85 = 34.95 (the Russian class's
    # second-round cutoff that year was 34.95 / 50)
    c = config([CHUYEN_TOAN])
    a = by_id(allocate(c, [applicant("X", "8.0", "7.25", "6.0", "CHUYEN-TOAN", chuyen="6.85")]))["X"]
    assert a.total == D("34.95")


def test_applicants_tied_on_total_and_every_tie_break_at_the_last_place_are_all_admitted_over_the_quota() -> None:
    c = config([{"code": "THPT-A", "quota": 2}])
    result = allocate(
        c,
        [
            applicant("A", "9.0", "9.0", "9.0", "THPT-A"),  # 27.00
            applicant("B", "8.0", "8.0", "9.0", "THPT-A"),  # 25.00, Toán+Văn 16, Toán 8
            applicant("C", "8.0", "8.0", "9.0", "THPT-A"),  # 25.00, identical
        ],
    )
    assert [a.school for a in result.assignments] == ["THPT-A"] * 3
    assert result.schools[0].admitted == 3 and result.schools[0].cutoff == D("25.00")
    assert "tied for the last place" in by_id(result)["C"].wishes[0].message.en


def test_a_tie_on_total_is_broken_by_the_first_key_that_differs() -> None:
    c = config([{"code": "THPT-A", "quota": 2}])
    result = by_id(
        allocate(
            c,
            [
                applicant("A", "9.0", "9.0", "9.0", "THPT-A"),  # 27.00
                applicant("B", "8.0", "8.0", "9.0", "THPT-A"),  # 25.00, Toán+Văn 16
                applicant("C", "9.0", "6.0", "10.0", "THPT-A"),  # 25.00, Toán+Văn 15
            ],
        )
    )
    assert result["B"].school == "THPT-A" and result["C"].school is None
    why = result["C"].wishes[0]
    assert why.outcome is Outcome.OUTRANKED and "«Toán+Ngữ văn» (15.00 < 16.00)" in why.message.en


def test_the_wish_offset_blocks_a_second_wish_even_with_places_left() -> None:
    c = config([{"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 3}])
    result = by_id(
        allocate(
            c,
            [
                applicant("X", "9.0", "9.0", "9.0", "THPT-A"),  # 27.00: takes A's one place
                applicant("Z", "8.0", "8.0", "8.0", "THPT-B"),  # 24.00: B's round-1 cutoff is 24.00
                applicant("Y", "8.0", "8.0", "8.0", "THPT-A", "THPT-B"),  # 24.00 < 24.00 + 1.0 at wish 2
                applicant("W", "8.5", "8.5", "8.5", "THPT-A", "THPT-B"),  # 25.50 ≥ 25.00 at wish 2
            ],
        )
    )
    assert result["Y"].school is None
    blocked = result["Y"].wishes[1]
    assert blocked.outcome is Outcome.BELOW_CUTOFF and blocked.compared == D("25.00")
    assert "below the wish-2 cutoff 25.00 (round-1 cutoff 24.00 + 1.00)" in blocked.message.en
    assert (result["W"].school, result["W"].wish) == ("THPT-B", 2)
    assert result["W"].wishes[0].outcome is Outcome.OUTRANKED


def test_without_a_round_1_admission_a_later_wish_needs_only_to_pass_the_disqualification_rules() -> None:
    c = config([{"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 3}])
    result = by_id(
        allocate(
            c,
            [
                applicant("X", "9.0", "9.0", "9.0", "THPT-A"),
                applicant("Y", "2.0", "2.0", "2.0", "THPT-A", "THPT-B"),  # 6.00, B admitted no one in round 1
            ],
        )
    )
    assert (result["Y"].school, result["Y"].wish) == ("THPT-B", 2)


def test_a_score_of_exactly_1_0_disqualifies_and_1_25_does_not() -> None:
    c = config([{"code": "THPT-A", "quota": 5}])
    result = by_id(
        allocate(
            c,
            [
                applicant("AT", "1.0", "9.0", "9.0", "THPT-A"),
                applicant("ABOVE", "1.25", "9.0", "9.0", "THPT-A"),
                applicant("ABSENT", None, "9.0", "9.0", "THPT-A"),
            ],
        )
    )
    assert result["AT"].school is None and result["AT"].wishes[0].outcome is Outcome.DISQUALIFIED
    assert "the Toán score 1.00 is at or below the disqualifying 1.00" in result["AT"].reason.en  # type: ignore[union-attr]
    assert result["ABOVE"].school == "THPT-A"
    assert "no Toán score" in result["ABSENT"].reason.en  # type: ignore[union-attr]


def test_a_violation_disqualifies_from_every_wish() -> None:
    c = config([{"code": "THPT-A", "quota": 5}, {"code": "THPT-B", "quota": 5}])
    a = by_id(allocate(c, [applicant("V", "10", "10", "10", "THPT-A", "THPT-B", violation=True)]))["V"]
    assert a.school is None and [w.outcome for w in a.wishes] == [Outcome.DISQUALIFIED] * 2
    assert "breach of the exam rules" in a.reason.en  # type: ignore[union-attr]


def test_a_grade_6_to_9_result_below_the_level_skips_only_the_specialised_wish() -> None:
    c = config([CHUYEN_TOAN, {"code": "THPT-A", "quota": 2}])
    years = (
        YearResult(Level.TOT, Level.TOT),
        YearResult(Level.TOT, Level.TOT),
        YearResult(Level.TOT, Level.DAT),
        YearResult(Level.TOT, Level.TOT),
    )
    a = by_id(allocate(c, [applicant("S", "9", "9", "9", "CHUYEN-TOAN", "THPT-A", chuyen="9", grades_6_9=years)]))
    skipped = a["S"].wishes[0]
    assert (
        skipped.outcome is Outcome.INELIGIBLE and "grade 8 conduct is Pass, below the Fairly good" in skipped.message.en
    )
    assert (a["S"].school, a["S"].wish) == ("THPT-A", 2)


def test_a_specialised_score_at_the_threshold_or_unknown_grades_skip_the_specialised_wish() -> None:
    c = config([CHUYEN_TOAN, {"code": "THPT-A", "quota": 2}])
    result = by_id(
        allocate(
            c,
            [
                applicant("LOW", "9", "9", "9", "CHUYEN-TOAN", "THPT-A", chuyen="1.0"),
                applicant("UNKNOWN", "9", "9", "9", "CHUYEN-TOAN", "THPT-A", chuyen="9", grades_6_9=None),
            ],
        )
    )
    assert result["LOW"].wishes[0].outcome is Outcome.INELIGIBLE and result["LOW"].school == "THPT-A"
    assert "not known" in result["UNKNOWN"].wishes[0].message.en and result["UNKNOWN"].school == "THPT-A"


def test_direct_admission_takes_the_first_non_specialised_wish_before_any_round_and_counts_against_the_quota() -> None:
    c = config([CHUYEN_TOAN, {"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 5}])
    result = by_id(
        allocate(
            c,
            [
                applicant("D", None, None, None, "CHUYEN-TOAN", "THPT-A", direct_admission=True),  # no exam needed
                applicant("TOP", "10", "10", "10", "THPT-A", "THPT-B"),
            ],
        )
    )
    assert (result["D"].school, result["D"].wish) == ("THPT-A", 2)
    assert [w.outcome for w in result["D"].wishes] == [Outcome.SKIPPED_FOR_DIRECT, Outcome.DIRECT]
    assert result["TOP"].wishes[0].outcome is Outcome.FULL  # the direct admission took THPT-A's one place
    assert (result["TOP"].school, result["TOP"].wish) == ("THPT-B", 2)


def test_priority_points_change_the_order_at_a_regular_school_but_not_at_a_specialised_one() -> None:
    c = config([{"code": "THPT-A", "quota": 1}])
    result = by_id(
        allocate(
            c,
            [
                applicant("P", "8.0", "8.0", "8.0", "THPT-A", priority_group="1"),  # 24.00 + 2.0 = 26.00
                applicant("N", "8.5", "8.5", "8.5", "THPT-A"),  # 25.50
            ],
        )
    )
    assert result["P"].school == "THPT-A" and result["P"].total == D("26.00") and result["N"].school is None
    c2 = config([CHUYEN_TOAN])
    result2 = by_id(
        allocate(
            c2,
            [
                applicant("P", "8.0", "8.0", "8.0", "CHUYEN-TOAN", priority_group="1", chuyen="8"),  # 40.00, no points
                applicant("N", "8.5", "8.5", "8.5", "CHUYEN-TOAN", chuyen="8"),  # 41.50
            ],
        )
    )
    assert result2["N"].school == "CHUYEN-TOAN" and result2["P"].school is None and result2["P"].wishes[0].total == 40


def test_an_admitted_applicant_leaves_every_later_round() -> None:
    c = config([{"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 1}])
    result = by_id(
        allocate(c, [applicant("X", "9", "9", "9", "THPT-A", "THPT-B"), applicant("Y", "5", "5", "5", "THPT-B")])
    )
    assert [w.rank for w in result["X"].wishes] == [1] and result["Y"].school == "THPT-B"


def test_every_applicant_not_admitted_has_a_reason_in_both_languages() -> None:
    c = config([{"code": "THPT-A", "quota": 1}])
    result = by_id(
        allocate(
            c,
            [
                applicant("X", "9", "9", "9", "THPT-A"),
                applicant("Y", "5", "5", "5", "THPT-A"),
                applicant("NONE", "5", "5", "5"),
            ],
        )
    )
    assert "Not admitted at any of the 1 wishes" in result["Y"].reason.en  # type: ignore[union-attr]
    assert result["NONE"].reason is not None and result["NONE"].reason.vi == "Không đăng ký nguyện vọng nào."
