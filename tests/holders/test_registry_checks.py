"""Person records checked against the population registry (issue #16 item 1): the dev registry of synthetic
citizens answers; the latest outcome per person is kept (the fields that disagreed, never the values), each
person checked gets an entry in their access log, the run goes in chunks and keeps what was stored when the
registry goes down. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from credential_service.app.bootstrap import build
from credential_service.app.cli import main
from credential_service.holders.access_log import holder_entries
from credential_service.holders.population_registry import (
    DevPopulationRegistry,
    RegistryAnswer,
    RegistryQuery,
    _unavailable,
)
from credential_service.holders.registry_checks import PURPOSE, check_persons, outcome_of
from credential_service.holders.tables import AccessLogEntry, Person, PersonIdentifier, PersonRegistryCheck
from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import ServiceUnavailable
from credential_service.platform.settings import Settings

BORN = date(2009, 5, 17)  # a date of birth on the record: not "today"


def _person(db: Database, clock: FixedClock, name: str, born: date, sex: str, pin: str | None) -> str:
    pid = str(uuid.uuid4())
    with db.transaction() as s:
        s.add(Person(id=pid, full_name=name, date_of_birth=born, sex=sex, created_at=clock.now()))
        s.flush()
        if pin:
            s.add(
                PersonIdentifier(
                    id=str(uuid.uuid4()), person_id=pid, kind="pin", value=pin, source="test", created_at=clock.now()
                )
            )
    return pid


def _checks(db: Database) -> dict[str, tuple[str, list[str], str]]:
    with db.reader() as s:
        rows = s.execute(select(PersonRegistryCheck)).scalars()
        return {r.person_id: (r.outcome, list(r.mismatched_fields), r.checked_at.isoformat()) for r in rows}


def _registry_logs(db: Database, person_id: str) -> int:
    with db.reader() as s:
        rows = s.execute(
            select(AccessLogEntry).where(AccessLogEntry.person_id == person_id, AccessLogEntry.purpose == PURPOSE)
        )
        return len(list(rows.scalars()))


def _city(db: Database, clock: FixedClock) -> dict[str, str]:
    DevPopulationRegistry(db).add(
        [
            ("031209000101", "Nguyễn Văn An", BORN, "Nam"),
            ("031309000102", "Trần Thị Bình", BORN, "Nữ"),
        ]
    )
    return {
        "match": _person(db, clock, "nguyễn  văn an", BORN, "Nam", "031209000101"),
        "wrong_dob": _person(db, clock, "Trần Thị Bình", BORN + timedelta(days=1), "Nữ", "031309000102"),
        "not_found": _person(db, clock, "Lê Văn Cường", BORN, "Nam", "031209000999"),
        "no_id": _person(db, clock, "Phạm Thị Dung", BORN, "Nữ", None),
    }


def test_outcome_names_only_the_fields_that_disagree() -> None:
    assert outcome_of(RegistryAnswer(False, {})) == ("not_found", [])
    assert outcome_of(RegistryAnswer(True, {"full_name": "match", "date_of_birth": "match"})) == ("match", [])
    both = RegistryAnswer(True, {"full_name": "mismatch", "date_of_birth": "match", "sex": "mismatch"})
    assert outcome_of(both) == ("mismatch", ["full_name", "sex"])


def test_each_person_with_a_number_is_checked_logged_and_a_rerun_replaces_the_outcome(db_url: str) -> None:
    clock = FixedClock(SystemClock().now())
    db = Database(db_url)
    people = _city(db, clock)
    registry = DevPopulationRegistry(db)
    run = check_persons(db, registry, clock, checked_by="Phòng QLCL — Nguyễn Kiểm Tra", chunk=2)
    assert run.to_dict() == {"checked": 3, "match": 1, "mismatch": 1, "not_found": 1} and len(PURPOSE) <= 255
    checks = _checks(db)
    assert checks[people["match"]][:2] == ("match", [])
    assert checks[people["wrong_dob"]][:2] == ("mismatch", ["date_of_birth"])
    assert checks[people["not_found"]][:2] == ("not_found", [])
    assert people["no_id"] not in checks
    assert checks[people["match"]][2] == clock.now().isoformat()
    with db.reader() as s:
        stored = s.get(PersonRegistryCheck, people["wrong_dob"])
        assert stored is not None and stored.checked_by.startswith("Phòng QLCL")
        assert str(BORN) not in str(stored.mismatched_fields)  # the names of fields, never the values
    for key in ("match", "wrong_dob", "not_found"):
        assert _registry_logs(db, people[key]) == 1
    assert _registry_logs(db, people["no_id"]) == 0
    with db.reader() as s:  # what the holder reads: labelled, with the purpose and the legal basis
        entry = holder_entries(s, people["wrong_dob"])[0]
    assert entry["who"] == "Phòng QLCL — Nguyễn Kiểm Tra" and "CSDL quốc gia về dân cư" in entry["purpose"]
    assert entry["event_label"]["vi"] and [f["key"] for f in entry["field_labels"]] == [
        "holder_name",
        "date_of_birth",
        "sex",
    ]

    # the record is corrected; a run a day later replaces the latest outcome and logs again
    with db.transaction() as s:
        person = s.get(Person, people["wrong_dob"])
        assert person is not None
        person.date_of_birth = BORN
    clock.advance(timedelta(days=1))
    again = check_persons(db, registry, clock, checked_by="cli", person_ids=[people["wrong_dob"]])
    assert again.to_dict() == {"checked": 1, "match": 1, "mismatch": 0, "not_found": 0}
    checks = _checks(db)
    assert checks[people["wrong_dob"]] == ("match", [], clock.now().isoformat()) and len(checks) == 3
    assert _registry_logs(db, people["wrong_dob"]) == 2
    assert check_persons(db, registry, clock, checked_by="cli", limit=2).checked == 2
    db.dispose()


class _GoesDown:
    """The dev registry that stops answering after ``answers`` questions (the registry going down mid-run)."""

    def __init__(self, registry: DevPopulationRegistry, answers: int) -> None:
        self.registry, self.left = registry, answers

    def verify(self, query: RegistryQuery) -> RegistryAnswer:
        if self.left == 0:
            raise _unavailable("test: connection refused")
        self.left -= 1
        return self.registry.verify(query)


def test_a_registry_that_goes_down_stops_the_run_and_keeps_what_was_stored(sqlite_db_url: str) -> None:
    clock = FixedClock(SystemClock().now())
    db = Database(sqlite_db_url)
    _city(db, clock)
    with pytest.raises(ServiceUnavailable) as e:
        check_persons(db, _GoesDown(DevPopulationRegistry(db), 2), clock, checked_by="cli", chunk=1)
    assert "CSDL quốc gia về dân cư" in e.value.message.vi and "population database" in e.value.message.en
    assert len(_checks(db)) == 2
    with db.reader() as s:
        assert len(list(s.execute(select(AccessLogEntry).where(AccessLogEntry.purpose == PURPOSE)).scalars())) == 2
    db.dispose()


def test_the_cli_checks_and_names_the_acting_person(sqlite_db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    people = _city(c.db, FixedClock(c.clock.now()))
    assert (
        main(["holder", "registry-check", "--checked-by", "Sở GDĐT — kiểm tra", "--database-url", sqlite_db_url]) == 0
    )
    out = capsys.readouterr().out
    assert "Đã đối chiếu 3 người" in out and "checked 3 persons" in out
    assert _checks(c.db)[people["wrong_dob"]][:2] == ("mismatch", ["date_of_birth"])
    c.db.dispose()
