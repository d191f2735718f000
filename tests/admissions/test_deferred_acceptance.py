"""Student-proposing deferred acceptance beside the published rounds (issue #15 item 3, last bullet): Gale and
Shapley's own examples, stability and student-optimality against brute force (ties at the last place included),
the changes and the justified envy the round rules allow, reported; the same bytes on every run; ``--compare`` and
``compare=true`` add one key and change nothing else."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from admissions_cases import CHUYEN_TOAN, applicant, config
from fastapi.testclient import TestClient
from test_allocation_properties import SEEDS, small_city

from credential_service.admissions.allocation import allocate
from credential_service.admissions.applicants import Applicant
from credential_service.admissions.deferred_acceptance import (
    Key,
    candidates,
    compared_document,
    comparison_data,
    deferred_acceptance,
    deferred_acceptance_seats,
    justified_envy,
    published_seats,
)
from credential_service.admissions.result_json import dumps
from credential_service.admissions.service import allocate_document
from credential_service.admissions.year_rules import YearConfig

D = Decimal
ISSUE_EXAMPLE = Path(__file__).with_name("issue_example.json")


# ------------------------------------------------------------------------------------ the generic algorithm


def _ranks(table: Mapping[str, str]) -> dict[str, list[str]]:
    return {who: list(order) for who, order in table.items()}


def _priority(orders: Mapping[str, Sequence[str]]) -> dict[tuple[str, str], Key]:
    return {(s, school): (D(order.index(s)),) for school, order in orders.items() for s in order}


def _chosen(line: list[tuple[Key, str]], room: int) -> set[str]:
    """The rules' choice: everyone with fewer than ``room`` others strictly above (ties at the last place stay)."""
    return {s for key, s in line if sum(1 for other, _ in line if other < key) < room}


def stable_matchings(
    preferences: Mapping[str, Sequence[str]], priority: Mapping[tuple[str, str], Key], places: Mapping[str, int]
) -> list[dict[str, str | None]]:
    """Every stable matching, by brute force over all assignments (small markets only)."""
    students = sorted(preferences)
    found = []
    for choice in itertools.product(*([None, *preferences[s]] for s in students)):
        match = dict(zip(students, choice, strict=True))
        held = {c: [(priority[(s, c)], s) for s in students if match[s] == c] for c in places}
        if any(_chosen(line, places[c]) != {s for _, s in line} for c, line in held.items()):
            continue  # a school would not keep one of its students
        blocked = False
        for s in students:
            wishes = preferences[s]
            own = wishes.index(match[s]) if match[s] is not None else len(wishes)  # type: ignore[arg-type]
            for c in wishes[:own]:
                if s in _chosen([*held[c], (priority[(s, c)], s)], places[c]):
                    blocked = True
        if not blocked:
            found.append(match)
    return found


def check_student_optimal(
    preferences: Mapping[str, Sequence[str]], priority: Mapping[tuple[str, str], Key], places: Mapping[str, int]
) -> dict[str, str | None]:
    result = deferred_acceptance(preferences, lambda s, c: priority[(s, c)], places)
    stable = stable_matchings(preferences, priority, places)
    assert result in stable
    for other in stable:  # no student prefers any other stable matching
        for s, wishes in preferences.items():
            rank = {c: i for i, c in enumerate(wishes)}
            mine, theirs = result[s], other[s]
            assert theirs is None or (mine is not None and rank[mine] <= rank[theirs])
    return result


def test_gale_and_shapley_1962_first_example_gives_every_man_his_first_choice() -> None:
    # Their example 1: three stable matchings; the proposing side gets its best one.
    men = _ranks({"α": "ABC", "β": "BCA", "γ": "CAB"})
    women = _ranks({"A": "βγα", "B": "γαβ", "C": "αβγ"})
    result = check_student_optimal(men, _priority(women), dict.fromkeys(women, 1))
    assert result == {"α": "A", "β": "B", "γ": "C"}
    assert len(stable_matchings(men, _priority(women), dict.fromkeys(women, 1))) == 3


def test_gale_and_shapley_1962_second_example_with_a_chain_of_rejections() -> None:
    men = _ranks({"α": "ABCD", "β": "ADCB", "γ": "BACD", "δ": "DBCA"})
    women = _ranks({"A": "δγαβ", "B": "βδαγ", "C": "δαβγ", "D": "γβαδ"})
    result = check_student_optimal(men, _priority(women), dict.fromkeys(women, 1))
    assert result == {"α": "C", "β": "D", "γ": "A", "δ": "B"}


@pytest.mark.parametrize("seed", range(40))
def test_on_random_small_markets_da_is_stable_and_student_optimal_ties_and_quotas_included(seed: int) -> None:
    rng = random.Random(seed)
    schools = [f"S{i}" for i in range(rng.randint(2, 3))]
    students = [f"p{i}" for i in range(rng.randint(3, 6))]
    places = {c: rng.randint(0 if seed % 5 == 0 else 1, 2) for c in schools}  # fewer places than students
    preferences = {s: rng.sample(schools, rng.randint(1, len(schools))) for s in students}
    coarse = 2 if seed % 2 else 20  # coarse scores: many ties at the last place
    priority = {(s, c): (D(rng.randint(0, coarse)),) for s in students for c in schools}
    check_student_optimal(preferences, priority, places)


def test_everyone_tied_at_the_last_place_is_held_even_over_the_quota() -> None:
    preferences = {"a": ["X"], "b": ["X"], "c": ["X"], "d": ["X"], "e": ["X"]}
    scores = {"a": 26, "b": 25, "c": 25, "d": 25, "e": 24}
    result = deferred_acceptance(preferences, lambda s, _: (D(-scores[s]),), {"X": 2})
    assert result == {"a": "X", "b": "X", "c": "X", "d": "X", "e": None}
    assert deferred_acceptance(preferences, lambda s, _: (D(-scores[s]),), {"X": 0}) == dict.fromkeys(preferences)


# ------------------------------------------------------------------------------------ on the year's rules


def _seat_of(c: YearConfig, people: list[Applicant]) -> dict[str, tuple[str, int] | None]:
    return deferred_acceptance_seats(c, candidates(c, people))


def test_a_school_filled_in_round_1_is_closed_to_a_higher_scorer_who_listed_it_second_and_da_reopens_it() -> None:
    c = config([{"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 1}])
    people = [
        applicant("P", "9.5", "9.5", "10", "THPT-A", "THPT-B"),  # 29.00
        applicant("Q", "10", "10", "10", "THPT-A"),  # 30.00
        applicant("R", "8", "8", "9", "THPT-B"),  # 25.00
    ]
    result = allocate(c, people)
    assert published_seats(result) == {"P": None, "Q": ("THPT-A", 1), "R": ("THPT-B", 1)}
    report = comparison_data(c, people, result)
    assert report["deferred_acceptance"]["assignments"]["P"] == {
        "school": "THPT-B",
        "wish": 2,
        "total": D("29.00"),
        "score": D("28.00"),
    }
    assert [(m["applicant"], m["direction"]) for m in report["changes"]] == [("P", "better"), ("R", "worse")]
    assert report["changes"][0]["en"] == "Published: not admitted; by deferred acceptance: wish 2 THPT-B."
    assert report["changes"][1]["vi"] == "Đã công bố: NV1 THPT-B; theo chấp nhận hoãn: không trúng tuyển."
    [envy] = report["envy"]
    assert (envy["applicant"], envy["school"], envy["wish"], envy["envies"], envy["tied"]) == (
        "P",
        "THPT-B",
        2,
        ["R"],
        [],
    )
    assert "đạt điểm chuẩn NV2 26,00" in envy["vi"] and "meets the wish-2 cutoff 26.00" in envy["en"]
    assert report["deferred_acceptance"]["envy"] == []
    assert report["summary"] == {
        "changes": 2,
        "better": 1,
        "worse": 1,
        "envious_applicants": 1,
        "envy_pairs": 1,
        "empty_place_claims": 0,
    }


def test_a_place_the_round_1_cutoff_leaves_empty_is_filled_by_da_and_is_not_envy_under_the_round_rules() -> None:
    c = config([{"code": "THPT-A", "quota": 2}, {"code": "THPT-B", "quota": 1}])
    people = [
        applicant("X", "9", "9", "10", "THPT-A"),  # 28.00: THPT-A's round-1 cutoff
        applicant("Y", "8.5", "8.5", "8.5", "THPT-B", "THPT-A"),  # 25.50 < 28.00 + 1.00 at wish 2
        applicant("Z", "10", "9.5", "9.5", "THPT-B"),  # 29.00
    ]
    result = allocate(c, people)
    assert published_seats(result)["Y"] is None and result.schools[0].admitted == 1  # a place left empty
    report = comparison_data(c, people, result)
    assert [(m["applicant"], m["deferred_acceptance"]) for m in report["changes"]] == [
        ("Y", {"school": "THPT-A", "wish": 2})
    ]
    assert report["envy"] == []  # the cutoff rule closes the wish: no claim under the published rules
    # without the cutoff rule the empty place would be claimed
    people_c = candidates(c, people)
    [claim] = justified_envy(c, people_c, published_seats(result))
    assert (claim["applicant"], claim["school"], claim["empty_places"], claim["envies"]) == ("Y", "THPT-A", 1, [])


def test_the_wish_offset_lowers_a_later_wish_in_da_too() -> None:
    c = config([{"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 1}])
    people = [
        applicant("FIRST", "8", "8", "8", "THPT-B"),  # 24.00 at wish 1
        applicant("SECOND", "8", "8", "8.5", "THPT-A", "THPT-B"),  # 24.50 − 1.00 = 23.50 at wish 2
        applicant("TOP", "10", "10", "10", "THPT-A"),
    ]
    assert _seat_of(c, people) == {"FIRST": ("THPT-B", 1), "SECOND": None, "TOP": ("THPT-A", 1)}


def test_da_holds_every_applicant_tied_at_the_last_place_as_the_rounds_do() -> None:
    c = config([{"code": "THPT-A", "quota": 2}])
    people = [applicant(i, "8", "8", "8", "THPT-A") for i in ("T1", "T2", "T3")] + [
        applicant("HI", "9", "9", "9", "THPT-A"),
        applicant("LO", "8", "7.75", "8.25", "THPT-A"),  # the same total, lower on Toán+Ngữ văn
    ]
    result = allocate(c, people)
    report = comparison_data(c, people, result)
    assert _seat_of(c, people) == published_seats(result)
    assert report["deferred_acceptance"]["schools"]["THPT-A"] == {"quota": 2, "direct": 0, "admitted": 4}
    assert report["changes"] == [] and report["envy"] == [] and report["deferred_acceptance"]["envy"] == []


def test_direct_admissions_hold_their_places_and_disqualified_or_ineligible_wishes_are_not_proposed() -> None:
    c = config([CHUYEN_TOAN, {"code": "THPT-A", "quota": 1}, {"code": "THPT-B", "quota": 2}])
    people = [
        applicant("D", "5", "5", "5", "CHUYEN-TOAN", "THPT-A", direct_admission=True, chuyen="9"),
        applicant("HIGH", "10", "10", "10", "THPT-A", "THPT-B"),
        applicant("BAD", "1", "10", "10", "THPT-B"),  # Toán 1.0: disqualified
        applicant("LOWCH", "9", "9", "9", "CHUYEN-TOAN", "THPT-B", chuyen="1"),  # specialised 1.0: that wish only
    ]
    seats = _seat_of(c, people)
    assert seats == {"D": ("THPT-A", 2), "HIGH": ("THPT-B", 2), "BAD": None, "LOWCH": ("THPT-B", 2)}
    result = allocate(c, people)
    assert published_seats(result) == seats
    report = comparison_data(c, people, result)
    assert report["deferred_acceptance"]["assignments"]["D"] == {
        "school": "THPT-A",
        "wish": 2,
        "direct": True,
        "total": D("15.00"),
    }
    assert report["envy"] == []  # nobody envies a direct admission


# ------------------------------------------------------------------------------------ generated cities


@pytest.mark.parametrize("seed", SEEDS)
def test_da_on_a_generated_city_has_no_justified_envy_and_no_wanted_empty_place(seed: int) -> None:
    c, people = small_city(seed)
    report = comparison_data(c, people, allocate(c, people))
    assert report["deferred_acceptance"]["envy"] == []


@pytest.mark.parametrize("seed", SEEDS)
def test_envy_in_the_published_rounds_is_only_of_an_earlier_wish_rank_and_meets_the_cutoff(seed: int) -> None:
    c, people = small_city(seed)
    result = allocate(c, people)
    report = comparison_data(c, people, result)
    published = report["deferred_acceptance"]["assignments"]
    seats = published_seats(result)
    cutoffs = {s.code: s.cutoff for s in result.schools}
    offsets = c.rules.wish_offsets
    for e in report["envy"]:
        assert e["empty_places"] == 0  # the rounds never leave a place empty that someone qualified for
        own = seats[e["applicant"]]
        assert own is None or own[1] > e["wish"]
        cutoff = cutoffs[e["school"]]
        assert e["wish"] == 1 or cutoff is None or e["total"] >= cutoff + offsets[e["wish"] - 1]
        for b in e["envies"]:
            seat = seats[b]
            assert seat is not None and seat[0] == e["school"] and seat[1] < e["wish"]  # the round-rules effect
    assert report["summary"]["envy_pairs"] == sum(len(e["envies"]) for e in report["envy"])
    assert len(published) == len(people)


def _naive_envy(c: YearConfig, people: list[Applicant], seats: Mapping[str, tuple[str, int] | None]) -> set:
    """The same definition, pair by pair (no sorting, no bisection), without the cutoff rule."""
    cands = candidates(c, people)
    direct = {p.id for p in cands if p.direct is not None}
    pairs = set()
    for a in cands:
        if a.id in direct:
            continue
        own = seats[a.id]
        for w in a.wishes:
            if own is not None and w.rank >= own[1]:
                break
            for b in cands:
                seat = seats[b.id]
                if b.id not in direct and seat is not None and seat[0] == w.school and w.key <= b.at[w.school].key:
                    pairs.add((a.id, b.id))
    return pairs


@pytest.mark.parametrize("seed", SEEDS)
def test_the_envy_listed_is_the_envy_counted_pair_by_pair(seed: int) -> None:
    c, people = small_city(seed)
    seats = published_seats(allocate(c, people))
    listed = {(e["applicant"], b) for e in justified_envy(c, candidates(c, people), seats) for b in e["envies"]}
    assert listed == _naive_envy(c, people, seats)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_comparison_is_the_same_bytes_twice_and_whatever_the_order_of_the_applicants(seed: int) -> None:
    c, people = small_city(seed)
    first = dumps(comparison_data(c, people, allocate(c, people)))
    assert dumps(comparison_data(c, people, allocate(c, people))) == first
    shuffled = list(people)
    random.Random(seed + 7).shuffle(shuffled)
    assert dumps(comparison_data(c, shuffled, allocate(c, shuffled))) == first


# ------------------------------------------------------------------------------------ the document and the CLI


def test_the_compared_document_adds_only_the_comparison_key_and_is_byte_stable() -> None:
    body = ISSUE_EXAMPLE.read_bytes()
    compared = compared_document(body)
    assert compared_document(body) == compared
    data = json.loads(compared, parse_float=Decimal)
    comparison = data.pop("comparison")
    assert dumps(data) == allocate_document(body)  # every other key, byte for byte
    assert comparison["changes"] == [] and comparison["envy"] == []
    assert comparison["deferred_acceptance"]["assignments"] == {
        "A01": {"school": "CHUYEN-TOAN", "wish": 1, "total": D("38.50"), "score": D("38.50")},
        "A02": {"school": None},
    }


def test_the_cli_compares_only_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from credential_service.admissions.cli import cmd_allocate

    class Args:
        file = str(ISSUE_EXAMPLE)
        out = None
        compare = False

    cmd_allocate(Args())  # type: ignore[arg-type]
    plain = capsys.readouterr().out
    assert plain.encode() == allocate_document(ISSUE_EXAMPLE.read_bytes()) + b"\n"
    Args.compare = True
    cmd_allocate(Args())  # type: ignore[arg-type]
    assert json.loads(capsys.readouterr().out)["comparison"]["summary"]["changes"] == 0


@pytest.fixture(scope="module")
def officer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    from staff_login import add_account, sign_in

    from credential_service.app.bootstrap import build
    from credential_service.app.factory import create_app
    from credential_service.platform.db import migrate
    from credential_service.platform.settings import Settings
    from credential_service.staff.roles import Role

    url = f"sqlite:///{tmp_path_factory.mktemp('da')}/a.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    add_account(c, "tuyen-sinh", Role.SO_ADMISSIONS)
    client = TestClient(create_app(c))
    sign_in(client, "tuyen-sinh")
    yield client
    c.db.dispose()


def test_the_api_compares_only_with_compare_true(officer: TestClient) -> None:
    body = ISSUE_EXAMPLE.read_bytes()
    headers = {"content-type": "application/json"}
    plain = officer.post("/api/v1/admissions/allocate", content=body, headers=headers)
    assert plain.status_code == 200 and plain.content == allocate_document(body)
    compared = officer.post("/api/v1/admissions/allocate?compare=true", content=body, headers=headers)
    assert compared.status_code == 200 and compared.content == compared_document(body)
