"""Grades 1 and 6 by residence (issue #15 item 5), from hand-worked cases.

The lottery digests below were computed with coreutils, not with Python:
``printf '%s' "HP-2026-lop1:HS01" | sha256sum`` and so on, then sorted ascending:

    0c653d63…  HS04   → place 1, admitted
    27d0f90b…  HS02   → place 2, admitted (quota 2)
    4eb120e7…  HS01   → place 3, not drawn
    6fe563a5…  HS03   → place 4, not drawn
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import pytest

from credential_service.admissions.residence import (
    Outcome,
    ResidenceApplicant,
    ResidenceSchool,
    age_problem,
    allocate_by_residence,
    draw,
)
from credential_service.admissions.residence_registry import DevResidenceRegistry, ResidenceFacts
from credential_service.admissions.result_json import dumps
from credential_service.admissions.service import RESIDENCE_PURPOSE, AdmissionsService, residence_document
from credential_service.platform.clock import FixedClock
from credential_service.platform.errors import InvalidInput

SEED = "HP-2026-lop1"
SHA256SUM = {  # printf '%s' "HP-2026-lop1:<id>" | sha256sum
    "HS04": "0c653d6380ed2bcecb35dabe17da0ba37ff294fbfda87ab38b3bdcc62b34d082",
    "HS02": "27d0f90b647567628a1ddbc4bb7c8e7869eb0f8e4174319cb9fb30657ffb730d",
    "HS01": "4eb120e7e3986bb5d074bc24b02fb51b11ea72c6e0961b7776e623b515c0011f",
    "HS03": "6fe563a5f31d469b935b5be4b14bbaca53da9592db5cbc9c393a4ea078bcc000",
}
LE_CHAN = {"code": "TH-LE-CHAN", "quota": 2, "areas": ["Phường Lê Chân"]}
NGO_QUYEN = {"code": "TH-NGO-QUYEN", "quota": 3, "areas": ["Phường Ngô Quyền", "Phường Gia Viên"]}


def document(applicants: list[dict[str, str]], schools: list[dict[str, Any]] | None = None) -> bytes:
    data = {"seed": SEED, "schools": schools or [LE_CHAN, NGO_QUYEN], "applicants": applicants}
    return json.dumps(data, ensure_ascii=False).encode()


CITY = [
    {"id": "HS01", "residence": "Phường Lê Chân", "wish": "TH-LE-CHAN"},
    {"id": "HS02", "residence": "Phường Lê Chân", "wish": "TH-LE-CHAN"},
    {"id": "HS03", "residence": "Phường Lê Chân", "wish": "TH-LE-CHAN"},
    {"id": "HS04", "residence": "Phường Lê Chân", "wish": "TH-LE-CHAN"},
    {"id": "HS05", "residence": "Phường Ngô Quyền", "wish": "TH-LE-CHAN"},  # not resident there
    {"id": "HS06", "residence": "Phường Gia Viên", "wish": "TH-NGO-QUYEN"},
    {"id": "HS07", "residence": "Phường Ngô Quyền", "wish": "TH-NGO-QUYEN"},
    {"id": "HS08", "residence": "Phường Lê Chân", "wish": "TH-NGO-QUYEN"},  # not resident, though a place is left
]


def run(applicants: list[dict[str, str]]) -> dict[str, Any]:
    return dict(json.loads(residence_document(document(applicants)), parse_float=Decimal))


def test_the_lottery_order_is_the_sha256sum_of_seed_colon_id_ascending() -> None:
    for ident, digest in SHA256SUM.items():
        assert hashlib.sha256(f"{SEED}:{ident}".encode()).hexdigest() == digest
        assert draw(SEED, ident) == digest
    out = run(CITY)["assignments"]
    order = sorted(SHA256SUM, key=SHA256SUM.__getitem__)
    assert order == ["HS04", "HS02", "HS01", "HS03"]
    for rank, ident in enumerate(order, start=1):
        assert out[ident]["draw"] == SHA256SUM[ident] and out[ident]["draw_rank"] == rank
    assert [out[i]["school"] for i in order] == ["TH-LE-CHAN", "TH-LE-CHAN", None, None]
    assert out["HS04"]["outcome"] == Outcome.DRAWN == out["HS02"]["outcome"]
    assert out["HS01"]["outcome"] == Outcome.NOT_DRAWN == out["HS03"]["outcome"]
    assert "thứ tự 3 trong 4" in out["HS01"]["vi"] and "place 3 of 4" in out["HS01"]["en"]


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils sha256sum not installed")
def test_sha256sum_itself_gives_the_same_draw_for_a_vietnamese_seed_and_id() -> None:
    seed, ident = "Hạt giống", "Bé Ánh"
    shell = subprocess.run(
        ["sh", "-c", "printf '%s' \"$0\" | sha256sum", f"{seed}:{ident}"], capture_output=True, check=True, text=True
    ).stdout.split()[0]
    assert shell == draw(seed, ident) == "93c60b77ac3310108ea52816dc593455a3056653fb39eede9a55f54bb446b974"


def test_residents_who_fit_are_all_admitted_and_non_residents_go_to_the_commune() -> None:
    out = run(CITY)
    a = out["assignments"]
    assert a["HS06"]["school"] == "TH-NGO-QUYEN" and a["HS06"]["outcome"] == Outcome.ADMITTED
    assert a["HS07"]["school"] == "TH-NGO-QUYEN" and "draw" not in a["HS07"]
    # TH-NGO-QUYEN keeps a place, yet HS08 (not resident) is not admitted: the commune reassigns them.
    assert a["HS08"]["school"] is None and a["HS08"]["outcome"] == Outcome.NOT_RESIDENT
    assert a["HS05"]["school"] is None and not a["HS05"]["resident"]
    assert out["schools"]["TH-NGO-QUYEN"] == {
        "quota": 3,
        "applicants": 3,
        "resident_applicants": 2,
        "admitted": 2,
        "lottery": False,
    }
    assert out["schools"]["TH-LE-CHAN"]["lottery"] is True and out["schools"]["TH-LE-CHAN"]["admitted"] == 2
    listed = {r["id"]: r["reason"] for r in out["reassignment"]}
    assert sorted(listed) == ["HS01", "HS03", "HS05", "HS08"]
    assert "UBND xã/phường" in listed["HS08"]["vi"] and "commune" in listed["HS08"]["en"]
    assert out["summary"] == {"applicants": 8, "admitted": 4, "for_reassignment": 4}


def test_exactly_the_quota_needs_no_lottery_and_a_quota_of_zero_admits_no_one() -> None:
    schools = [
        ResidenceSchool("A", 2, frozenset({"X"})),
        ResidenceSchool("B", 0, frozenset({"Y"})),
    ]
    people = [ResidenceApplicant("1", "A", "X"), ResidenceApplicant("2", "A", "X"), ResidenceApplicant("3", "B", "Y")]
    result = allocate_by_residence("s", schools, people)
    by_id = {p.applicant: p for p in result.placements}
    assert by_id["1"].outcome == by_id["2"].outcome == Outcome.ADMITTED and by_id["1"].draw is None
    assert by_id["3"].outcome == Outcome.NOT_DRAWN and by_id["3"].draw_rank == 1
    assert [s.lottery for s in result.schools] == [False, True]


def test_the_result_depends_on_the_set_of_applicants_not_their_order() -> None:
    first = residence_document(document(CITY))
    shuffled = list(CITY)
    random.Random(7).shuffle(shuffled)
    assert residence_document(document(shuffled)) == first
    assert dumps(json.loads(first)) == first  # canonical: keys sorted, no float formatting


def test_bad_input_lists_every_problem_and_allocates_nothing() -> None:
    bad = json.dumps(
        {
            "seed": "",
            "schools": [{"code": "A", "quota": -1, "areas": []}, {"code": "B", "quota": 1, "areas": ["X"], "zone": 1}],
            "applicants": [
                {"id": "1", "residence": "X", "wish": "Z"},
                {"id": "1", "residence": "X", "wish": "B"},
                {"id": "2", "wish": "B", "date_of_birth": "2020-01-01"},
            ],
        }
    )
    with pytest.raises(InvalidInput) as e:
        residence_document(bad, source="bad.json")
    keys = {p.location["key"] for p in e.value.problems}
    assert {
        "seed",
        "schools[0].quota",
        "schools[0].areas",
        "schools[1].zone",
        "applicants[0].wish",
        "applicants[1].id",
        "applicants[2].residence",
        "applicants[2].date_of_birth",
    } <= keys
    assert all(p.message.vi and p.message.en for p in e.value.problems)
    with pytest.raises(InvalidInput):
        residence_document(b"not json")


def test_the_charter_age_by_calendar_year() -> None:
    assert age_problem(date(2020, 12, 31), 1, 2026) is None  # 6 in 2026
    assert age_problem(date(2015, 1, 1), 6, 2026) is None  # 11 in 2026
    early = age_problem(date(2021, 1, 1), 1, 2026)
    assert early is not None and "5 tuổi" in early.vi and "is 5 in 2026" in early.en


def test_the_cli_prints_the_lottery(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from credential_service.admissions.cli import cmd_residence

    path = tmp_path / "lop1.json"
    path.write_bytes(document(CITY))
    assert cmd_residence(argparse.Namespace(file=str(path), out=None)) == 0
    assert capsys.readouterr().out.encode() == residence_document(document(CITY)) + b"\n"


def test_the_service_takes_residence_and_age_from_the_registry_not_the_form() -> None:
    registry = DevResidenceRegistry(
        {
            "031220000001": ResidenceFacts("Phường Lê Chân", date(2020, 3, 1)),
            "031220000002": ResidenceFacts("Phường Ngô Quyền", date(2020, 5, 9)),
            "031220000003": ResidenceFacts("Phường Lê Chân", date(2021, 1, 2)),  # 5 in 2026
        }
    )
    logged: list[tuple[str, str, list[str]]] = []

    def log_reads(actor: str, purpose: str, pins: Any) -> int:
        logged.append((actor, purpose, list(pins)))
        return len(pins)

    service = AdmissionsService(
        cast(Any, None), clock=FixedClock(datetime(2026, 6, 1, tzinfo=UTC)), log_reads=log_reads
    )
    form = {
        "seed": SEED,
        "grade": 1,
        "year": 2026,
        "schools": [LE_CHAN],
        "applicants": [
            {"id": "HS01", "personal_id": "031220000001", "wish": "TH-LE-CHAN"},
            {"id": "HS02", "personal_id": "031220000002", "wish": "TH-LE-CHAN"},
            {"id": "HS03", "personal_id": "031220000003", "wish": "TH-LE-CHAN"},
            {"id": "HS04", "personal_id": "031220000009", "wish": "TH-LE-CHAN"},  # unknown to the registry
        ],
    }
    out = json.loads(service.allocate_residence(json.dumps(form), registry, actor="tuyen-sinh"))
    a = out["assignments"]
    assert a["HS01"]["school"] == "TH-LE-CHAN"
    assert a["HS02"]["outcome"] == Outcome.NOT_RESIDENT
    assert a["HS03"]["outcome"] == Outcome.REFERRED and "5 tuổi" in a["HS03"]["vi"]
    assert a["HS04"]["outcome"] == Outcome.REFERRED and "population database" in a["HS04"]["en"]
    assert out["grade"] == 1 and out["year"] == 2026
    assert logged == [
        ("tuyen-sinh", RESIDENCE_PURPOSE, ["031220000001", "031220000002", "031220000003", "031220000009"])
    ]
    # The form may not carry a residence: it comes from the registry only.
    form["applicants"][0]["residence"] = "Phường Lê Chân"  # type: ignore[index]
    with pytest.raises(InvalidInput) as e:
        service.allocate_residence(json.dumps(form), registry, actor="tuyen-sinh")
    assert any(p.location["key"] == "applicants[0].residence" for p in e.value.problems)
    # One child, one application: the same personal ID twice is refused.
    del form["applicants"][0]["residence"]  # type: ignore[attr-defined,index]
    form["applicants"][1]["personal_id"] = "031220000001"  # type: ignore[index]
    with pytest.raises(InvalidInput) as e:
        service.allocate_residence(json.dumps(form), registry, actor="tuyen-sinh")
    assert [p.location["key"] for p in e.value.problems] == ["applicants[1].personal_id"]
