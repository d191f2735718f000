"""Grades 1 and 6 by residence (issue #15 item 5): the resident applicants of each school, and a lottery any
parent can re-run with ``sha256sum`` when they are more than its places (pure: no framework, no database).

* An applicant whose residence is one of the wished school's areas is a **resident applicant**.
* If a school's resident applicants fit its quota, all are admitted.
* Otherwise the **lottery** with the published seed picks: resident applicants are ordered by the hex SHA-256 of
  ``seed + ":" + id`` (UTF-8), ascending, and the first ``quota`` are admitted. Anyone can reproduce one
  applicant's draw with ``printf '%s' "SEED:ID" | sha256sum`` and sort the hex strings.
* **Everyone else** (not drawn, not resident, or referred before the lottery, e.g. not found in the population
  database) is listed for reassignment by the commune, with a reason. A non-resident applicant is never admitted
  here, not even to a school with places left: the places go to the area's children, and placing the others is
  the commune's task, not this lottery's.

Legal source: grade 6 is admitted by selection only (xét tuyển, one round, criteria set by the Sở) under
Circular 30/2024/TT-BGDĐT on lower- and upper-secondary admissions; grade 1 is outside that Circular and is
admitted by residence area under the primary-school charter (Circular 28/2020/TT-BGDĐT), organised by the
commune/ward People's Committee or the school under the Sở's guidance (domain brief §4.1). Hence the unplaced
go back to the commune. The charter ages (6 in the calendar year for grade 1; 11 for grade 6, Circular
32/2020/TT-BGDĐT) are checked by the service from the population registry, never from the form.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem

FORMAT = "sogoc-admissions-residence/1"
MAX_APPLICANTS = 1_000_000
MAX_SCHOOLS = 5_000
MAX_AREAS = 1_000
MAX_QUOTA = 100_000
MAX_ID = 32
MAX_TEXT = 200
MAX_SEED = 256
STANDARD_AGE = {1: 6, 6: 11}  # the charters: grade 1 at 6 (Circular 28/2020), grade 6 at 11 (Circular 32/2020)
REPRODUCE = "printf '%s' \"SEED:ID\" | sha256sum  — sort the hex strings ascending; the first <quota> are admitted"


def draw(seed: str, ident: str) -> str:
    """The applicant's lottery draw: the hex SHA-256 of ``seed:id`` in UTF-8 (what ``sha256sum`` prints)."""
    return hashlib.sha256(f"{seed}:{ident}".encode()).hexdigest()


@dataclass(frozen=True)
class ResidenceSchool:
    code: str
    quota: int
    areas: frozenset[str]


@dataclass(frozen=True)
class ResidenceApplicant:
    id: str
    wish: str
    residence: str | None  # None: not known (the applicant is then referred)
    referral: Message | None = None  # set by the service before the lottery (not found, not of the charter age)


class Outcome(StrEnum):
    ADMITTED = "admitted"  # resident, and the resident applicants fit the quota
    DRAWN = "admitted_by_lottery"
    NOT_DRAWN = "not_drawn"
    NOT_RESIDENT = "not_resident"
    REFERRED = "referred"


@dataclass(frozen=True)
class Placement:
    applicant: str
    wish: str
    resident: bool
    outcome: Outcome
    message: Message
    draw: str | None = None  # the hex SHA-256, for applicants in a lottery
    draw_rank: int | None = None  # 1-based place in the lottery order

    @property
    def school(self) -> str | None:
        return self.wish if self.outcome in (Outcome.ADMITTED, Outcome.DRAWN) else None


@dataclass(frozen=True)
class SchoolDraw:
    code: str
    quota: int
    applicants: int
    resident: int
    admitted: int
    lottery: bool


@dataclass(frozen=True)
class ResidenceResult:
    seed: str
    placements: tuple[Placement, ...]  # sorted by applicant id
    schools: tuple[SchoolDraw, ...]  # sorted by code

    def to_data(self) -> dict[str, Any]:
        admitted = sum(1 for p in self.placements if p.school is not None)
        return {
            "format": FORMAT,
            "seed": self.seed,
            "lottery": {
                "order": "hex SHA-256 of seed + ':' + id (UTF-8), ascending",
                "reproduce": REPRODUCE,
            },
            "assignments": {p.applicant: _placement_data(p) for p in self.placements},
            "schools": {
                s.code: {
                    "quota": s.quota,
                    "applicants": s.applicants,
                    "resident_applicants": s.resident,
                    "admitted": s.admitted,
                    "lottery": s.lottery,
                }
                for s in self.schools
            },
            "reassignment": [
                {"id": p.applicant, "wish": p.wish, "reason": {"vi": p.message.vi, "en": p.message.en}}
                for p in self.placements
                if p.school is None
            ],
            "summary": {
                "applicants": len(self.placements),
                "admitted": admitted,
                "for_reassignment": len(self.placements) - admitted,
            },
        }


def _placement_data(p: Placement) -> dict[str, Any]:
    out: dict[str, Any] = {
        "school": p.school,
        "wish": p.wish,
        "resident": p.resident,
        "outcome": p.outcome.value,
        "vi": p.message.vi,
        "en": p.message.en,
    }
    if p.draw is not None:
        out["draw"] = p.draw
        out["draw_rank"] = p.draw_rank
    return out


# ------------------------------------------------------------------------------------ the sentences


def _admitted(code: str, resident: int, quota: int) -> Message:
    return Message(
        f"Trúng tuyển {code}: cư trú trong địa bàn tuyển sinh; {resident} học sinh cư trú, "
        f"không vượt {quota} chỉ tiêu.",
        f"Admitted to {code}: resident in its area; {resident} resident applicant(s) fit its {quota} place(s).",
    )


def _drawn(code: str, rank: int, resident: int, quota: int) -> Message:
    return Message(
        f"Trúng tuyển {code} qua bốc thăm: thứ tự {rank} trong {resident} học sinh cư trú, {quota} chỉ tiêu.",
        f"Admitted to {code} by the lottery: place {rank} of {resident} resident applicants for {quota} place(s).",
    )


def _not_drawn(code: str, rank: int, resident: int, quota: int) -> Message:
    return Message(
        f"Không trúng bốc thăm vào {code}: thứ tự {rank} trong {resident} học sinh cư trú, chỉ có {quota} chỉ tiêu. "
        "UBND xã/phường sẽ bố trí trường khác.",
        f"Not drawn for {code}: place {rank} of {resident} resident applicants for {quota} place(s). "
        "The commune will assign another school.",
    )


def _not_resident(code: str, residence: str | None) -> Message:
    where = residence if residence is not None else "không rõ / unknown"
    return Message(
        f"Nơi cư trú ({where}) không thuộc địa bàn tuyển sinh của {code}. UBND xã/phường sẽ bố trí trường.",
        f"The residence ({where}) is not in {code}'s admission area. The commune will assign a school.",
    )


def referred(reason: Message) -> Message:
    return Message(
        f"Chưa xét theo địa bàn: {reason.vi}. UBND xã/phường sẽ xem xét và bố trí.",
        f"Not placed by residence: {reason.en}. The commune will review and assign.",
    )


# ------------------------------------------------------------------------------------ the allocation


def allocate_by_residence(
    seed: str, schools: Sequence[ResidenceSchool], applicants: Sequence[ResidenceApplicant]
) -> ResidenceResult:
    """Every applicant admitted to their wished school or listed for the commune, each with a reason.

    The result depends only on the seed and the set of applicants (not their order): the lottery order is the
    hex digest, and ids are unique, so no two draws compare equal."""
    by_code = {s.code: s for s in schools}
    residents: dict[str, list[ResidenceApplicant]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    placements: list[Placement] = []
    for a in applicants:
        counts[a.wish] += 1
        school = by_code[a.wish]
        if a.referral is not None:
            resident = a.residence is not None and a.residence in school.areas
            placements.append(Placement(a.id, a.wish, resident, Outcome.REFERRED, referred(a.referral)))
        elif a.residence is not None and a.residence in school.areas:
            residents[a.wish].append(a)
        else:
            placements.append(Placement(a.id, a.wish, False, Outcome.NOT_RESIDENT, _not_resident(a.wish, a.residence)))
    results = []
    for code in sorted(by_code):
        group = residents.get(code, [])
        n, quota = len(group), by_code[code].quota
        if n <= quota:
            placements.extend(Placement(a.id, code, True, Outcome.ADMITTED, _admitted(code, n, quota)) for a in group)
        else:
            ordered = sorted((draw(seed, a.id), a.id) for a in group)
            for rank, (digest, ident) in enumerate(ordered, start=1):
                if rank <= quota:
                    message, outcome = _drawn(code, rank, n, quota), Outcome.DRAWN
                else:
                    message, outcome = _not_drawn(code, rank, n, quota), Outcome.NOT_DRAWN
                placements.append(Placement(ident, code, True, outcome, message, digest, rank))
        results.append(SchoolDraw(code, quota, counts.get(code, 0), n, min(n, quota), n > quota))
    placements.sort(key=lambda p: p.applicant)
    return ResidenceResult(seed, tuple(placements), tuple(results))


# ------------------------------------------------------------------------------------ the charter age


def age_in_year(date_of_birth: date, year: int) -> int:
    """Age counted by calendar year, as the charters count it (born 2020: 6 in 2026)."""
    return year - date_of_birth.year


def age_problem(date_of_birth: date, grade: int, year: int) -> Message | None:
    """Why a child is not of the charter age for ``grade`` in ``year`` (early or late entry is an exception the
    commune or school decides, so the child is referred rather than refused), or None."""
    expected = STANDARD_AGE[grade]
    age = age_in_year(date_of_birth, year)
    if age == expected:
        return None
    return Message(
        f"năm {year} học sinh {age} tuổi, không phải {expected} tuổi theo điều lệ cho lớp {grade} "
        "(vào học sớm hoặc muộn là trường hợp ngoại lệ)",
        f"the child is {age} in {year}, not the charter's {expected} for grade {grade} "
        "(early or late entry is an exception)",
    )


# ------------------------------------------------------------------------------------ the input


@dataclass(frozen=True)
class ResidenceInput:
    seed: str
    schools: tuple[ResidenceSchool, ...]
    applicants: tuple[ResidenceApplicant, ...]
    grade: int | None = None
    year: int | None = None
    personal_ids: Mapping[str, str] | None = None  # id -> personal ID (the service's form only)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def add(self, key: str, message: Message, value: Any = None) -> None:
        shown = value if value is None or isinstance(value, str | int | float | bool) else str(value)
        self.problems.append(Problem(message, {"file": self.source, "key": key}, shown))

    def text(self, key: str, value: Any, limit: int, what: Message) -> str | None:
        if not isinstance(value, str) or not 0 < len(value) <= limit or not value.isprintable():
            self.add(
                key, Message(f"{what.vi}: chuỗi 1–{limit} ký tự", f"{what.en}: text of 1–{limit} characters"), value
            )
            return None
        return value

    def unknown(self, key: str, raw: Mapping[str, Any], known: frozenset[str]) -> None:
        for name in sorted(set(raw) - known, key=str):
            self.add(
                f"{key}.{name}" if key else str(name),
                Message(f"Khóa không được hỗ trợ: '{name}'", f"Unknown key '{name}'"),
            )


_TOP = frozenset({"seed", "schools", "applicants"})
_SERVICE_TOP = _TOP | {"grade", "year"}
_SCHOOL = frozenset({"code", "quota", "areas"})


def _school(r: _Reader, i: int, raw: Any) -> ResidenceSchool | None:
    key = f"schools[{i}]"
    if not isinstance(raw, Mapping):
        r.add(key, Message("Mỗi trường là một đối tượng {code, quota, areas}", "Each school is {code, quota, areas}"))
        return None
    r.unknown(key, raw, _SCHOOL)
    code = r.text(f"{key}.code", raw.get("code"), MAX_ID, Message("Mã trường", "School code"))
    quota = raw.get("quota")
    if isinstance(quota, bool) or not isinstance(quota, int) or not 0 <= quota <= MAX_QUOTA:
        r.add(
            f"{key}.quota", Message(f"Chỉ tiêu: số nguyên 0–{MAX_QUOTA}", f"Quota: a whole number 0–{MAX_QUOTA}"), quota
        )
        quota = None
    areas = raw.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= MAX_AREAS:
        r.add(
            f"{key}.areas",
            Message(f"Địa bàn: danh sách 1–{MAX_AREAS} nơi cư trú", f"Areas: a list of 1–{MAX_AREAS} residences"),
        )
        return None
    names = [r.text(f"{key}.areas[{j}]", a, MAX_TEXT, Message("Địa bàn", "Area")) for j, a in enumerate(areas)]
    if code is None or quota is None or None in names:
        return None
    return ResidenceSchool(code, quota, frozenset(n for n in names if n is not None))


def residence_input(text: str | bytes, *, source: str = "input.json", service: bool = False) -> ResidenceInput:
    """The residence document: ``{"seed", "schools": [{code, quota, areas}], "applicants": [{id, residence,
    wish}]}``, or (``service``) the service's form ``{"seed", "grade", "year", "schools", "applicants": [{id,
    personal_id, wish}]}`` where residence and age come from the population registry, never from the form.
    Every problem is listed in one :class:`InvalidInput`; nothing half-valid is returned."""
    r = _Reader(source)
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        message = Message(f"Tệp {source} không phải JSON hợp lệ: {e}", f"{source} is not valid JSON: {e}")
        raise InvalidInput(message, problems=[Problem(message, {"file": source})]) from e
    if not isinstance(data, Mapping):
        r.add("", Message("Dữ liệu vào là một đối tượng JSON", "The input is a JSON object"))
        raise _invalid(r)
    r.unknown("", data, _SERVICE_TOP if service else _TOP)
    seed = r.text("seed", data.get("seed"), MAX_SEED, Message("Hạt giống bốc thăm (seed)", "The lottery seed"))
    grade = year = None
    if service:
        grade = data.get("grade")
        if grade not in STANDARD_AGE or isinstance(grade, bool):
            r.add("grade", Message("Lớp tuyển sinh: 1 hoặc 6", "The grade: 1 or 6"), grade)
        year = data.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            r.add("year", Message("Năm tuyển sinh: 2000–2100", "The admission year: 2000–2100"), year)
    raw_schools = data.get("schools")
    if not isinstance(raw_schools, list) or not 1 <= len(raw_schools) <= MAX_SCHOOLS:
        r.add("schools", Message(f"Cần danh sách 1–{MAX_SCHOOLS} trường", f"A list of 1–{MAX_SCHOOLS} schools"))
        raw_schools = []
    schools = [s for i, raw in enumerate(raw_schools) if (s := _school(r, i, raw)) is not None]
    codes: set[str] = set()
    for s in schools:
        if s.code in codes:
            r.add("schools", Message(f"Mã trường trùng: {s.code}", f"Duplicate school code: {s.code}"), s.code)
        codes.add(s.code)
    raw_applicants = data.get("applicants")
    if not isinstance(raw_applicants, list) or len(raw_applicants) > MAX_APPLICANTS:
        r.add(
            "applicants",
            Message(f"Cần danh sách tối đa {MAX_APPLICANTS:,} học sinh", f"A list of at most {MAX_APPLICANTS:,}"),
        )
        raw_applicants = []
    applicants, pins = _applicants(r, raw_applicants, codes, service)
    if r.problems or seed is None:
        raise _invalid(r)
    return ResidenceInput(seed, tuple(schools), tuple(applicants), grade, year, pins if service else None)


def _applicants(
    r: _Reader, raw: list[Any], codes: set[str], service: bool
) -> tuple[list[ResidenceApplicant], dict[str, str]]:
    known = frozenset({"id", "personal_id", "wish"} if service else {"id", "residence", "wish"})
    out: list[ResidenceApplicant] = []
    pins: dict[str, str] = {}
    seen: set[str] = set()
    taken: set[str] = set()  # personal IDs already met
    for i, a in enumerate(raw):
        key = f"applicants[{i}]"
        if not isinstance(a, Mapping):
            r.add(key, Message("Mỗi học sinh là một đối tượng", "Each applicant is an object"))
            continue
        r.unknown(key, a, known)
        ident = r.text(f"{key}.id", a.get("id"), MAX_ID, Message("Mã hồ sơ", "Applicant id"))
        wish = a.get("wish")
        if wish not in codes:
            r.add(
                f"{key}.wish", Message(f"Trường không có trong danh sách: {wish}", f"Not a listed school: {wish}"), wish
            )
        if service:
            pin = a.get("personal_id")
            if not isinstance(pin, str) or len(pin) != 12 or not pin.isdigit():
                r.add(f"{key}.personal_id", Message("Số định danh: 12 chữ số", "Personal ID: 12 digits"))
            elif pin in taken:
                r.add(
                    f"{key}.personal_id",
                    Message(
                        "Một học sinh chỉ có một hồ sơ (số định danh trùng)", "One application per child (same ID)"
                    ),
                )
            elif ident is not None:
                pins[ident] = pin
                taken.add(pin)
            residence = None
        else:
            residence = r.text(f"{key}.residence", a.get("residence"), MAX_TEXT, Message("Nơi cư trú", "Residence"))
        if ident is not None and ident in seen:
            r.add(f"{key}.id", Message(f"Mã hồ sơ trùng: {ident}", f"Duplicate applicant id: {ident}"), ident)
        if ident is not None:
            seen.add(ident)
            if wish in codes:
                out.append(ResidenceApplicant(ident, str(wish), residence))
    return out, pins


def _invalid(r: _Reader) -> InvalidInput:
    return InvalidInput(
        Message(
            f"Dữ liệu tuyển sinh theo địa bàn {r.source} có {len(r.problems)} lỗi; chưa xét gì.",
            f"The residence admissions input {r.source} has {len(r.problems)} problem(s); nothing was allocated.",
        ),
        problems=r.problems,
    )
