"""The grade-10 allocation: a pure, deterministic function of the year's configuration and the applicants.

Steps (issue #15, after the Sở's plan; the figures are the year's configuration, ``year_rules``):

1. **Total** per wish: Σ coefficient × score over the rules' subjects; for a specialised school plus its
   coefficient × the specialised test score; for any other school plus the priority group's points. Totals are
   rounded half up to two places, as published, and ranked on that published figure.
2. **Disqualified from every wish**: a missing score, a score ≤ ``disqualify_at_or_below`` in a rules subject,
   or a violation. A specialised wish is skipped (only that wish) for a specialised score missing or ≤ the
   threshold, or a grade 6–9 learning or conduct result below the school's level in any year.
3. **Direct admission**: admitted to the first non-specialised wish before any round; counts against the quota.
4. **Round k = 1, 2, …**: everyone not admitted competes at their k-th wish. A school ranks its applicants by
   total, then by each tie-break key (all descending) and admits up to its remaining places; applicants tied on
   total and every key at the last place are all admitted, even over the quota. The round-1 cutoff is the
   lowest total admitted in round 1; in round k > 1 an applicant also needs total ≥ that cutoff +
   ``wish_offsets[k-1]`` (no cutoff when round 1 admitted no one). An admitted applicant leaves.

Determinism: the result depends on the set of applicants, not their order (ties are admitted together; the id
orders only the listing), all arithmetic is exact :class:`~decimal.Decimal`, and the JSON output
(``result_json``) has sorted keys and fixed number formatting, so a re-run is byte-identical.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Any

from credential_service.admissions import explanations as why
from credential_service.admissions.applicants import Applicant
from credential_service.admissions.values import ZERO, cents, paused_gc
from credential_service.admissions.year_rules import SchoolRule, YearConfig
from credential_service.platform.errors import Message

FORMAT = "sogoc-admissions-allocation/1"
MISSING = Decimal(-1)  # a tie-break subject without a score ranks below any score


class Outcome(StrEnum):
    ADMITTED = "admitted"
    DIRECT = "direct_admission"
    DISQUALIFIED = "disqualified"
    INELIGIBLE = "ineligible"
    BELOW_CUTOFF = "below_cutoff"
    FULL = "full"
    OUTRANKED = "outranked"
    SKIPPED_FOR_DIRECT = "skipped_for_direct_admission"


@dataclass(frozen=True)
class WishOutcome:
    rank: int
    school: str
    outcome: Outcome
    message: Message
    total: Decimal | None = None
    compared: Decimal | None = None  # the cutoff (below_cutoff, admitted k>1) or the lowest admitted (outranked)


@dataclass(frozen=True)
class Assignment:
    applicant: str
    school: str | None
    wish: int | None
    total: Decimal | None
    wishes: tuple[WishOutcome, ...]
    reason: Message | None = None  # why not admitted anywhere


@dataclass(frozen=True)
class SchoolResult:
    code: str
    quota: int
    direct: int
    admitted_by_round: tuple[int, ...]
    cutoff: Decimal | None  # the round-1 cutoff: lowest total admitted in round 1
    offsets: tuple[Decimal, ...]

    @property
    def admitted(self) -> int:
        return self.direct + sum(self.admitted_by_round)

    def cutoffs(self) -> dict[str, Decimal]:
        """The total needed at each wish rank: the round-1 cutoff plus that rank's offset."""
        if self.cutoff is None:
            return {}
        return {str(k + 1): self.cutoff + offset for k, offset in enumerate(self.offsets)}


@dataclass(frozen=True)
class Allocation:
    assignments: tuple[Assignment, ...]  # sorted by applicant id
    schools: tuple[SchoolResult, ...]  # sorted by code

    def to_data(self) -> dict[str, Any]:
        with paused_gc():
            return self._data()

    def _data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "assignments": {a.applicant: _assignment_data(a) for a in self.assignments},
            "cutoffs": {s.code: s.cutoffs() for s in self.schools if s.cutoff is not None},
            "schools": {
                s.code: {
                    "quota": s.quota,
                    "direct": s.direct,
                    "admitted": s.admitted,
                    "admitted_by_round": {str(k + 1): n for k, n in enumerate(s.admitted_by_round)},
                }
                for s in self.schools
            },
            "summary": {
                "applicants": len(self.assignments),
                "admitted": sum(1 for a in self.assignments if a.school is not None),
                "not_admitted": sum(1 for a in self.assignments if a.school is None),
            },
        }


def _assignment_data(a: Assignment) -> dict[str, Any]:
    out: dict[str, Any] = {"school": a.school, "explanation": [_wish_data(w) for w in a.wishes]}
    if a.school is not None:
        out["wish"] = a.wish
        out["total"] = a.total
    else:
        assert a.reason is not None
        out["reason"] = {"vi": a.reason.vi, "en": a.reason.en}
    return out


def _wish_data(w: WishOutcome) -> dict[str, Any]:
    out: dict[str, Any] = {
        "wish": w.rank,
        "school": w.school,
        "outcome": w.outcome.value,
        "vi": w.message.vi,
        "en": w.message.en,
    }
    if w.total is not None:
        out["total"] = w.total
    if w.compared is not None:
        out["compared_with"] = w.compared
    return out


# ------------------------------------------------------------------------------------ per applicant


@dataclass(slots=True)  # slots: a million of them, read in every round
class _Entrant:
    applicant: Applicant
    disqualified: Message | None
    base: Decimal  # Σ coefficient × score over the rules' subjects (exact)
    regular: Decimal  # the total at any non-specialised school: base + priority points, in cents
    ties: tuple[Decimal, ...]
    outcomes: list[WishOutcome]
    order: int = 0  # the rank after the total, as one integer (set by ``_allocate``; see ``_rank_orders``)
    school: str | None = None
    wish: int | None = None
    total: Decimal | None = None


def _entrant(a: Applicant, config: YearConfig, points: dict[str, Decimal]) -> _Entrant:
    return _entrants([a], config, points)[0]


def _entrants(applicants: Sequence[Applicant], config: YearConfig, points: dict[str, Decimal]) -> list[_Entrant]:
    # Plain loops, adding in the same order as sum(…, ZERO) would: the same exact Decimals, made faster; the rules
    # are looked up once for all applicants, not once for each.
    # Disqualified from every wish (Hải Dương 2025-26, domain brief §4.2, and the Sở's plan): the first rules
    # subject (in the file's order) missing or at or below the threshold, else a breach of the exam rules. Found
    # in the same pass as the total, so each score is looked up once.
    subjects = config.rules.subjects
    threshold = config.rules.disqualify_at_or_below
    tie_subjects = [key.subjects for key in config.rules.tie_break]
    out: list[_Entrant] = []
    append = out.append
    for a in applicants:
        scores = a.scores
        base = ZERO
        disqualified: Message | None = None
        for subject, coefficient in subjects:
            score = scores.get(subject)
            if score is None:
                if disqualified is None:
                    disqualified = why.missing_score(subject)
                score = ZERO
            elif disqualified is None and score <= threshold:
                disqualified = why.at_or_below(subject, score, threshold)
            base += coefficient * score
        if disqualified is None and a.violation:
            disqualified = why.VIOLATION
        ties = []
        for key in tie_subjects:
            tie = ZERO
            for subject in key:
                if subject not in scores:
                    tie = MISSING
                    break
                tie += scores[subject]
            ties.append(tie)
        group = a.priority_group
        regular = cents(base + (points.get(group, ZERO) if group is not None else ZERO))
        append(_Entrant(a, disqualified, base, regular, tuple(ties), []))
    return out


def _rank_orders(entrants: list[_Entrant]) -> int:
    """Give each entrant (in id order) its rank after the total as one integer, and return the number of ranks.

    ``order = tie class × N + position in id order``, where the tie classes number the distinct tie-break
    tuples from the best (each key descending). Comparing orders is then exactly comparing (each
    tie-break key descending, then the id), and ``order // N`` is equal exactly when every tie-break key is: a
    school's ranking compares plain integers instead of tuples of Decimals (issue #15 item 7, a million
    applicants). Decimal equality is by value, so 7.5 and 7.50 share a class, as they compared equal before."""
    n = len(entrants)
    groups: dict[tuple[Decimal, ...], list[int]] = defaultdict(list)
    for position, e in enumerate(entrants):
        groups[e.ties].append(position)
    for c, ties in enumerate(sorted(groups, reverse=True)):
        for position in groups[ties]:
            entrants[position].order = c * n + position
    return len(groups) * n


def _specialised_problem(e: _Entrant, school: SchoolRule, config: YearConfig) -> Message | None:
    # Trần Phú 2025-26 (domain brief §4.2): the specialised test above the threshold, and grade 6–9 learning and
    # conduct at least the required level in every year.
    assert school.specialised_subject is not None
    threshold = config.rules.disqualify_at_or_below
    score = e.applicant.scores.get(school.specialised_subject)
    if score is None:
        return why.missing_score(school.specialised_subject)
    if score <= threshold:
        return why.at_or_below(school.specialised_subject, score, threshold)
    required = school.requires_grades_6_9_at_least
    if required is None:
        return None
    if e.applicant.grades_6_9 is None:
        return why.GRADES_UNKNOWN
    for grade, year in enumerate(e.applicant.grades_6_9, start=6):
        for level, what in ((year.learning, why.LEARNING), (year.conduct, why.CONDUCT)):
            if not level.at_least(required):
                return why.grade_below(grade, what, level, required)
    return None


def _total(e: _Entrant, school: SchoolRule) -> Decimal:
    if school.specialised_subject is not None:
        assert school.specialised_coefficient is not None
        return cents(e.base + school.specialised_coefficient * e.applicant.scores[school.specialised_subject])
    return e.regular  # the same at every non-specialised school (YearRules.points_of, computed once)


# ------------------------------------------------------------------------------------ the rounds


def _rank_key(e: _Entrant, total: Decimal, ranks: int) -> int:
    """Total, then each tie-break key, all descending; the id orders only the listing — as one integer: the total
    is in whole cents (``cents``), so ``total × 100`` is exact, and ``0 ≤ e.order < ranks``."""
    return e.order - int(total.scaleb(2)) * ranks


def _first(item: tuple[int, Decimal, _Entrant]) -> int:
    return item[0]


def _first_difference(e: _Entrant, last: _Entrant, config: YearConfig) -> tuple[str, Decimal, Decimal] | None:
    for key, mine, theirs in zip(config.rules.tie_break, e.ties, last.ties, strict=True):
        if mine != theirs:
            return key.label, max(mine, ZERO), theirs
    return None


def allocate(config: YearConfig, applicants: list[Applicant] | tuple[Applicant, ...]) -> Allocation:
    """Every applicant's school (or none) with the reason for each wish, and each school's cutoffs."""
    with paused_gc():
        return _allocate(config, applicants)


def _allocate(config: YearConfig, applicants: list[Applicant] | tuple[Applicant, ...]) -> Allocation:
    schools = {s.code: s for s in config.schools}
    offsets = config.rules.wish_offsets
    points = dict(config.rules.priority_points)
    entrants = _entrants(sorted(applicants, key=attrgetter("id")), config, points)  # stable: as sorting entrants
    ranks = _rank_orders(entrants)
    n = max(len(entrants), 1)
    remaining = {code: s.quota for code, s in schools.items()}
    direct = dict.fromkeys(schools, 0)
    by_round = {code: [0] * len(offsets) for code in schools}
    cutoff: dict[str, Decimal] = {}

    for e in entrants:  # direct admission, before any round
        a = e.applicant
        if not a.direct_admission:
            continue
        first = next((k for k, code in enumerate(a.wishes) if not schools[code].is_specialised), None)
        if first is None:
            continue  # no non-specialised wish: competes in the rounds like everyone else
        for k in range(first):
            e.outcomes.append(
                WishOutcome(k + 1, a.wishes[k], Outcome.SKIPPED_FOR_DIRECT, why.skipped_for_direct(k + 1, a.wishes[k]))
            )
        code = a.wishes[first]
        e.school, e.wish = code, first + 1
        if e.disqualified is None:
            e.total = _total(e, schools[code])
        e.outcomes.append(WishOutcome(first + 1, code, Outcome.DIRECT, why.direct(first + 1, code), e.total))
        remaining[code] -= 1
        direct[code] += 1

    # Outcomes that read the same for many applicants (no places left, below the cutoff, outranked on the total,
    # disqualified for the same reason) are made once per school, wish rank and figures, and shared: they are
    # immutable, and a city of a million applicants would otherwise build millions of equal sentences.
    shared: dict[tuple[Any, ...], WishOutcome] = {}
    active = entrants  # in id order; an admitted applicant leaves, and so does one without a k-th wish
    for k in range(len(offsets)):
        rank = k + 1
        active = [e for e in active if e.school is None and len(e.applicant.wishes) >= rank]
        competing: dict[str, list[tuple[int, Decimal, _Entrant]]] = defaultdict(list)
        needs = {code: cut + offsets[k] for code, cut in cutoff.items()} if k > 0 else {}
        below: dict[tuple[str, Decimal, bool], WishOutcome] = {}  # this round's shared outcomes, by school and total
        full: dict[tuple[str, Decimal, bool], WishOutcome] = {}
        for e in active:
            code = e.applicant.wishes[k]
            school = schools[code]
            if e.disqualified is not None:
                key: tuple[Any, ...] = (Outcome.DISQUALIFIED, rank, code, e.disqualified)
                if (outcome := shared.get(key)) is None:
                    outcome = shared[key] = WishOutcome(
                        rank, code, Outcome.DISQUALIFIED, why.disqualified(e.disqualified)
                    )
                e.outcomes.append(outcome)
                continue
            if school.specialised_subject is not None:
                problem = _specialised_problem(e, school, config)
                if problem is not None:
                    e.outcomes.append(WishOutcome(rank, code, Outcome.INELIGIBLE, why.ineligible(rank, code, problem)))
                    continue
                total = _total(e, school)
            else:
                total = e.regular  # _total of a non-specialised school, without the call
            need = needs.get(code) if needs else None
            if need is not None and total < need:
                per = (code, total, total.is_signed())
                if (outcome := below.get(per)) is None:
                    message = why.below_threshold(rank, code, total, cutoff[code], offsets[k])
                    outcome = below[per] = WishOutcome(rank, code, Outcome.BELOW_CUTOFF, message, total, need)
                e.outcomes.append(outcome)
                continue
            if remaining[code] <= 0:
                per = (code, total, total.is_signed())
                if (outcome := full.get(per)) is None:
                    message = why.full(rank, code, school.quota)
                    outcome = full[per] = WishOutcome(rank, code, Outcome.FULL, message, total)
                e.outcomes.append(outcome)
                continue
            competing[code].append((_rank_key(e, total, ranks), total, e))
        for code in sorted(competing):
            ranked = sorted(competing[code], key=_first)  # the keys are unique (they include the id)
            places = remaining[code]
            taken = len(ranked)
            if taken > places:
                boundary = ranked[places - 1][0] // n  # total and every tie-break key, without the id
                taken = places
                while taken < len(ranked) and ranked[taken][0] // n == boundary:
                    taken += 1
            need = needs.get(code)
            for _, total, e in ranked[:taken]:
                e.school, e.wish, e.total = code, rank, total
                e.outcomes.append(
                    WishOutcome(
                        rank, code, Outcome.ADMITTED, why.admitted(rank, code, total, need, taken > places), total, need
                    )
                )
            if taken and k == 0:
                cutoff[code] = ranked[taken - 1][1]
            last_total, last = (ranked[taken - 1][1], ranked[taken - 1][2]) if taken else (None, None)
            previous: tuple[Decimal, bool, WishOutcome] | None = None  # the ranking groups equal totals together
            for _, total, e in ranked[taken:]:
                assert last is not None and last_total is not None
                tie = _first_difference(e, last, config) if total == last_total else None
                signed = total.is_signed()
                if tie is None and previous is not None and previous[0] == total and previous[1] == signed:
                    e.outcomes.append(previous[2])  # the same sentence as the one before, already shared
                    continue
                key = (Outcome.OUTRANKED, rank, code, total, signed)
                if tie is not None or (outcome := shared.get(key)) is None:
                    message = why.outranked(rank, code, total, last_total, tie)
                    outcome = WishOutcome(rank, code, Outcome.OUTRANKED, message, total, last_total)
                    if tie is None:
                        shared[key] = outcome
                if tie is None:
                    previous = (total, signed, outcome)
                e.outcomes.append(outcome)
            remaining[code] = places - taken
            by_round[code][k] += taken

    reasons: dict[Any, Message] = {}  # shared as the outcomes are
    assignments = tuple(_assignment(e, reasons) for e in entrants)
    results = tuple(
        SchoolResult(code, schools[code].quota, direct[code], tuple(by_round[code]), cutoff.get(code), offsets)
        for code in sorted(schools)
    )
    return Allocation(assignments, results)


def _assignment(e: _Entrant, reasons: dict[Any, Message]) -> Assignment:
    a = e.applicant
    reason = None
    if e.school is None:
        if not a.wishes:
            reason = why.NO_WISHES
        elif e.disqualified is not None:
            if (reason := reasons.get(e.disqualified)) is None:
                reason = reasons[e.disqualified] = why.disqualified(e.disqualified)
        elif (reason := reasons.get(len(a.wishes))) is None:
            reason = reasons[len(a.wishes)] = why.not_admitted(len(a.wishes))
    return Assignment(a.id, e.school, e.wish, e.total, tuple(e.outcomes), reason)
