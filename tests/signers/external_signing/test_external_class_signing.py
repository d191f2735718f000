"""A homeroom teacher signs a class's transcripts with the key on their own computer (`sogoc sign-agent`).

The service (FastAPI, in this process) prepares the requests, the sign agent (another process) signs
them, the service completes the PDFs all at once; then the principal and the seal sign server-side
and the issued transcripts verify. Stale, mismatched and reused responses, and a certificate that is
not the teacher's, are refused and change nothing.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import func, select
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.app.factory import create_app
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.clock import FixedClock
from credential_service.signers import external_batches
from credential_service.signers.tables import ExternalSigningRequest, SigningAudit
from credential_service.staff.tables import Staff
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import SigningEvent, Transcript
from credential_service.transcripts.workflow import Step
from signing.agent import FileAgentKey, answer_request, fetch_agent_certificate, request_signature
from signing.external import SigningRequest, SigningResponse
from verifier.pdf import verify_pdf

A1 = class_id("10A1")
TEACHER = staff_id("gvcn-10a1")
PREPARE = f"/api/v1/classes/{A1}/sign/gvcn/external/prepare"
COMPLETE = f"/api/v1/classes/{A1}/sign/gvcn/external/complete"
DEV_OUT = Path(__file__).resolve().parents[3] / "keys" / "dev" / "out"
N = 3


def _pem(label: str) -> str:
    return (DEV_OUT / f"{label}.cert.pem").read_text()


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    """The demo school, class 10A1 locked, and its homeroom teacher signing with a key at her computer."""
    seed_demo(container.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=N, seed=7)
    imports.import_xlsx(container.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")
    container.transcripts.lock_class(A1)
    with container.db.transaction() as s:
        teacher = s.get(Staff, TEACHER)
        assert teacher is not None
        teacher.key_label = "external:gvcn-10a1"  # keys/dev/out/gvcn-10a1.cert.pem is her registered certificate
    with TestClient(create_app(container)) as tc:
        sign_in(tc, "gvcn-10a1")  # the teacher herself prepares and completes her batch
        yield tc


def _state(c: Container) -> dict[str, Any]:
    with c.db.reader() as s:
        return {
            "status": c.transcripts.class_overview(A1)["status"],
            "pdfs": {
                t.id: t.pdf_sha256 for t in s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars()
            },
            "events": s.execute(select(func.count()).select_from(SigningEvent)).scalar_one(),
            "consumed": s.execute(
                select(func.count())
                .select_from(ExternalSigningRequest)
                .where(ExternalSigningRequest.consumed_at.is_not(None))
            ).scalar_one(),
        }


def _agent_certificate(agent: str) -> str:
    """What the school page reads from the agent on the teacher's computer (base64 DER)."""
    return base64.b64encode(fetch_agent_certificate(agent).dump()).decode()


def _prepare(client: TestClient, certificate: str) -> list[SigningRequest]:
    r = client.post(PREPARE, json={"certificate": certificate})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["step"] == "gvcn" and len(body["requests"]) == N
    return [SigningRequest.from_dict(d) for d in body["requests"]]


def _sign(agent: str, requests: list[SigningRequest]) -> list[SigningResponse]:
    return [request_signature(agent, req) for req in requests]


def _complete(client: TestClient, responses: list[SigningResponse]) -> Any:
    return client.post(COMPLETE, json={"responses": [r.to_dict() for r in responses]})


def _refused(r: Any, status: int, reason: str) -> dict[str, Any]:
    assert r.status_code == status, r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["reason"] == reason, body
    assert body["detail_vi"] and body["detail_en"]
    return body


ROOT = load_cert_from_pemder(str(DEV_OUT / "root.cert.pem"))
SIGNATURES = ["GVCN", "HieuTruong", "DauTruong"]


def _gvcn_through_the_agent_then_principal(c: Container, client: TestClient, agent: str) -> None:
    requests = _prepare(client, _agent_certificate(agent))
    with c.db.reader() as s:
        transcripts = {t.id: t.pdf_sha256 for t in s.execute(select(Transcript)).scalars()}
    assert {r.document_id for r in requests} == set(transcripts)
    assert all(r.revision_sha256 == transcripts[r.document_id] for r in requests)

    responses = _sign(agent, requests)  # the agent is another process, with the key
    r = _complete(client, responses)
    assert r.status_code == 200, r.json()
    assert r.json() == {"class_id": A1, "step": "gvcn", "status": "signed_gvcn", "transcripts": N}

    report = c.transcripts.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))  # server-side
    assert report.status == "signed_principal"


def test_the_teacher_signs_through_her_sign_agent_then_the_principal_server_side(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    c = container
    _gvcn_through_the_agent_then_principal(c, client, sign_agent)
    with c.db.reader() as s:
        for t in s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars():
            assert t.status == "signed_principal"
            v = verify_pdf(t.pdf, trust=[ROOT])
            sigs = [sig for sig in v.signatures if sig.kind == "signature"]
            assert [sig.field for sig in sigs] == SIGNATURES[:2], v.to_dict()
            assert all(sig.intact and sig.valid for sig in sigs), v.to_dict()  # trust needs the seal's DSS
            for embedded in PdfFileReader(BytesIO(t.pdf)).embedded_signatures:  # online: the dev OCSP/CRL
                vc = ValidationContext(trust_roots=[ROOT], allow_fetching=True)
                status = validate_pdf_signature(embedded, vc)
                assert status.bottom_line, status.pretty_print_details()
            assert sigs[0].signer is not None and "Nguyễn Thị Hương" in sigs[0].signer
        events = s.execute(select(SigningEvent).where(SigningEvent.step == "gvcn")).scalars().all()
        assert len(events) == N and all(e.staff_id == TEACHER and e.checks["ok"] for e in events)
        assert s.execute(select(func.count()).select_from(SigningEvent)).scalar_one() == 2 * N
        audit = s.execute(select(SigningAudit).where(SigningAudit.backend == "external")).scalars().all()
        assert [a.outcome for a in audit] == ["signed"] * N
        assert all(a.step == "gvcn" and a.staff_id == TEACHER and a.client for a in audit)
        rows = s.execute(select(ExternalSigningRequest)).scalars().all()
        assert len(rows) == N and all(row.consumed_at is not None and row.pending_json == "" for row in rows)


def test_the_seal_after_an_external_teacher_signature_issues_verifiable_transcripts(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    c = container
    _gvcn_through_the_agent_then_principal(c, client, sign_agent)
    report = c.transcripts.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    assert report.status == "issued"
    with c.db.reader() as s:
        issued = list(s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars())
        assert {t.status for t in issued} == {"issued"}
        for t in issued:
            v = verify_pdf(t.pdf, trust=[ROOT])
            verdicts = [(sig.field, sig.indication, sig.sub_indication, sig.detail) for sig in v.signatures]
            assert v.indication == "PASSED", f"{v.indication}/{v.sub_indication}: {verdicts} {v.warnings}"
            assert [sig.field for sig in v.signatures if sig.kind == "signature"] == SIGNATURES
        assert s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == N
        assert s.execute(select(func.count()).select_from(SigningEvent)).scalar_one() == 3 * N


def test_a_response_with_a_wrong_digest_is_refused_and_changes_nothing(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    requests = _prepare(client, _agent_certificate(sign_agent))
    responses = _sign(sign_agent, requests)
    before = _state(container)
    tampered = [dataclasses.replace(responses[0], digest=b"\x00" * 32), *responses[1:]]
    body = _refused(_complete(client, tampered), 409, "digest_mismatch")
    assert "không bị thay đổi" in body["detail_vi"] and "not changed" in body["detail_en"]
    # a signature over another document's digest
    swapped = [dataclasses.replace(responses[0], signature=responses[1].signature), *responses[1:]]
    _refused(_complete(client, swapped), 409, "signature_invalid")
    # only part of the class
    _refused(_complete(client, responses[:-1]), 409, "batch_incomplete")
    assert _state(container) == before
    with container.db.reader() as s:
        refused = s.execute(select(SigningAudit).where(SigningAudit.outcome == "refused")).scalars().all()
        assert {a.reason for a in refused} == {"digest_mismatch", "signature_invalid", "batch_incomplete"}
    # refusals did not burn the requests: the genuine answers still complete the class
    assert _complete(client, responses).status_code == 200


def test_a_reused_response_is_refused_and_changes_nothing(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    responses = _sign(sign_agent, _prepare(client, _agent_certificate(sign_agent)))
    assert _complete(client, responses).status_code == 200
    after = _state(container)
    assert after["status"] == "signed_gvcn" and after["events"] == N
    body = _refused(_complete(client, responses), 409, "response_reused")
    assert "đã được sử dụng" in body["detail_vi"] and "already used" in body["detail_en"]
    _refused(_complete(client, [responses[0], responses[0], *responses[1:]]), 409, "response_reused")
    assert _state(container) == after


def test_the_same_response_twice_in_one_batch_is_refused(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    responses = _sign(sign_agent, _prepare(client, _agent_certificate(sign_agent)))
    before = _state(container)
    _refused(_complete(client, [responses[0], *responses]), 409, "response_reused")
    assert _state(container) == before


def test_an_expired_request_is_refused_and_changes_nothing(
    container: Container, client: TestClient, sign_agent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests = _prepare(client, _agent_certificate(sign_agent))
    responses = _sign(sign_agent, requests)
    before = _state(container)
    late = requests[0].expires_at + timedelta(seconds=1)
    svc = container.external_signing  # the service the routes use; its clock is moved past the expiry
    real_clock = svc.clock
    monkeypatch.setattr(svc, "clock", FixedClock(late))
    body = _refused(_complete(client, responses), 409, "response_expired")
    assert "hết hạn" in body["detail_vi"] and "expired" in body["detail_en"]
    assert _state(container) == before
    monkeypatch.setattr(svc, "clock", real_clock)  # signing needs the real time (dev OCSP answers with it)
    # a new prepare clears the expired, unused requests; a response to one of them is then unknown
    fresh = _sign(sign_agent, _prepare(client, _agent_certificate(sign_agent)))
    with container.db.reader() as s:
        assert s.execute(select(func.count()).select_from(ExternalSigningRequest)).scalar_one() == 2 * N
    assert _complete(client, fresh).status_code == 200


def test_a_certificate_that_is_not_the_teachers_is_refused_and_changes_nothing(
    container: Container, client: TestClient
) -> None:
    before = _state(container)
    body = _refused(
        client.post(PREPARE, json={"certificate": _pem("gvcn-10a2")}),
        409,
        "certificate_not_registered",
    )
    assert "Nguyễn Thị Hương" in body["detail_vi"] and "not the registered certificate" in body["detail_en"]
    assert _state(container) == before
    with container.db.reader() as s:
        assert s.execute(select(func.count()).select_from(ExternalSigningRequest)).scalar_one() == 0
        refused = s.execute(select(SigningAudit).where(SigningAudit.outcome == "refused")).scalars().all()
        assert len(refused) == N and {a.reason for a in refused} == {"certificate_not_registered"}


def test_other_refusals_at_prepare(container: Container, client: TestClient, sign_agent: str) -> None:
    cert = _agent_certificate(sign_agent)
    before = _state(container)
    # the teacher is not the seal operator (and the seal stays in the service's HSM)
    r = client.post(f"/api/v1/classes/{A1}/sign/seal/external/prepare", json={"certificate": cert})
    assert r.status_code == 403 and r.json()["code"] == "not-authorised", r.json()
    # garbage instead of a certificate
    r = client.post(PREPARE, json={"certificate": "bm90IGEgY2VydA=="})
    assert r.status_code == 422, r.json()
    # out of order: the principal before the teacher
    sign_in(client, "principal")
    r = client.post(f"/api/v1/classes/{A1}/sign/principal/external/prepare", json={"certificate": _pem("principal")})
    assert r.status_code == 409 and r.json()["code"] == "workflow-violation", r.json()
    # a teacher of another class
    sign_in(client, "gvcn-10a2")
    r = client.post(PREPARE, json={"certificate": _pem("gvcn-10a2")})
    assert r.status_code == 403 and r.json()["code"] == "not-authorised", r.json()
    assert _state(container) == before


def test_a_signer_whose_key_the_service_holds_uses_the_ordinary_step(container: Container, client: TestClient) -> None:
    with container.db.transaction() as s:
        teacher = s.get(Staff, TEACHER)
        assert teacher is not None
        teacher.key_label = "gvcn-10a1"
    before = _state(container)
    _refused(client.post(PREPARE, json={"certificate": _pem("gvcn-10a1")}), 409, "not_external_signer")
    assert _state(container) == before


def test_the_principal_approves_with_a_key_at_his_computer(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    """The approval (principal) step too; the principal's agent runs in this process here (answer_request)."""
    c = container
    assert _complete(client, _sign(sign_agent, _prepare(client, _agent_certificate(sign_agent)))).status_code == 200
    with c.db.transaction() as s:
        principal = s.get(Staff, staff_id("principal"))
        assert principal is not None
        principal.key_label = "external:principal"
    base = f"/api/v1/classes/{A1}/sign/principal/external"
    sign_in(client, "principal")
    r = client.post(base + "/prepare", json={"certificate": _pem("principal")})
    assert r.status_code == 200, r.json()
    requests = [SigningRequest.from_dict(d) for d in r.json()["requests"]]
    key = FileAgentKey(DEV_OUT.parent / "keys" / "principal.key.pem", DEV_OUT / "principal.cert.pem")
    responses = [answer_request(key, req) for req in requests]
    # the teacher's responses endpoint does not take the principal's batch
    wrong_step = client.post(COMPLETE, json={"responses": [x.to_dict() for x in responses]})
    _refused(wrong_step, 409, "step_mismatch")
    r = client.post(base + "/complete", json={"responses": [x.to_dict() for x in responses]})
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "signed_principal"
    with c.db.reader() as s:
        for t in s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars():
            sigs = PdfFileReader(BytesIO(t.pdf)).embedded_signatures
            assert [sig.field_name for sig in sigs] == SIGNATURES[:2]
            for embedded in sigs:
                status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[ROOT], allow_fetching=True))
                assert status.bottom_line, status.pretty_print_details()
        steps = s.execute(select(SigningEvent.step, SigningEvent.staff_id)).all()
        assert sorted(steps) == sorted([("gvcn", TEACHER)] * N + [("principal", staff_id("principal"))] * N)


def test_the_replay_guard_consumes_a_request_once(container: Container, client: TestClient, sign_agent: str) -> None:
    requests = _prepare(client, _agent_certificate(sign_agent))
    now = container.clock.now()
    with container.db.transaction() as s:
        guard = external_batches.DbReplayGuard(s, now)
        assert guard.consume(requests[0].request_id)
        assert not guard.consume(requests[0].request_id)
        assert not guard.consume("no-such-request")
    with pytest.raises(RuntimeError), container.db.transaction() as s:  # rolled back: still usable
        assert external_batches.DbReplayGuard(s, now).consume(requests[1].request_id)
        raise RuntimeError("rollback")
    with container.db.transaction() as s:
        assert external_batches.DbReplayGuard(s, now).consume(requests[1].request_id)


def test_a_certificate_replaced_after_prepare_cannot_complete(
    container: Container, client: TestClient, sign_agent: str
) -> None:
    responses = _sign(sign_agent, _prepare(client, _agent_certificate(sign_agent)))
    with container.db.transaction() as s:
        teacher = s.get(Staff, TEACHER)
        assert teacher is not None
        teacher.key_label = "external:gvcn-10a2"  # the administrator registered another certificate meanwhile
    before = _state(container)
    _refused(_complete(client, responses), 409, "certificate_not_registered")
    assert _state(container) == before


def test_the_server_side_step_for_a_signer_whose_key_is_at_their_computer_is_refused_clearly(
    container: Container, client: TestClient
) -> None:
    from credential_service.platform.errors import SigningRefused

    with pytest.raises(SigningRefused) as info:
        container.transcripts.sign_class(A1, Step.GVCN, staff_id=TEACHER)
    assert info.value.extra["reason"] == "external_signer"
    assert "sign-agent" in info.value.message.en
    assert container.transcripts.class_overview(A1)["status"] == "locked"
