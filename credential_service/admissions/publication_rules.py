"""What a published results list and an appeal's diff contain (pure: no frameworks, no database).

Privacy (minimum fields): a results list names each admitted applicant by registration number only, with the wish
rank at which they were admitted, under their school. No name (the registry holds none for applicants), no scores
or totals (a total less the published exam scores would give away the priority points, hence the priority group),
no priority group, direct-admission category, ethnicity or disability. Each applicant sees their own figures and
explanation after signing in.

The diff between two runs (before and after an appeal) lists everyone whose school changed:

* ``admitted → not``: admitted before, not admitted after;
* ``moved``: admitted before and after, at another school;
* ``not → admitted``: not admitted before, admitted after.

An applicant present in one run only counts as not admitted in the other. The wish rank alone changing at the same
school is not a move (an appeal changes scores, never wishes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from credential_service.platform.errors import Message

RESULTS_FORMAT = "sogoc-admissions-results/1"
DIFF_FORMAT = "sogoc-admissions-diff/1"


@dataclass(frozen=True, order=True)
class Listed:
    """One admitted applicant on a school's list."""

    registration_no: str
    wish: int | None


@dataclass(frozen=True)
class SchoolList:
    code: str
    quota: int
    cutoffs: tuple[tuple[str, str], ...]  # (wish rank, cutoff as written in the run's JSON), by rank
    admitted: tuple[Listed, ...]  # by registration number


class MoveKind(StrEnum):
    LOST = "admitted_to_not"
    MOVED = "moved"
    GAINED = "not_to_admitted"


MOVE_LABELS: dict[MoveKind, Message] = {
    MoveKind.LOST: Message("trúng tuyển → không trúng tuyển", "admitted → not admitted"),
    MoveKind.MOVED: Message("chuyển trường", "moved to another school"),
    MoveKind.GAINED: Message("không trúng tuyển → trúng tuyển", "not admitted → admitted"),
}


@dataclass(frozen=True)
class Move:
    registration_no: str
    kind: MoveKind
    before: str | None  # school code, None: not admitted
    before_wish: int | None
    after: str | None
    after_wish: int | None


def _placement(assignment: Mapping[str, Any] | None) -> tuple[str | None, int | None]:
    if not assignment or assignment.get("school") is None:
        return None, None
    wish = assignment.get("wish")
    return str(assignment["school"]), int(wish) if wish is not None else None


def _rank_key(rank: str) -> tuple[int, str]:
    return (int(rank), rank) if rank.isdigit() else (1 << 30, rank)


def school_lists(output: Mapping[str, Any]) -> tuple[SchoolList, ...]:
    """Each school of the run (by code) with its admitted applicants (by registration number) and cutoffs."""
    admitted: dict[str, list[Listed]] = {code: [] for code in output.get("schools", {})}
    for sbd, assignment in output.get("assignments", {}).items():
        school, wish = _placement(assignment)
        if school is not None:
            admitted.setdefault(school, []).append(Listed(str(sbd), wish))
    out = []
    for code in sorted(admitted):
        info = output.get("schools", {}).get(code, {})
        cutoffs = output.get("cutoffs", {}).get(code, {})
        out.append(
            SchoolList(
                code=code,
                quota=int(info.get("quota", 0)),
                cutoffs=tuple((k, str(cutoffs[k])) for k in sorted(cutoffs, key=_rank_key)),
                admitted=tuple(sorted(admitted[code])),
            )
        )
    return tuple(out)


def diff_runs(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Move, ...]:
    """Everyone whose school differs between two runs' outputs, by registration number."""
    was, now = before.get("assignments", {}), after.get("assignments", {})
    moves = []
    for sbd in sorted(set(was) | set(now)):
        a, a_wish = _placement(was.get(sbd))
        b, b_wish = _placement(now.get(sbd))
        if a == b:
            continue
        kind = MoveKind.GAINED if a is None else MoveKind.LOST if b is None else MoveKind.MOVED
        moves.append(Move(str(sbd), kind, a, a_wish, b, b_wish))
    return tuple(moves)


def move_counts(moves: tuple[Move, ...] | list[Move]) -> dict[str, int]:
    counts = {kind.value: 0 for kind in MoveKind}
    for m in moves:
        counts[m.kind.value] += 1
    return counts


def move_data(m: Move) -> dict[str, Any]:
    return {
        "registration_no": m.registration_no,
        "kind": m.kind.value,
        "before": {"school": m.before, "wish": m.before_wish},
        "after": {"school": m.after, "wish": m.after_wish},
    }
