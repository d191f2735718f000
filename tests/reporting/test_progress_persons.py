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
from credential_service.holders.tables import Person, PersonIdentifier
from credential_service.reporting.person_rules import (
    SAME_NAME_DOB,
    SAME_PIN,
    PersonFacts,
    duplicate_groups,
    person_quality,
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
    assert summary["registry_mismatches"] is None and summary["not_counted_vi"] and summary["not_counted_en"]


def test_a_person_in_two_groups_is_counted_once() -> None:
    persons = [
        PersonFacts("a", "X", BORN, ("031210000001", "031210000009")),
        PersonFacts("b", "X", BORN, ("031210000001",)),
        PersonFacts("c", "X", BORN, ("031210000009",)),
    ]
    assert person_quality(persons)["duplicate_persons"] == 3 and len(duplicate_groups(persons)) == 2


def _person(c: Container, name: str, pin: str | None) -> str:
    pid = str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(Person(id=pid, full_name=name, date_of_birth=BORN, sex="Nam", created_at=c.clock.now()))
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
    assert {row["person_id"] for row in rows} >= {a, b, c, d} and len(rows) == body["duplicate_persons"]
    sign_in(client, "inspector")
    assert client.get("/api/v1/progress/quality/persons").status_code == 403
