"""The admissions API end to end on a migrated database: rules, workbook, allocation, one applicant's read in
their access log; only the Sở admissions officer changes anything, the inspector reads, others are refused."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date
from importlib.resources import files
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from staff_login import add_account, sign_in

from credential_service.admissions.import_files import write_workbook
from credential_service.admissions.synthetic import synthetic_records
from credential_service.admissions.tables import AdmissionApplicant
from credential_service.admissions.year_rules import parse_toml_config
from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.holders.access_log import holder_entries
from credential_service.holders.tables import Person, PersonIdentifier
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role

YEAR = "2026-2027"
RULES = files("credential_service.admissions").joinpath("demo_2026.toml").read_text(encoding="utf-8")
ISSUE_EXAMPLE = Path(__file__).with_name("issue_example.json")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, TestClient, TestClient, TestClient]]:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('admissions')}/a.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    add_account(c, "tuyen-sinh", Role.SO_ADMISSIONS)
    add_account(c, "thanh-tra", Role.INSPECTOR)
    add_account(c, "can-bo-phuong", Role.COMMUNE_OFFICER, commune="Phường Lê Chân")
    app = create_app(c)
    clients = []
    for name in ("tuyen-sinh", "thanh-tra", "can-bo-phuong"):
        client = TestClient(app)
        sign_in(client, name)
        clients.append(client)
    yield c, *clients  # type: ignore[misc]
    c.db.dispose()


def upload(client: TestClient, path: str, data: bytes, name: str) -> dict:
    r = client.post(path, files={"file": (name, data)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_the_officer_loads_rules_imports_the_workbook_and_allocates(world: tuple) -> None:
    _, officer, inspector, _ = world
    r = officer.put(f"/api/v1/admissions/{YEAR}/rules", files={"file": ("2026.toml", RULES.encode())})
    assert r.status_code == 200 and r.json() == {"schools": 8, "wishes": 3, "year": YEAR}, r.text
    config = parse_toml_config(RULES)
    workbook = write_workbook(synthetic_records(config, 400), config)
    summary = upload(officer, f"/api/v1/admissions/{YEAR}/applicants/import", workbook, "ts.xlsx")
    assert summary["applicants"] == 400
    run = officer.post(f"/api/v1/admissions/{YEAR}/allocations")
    assert run.status_code == 200, run.text
    body = run.json()
    assert body["applicants"] == 400 and body["admitted"] > 0
    full = inspector.get(f"/api/v1/admissions/allocations/{body['run_id']}")
    assert full.status_code == 200 and len(full.json()["assignments"]) == 400
    again = officer.post(f"/api/v1/admissions/{YEAR}/allocations").json()
    assert again["output_sha256"] == body["output_sha256"] and again["input_sha256"] == body["input_sha256"]
    assert inspector.get(f"/api/v1/admissions/{YEAR}/rules").json()["rules"]["wish_offsets"] == [0, 1, 2]


def test_reading_one_applicant_goes_to_their_access_log(world: tuple) -> None:
    c, _, inspector, _ = world
    with c.db.transaction() as s:
        row = s.query(AdmissionApplicant).filter_by(year=YEAR).order_by(AdmissionApplicant.registration_no).first()
        assert row is not None
        person = str(uuid.uuid4())
        s.add(Person(id=person, full_name="Thí Sinh Demo", date_of_birth=date(2011, 3, 4), sex="Nữ",
                     created_at=c.clock.now()))  # fmt: skip
        s.flush()
        s.add(PersonIdentifier(id=str(uuid.uuid4()), person_id=person, kind="pin", value=row.personal_id,
                               valid_from=None, valid_to=None, source="test", created_at=c.clock.now()))  # fmt: skip
        sbd = row.registration_no
    r = inspector.get(f"/api/v1/admissions/{YEAR}/applicants/{sbd}")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["explanation"] and "personal_id" not in r.json()
    with c.db.reader() as s:
        reads = [e for e in holder_entries(s, person) if e.get("event") == "staff_read"]
    assert len(reads) == 1 and "thanh-tra" in reads[0]["who"] and reads[0]["purpose"] == "admissions.applicant"


def test_a_bad_workbook_imports_nothing_and_names_each_cell(world: tuple) -> None:
    c, officer, _, _ = world
    # the year's rules, whichever test of this module ran first on this worker (pytest-xdist splits a module)
    r = officer.put(f"/api/v1/admissions/{YEAR}/rules", files={"file": ("2026.toml", RULES.encode())})
    assert r.status_code == 200, r.text
    config = parse_toml_config(RULES)
    records = synthetic_records(config, 50)
    bad = write_workbook([*records[:-1], records[-1].__class__(records[-1].registration_no, "123", {}, False)], config)
    before = c.admissions.counts(YEAR)["applicants"]
    r = officer.post(f"/api/v1/admissions/{YEAR}/applicants/import", files={"file": ("bad.xlsx", bad)})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    columns = {(p["location"]["row"], p["location"]["column"]) for p in r.json()["errors"]}
    assert columns == {(51, "Số định danh")}
    assert c.admissions.counts(YEAR)["applicants"] == before


def test_only_the_admissions_officer_changes_anything(world: tuple) -> None:
    _, officer, inspector, principal = world
    for client in (inspector, principal):
        r = client.post(f"/api/v1/admissions/{YEAR}/allocations")
        assert r.status_code == 403 and r.json()["code"] == "not-authorised"
    assert principal.get(f"/api/v1/admissions/{YEAR}/rules").status_code == 403
    assert TestClient(officer.app).get(f"/api/v1/admissions/{YEAR}/rules").status_code == 401


def test_the_stateless_allocation_answers_the_issue_example_as_the_cli_does(world: tuple) -> None:
    from credential_service.admissions.cli import cmd_allocate  # noqa: F401  (same function behind both)
    from credential_service.admissions.service import allocate_document

    _, officer, _, _ = world
    body = ISSUE_EXAMPLE.read_bytes()
    r = officer.post("/api/v1/admissions/allocate", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.content == allocate_document(body)
    assert json.loads(r.content)["assignments"]["A01"]["school"] == "CHUYEN-TOAN"
    assert b'"total":38.50' in r.content
    bad = officer.post("/api/v1/admissions/allocate", content=b'{"rules": {}}')
    assert bad.status_code == 422 and bad.json()["errors"]
