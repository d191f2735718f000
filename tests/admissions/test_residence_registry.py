"""Grades 1 and 6 with residence and date of birth from the population registry (issue #15 item 5, "in the
service, residence and age come from the population-registry port, not from the form").

The production HTTP adapter is tested against a real HTTP server on 127.0.0.1 that this module starts (as the
holders' ``HttpPopulationRegistry`` tests do), and the API is wired to it through the settings, so the route, the
adapter and the access log are the real ones end to end.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient
from staff_login import add_account, sign_in

from credential_service.admissions.residence import Outcome
from credential_service.admissions.residence_registry import (
    DevResidenceRegistry,
    HttpResidenceRegistry,
    dev_children,
    residence_registry_for,
)
from credential_service.admissions.service import RESIDENCE_PURPOSE
from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.app.problem import problem_body
from credential_service.holders.access_log import holder_entries
from credential_service.holders.tables import AccessLogEntry, Person, PersonIdentifier
from credential_service.platform.errors import ConfigurationError, NotAuthorised, ServiceUnavailable
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role

PATH = "/api/v1/admissions/residence-allocations"
JSON_HEADERS = {"content-type": "application/json"}
AN, BINH, CUONG, DUNG = "031220000101", "031220000102", "031221000103", "031220000199"  # DUNG: not in the registry
HOA = "031215000104"  # born 2015: 11 in 2026, of grade-6 age
PEOPLE = {
    AN: {"residence": "Phường Lê Chân", "date_of_birth": "2020-03-01"},
    BINH: {"residence": "Phường Ngô Quyền", "date_of_birth": "2020-05-09"},
    CUONG: {"residence": "Phường Lê Chân", "date_of_birth": "2021-01-02"},  # 5 in 2026: too young for grade 1
    HOA: {"residence": "Phường Lê Chân", "date_of_birth": "2015-08-20"},
}
LE_CHAN = {"code": "TH-LE-CHAN", "quota": 2, "areas": ["Phường Lê Chân"]}


class _Registry(BaseHTTPRequestHandler):
    """A population registry on 127.0.0.1: answers the residence and date of birth of the IDs it knows."""

    mode: ClassVar[str] = "ok"  # ok | error | malformed | stranger | refuse
    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(body)
        if self.mode in ("error", "refuse"):
            self.send_response(503 if self.mode == "error" else 400)
            self.end_headers()
            return
        people = {p: PEOPLE[p] for p in body["personal_ids"] if p in PEOPLE}
        if self.mode == "stranger":
            people["031299999999"] = PEOPLE[AN]  # an ID nobody asked about
        raw = b'{"people": [' if self.mode == "malformed" else json.dumps({"people": people}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def registry() -> Iterator[tuple[str, type[_Registry]]]:
    handler = type("Registry", (_Registry,), {"mode": "ok", "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/residence", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def stub(registry: tuple[str, type[_Registry]]) -> tuple[str, type[_Registry]]:
    url, handler = registry
    handler.mode, handler.calls = "ok", []
    return url, handler


def form(applicants: list[dict[str, str]], *, grade: int = 1, schools: list[Any] | None = None) -> bytes:
    data = {"seed": "HP-2026-lop1", "grade": grade, "year": 2026, "schools": schools or [LE_CHAN],
            "applicants": applicants}  # fmt: skip
    return json.dumps(data, ensure_ascii=False).encode()


CHILDREN = [
    {"id": "HS01", "personal_id": AN, "wish": "TH-LE-CHAN"},
    {"id": "HS02", "personal_id": BINH, "wish": "TH-LE-CHAN"},
    {"id": "HS03", "personal_id": CUONG, "wish": "TH-LE-CHAN"},
    {"id": "HS04", "personal_id": DUNG, "wish": "TH-LE-CHAN"},
]


# -- the HTTP adapter ------------------------------------------------------------------------------------------


def test_the_http_adapter_asks_in_batches_for_residence_and_birth_date_only(
    stub: tuple[str, type[_Registry]],
) -> None:
    url, handler = stub
    facts = HttpResidenceRegistry(url, timeout=2, batch=2).residence_facts([AN, BINH, CUONG, DUNG])
    assert set(facts) == {AN, BINH, CUONG}  # DUNG unknown: absent from the answer
    assert facts[AN].residence == "Phường Lê Chân" and facts[AN].date_of_birth == date(2020, 3, 1)
    assert [c["personal_ids"] for c in handler.calls] == [[AN, BINH], [CUONG, DUNG]]
    assert all(c["fields"] == ["residence", "date_of_birth"] for c in handler.calls)
    assert AN not in repr(facts[AN]) and "Lê Chân" not in repr(facts[AN])


def test_the_http_adapter_retries_then_answers_503_in_both_languages_and_logs_no_id(
    stub: tuple[str, type[_Registry]], caplog: pytest.LogCaptureFixture
) -> None:
    url, handler = stub
    handler.mode = "error"
    with caplog.at_level(logging.WARNING), pytest.raises(ServiceUnavailable) as e:
        HttpResidenceRegistry(url, timeout=2, retries=2, sleep=lambda s: None).residence_facts([AN])
    assert len(handler.calls) == 3
    body = problem_body(e.value)
    assert body["status"] == 503 and body["detail_vi"] and body["detail_en"]
    assert AN not in json.dumps(body) and AN not in caplog.text and "HTTP 503" in caplog.text


@pytest.mark.parametrize("mode", ["malformed", "stranger"])
def test_a_malformed_answer_or_one_about_an_id_not_asked_is_refused_whole(
    stub: tuple[str, type[_Registry]], mode: str
) -> None:
    url, handler = stub
    handler.mode = mode
    with pytest.raises(ServiceUnavailable):
        HttpResidenceRegistry(url, timeout=2, sleep=lambda s: None).residence_facts([AN])
    assert len(handler.calls) == 1  # a bad answer is not retried


def test_a_refused_request_is_a_configuration_error_not_retried(stub: tuple[str, type[_Registry]]) -> None:
    url, handler = stub
    handler.mode = "refuse"
    with pytest.raises(ConfigurationError):
        HttpResidenceRegistry(url, timeout=2, sleep=lambda s: None).residence_facts([AN])
    assert len(handler.calls) == 1


def test_an_unreachable_registry_is_503_after_timeouts() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    registry = HttpResidenceRegistry(f"http://127.0.0.1:{port}/r", timeout=0.5, retries=1, sleep=lambda s: None)
    with pytest.raises(ServiceUnavailable):
        registry.residence_facts([AN])


def test_the_settings_pick_the_adapter_dev_by_default_and_production_needs_a_url() -> None:
    assert isinstance(residence_registry_for("http://127.0.0.1:9/r"), HttpResidenceRegistry)
    dev = residence_registry_for(None)
    assert isinstance(dev, DevResidenceRegistry) and dev.children == dev_children()
    with pytest.raises(ConfigurationError) as e:
        residence_registry_for(None, production=True)
    assert "SOGOC_RESIDENCE_REGISTRY_URL" in e.value.message.en
    with pytest.raises(ConfigurationError):
        HttpResidenceRegistry("file:///etc/passwd")


# -- the API ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def api(
    tmp_path_factory: pytest.TempPathFactory, registry: tuple[str, type[_Registry]]
) -> Iterator[tuple[Container, TestClient, TestClient]]:
    from credential_service.platform.db import migrate

    url = f"sqlite:///{tmp_path_factory.mktemp('residence-registry')}/r.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url, residence_registry_url=registry[0]))
    add_account(c, "tuyen-sinh", Role.SO_ADMISSIONS)
    add_account(c, "can-bo-phuong", Role.COMMUNE_OFFICER, commune="Phường Lê Chân")
    app = create_app(c)
    officer, commune = TestClient(app), TestClient(app)
    sign_in(officer, "tuyen-sinh")
    sign_in(commune, "can-bo-phuong")
    yield c, officer, commune
    c.db.dispose()


def _entries(c: Container) -> list[AccessLogEntry]:
    with c.db.reader() as s:
        return list(s.query(AccessLogEntry).filter(AccessLogEntry.purpose == RESIDENCE_PURPOSE).all())


def _person(c: Container, pin: str) -> str:
    pid, now = str(uuid.uuid4()), c.clock.now()
    with c.db.transaction() as s:
        s.add(Person(id=pid, full_name="Nguyễn Văn An", date_of_birth=date(2020, 3, 1), sex="Nam", created_at=now))
        s.flush()
        s.add(PersonIdentifier(id=str(uuid.uuid4()), person_id=pid, kind="pin", value=pin, valid_from=None,
                               valid_to=None, source="test", created_at=now))  # fmt: skip
    return pid


def test_the_officer_allocates_from_the_registry_and_each_child_asked_goes_to_their_log(
    api: tuple[Container, TestClient, TestClient], stub: tuple[str, type[_Registry]]
) -> None:
    c, officer, _ = api
    _, handler = stub
    an = _person(c, AN)
    before = len(_entries(c))
    r = officer.post(PATH, content=form(CHILDREN), headers=JSON_HEADERS)
    assert r.status_code == 200, r.text
    out = r.json()
    a = out["assignments"]
    assert a["HS01"]["school"] == "TH-LE-CHAN" and a["HS01"]["outcome"] == Outcome.ADMITTED
    assert a["HS02"]["outcome"] == Outcome.NOT_RESIDENT and "Ngô Quyền" in a["HS02"]["vi"]
    assert [c["personal_ids"] for c in handler.calls] == [sorted([AN, BINH, CUONG, DUNG])]
    # Nobody is dropped: the unknown child and the one of the wrong age are listed for the commune, with why.
    reasons = {x["id"]: x["reason"] for x in out["reassignment"]}
    assert set(reasons) == {"HS02", "HS03", "HS04"} and out["summary"]["applicants"] == 4
    assert "population database" in reasons["HS04"]["en"] and "CSDL quốc gia về dân cư" in reasons["HS04"]["vi"]
    assert AN not in r.text and DUNG not in r.text  # the personal IDs do not leave in the result
    # One entry per child asked about, by the signed-in officer, with the purpose and the legal basis.
    entries = _entries(c)[before:]
    assert len(entries) == 4
    assert {e.actor_name for e in entries} == {"Cán bộ tuyen-sinh (tuyen-sinh)"}
    assert all(e.actor_kind == "staff" and e.event == "staff_read" for e in entries)
    assert "legal basis" in RESIDENCE_PURPOSE and "NĐ 70/2024" in RESIDENCE_PURPOSE
    with c.db.reader() as s:
        mine = [e for e in holder_entries(s, an) if e["purpose"] == RESIDENCE_PURPOSE]
    assert len(mine) == 1 and mine[0]["who"] == "Cán bộ tuyen-sinh (tuyen-sinh)"


def test_a_child_of_the_wrong_age_for_the_grade_is_referred_with_the_charter_age(
    api: tuple[Container, TestClient, TestClient], stub: tuple[str, type[_Registry]]
) -> None:
    _, officer, _ = api
    grade1 = officer.post(PATH, content=form(CHILDREN[2:3]), headers=JSON_HEADERS).json()["assignments"]["HS03"]
    assert grade1["outcome"] == Outcome.REFERRED and grade1["school"] is None
    assert "5 tuổi" in grade1["vi"] and "not the charter's 6 for grade 1" in grade1["en"]
    grade6 = [{"id": "HS01", "personal_id": AN, "wish": "TH-LE-CHAN"}, {"id": "HS05", "personal_id": HOA,
              "wish": "TH-LE-CHAN"}]  # fmt: skip
    out = officer.post(PATH, content=form(grade6, grade=6), headers=JSON_HEADERS).json()["assignments"]
    assert out["HS01"]["outcome"] == Outcome.REFERRED and "not the charter's 11 for grade 6" in out["HS01"]["en"]
    assert out["HS05"]["school"] == "TH-LE-CHAN"


def test_the_form_may_not_carry_a_residence_and_bad_forms_ask_no_one(
    api: tuple[Container, TestClient, TestClient], stub: tuple[str, type[_Registry]]
) -> None:
    c, officer, _ = api
    _, handler = stub
    before = len(_entries(c))
    typed = [{**CHILDREN[0], "residence": "Phường Lê Chân"}]
    r = officer.post(PATH, content=form(typed), headers=JSON_HEADERS)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert [e["location"]["key"] for e in r.json()["errors"]] == ["applicants[0].residence"]
    assert handler.calls == [] and len(_entries(c)) == before


def test_a_registry_that_is_down_is_a_bilingual_503_and_nothing_is_logged(
    api: tuple[Container, TestClient, TestClient], stub: tuple[str, type[_Registry]]
) -> None:
    c, officer, _ = api
    _, handler = stub
    handler.mode = "error"
    before = len(_entries(c))
    r = officer.post(PATH, content=form(CHILDREN), headers=JSON_HEADERS)
    assert r.status_code == 503 and r.json()["detail_vi"] and r.json()["detail_en"]
    assert AN not in r.text and len(_entries(c)) == before


def test_the_route_refuses_other_roles_and_anonymous_callers_and_asks_no_one(
    api: tuple[Container, TestClient, TestClient], stub: tuple[str, type[_Registry]]
) -> None:
    c, officer, commune = api
    _, handler = stub
    before = len(_entries(c))
    r = commune.post(PATH, content=form(CHILDREN), headers=JSON_HEADERS)
    assert r.status_code == 403 and r.json()["code"] == "not-authorised"
    assert TestClient(officer.app).post(PATH, content=form(CHILDREN), headers=JSON_HEADERS).status_code == 401
    assert handler.calls == [] and len(_entries(c)) == before


# -- the CLI ------------------------------------------------------------------------------------------------------


def test_the_cli_from_registry_reads_the_dev_children_and_logs_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from credential_service.admissions.cli import cmd_residence

    monkeypatch.setenv("SOGOC_ENV", "test")
    monkeypatch.delenv("SOGOC_RESIDENCE_REGISTRY_URL", raising=False)
    path = tmp_path / "lop1.json"
    known, unknown = "031220000001", "031220009999"  # dev_children(): 031220000001 is a synthetic child
    school = {"code": "TH-LE-CHAN", "quota": 2, "areas": [dev_children()[known].residence]}
    children = [{"id": "HS01", "personal_id": known, "wish": "TH-LE-CHAN"},
                {"id": "HS02", "personal_id": unknown, "wish": "TH-LE-CHAN"}]  # fmt: skip
    path.write_bytes(form(children, schools=[school]))
    url = f"sqlite:///{tmp_path}/cli.db"
    args = argparse.Namespace(file=str(path), out=None, from_registry=True, actor="cli-dev", database_url=url)
    assert cmd_residence(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["assignments"]["HS01"]["school"] == "TH-LE-CHAN"
    assert out["assignments"]["HS02"]["outcome"] == Outcome.REFERRED
    c = build(Settings(env="test", database_url=url))
    assert [e.actor_name for e in _entries(c)] == ["cli-dev", "cli-dev"]
    # Outside development the command reads no one (production: the API, with the officer's own account).
    monkeypatch.setenv("SOGOC_ENV", "production")
    with pytest.raises((NotAuthorised, ConfigurationError)):
        cmd_residence(args)
    assert len(_entries(c)) == 2 and capsys.readouterr().out == ""
    c.db.dispose()


def test_the_access_log_keeps_the_purpose_and_legal_basis_whole_on_each_backend(db_url: str) -> None:
    """The purpose names the legal basis in both languages; PostgreSQL's column holds 255 characters."""
    c = build(Settings(env="test", database_url=db_url))
    registry = DevResidenceRegistry({AN: dev_children()["031220000001"]})
    document = form([{"id": "HS01", "personal_id": AN, "wish": "TH-LE-CHAN"},
                     {"id": "HS02", "personal_id": DUNG, "wish": "TH-LE-CHAN"}])  # fmt: skip
    c.admissions.allocate_residence(document, registry, actor="Cán bộ tuyển sinh")
    entries = _entries(c)
    assert [e.purpose for e in entries] == [RESIDENCE_PURPOSE, RESIDENCE_PURPOSE]
    assert {e.actor_name for e in entries} == {"Cán bộ tuyển sinh"} and registry.asked == [AN, DUNG]
    c.db.dispose()
