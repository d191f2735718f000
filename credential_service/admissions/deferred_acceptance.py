"""Student-proposing deferred acceptance on the year's totals, and its comparison with the published rounds (pure).

Sources: D. Gale and L. S. Shapley, "College Admissions and the Stability of Marriage", American Mathematical
Monthly 69 (1962) 9–15 (the algorithm); issue #15 item 3 and the year's configuration (``year_rules``: totals,
disqualification, direct admission, quotas, wish offsets, tie-break keys), as applied by ``allocation``.

- **Priorities.** A school ranks an applicant who listed it as wish k by total − ``wish_offsets[k-1]``, then by
  each tie-break key (all descending). Totals, disqualification and specialised eligibility are ``allocation``'s
  own (the same functions), so DA runs on the published figures.
- **Direct admissions** hold their places first (the first non-specialised wish) and do not propose; the school's
  places for DA are its quota less them.
- **Ties at the last place.** As the rules admit everyone equal on total and every key at the last place, a school
  holds every proposer who has fewer than ``places`` held proposers strictly above them: all those tied with the
  last place stay, even over the quota. The id never decides. This choice is substitutable and ignores rejected
  applicants, so DA still ends in the student-optimal stable matching (Roth 1984; Hatfield & Milgrom 2005;
  Aygün & Sönmez 2013), whatever the order of the proposals.
- **Justified envy.** ``a`` envies ``b`` at school ``c`` when ``a`` prefers ``c`` to her own result, may attend
  ``c`` (not disqualified, eligible), ``b`` holds a place at ``c`` (not by direct admission) and ``a``'s key at
  ``c`` is at least ``b``'s (a tie counts: the rules would have admitted both). A place left empty that ``a``
  wanted counts too. For the published allocation ``a`` must also meet the round-1 cutoff rule
  (total ≥ round-1 cutoff + the wish-k offset for k > 1). The round rules do allow envy: a school filled in an
  earlier round by lower scorers is closed to a higher scorer who listed it later (only ever a later wish rank).
  Every such pair is reported, none hidden. DA's own result is checked the same way (without the cutoff rule)
  and has none: that is its stability.

Determinism: applicants are read in id order, arithmetic is exact :class:`~decimal.Decimal`, every list is sorted,
and the data is written by ``result_json.dumps``: the same input gives the same bytes.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from credential_service.admissions.allocation import (
    Allocation,
    _entrant,
    _specialised_problem,
    _total,
    allocate,
)
from credential_service.admissions.applicants import Applicant, allocation_input
from credential_service.admissions.result_json import dumps
from credential_service.admissions.values import en_number, vi_number
from credential_service.admissions.year_rules import YearConfig
from credential_service.platform.errors import Message

FORMAT = "sogoc-admissions-comparison/1"
Key = tuple[Decimal, ...]  # smaller is better: (−score, −key₁, −key₂, …)

METHOD = Message(
    "Chấp nhận hoãn, thí sinh đề xuất (Gale–Shapley 1962) trên cùng tổng điểm: trường xếp thí sinh đăng ký ở NVk "
    "theo tổng − độ lệch NVk, rồi theo các tiêu chí phụ; tuyển thẳng giữ chỗ trước; mọi thí sinh bằng nhau ở chỗ "
    "cuối đều được giữ, kể cả vượt chỉ tiêu. Ghen tị chính đáng: thí sinh thích trường của người khác hơn, đủ "
    "điều kiện, đạt quy tắc điểm chuẩn vòng 1 (với kết quả đã công bố) và có điểm xét không thấp hơn người đó.",
    "Student-proposing deferred acceptance (Gale–Shapley 1962) on the same totals: a school ranks an applicant who "
    "listed it as wish k by total − the wish-k offset, then by the tie-break keys; direct admissions hold their "
    "places first; all applicants equal at the last place are held, even over the quota. Justified envy: an "
    "applicant prefers another's school, is eligible there, meets the round-1 cutoff rule (for the published "
    "result) and has a key at least that applicant's.",
)


def deferred_acceptance(
    preferences: Mapping[str, Sequence[str]],
    priority: Callable[[str, str], Key],
    places: Mapping[str, int],
) -> dict[str, str | None]:
    """Student-proposing DA: each student's school (or None). ``preferences``: acceptable schools, best first;
    ``priority(student, school)``: smaller is better, equal keys are tied (all held at the last place)."""
    held: dict[str, list[tuple[Key, str]]] = {school: [] for school in places}
    following = dict.fromkeys(preferences, 0)
    free = deque(sorted(preferences))
    while free:
        student = free.popleft()
        wishes = preferences[student]
        if following[student] >= len(wishes):
            continue  # every acceptable school has rejected them
        school = wishes[following[student]]
        following[student] += 1
        line = held[school]
        insort(line, (priority(student, school), student))
        room = places[school]
        if len(line) <= room:
            continue
        keep = 0
        if room > 0:
            boundary, keep = line[room - 1][0], room
            while keep < len(line) and line[keep][0] == boundary:
                keep += 1
        free.extend(s for _, s in line[keep:])
        del line[keep:]
    match: dict[str, str | None] = dict.fromkeys(preferences)
    for school in sorted(held):
        for _, student in held[school]:
            match[student] = school
    return match


# ------------------------------------------------------------------------------------ the year's applicants


@dataclass(frozen=True)
class Wish:
    rank: int
    school: str
    total: Decimal
    score: Decimal  # total − the offset of this wish rank
    key: Key


@dataclass(frozen=True)
class Candidate:
    id: str
    wishes: tuple[Wish, ...]  # the wishes the applicant may attend (not disqualified, eligible), best first
    direct: tuple[str, int, Decimal | None] | None  # (school, wish, total) by direct admission
    at: Mapping[str, Wish] = field(default_factory=dict)  # the same wishes by school

    def wish_at(self, school: str) -> Wish:
        return self.at[school]


Seat = tuple[str, int] | None  # (school, wish) or not admitted


def candidates(config: YearConfig, applicants: Iterable[Applicant]) -> tuple[Candidate, ...]:
    """Each applicant's acceptable wishes with totals and keys, or their direct admission; in id order."""
    schools = {s.code: s for s in config.schools}
    offsets = config.rules.wish_offsets
    points = dict(config.rules.priority_points)
    out = []
    for a in sorted(applicants, key=lambda a: a.id):
        e = _entrant(a, config, points)
        first = next((k for k, code in enumerate(a.wishes) if not schools[code].is_specialised), None)
        if a.direct_admission and first is not None:  # allocation.py's rule, disqualified or not
            code = a.wishes[first]
            total = _total(e, schools[code]) if e.disqualified is None else None
            out.append(Candidate(a.id, (), (code, first + 1, total)))
            continue
        wishes = []
        if e.disqualified is None:
            for k, code in enumerate(a.wishes[: len(offsets)]):
                school = schools[code]
                if school.is_specialised and _specialised_problem(e, school, config) is not None:
                    continue
                total = _total(e, school)
                score = total - offsets[k]
                wishes.append(Wish(k + 1, code, total, score, (-score, *(-t for t in e.ties))))
        out.append(Candidate(a.id, tuple(wishes), None, {w.school: w for w in wishes}))
    return tuple(out)


def _direct_counts(config: YearConfig, people: Sequence[Candidate]) -> dict[str, int]:
    counts = {s.code: 0 for s in config.schools}
    for c in people:
        if c.direct is not None:
            counts[c.direct[0]] += 1
    return counts


def deferred_acceptance_seats(config: YearConfig, people: Sequence[Candidate]) -> dict[str, Seat]:
    """DA on the year's rules: every applicant's (school, wish), direct admissions included."""
    direct = _direct_counts(config, people)
    places = {s.code: max(0, s.quota - direct[s.code]) for s in config.schools}
    by_id = {c.id: c for c in people}
    preferences = {c.id: [w.school for w in c.wishes] for c in people if c.direct is None}
    match = deferred_acceptance(preferences, lambda s, school: by_id[s].wish_at(school).key, places)
    seats: dict[str, Seat] = {}
    for c in people:
        if c.direct is not None:
            seats[c.id] = (c.direct[0], c.direct[1])
        elif (school := match[c.id]) is not None:
            seats[c.id] = (school, c.wish_at(school).rank)
        else:
            seats[c.id] = None
    return seats


def published_seats(result: Allocation) -> dict[str, Seat]:
    return {a.applicant: None if a.school is None or a.wish is None else (a.school, a.wish) for a in result.assignments}


# ------------------------------------------------------------------------------------ justified envy


def justified_envy(
    config: YearConfig,
    people: Sequence[Candidate],
    seats: Mapping[str, Seat],
    *,
    cutoffs: Mapping[str, Decimal] | None = None,
) -> list[dict[str, Any]]:
    """Every (applicant, preferred school) with the holders of that school she envies, or an empty place she
    wanted; ``cutoffs`` (the published round-1 cutoffs) apply the round rules' cutoff to wishes after the first."""
    offsets = config.rules.wish_offsets
    quotas = {s.code: s.quota for s in config.schools}
    occupied = _direct_counts(config, people)
    holders: dict[str, list[tuple[Key, str, Wish]]] = {code: [] for code in quotas}
    for c in people:
        seat = seats[c.id]
        if seat is not None and c.direct is None:
            w = c.wish_at(seat[0])
            holders[seat[0]].append((w.key, c.id, w))
            occupied[seat[0]] += 1
    for line in holders.values():
        line.sort()
    keys = {code: [k for k, _, _ in line] for code, line in holders.items()}
    out = []
    for c in people:
        if c.direct is not None:
            continue
        seat = seats[c.id]
        own = seat[1] if seat is not None else len(offsets) + 1
        for w in c.wishes:
            if w.rank >= own:
                break
            need = None
            if cutoffs is not None and w.rank > 1 and w.school in cutoffs:
                need = cutoffs[w.school] + offsets[w.rank - 1]
                if w.total < need:
                    continue  # the round rules' cutoff: no claim
            envied = holders[w.school][bisect_left(keys[w.school], w.key) :]
            empty = max(0, quotas[w.school] - occupied[w.school])
            if envied or empty:
                out.append(_envy_item(c.id, w, offsets[w.rank - 1], need, envied, empty))
    return out


def _envy_item(
    who: str, w: Wish, offset: Decimal, need: Decimal | None, envied: list[tuple[Key, str, Wish]], empty: int
) -> dict[str, Any]:
    vi = f"NV{w.rank} {w.school}: điểm xét {vi_number(w.score)} (tổng {vi_number(w.total)} − {vi_number(offset)})"
    en = f"Wish {w.rank} {w.school}: key score {en_number(w.score)} (total {en_number(w.total)} − {en_number(offset)})"
    if need is not None:
        vi += f", đạt điểm chuẩn NV{w.rank} {vi_number(need)}"
        en += f", meets the wish-{w.rank} cutoff {en_number(need)}"
    if envied:
        _, last, lw = envied[-1]
        vi += (
            f", không thấp hơn {len(envied)} thí sinh đã trúng tuyển vào trường (thấp nhất: {last}, NV{lw.rank}, "
            f"điểm xét {vi_number(lw.score)})"
        )
        en += (
            f", is not below {len(envied)} applicant(s) admitted there (lowest: {last}, wish {lw.rank}, key score "
            f"{en_number(lw.score)})"
        )
    if empty:
        vi += f"; trường còn {empty} chỗ trống"
        en += f"; the school has {empty} empty place(s)"
    return {
        "applicant": who,
        "school": w.school,
        "wish": w.rank,
        "total": w.total,
        "score": w.score,
        "envies": [b for _, b, _ in envied],  # best first; their wish and total: the published assignments
        "tied": [b for key, b, _ in envied if key == w.key],  # equal on the score and every tie-break key
        "empty_places": empty,
        "vi": vi + ".",
        "en": en + ".",
    }


# ------------------------------------------------------------------------------------ the comparison report


def _seat_message(seat: Seat) -> Message:
    if seat is None:
        return Message("không trúng tuyển", "not admitted")
    return Message(f"NV{seat[1]} {seat[0]}", f"wish {seat[1]} {seat[0]}")


def _seat_data(seat: Seat) -> dict[str, Any]:
    return {"school": None} if seat is None else {"school": seat[0], "wish": seat[1]}


def _better(new: Seat, old: Seat) -> bool:
    return new is not None and (old is None or new[1] < old[1])


def changes(published: Mapping[str, Seat], da: Mapping[str, Seat]) -> list[dict[str, Any]]:
    """Each applicant whose (school, wish) differs, in id order, with the direction for the applicant."""
    out = []
    for who in sorted(published):
        old, new = published[who], da[who]
        if old == new:
            continue
        was, would = _seat_message(old), _seat_message(new)
        out.append(
            {
                "applicant": who,
                "published": _seat_data(old),
                "deferred_acceptance": _seat_data(new),
                "direction": "better" if _better(new, old) else "worse",
                "vi": f"Đã công bố: {was.vi}; theo chấp nhận hoãn: {would.vi}.",
                "en": f"Published: {was.en}; by deferred acceptance: {would.en}.",
            }
        )
    return out


def comparison_data(config: YearConfig, applicants: Sequence[Applicant], result: Allocation) -> dict[str, Any]:
    """The comparison report beside the published ``result``: DA's result and its own envy check (expected
    empty), who would change, and the justified envy in the published allocation under the round rules."""
    people = candidates(config, applicants)
    by_id = {c.id: c for c in people}
    da = deferred_acceptance_seats(config, people)
    published = published_seats(result)
    cutoffs = {s.code: s.cutoff for s in result.schools if s.cutoff is not None}
    envy = justified_envy(config, people, published, cutoffs=cutoffs)
    moved = changes(published, da)
    direct = _direct_counts(config, people)
    admitted = {s.code: 0 for s in config.schools}
    assignments: dict[str, Any] = {}
    for c in people:
        seat = da[c.id]
        entry = _seat_data(seat)
        if seat is not None:
            admitted[seat[0]] += 1
            if c.direct is not None:
                entry["direct"] = True
                if c.direct[2] is not None:
                    entry["total"] = c.direct[2]
            else:
                w = by_id[c.id].wish_at(seat[0])
                entry["total"], entry["score"] = w.total, w.score
        assignments[c.id] = entry
    return {
        "format": FORMAT,
        "method": {"vi": METHOD.vi, "en": METHOD.en},
        "deferred_acceptance": {
            "assignments": assignments,
            "schools": {
                s.code: {"quota": s.quota, "direct": direct[s.code], "admitted": admitted[s.code]}
                for s in sorted(config.schools, key=lambda s: s.code)
            },
            "envy": justified_envy(config, people, da),
            "summary": {
                "applicants": len(people),
                "admitted": sum(1 for seat in da.values() if seat is not None),
                "not_admitted": sum(1 for seat in da.values() if seat is None),
            },
        },
        "changes": moved,
        "envy": envy,
        "summary": {
            "changes": len(moved),
            "better": sum(1 for m in moved if m["direction"] == "better"),
            "worse": sum(1 for m in moved if m["direction"] == "worse"),
            "envious_applicants": len({e["applicant"] for e in envy}),
            "envy_pairs": sum(len(e["envies"]) for e in envy),
            "empty_place_claims": sum(1 for e in envy if e["empty_places"]),
        },
    }


def compared_document(text: str | bytes, *, source: str = "input.json") -> bytes:
    """``sogoc admissions allocate FILE.json --compare`` and ``POST /api/v1/admissions/allocate?compare=true``:
    the allocation's document with the comparison under the one extra key ``comparison`` (every other key and
    its bytes as without it)."""
    config, applicants = allocation_input(text, source=source)
    result = allocate(config, applicants)
    data = result.to_data()
    data["comparison"] = comparison_data(config, applicants, result)
    return dumps(data)
