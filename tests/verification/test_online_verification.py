"""Third-party verification against the issuer's public ledger over real HTTP (the app served by uvicorn on a
loopback port), and the bundle's signed status read back by the service:

* `sogoc-verify FILE --trust-list T --issuer URL`: the inclusion proof, the checkpoint signed by the pinned log
  key and the signed status come from the allow-listed issuer: PASSED, and the report names the source;
* an issuer not on the trust list's allow-list is refused (never contacted); one that cannot be reached is
  INDETERMINATE with a hint; one that has no proof for the record is NOT_IN_LEDGER;
* `sogoc verify` on a machine whose register does not know the credential asks the issuer (PASSED);
* a bundle whose status was edited is FAILED (STATUS_TAMPERED); a /1 bundle's status is INDETERMINATE;
* with witnesses configured, a checkpoint without their cosignature is INDETERMINATE (NOT_WITNESSED).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_issuer import closed_port, serve, trust_list_note
from verification_fixtures import Issued

from credential_service.app.bootstrap import build
from credential_service.app.factory import create_app
from credential_service.platform.db import migrate
from credential_service.platform.settings import Settings
from credential_service.verification.issuer_lookup import ask_issuer, note_issuer_answer
from verifier.bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_V1, Bundle
from verifier.checkpoint import Ed25519CosignatureSigner, cosign_checkpoint
from verifier.cli import main as sogoc_verify
from verifier.credential_check import check_credential
from verifier.trust_list import TrustList

REPO = Path(__file__).resolve().parents[2]
ROOT_CERT = str(REPO / "keys" / "dev" / "out" / "root.cert.pem")


@pytest.fixture(scope="module")
def issuer(issued: Issued) -> Iterator[str]:
    with serve(create_app(issued.container)) as url:
        yield url


def _files(issued: Issued, tmp_path: Path, trusted: list[str], **extra: Any) -> tuple[Path, Path]:
    cid = issued.ids[0]
    pdf = tmp_path / "hocba.pdf"
    pdf.write_bytes(issued.pdfs[cid])
    trust = tmp_path / "sogoc-trust-list.txt"
    trust.write_text(trust_list_note(issued.container, trusted, **extra), encoding="utf-8")
    return pdf, trust


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = sogoc_verify([*args, "--trust-root", ROOT_CERT, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _digest(issued: Issued, cid: str) -> str:
    return str(issued.container.verification.credential_status(cid).record_sha256)


def test_online_inclusion_against_the_issuers_public_ledger_is_passed(
    issued: Issued, issuer: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, trust = _files(issued, tmp_path, [issuer])
    code, d = _run(capsys, str(pdf), "--trust-list", str(trust), "--issuer", issuer)
    assert code == 0, d
    assert (d["indication"], d["pdf"]["indication"]) == ("PASSED", "PASSED")
    led = d["ledger"]
    assert (led["indication"], led["source"], led["status"], led["status_signed"]) == (
        "PASSED",
        "issuer",
        "valid",
        True,
    )
    assert led["location"].startswith(f"{issuer}/api/v1/credentials/{issued.ids[0]}/bundle.json")
    assert led["checked_at"] and led["status_as_of"] and led["checkpoint_size"] >= 3


def test_an_issuer_not_on_the_allow_list_is_refused(
    issued: Issued, issuer: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pdf, trust = _files(issued, tmp_path, ["https://sogoc.haiphong.edu.vn"])
    code, d = _run(capsys, str(pdf), "--trust-list", str(trust), "--issuer", issuer)
    assert code == 2, d
    assert (d["indication"], d["sub_indication"]) == ("INDETERMINATE", "ISSUER_NOT_ALLOWED")
    assert d["ledger"]["source"] is None and "Refused to contact" in d["ledger"]["detail"]["en"]
    assert "allow-list" in d["ledger"]["message"]["en"] and d["ledger"]["message"]["vi"]


def test_an_unreachable_issuer_is_indeterminate_with_a_hint(
    issued: Issued, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    down = f"http://127.0.0.1:{closed_port()}"
    pdf, trust = _files(issued, tmp_path, [down])
    code, d = _run(capsys, str(pdf), "--trust-list", str(trust), "--issuer", down)
    assert code == 2, d
    assert (d["indication"], d["sub_indication"]) == ("INDETERMINATE", "LEDGER_UNREACHABLE")
    assert "--bundle" in d["ledger"]["message"]["en"] and "cannot reach" in d["ledger"]["detail"]["en"]


def test_an_issuer_that_has_no_proof_for_the_record_is_not_in_ledger(issued: Issued, issuer: str) -> None:
    trust = TrustList.from_note(trust_list_note(issued.container, [issuer]))
    now = issued.container.clock.now()
    report = check_credential(issued.ids[0], "ef" * 32, trust=trust, now=now, issuer_url=issuer)
    assert (report.indication, report.sub_indication, report.source) == ("FAILED", "NOT_IN_LEDGER", "issuer")


def test_the_public_bundle_route_answers_only_whoever_holds_the_record(issued: Issued, issuer: str) -> None:
    cid = issued.ids[0]
    url = f"{issuer}/api/v1/credentials/{cid}/bundle.json"
    assert httpx.get(url, params={"record_sha256": "ef" * 32}, timeout=10).status_code == 404
    r = httpx.get(url, params={"record_sha256": _digest(issued, cid)}, timeout=10)
    assert r.status_code == 200 and r.json()["format"] == BUNDLE_FORMAT
    assert r.json()["status"]["statement"].startswith("sogoc-credential-status/v1\n")


def test_sogoc_verify_on_another_register_asks_the_issuer_and_is_passed(
    issued: Issued, issuer: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/elsewhere.db"
    migrate(url)
    elsewhere = build(Settings(env="test", database_url=url))  # same pinned keys, an empty register
    pdf = issued.pdfs[issued.ids[0]]
    asked = ask_issuer(elsewhere.verification, trust_list_note(issued.container, [issuer]), pdf, issuer)
    assert asked.outcome == "found" and asked.bundle is not None
    result = elsewhere.verification.verify_pdf(pdf, bundle=asked.bundle, issuer_register=False)
    result = note_issuer_answer(result, asked, elsewhere.clock.now().isoformat())
    assert (result.indication, result.sub_indication) == ("PASSED", None), result.to_dict()["checks"]
    assert result.ledger_source is not None and result.ledger_source["source"] == "issuer"
    refused = ask_issuer(elsewhere.verification, trust_list_note(issued.container, []), pdf, issuer)
    assert refused.outcome == "not_allowed"
    elsewhere.db.dispose()


def test_a_bundle_whose_status_was_edited_is_failed_and_a_v1_bundle_is_indeterminate(issued: Issued) -> None:
    svc = issued.container.verification
    cid = issued.ids[1]
    doc = json.loads(svc.bundle(cid).to_json())
    doc["status"]["status"] = "revoked"  # any edit of the plain status: it disagrees with the signed statement
    result = svc.verify_pdf(issued.pdfs[cid], bundle=Bundle.from_json(json.dumps(doc)))
    assert (result.indication, result.sub_indication) == ("FAILED", "STATUS_TAMPERED")
    doc = json.loads(svc.bundle(cid).to_json())
    doc["format"] = BUNDLE_FORMAT_V1
    del doc["status"]["statement"]
    result = svc.verify_pdf(issued.pdfs[cid], bundle=Bundle.from_json(json.dumps(doc)))
    assert (result.indication, result.sub_indication) == ("INDETERMINATE", "STATUS_UNSIGNED")
    assert result.ledger_source is not None and result.ledger_source["status_signed"] is False
    assert "fresh bundle" in result.message.en


def test_with_witnesses_configured_a_checkpoint_must_be_cosigned(issued: Issued) -> None:
    svc = issued.container.verification
    cid = issued.ids[2]
    witness = Ed25519CosignatureSigner("witness.example", os.urandom(32), clock=lambda: 1_780_000_000)
    saved = list(svc.ledger.witnesses)
    svc.ledger.witnesses = [witness.verifier()]
    try:
        bundle = svc.bundle(cid)
        result = svc.verify_pdf(issued.pdfs[cid], bundle=bundle)
        assert (result.indication, result.sub_indication) == ("INDETERMINATE", "NOT_WITNESSED")
        cosigned = replace(bundle, checkpoint=bundle.checkpoint + cosign_checkpoint(bundle.checkpoint, witness))
        result = svc.verify_pdf(issued.pdfs[cid], bundle=cosigned)
        assert (result.indication, result.sub_indication) == ("PASSED", None), result.to_dict()["checks"]
    finally:
        svc.ledger.witnesses = saved
