"""Duplicate person records in the data quality (issue #16 item 1): the rule (the same personal ID number; or
none and the same normalised name and date of birth), and the drill-down to the records, for the Sở only."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.holders.population_registry import DevPopulationRegistry
from credential_service.holders.registry_checks import PURPOSE, check_persons
from credential_service.holders.tables import AccessLogEntry, Person, PersonIdentifier
from credential_service.reporting.person_rules import (
    SAME_NAME_DOB,
    SAME_PIN,
    PersonFacts,
    RegistryCheck,
    duplicate_groups,
    person_quality,
    registry_counts,
    registry_rows,
)

BORN = date(2010, 3, 4)  # a date of birth on the record: not "today"


def test_the_same_number_or_no_number_and_the_same_name_and_birth_date_are_duplicates() -> None:
    persons = [
        PersonFacts("a", "Nguyễn Văn An", BORN, ("031210000001",)),
        PersonFacts("b", "Nguyen Van An", BORN, ("031210000001",)),  # same number, the name spelled otherwise
        PersonFacts("c", "Trần Thị  Bình", BORN, ()),
        PersonFacts("d", "trần thị bình", BORN, ()),  # case and spaces differ: the same name
        PersonFacts("e", "Trần Thị Bình", BORN + timedelta(days=1), ()),  # born another day
        PersonFacts("f", "Trần Thị Bình", BORN, ("031310000002",)),  # has a number: not grouped by name
        PersonFacts("g", "Lê Văn Cường", BORN, ()),
    ]
    groups = duplicate_groups(persons)
    assert [(g["kind"], g["person_ids"]) for g in groups] == [(SAME_PIN, ["a", "b"]), (SAME_NAME_DOB, ["c", "d"])]
    summary = person_quality(persons)
    assert (summary["persons"], summary["duplicate_persons"], summary["groups_total"]) == (7, 4, 2)
    assert summary["by_kind"] == {SAME_PIN: {"groups": 1, "persons": 2}, SAME_NAME_DOB: {"groups": 1, "persons": 2}}
    assert summary["registry_checked"] == summary["registry_mismatches"] == 0  # no check recorded yet
    assert summary["registry_unchecked"] == 3 and summary["registry_note_vi"] and summary["registry_note_en"]


def test_the_latest_registry_checks_are_counted_and_listed_by_id_and_field() -> None:
    persons = [
        PersonFacts("a", "X", BORN, ("031210000001",)),
        PersonFacts("b", "Y", BORN, ("031210000002",)),
        PersonFacts("c", "Z", BORN, ("031210000003",)),
        PersonFacts("d", "W", BORN, ("031210000004",)),  # a number, never checked
        PersonFacts("e", "V", BORN, ()),  # no number: cannot be checked
    ]
    checks = {
        "a": RegistryCheck("match"),
        "b": RegistryCheck("mismatch", ("date_of_birth", "sex")),
        "c": RegistryCheck("not_found"),
    }
    assert registry_counts(persons, checks) == {
        "registry_mismatches": 1,
        "registry_not_found": 1,
        "registry_checked": 3,
        "registry_unchecked": 1,
    }
    assert registry_rows(persons, checks) == [
        {"group": "", "kind": "registry_mismatch", "persons": 1, "person_id": "b", "fields": "date_of_birth;sex"},
        {"group": "", "kind": "registry_not_found", "persons": 1, "person_id": "c", "fields": ""},
    ]


def test_a_person_in_two_groups_is_counted_once() -> None:
    persons = [
        PersonFacts("a", "X", BORN, ("031210000001", "031210000009")),
        PersonFacts("b", "X", BORN, ("031210000001",)),
        PersonFacts("c", "X", BORN, ("031210000009",)),
    ]
    assert person_quality(persons)["duplicate_persons"] == 3 and len(duplicate_groups(persons)) == 2


def _person(c: Container, name: str, pin: str | None, born: date = BORN) -> str:
    pid = str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(Person(id=pid, full_name=name, date_of_birth=born, sex="Nam", created_at=c.clock.now()))
        s.flush()
        if pin:
            s.add(
                PersonIdentifier(
                    id=str(uuid.uuid4()), person_id=pid, kind="pin", value=pin, source="test", created_at=c.clock.now()
                )
            )
    return pid


def test_the_api_counts_the_duplicates_and_drills_down_to_the_records(container: Container, client: TestClient) -> None:
    sign_in(client, "so-admin")
    before = client.get("/api/v1/progress/quality/persons").json()
    a, b = _person(container, "Phạm Văn Dũng", "031210009999"), _person(container, "Phạm Văn Dũng", "031210009999")
    c, d = _person(container, "Đỗ Thị Hoa", None), _person(container, "đỗ thị  hoa", None)
    body = client.get("/api/v1/progress/quality/persons").json()
    assert body["duplicate_persons"] == before["duplicate_persons"] + 4
    assert {"kind": SAME_PIN, "persons": 2, "person_ids": sorted([a, b])} in body["groups"]
    assert {"kind": SAME_NAME_DOB, "persons": 2, "person_ids": sorted([c, d])} in body["groups"]
    assert "031210009999" not in str(body) and "Dũng" not in str(body)  # ids only
    r = client.get("/api/v1/progress/quality/persons.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    groups = [row for row in rows if row["kind"] in (SAME_PIN, SAME_NAME_DOB)]
    assert {row["person_id"] for row in groups} >= {a, b, c, d} and len(groups) == body["duplicate_persons"]
    sign_in(client, "inspector")
    assert client.get("/api/v1/progress/quality/persons").status_code == 403


def test_the_api_counts_the_registry_checks_and_lists_the_mismatches(container: Container, client: TestClient) -> None:
    sign_in(client, "so-admin")
    before = client.get("/api/v1/progress/quality/persons").json()
    DevPopulationRegistry(container.db).add(
        [("031210007001", "Vũ Văn Khánh", BORN, "Nam"), ("031210007002", "Hoàng Văn Long", BORN, "Nam")]
    )
    ok = _person(container, "Vũ Văn Khánh", "031210007001")
    wrong = _person(container, "Hoàng Văn Long", "031210007002", born=BORN + timedelta(days=40))
    missing = _person(container, "Đặng Văn Minh", "031210007003")
    _person(container, "Bùi Thị Nga", None)  # no number: never checked
    unchecked = _person(container, "Lý Văn Oanh", "031210007004")
    body = client.get("/api/v1/progress/quality/persons").json()
    assert body["registry_unchecked"] == before["registry_unchecked"] + 4
    check_persons(
        container.db,
        container.population_registry,
        container.clock,
        checked_by="so-admin",
        person_ids=[ok, wrong, missing],
    )
    body = client.get("/api/v1/progress/quality/persons").json()
    assert body["registry_checked"] == before["registry_checked"] + 3
    assert body["registry_mismatches"] == before["registry_mismatches"] + 1
    assert body["registry_not_found"] == before["registry_not_found"] + 1
    assert body["registry_unchecked"] == before["registry_unchecked"] + 1
    rows = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/progress/quality/persons.csv").content.decode("utf-8-sig")))
    )
    mismatched = [r for r in rows if r["kind"] == "registry_mismatch"]
    assert {"person_id": wrong, "fields": "date_of_birth"} in [
        {k: r[k] for k in ("person_id", "fields")} for r in mismatched
    ]
    assert len(mismatched) == body["registry_mismatches"]
    assert [r["person_id"] for r in rows if r["kind"] == "registry_not_found"].count(missing) == 1
    assert unchecked not in {r["person_id"] for r in rows} and ok not in {r["person_id"] for r in rows}
    assert "031210007002" not in str(rows) and "Long" not in str(rows) and BORN.isoformat() not in str(rows)
    with container.db.reader() as s:  # each person checked has one entry in their access log
        logged = s.query(AccessLogEntry.person_id).filter(AccessLogEntry.purpose == PURPOSE).all()
    assert sorted(str(p) for (p,) in logged) == sorted([ok, wrong, missing])
