"""Public ledger endpoints (FastAPI TestClient) and `sogoc ledger …` including offline verify-proof."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from ledger_fixtures import Ledger, witness_signer
from staff_login import add_account, sign_in

from credential_service.app.bootstrap import build
from credential_service.app.cli import main
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.staff.roles import Role
from verifier.checkpoint import cosign_checkpoint, open_checkpoint
from verifier.note import Ed25519Signer, parse_vkey

PROBLEM = "application/problem+json"


@pytest.fixture
def client(led: Ledger) -> Iterator[TestClient]:
    settings = Settings(env="test", database_url=led.url, ledger_witness_vkeys=[witness_signer().verifier().vkey])
    container = build(settings)
    container.migrate()
    add_account(container, "ledger-admin", Role.SO_ADMIN)
    with TestClient(create_app(container)) as c:
        sign_in(c, "ledger-admin")  # publishing a checkpoint is the Sở admin's; reading is public
        yield c
    container.db.dispose()


def _problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["detail_vi"] and body["detail_en"]
    return body


def test_ledger_endpoints(client: TestClient, led: Ledger) -> None:
    _problem(client.get("/api/v1/ledger/checkpoint"), 404)
    led.append(9)
    published = client.post("/api/v1/ledger/checkpoint")
    assert published.status_code == 200 and published.json()["size"] == 9
    r = client.get("/api/v1/ledger/checkpoint")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    key = client.get("/api/v1/ledger/key").text.strip()
    cp = open_checkpoint(r.text, [parse_vkey(key)], "sogoc.haiphong.edu.vn/ledger/v1")
    assert cp.size == 9
    assert client.get("/api/v1/ledger/checkpoint/9").text == r.text
    _problem(client.get("/api/v1/ledger/checkpoint/4"), 404)

    proof = client.get("/api/v1/ledger/proof/inclusion", params={"seq": 2}).json()
    assert proof["index"] == 2 and proof["size"] == 9 and proof["root_hash"] == cp.root_hash.hex()
    cred = client.get(f"/api/v1/ledger/proof/inclusion/credential/{proof['credential_id']}").json()
    assert cred["index"] == 2
    _problem(client.get("/api/v1/ledger/proof/inclusion/credential/nope"), 404)
    _problem(client.get("/api/v1/ledger/proof/inclusion", params={"seq": 9}), 404)
    _problem(client.get("/api/v1/ledger/proof/inclusion", params={"seq": -1}), 422)
    led.append(3)
    client.post("/api/v1/ledger/checkpoint")
    cons = client.get("/api/v1/ledger/proof/consistency", params={"from": 9, "to": 12}).json()
    assert (cons["old_size"], cons["new_size"]) == (9, 12) and cons["proof"]
    _problem(client.get("/api/v1/ledger/proof/consistency", params={"from": 13, "to": 12}), 422)

    page = client.get("/api/v1/ledger/entries", params={"start": 10, "limit": 5}).json()
    assert [e["seq"] for e in page["entries"]] == [10, 11] and page["next"] is None
    _problem(client.get("/api/v1/ledger/entries", params={"limit": 0}), 422)

    line = cosign_checkpoint(client.get("/api/v1/ledger/checkpoint/12").text, witness_signer())
    ok = client.post("/api/v1/ledger/cosignatures", json={"size": 12, "cosignature": line})
    assert ok.status_code == 200, ok.text
    assert client.get("/api/v1/ledger/checkpoint").text.endswith(line)
    stranger = cosign_checkpoint(
        client.get("/api/v1/ledger/checkpoint/12").text, witness_signer("x.example/w", bytes(32))
    )
    body = _problem(client.post("/api/v1/ledger/cosignatures", json={"size": 12, "cosignature": stranger}), 403)
    assert "x.example/w" in body["detail_en"]
    _problem(client.post("/api/v1/ledger/cosignatures", json={"size": 12, "cosignature": "garbage"}), 422)
    assert "/api/v1/ledger/proof/consistency" in client.get("/openapi.json").json()["paths"]


def _cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = main(["--database-url", url, "ledger", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_publish_proof_and_offline_verify(led: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    led.append(6)
    code, note_old, _ = _cli(capsys, led.url, "publish")
    assert code == 0 and note_old.splitlines()[1] == "6"
    led.append(5)
    assert _cli(capsys, led.url, "publish")[0] == 0
    code, note, _ = _cli(capsys, led.url, "checkpoint")
    assert code == 0 and note.splitlines()[1] == "11"
    code, vkey, _ = _cli(capsys, led.url, "key")
    files = {"cp": note, "old": note_old, "vkey": vkey}
    code, out, _ = _cli(capsys, led.url, "proof", "--seq", "7")
    files["incl"] = out
    code, out, _ = _cli(capsys, led.url, "proof", "--from", "6", "--to", "11")
    files["cons"] = out
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    p = {k: str(tmp_path / k) for k in files}

    assert main(["ledger", "verify-proof", "--proof", p["incl"], "--checkpoint", p["cp"], "--key", vkey.strip()]) == 0
    assert "entry 7" in capsys.readouterr().out
    args = ["ledger", "verify-proof", "--proof", p["cons"], "--checkpoint", p["cp"], "--key", p["vkey"]]
    assert main([*args, "--old-checkpoint", p["old"]]) == 0
    capsys.readouterr()
    # a proof for the wrong checkpoint, a tampered proof, a wrong key: exit 1
    assert main(["ledger", "verify-proof", "--proof", p["incl"], "--checkpoint", p["old"], "--key", p["vkey"]]) == 1
    bad = json.loads(files["incl"])
    bad["proof"][0] = "00" * 32
    (tmp_path / "bad").write_text(json.dumps(bad))
    assert (
        main(["ledger", "verify-proof", "--proof", str(tmp_path / "bad"), "--checkpoint", p["cp"], "--key", p["vkey"]])
        == 1
    )
    other = Ed25519Signer("sogoc.haiphong.edu.vn/ledger/v1", bytes(32)).vkey  # same name, another key
    assert main(["ledger", "verify-proof", "--proof", p["incl"], "--checkpoint", p["cp"], "--key", other]) != 0
    err = capsys.readouterr().err
    assert "INVALID" in err or "Error" in err
    assert (
        main(
            [
                "ledger",
                "verify-proof",
                "--proof",
                str(tmp_path / "missing"),
                "--checkpoint",
                p["cp"],
                "--key",
                p["vkey"],
            ]
        )
        == 2
    )


def test_cli_audit_exits_non_zero_and_names_the_first_bad_position(
    led: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    led.append(10)
    led.svc.publish()
    code, out, _ = _cli(capsys, led.url, "audit")
    assert code == 0 and "consistent" in out
    led.drop_triggers("ledger_entries")
    led.sql("DELETE FROM ledger_entries WHERE seq = 4")
    code, out, err = _cli(capsys, led.url, "audit", "--json")
    assert code == 1
    assert "first bad position: 4" in err
    assert json.loads(out)["first"]["position"] == 4
