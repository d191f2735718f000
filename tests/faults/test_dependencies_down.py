"""The timestamp (TSA) or certificate-status (OCSP) service down during a seal, and the dev PKI's port
taken: a clear bilingual 503 that names the service and says when to retry — not "renew the
certificate", no library internals — and the documents stay exactly as they were."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from fault_drills import A1, class_ready_for_seal, closed_port, decide, state
from staff_login import confirm, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import staff_id
from credential_service.app.factory import create_app
from credential_service.app.problem import PROBLEM_JSON, http_status
from credential_service.platform.clock import FixedClock, SystemClock
from credential_service.platform.errors import SigningServiceUnavailable, SogocError
from credential_service.platform.library_errors import SIGNING_HINT
from credential_service.platform.settings import PROJECT_ROOT, Settings
from credential_service.transcripts.workflow import Step

LIBRARY_WORDS = ("pyhanko", "aiohttp", "Timestamp", "Traceback", "hard-fail", "ClientConnector", "Cannot connect")


def _tsa_down(db_url: str) -> Container:
    """A container whose settings point the TSA at a port where nothing listens (the trust roots are the
    dev PKI's, so the settings' TSA address is the one used, as in production)."""
    settings = Settings(
        env="test",
        database_url=db_url,
        trust_roots=[PROJECT_ROOT / "keys" / "dev" / "out" / "root.cert.pem"],
        tsa_url=f"http://127.0.0.1:{closed_port()}/tsa",
    )
    c = build(settings, clock=FixedClock(SystemClock().now()))
    c.start_dev_services()  # OCSP/CRL still served: only the TSA is down
    return c


@pytest.fixture
def tsa_down(db_url: str) -> Iterator[Container]:
    c = _tsa_down(db_url)
    yield c
    c.db.dispose()


def _clear_outage(err: SogocError, service: str) -> None:
    assert http_status(err) == 503 and err.extra["retry_after"] == 300
    assert service in err.message.vi and service in err.message.en
    assert "giữ nguyên" in err.message.vi and "unchanged" in err.message.en and "5 min" in err.message.en
    assert err.hint is not None and err.hint != SIGNING_HINT  # not "renew or replace the certificate"
    assert "Renew or replace" not in str(err) and "Hãy gia hạn" not in str(err)
    for word in LIBRARY_WORDS:
        assert word not in err.message.en, word


def test_tsa_down_during_a_class_seal_is_a_clear_503_and_the_class_is_unchanged(tsa_down: Container) -> None:
    c = tsa_down
    class_ready_for_seal(c)
    before = state(c)
    with pytest.raises(SigningServiceUnavailable) as info:
        c.transcripts.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    _clear_outage(info.value, "TSA")
    assert info.value.extra["reason"] == "timestamp_failed"
    assert state(c) == before


def test_ocsp_down_during_a_seal_is_a_clear_503_and_the_class_is_unchanged(container: Container) -> None:
    c = container
    class_ready_for_seal(c)
    before = state(c)
    # the certificate status service cannot be reached (the fetch guard lets no request out)
    c.documents.context.fetch_allowed_hosts = frozenset({"ocsp.invalid"})
    with pytest.raises(SigningServiceUnavailable) as info:
        c.transcripts.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    _clear_outage(info.value, "OCSP")
    assert info.value.extra["reason"] == "certificate_status_unknown"
    assert state(c) == before


def test_tsa_down_while_issuing_diplomas_over_http_is_a_503_problem_and_nothing_is_issued(tsa_down: Container) -> None:
    c = tsa_down
    decision = decide(c)
    with TestClient(create_app(c)) as client:
        sign_in(client, "principal")
        body = {"confirmation_id": confirm(client, "principal", f"issue:decision:{decision}")}
        r = client.post(f"/api/v1/graduation-decisions/{decision}/issue", json=body)
    assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM_JSON), r.text
    problem = r.json()
    assert problem["code"] == "signing-service-unavailable" and problem["retry_after"] == 300
    assert "TSA" in problem["detail_vi"] and "TSA" in problem["detail_en"] and "unchanged" in problem["detail_en"]
    assert not any(word in problem["detail_en"] for word in LIBRARY_WORDS)
    assert state(c).register_seqs == [] and state(c).counter == 0 and state(c).ledger_seqs == []


def test_the_dev_pki_port_taken_is_a_503_problem_not_a_plain_text_500(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """werkzeug calls sys.exit(1) when the dev TSA/OCSP port is taken: the route answers 503 problem+json."""
    from werkzeug.serving import make_server

    from signing import devpki

    def port_taken() -> None:  # what ensure_dev_pki_server meets when another program holds the port
        make_server(devpki.DEV_PKI_HOST, devpki.DEV_PKI_PORT, lambda environ, start_response: [])

    c = container
    decision = decide(c)
    with TestClient(create_app(c), raise_server_exceptions=False) as client:
        sign_in(client, "principal")
        monkeypatch.setattr(devpki, "ensure_dev_pki_server", port_taken)
        body = {"confirmation_id": confirm(client, "principal", f"issue:decision:{decision}")}
        r = client.post(f"/api/v1/graduation-decisions/{decision}/issue", json=body)
    assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM_JSON), r.text
    problem = r.json()
    assert problem["reason"] == "dev_pki_unavailable" and problem["retry_after"] == 60
    assert str(devpki.DEV_PKI_PORT) in problem["detail_vi"] and str(devpki.DEV_PKI_PORT) in problem["detail_en"]
    assert state(c).register_seqs == []
