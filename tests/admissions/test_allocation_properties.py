"""Properties of the allocation on generated cities: the same bytes whatever the input order, no quota exceeded
(but for a tie at the last place), nobody below a cutoff, and every wish above the one obtained lost for a reason
that the published figures confirm (never "there was room and the score was enough")."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import replace
from decimal import Decimal

import pytest
from admissions_cases import city_config, config

from credential_service.admissions.allocation import Allocation, Outcome, allocate
from credential_service.admissions.applicants import Applicant
from credential_service.admissions.result_json import dumps
from credential_service.admissions.synthetic import synthetic_applicants
from credential_service.admissions.values import cents
from credential_service.admissions.year_rules import YearConfig

SEEDS = range(12)


def small_city(seed: int) -> tuple[YearConfig, list[Applicant]]:
    rng = random.Random(seed)
    schools = [{"code": f"S{i}", "quota": rng.randint(0, 12)} for i in range(rng.randint(2, 6))]
    schools.append(
        {
            "code": "CH",
            "quota": rng.randint(1, 4),
            "specialised_subject": "Toán chuyên",
            "specialised_coefficient": 2,
            "requires_grades_6_9_at_least": "Khá",
        }
    )
    c = config(schools)
    applicants = synthetic_applicants(c, rng.randint(20, 120), seed=seed)
    if seed % 2:  # coarse scores: many ties on total and on every tie-break key
        applicants = [replace(a, scores={k: Decimal(round(v)) for k, v in a.scores.items()}) for a in applicants]
    return c, applicants


def _key(c: YearConfig, a: Applicant, total: Decimal) -> tuple[Decimal, ...]:
    ties = tuple(
        sum((a.scores[s] for s in k.subjects), Decimal(0)) if all(s in a.scores for s in k.subjects) else Decimal(-1)
        for k in c.rules.tie_break
    )
    return (total, *ties)


def _total(c: YearConfig, a: Applicant, code: str) -> Decimal:
    school = c.school(code)
    assert school is not None
    base = sum((coef * a.scores[s] for s, coef in c.rules.subjects), Decimal(0))
    if school.specialised_subject:
        assert school.specialised_coefficient is not None
        return cents(base + school.specialised_coefficient * a.scores[school.specialised_subject])
    return cents(base + c.rules.points_of(a.priority_group))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_output_is_byte_identical_whatever_the_order_of_the_applicants(seed: int) -> None:
    c, applicants = small_city(seed)
    first = dumps(allocate(c, applicants).to_data())
    shuffled = list(applicants)
    random.Random(seed + 100).shuffle(shuffled)
    assert dumps(allocate(c, shuffled).to_data()) == first
    assert dumps(allocate(c, list(reversed(applicants))).to_data()) == first


@pytest.mark.parametrize("seed", SEEDS)
def test_no_school_takes_more_than_its_quota_except_applicants_tied_at_its_last_place(seed: int) -> None:
    c, applicants = small_city(seed)
    result = allocate(c, applicants)
    people = {a.id: a for a in applicants}
    for school in result.schools:
        in_rounds = school.admitted - school.direct
        room = max(0, school.quota - school.direct)
        if in_rounds <= room:
            continue
        # over the quota: only in the round that filled it, and only by applicants tied with the last place
        filled = next(k for k in range(len(school.admitted_by_round)) if sum(school.admitted_by_round[: k + 1]) > room)
        keys = sorted(
            (
                _key(c, people[a.applicant], a.total)
                for a in result.assignments  # type: ignore[arg-type]
                if a.school == school.code and a.wish == filled + 1 and a.wishes[-1].outcome is Outcome.ADMITTED
            ),
            reverse=True,
        )
        before = room - sum(school.admitted_by_round[:filled])
        assert len(set(keys[before - 1 :])) == 1, (school.code, keys)


@pytest.mark.parametrize("seed", SEEDS)
def test_nobody_is_admitted_below_the_cutoff_of_their_wish(seed: int) -> None:
    c, applicants = small_city(seed)
    result = allocate(c, applicants)
    cutoffs = {s.code: s.cutoffs() for s in result.schools}
    for a in result.assignments:
        if a.school is None or a.wishes[-1].outcome is Outcome.DIRECT:
            continue
        need = cutoffs[a.school].get(str(a.wish))
        assert need is None or a.total >= need, (a.applicant, a.total, need)  # type: ignore[operator]


def check_every_lost_wish(c: YearConfig, applicants: list[Applicant], result: Allocation) -> int:
    """Each wish that did not admit an applicant lost for a reason the published figures confirm."""
    people = {a.id: a for a in applicants}
    schools = {s.code: s for s in result.schools}
    admitted_keys: dict[tuple[str, int], list[tuple[Decimal, ...]]] = defaultdict(list)
    for a in result.assignments:
        if a.school is not None and a.wishes[-1].outcome is Outcome.ADMITTED:
            admitted_keys[(a.school, a.wish)].append(_key(c, people[a.applicant], a.total))  # type: ignore[arg-type]
    checked = 0
    for a in result.assignments:
        person = people[a.applicant]
        for w in a.wishes:
            if w.outcome in (Outcome.ADMITTED, Outcome.DIRECT, Outcome.SKIPPED_FOR_DIRECT):
                continue
            checked += 1
            s = schools[w.school]
            if w.outcome is Outcome.DISQUALIFIED:
                assert person.violation or any(
                    person.scores.get(subj, Decimal(-1)) <= c.rules.disqualify_at_or_below
                    for subj, _ in c.rules.subjects
                )
                continue
            if w.outcome is Outcome.INELIGIBLE:
                assert c.school(w.school).is_specialised  # type: ignore[union-attr]
                continue
            total = _total(c, person, w.school)
            assert w.total == total
            before = s.direct + sum(s.admitted_by_round[: w.rank - 1])
            if w.outcome is Outcome.BELOW_CUTOFF:
                assert s.cutoff is not None and total < s.cutoff + c.rules.wish_offsets[w.rank - 1]
            elif w.outcome is Outcome.FULL:
                assert before >= s.quota
            else:
                assert w.outcome is Outcome.OUTRANKED
                assert before + s.admitted_by_round[w.rank - 1] >= s.quota  # no place was left after the round
                assert _key(c, person, total) < min(admitted_keys[(w.school, w.rank)])
    return checked


@pytest.mark.parametrize("seed", SEEDS)
def test_nobody_lost_a_higher_wish_that_had_room_for_their_score(seed: int) -> None:
    c, applicants = small_city(seed)
    assert check_every_lost_wish(c, applicants, allocate(c, applicants)) > 0


def test_a_city_of_26000_applicants_is_allocated_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    c = city_config()
    applicants = synthetic_applicants(c, 26_000, seed=15)
    started = time.perf_counter()
    result = allocate(c, applicants)
    allocated = time.perf_counter()
    output = dumps(result.to_data())
    written = time.perf_counter()
    assert dumps(allocate(c, applicants).to_data()) == output
    admitted = sum(1 for a in result.assignments if a.school is not None)
    assert 15_000 < admitted <= 21_000 + 100
    lost = check_every_lost_wish(c, applicants, result)
    with capsys.disabled():
        print(
            f"\n26,000 applicants × ≤3 wishes × 60 schools: allocated in {allocated - started:.2f} s, JSON "
            f"({len(output) / 1e6:.1f} MB) in {written - allocated:.2f} s; {admitted} admitted, {lost} lost wishes "
            "checked"
        )
