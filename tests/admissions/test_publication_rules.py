"""What is published (pure): the schools' lists hold registration numbers and wish ranks only, and the diff after
an appeal lists exactly who moved, on hand-worked cases."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

from admissions_cases import applicant, config

from credential_service.admissions.allocation import allocate
from credential_service.admissions.publication_rules import (
    Listed,
    Move,
    MoveKind,
    diff_runs,
    move_counts,
    school_lists,
)
from credential_service.admissions.result_json import dumps

D = Decimal


def output(data: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(dumps(data), parse_float=Decimal))


def test_the_diff_names_each_kind_of_move_and_ignores_the_unchanged() -> None:
    before = {
        "assignments": {
            "S01": {"school": "A", "wish": 1},  # A → not
            "S02": {"school": "A", "wish": 1},  # A → B
            "S03": {"school": None},  # not → B
            "S04": {"school": "B", "wish": 2},  # unchanged
            "S05": {"school": None},  # unchanged (not admitted either time)
            "S06": {"school": "B", "wish": 1},  # only in the run before: B → not
        }
    }
    after = {
        "assignments": {
            "S01": {"school": None},
            "S02": {"school": "B", "wish": 2},
            "S03": {"school": "B", "wish": 1},
            "S04": {"school": "B", "wish": 2},
            "S05": {"school": None},
            "S07": {"school": "A", "wish": 3},  # only in the run after: not → A
        }
    }
    moves = diff_runs(before, after)
    assert moves == (
        Move("S01", MoveKind.LOST, "A", 1, None, None),
        Move("S02", MoveKind.MOVED, "A", 1, "B", 2),
        Move("S03", MoveKind.GAINED, None, None, "B", 1),
        Move("S06", MoveKind.LOST, "B", 1, None, None),
        Move("S07", MoveKind.GAINED, None, None, "A", 3),
    )
    assert move_counts(moves) == {"admitted_to_not": 2, "moved": 1, "not_to_admitted": 2}
    assert diff_runs(before, before) == ()


def test_a_change_of_wish_rank_at_the_same_school_is_not_a_move() -> None:
    before = {"assignments": {"S01": {"school": "A", "wish": 1}}}
    after = {"assignments": {"S01": {"school": "A", "wish": 2}}}
    assert diff_runs(before, after) == ()


def test_an_appeal_that_breaks_a_tie_swaps_two_applicants_and_leaves_the_third() -> None:
    # A has 1 place, B has 1; offsets 0/1/2; tie-break Toán+Ngữ văn, then Toán.
    # Before: X 8+8+8 = 24 (A, B); Y 7+7+7 = 21 (A, B); Z 6+6+6 = 18 (B).
    #   Round 1: A admits X (24 > 21), cutoff 24; B admits Z, cutoff 18. Round 2: Y at B: B is full.
    # After Y's Toán is re-marked 10: Y 10+7+7 = 24, tied with X on the total; Toán+Ngữ văn 17 > 16: A admits Y.
    #   Round 2: X at B: 24 ≥ 18 + 1, but B is full. So X: A → not, Y: not → A, Z stays at B.
    c = config([{"code": "A", "quota": 1}, {"code": "B", "quota": 1}])
    x = applicant("X", "8.0", "8.0", "8.0", "A", "B")
    y = applicant("Y", "7.0", "7.0", "7.0", "A", "B")
    z = applicant("Z", "6.0", "6.0", "6.0", "B")
    before = output(allocate(c, [x, y, z]).to_data())
    y2 = replace(y, scores={**y.scores, "Toán": D("10.0")})
    after = output(allocate(c, [x, y2, z]).to_data())
    assert diff_runs(before, after) == (
        Move("X", MoveKind.LOST, "A", 1, None, None),
        Move("Y", MoveKind.GAINED, None, None, "A", 1),
    )


def test_with_a_second_place_at_b_the_same_appeal_moves_both_between_schools() -> None:
    # As above, B has 2 places. Before: round 2, Y at B: 21 ≥ B's cutoff 18 + 1 and a place is left: Y → B (NV2).
    # After: Y → A (NV1); round 2, X at B: 24 ≥ 19, a place is left: X → B (NV2). Z stays at B.
    c = config([{"code": "A", "quota": 1}, {"code": "B", "quota": 2}])
    x = applicant("X", "8.0", "8.0", "8.0", "A", "B")
    y = applicant("Y", "7.0", "7.0", "7.0", "A", "B")
    z = applicant("Z", "6.0", "6.0", "6.0", "B")
    before = output(allocate(c, [x, y, z]).to_data())
    after = output(allocate(c, [x, replace(y, scores={**y.scores, "Toán": D("10.0")}), z]).to_data())
    assert diff_runs(before, after) == (
        Move("X", MoveKind.MOVED, "A", 1, "B", 2),
        Move("Y", MoveKind.MOVED, "B", 2, "A", 1),
    )


def test_the_lists_hold_registration_numbers_and_wish_ranks_by_school_and_the_cutoffs() -> None:
    c = config([{"code": "A", "quota": 1}, {"code": "B", "quota": 2}, {"code": "C", "quota": 5}])
    people = [
        applicant("X", "8.0", "8.0", "8.0", "A", "B", priority_group="1"),
        applicant("Y", "7.0", "7.0", "7.0", "A", "B", direct_admission=True),
        applicant("Z", "6.0", "6.0", "6.0", "B"),
        applicant("W", "1.0", "6.0", "6.0", "B"),  # disqualified: not on any list
    ]
    lists = {s.code: s for s in school_lists(output(allocate(c, people).to_data()))}
    assert list(lists) == ["A", "B", "C"]
    # Y is admitted directly to A (NV1) before round 1, filling it; X (26 with priority) goes to B in round 2.
    assert lists["A"].admitted == (Listed("Y", 1),)
    assert lists["B"].admitted == (Listed("X", 2), Listed("Z", 1))
    assert lists["C"].admitted == () and lists["C"].quota == 5
    assert lists["B"].cutoffs == (("1", "18.00"), ("2", "19.00"), ("3", "20.00"))
    assert lists["A"].cutoffs == ()  # A admitted nobody in round 1 (its place went to a direct admission)
    shown = repr(lists)
    for hidden in ("priority", "direct", "total", "26", "Toán"):
        assert hidden not in shown
