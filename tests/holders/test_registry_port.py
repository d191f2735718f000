"""The population-registry port: the dev table answers match/mismatch per field; the HTTP adapter
retries, then answers 503 when the registry is down (tested against a local stub on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from credential_service.app.problem import problem_body
from credential_service.holders.population_registry import DevPopulationRegistry, HttpPopulationRegistry, RegistryQuery
from credential_service.platform.db import Database
from credential_service.platform.errors import ServiceUnavailable

PIN = "031185004321"


def test_dev_registry_match_and_mismatch_per_field(sqlite_db_url: str) -> None:
    db = Database(sqlite_db_url)
    reg = DevPopulationRegistry(db)
    assert reg.add([(PIN, "Trần Thị Bình", date(1985, 4, 2), "Nữ")]) == 1
    ok = reg.verify(RegistryQuery(PIN, "  trần thị  BÌNH ", date(1985, 4, 2), "nữ"))
    assert ok.found and ok.matches and ok.fields == {"full_name": "match", "date_of_birth": "match", "sex": "match"}
    bad_name = reg.verify(RegistryQuery(PIN, "Trần Thị Bính", date(1985, 4, 2), "Nữ"))
    assert bad_name.fields == {"full_name": "mismatch", "date_of_birth": "match", "sex": "match"}
    bad_dob = reg.verify(RegistryQuery(PIN, "Trần Thị Bình", date(1985, 4, 3), "Nữ"))
    assert bad_dob.fields["date_of_birth"] == "mismatch" and not bad_dob.matches
    bad_sex = reg.verify(RegistryQuery(PIN, "Trần Thị Bình", date(1985, 4, 2), "Nam"))
    assert bad_sex.fields["sex"] == "mismatch"
    unknown = reg.verify(RegistryQuery("031185009999", "X", date(1985, 4, 2), "Nam"))
    assert not unknown.found and not unknown.matches
    assert PIN not in repr(RegistryQuery(PIN, "x", date(1985, 4, 2), "Nam"))
    db.dispose()


class _Stub(BaseHTTPRequestHandler):
    mode = "ok"
    calls = 0

    def do_POST(self) -> None:
        type(self).calls += 1
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.mode == "error":
            self.send_response(503)
            self.end_headers()
            return
        found = body["pin"] == PIN
        answer = {
            "found": found,
            "fields": {
                "full_name": "match" if body["full_name"] == "Trần Thị Bình" else "mismatch",
                "date_of_birth": "match",
                "sex": "match",
            }
            if found
            else {},
        }
        raw = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_Stub]]]:
    handler = type("Stub", (_Stub,), {"mode": "ok", "calls": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/verify", handler
    server.shutdown()
    server.server_close()


def test_http_registry_answers_per_field(stub: tuple[str, type[_Stub]]) -> None:
    url, _ = stub
    reg = HttpPopulationRegistry(url, timeout=2)
    assert reg.verify(RegistryQuery(PIN, "Trần Thị Bình", date(1985, 4, 2), "Nữ")).matches
    answer = reg.verify(RegistryQuery(PIN, "Trần Văn Bình", date(1985, 4, 2), "Nữ"))
    assert answer.found and answer.fields["full_name"] == "mismatch"
    assert not reg.verify(RegistryQuery("031185009999", "X", date(1985, 4, 2), "Nữ")).found


def test_http_registry_retries_then_503_when_the_registry_errors(stub: tuple[str, type[_Stub]]) -> None:
    url, handler = stub
    handler.mode = "error"
    reg = HttpPopulationRegistry(url, timeout=2, retries=2, sleep=lambda s: None)
    with pytest.raises(ServiceUnavailable) as exc:
        reg.verify(RegistryQuery(PIN, "Trần Thị Bình", date(1985, 4, 2), "Nữ"))
    assert handler.calls == 3
    body = problem_body(exc.value)
    assert body["status"] == 503 and body["code"] == "service-unavailable" and body["detail_vi"] and body["detail_en"]
    assert PIN not in json.dumps(body)


def test_http_registry_down_is_503_after_timeouts() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    reg = HttpPopulationRegistry(f"http://127.0.0.1:{port}/verify", timeout=0.5, retries=1, sleep=lambda s: None)
    with pytest.raises(ServiceUnavailable):
        reg.verify(RegistryQuery(PIN, "Trần Thị Bình", date(1985, 4, 2), "Nữ"))


def test_production_refuses_the_dev_receipt_key(tmp_path: object) -> None:
    from pathlib import Path

    from credential_service.platform.errors import ConfigurationError
    from credential_service.platform.settings import Settings

    tmp = Path(str(tmp_path))
    with pytest.raises(ConfigurationError, match="receipt"):
        Settings(
            env="production",
            keys_dir=tmp,
            trust_roots=[tmp / "r.pem"],
            ledger_key_path=tmp / "log.key",
            qr_key_path=tmp / "qr.key",
            qr_key_list_path=tmp / "keys.json",
            receipt_key_path=Path("keys/dev/receipt/receipt.key").resolve(),
        )
    s = Settings(env="production", keys_dir=tmp, trust_roots=[tmp / "r.pem"], ledger_key_path=tmp / "log.key")
    assert s.receipt_key_path == tmp / "receipt" / "receipt.key"


def test_linking_ignores_an_id_number_that_contradicts_the_record(sqlite_db_url: str) -> None:
    import uuid as _uuid

    from credential_service.holders.service import HolderService
    from credential_service.holders.tables import PersonIdentifier
    from credential_service.platform.settings import Settings
    from credential_service.staff.tables import School
    from credential_service.transcripts.tables import Student

    db = Database(sqlite_db_url)
    hs = HolderService(db, Settings(env="test", database_url=sqlite_db_url))
    with db.transaction() as s:
        s.add(School(id="s1", code="S1", name="Trường", province="Hải Phòng"))
        s.flush()
        for sid, pin in (("a", "031308123456"), ("b", "031309123456"), ("c", "031308123456")):
            s.add(
                Student(
                    id=sid,
                    school_id="s1",
                    student_code=sid,
                    full_name="Lê Thị Cúc",
                    date_of_birth=date(2008, 3, 14),
                    sex="Nữ",
                    personal_id=pin,
                )
            )
    pa, pb, pc = (hs.link_student(x, linked_by="t") for x in ("a", "b", "c"))
    assert pa == pc != pb  # the same valid PIN links to one person; a contradicting PIN links nothing
    with db.reader() as s:
        from sqlalchemy import select

        values = [v for (v,) in s.execute(select(PersonIdentifier.value))]
    assert values == ["031308123456"]
    assert _uuid.UUID(pa)
    db.dispose()
