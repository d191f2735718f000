"""External (interrupted) signing with a separate `sogoc sign-agent` process holding the key."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from backend_fixtures import CHAIN, DEV_KEYS, REPO, ROOT_CERT, TOKEN_KEY_LABEL, Token
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.agent import FileAgentKey, answer_request, request_signature
from signing.context import SigningContext
from signing.errors import (
    AgentSigningError,
    MismatchedSigningResponseError,
    ReusedSigningResponseError,
    SigningError,
    StaleSigningResponseError,
)
from signing.external import (
    InMemoryReplayGuard,
    PendingSignature,
    SigningResponse,
    complete_external,
    prepare_external,
)
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL

DEV = CHAIN[0].parent
CHAIN_CERTS = [load_cert_from_pemder(str(p)) for p in CHAIN]


def _start_agent(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "credential_service.app.cli", "sign-agent", "serve", "--port", "0", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("sign-agent listening on "):
        proc.kill()
        raise AssertionError(f"agent did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def file_agent() -> Iterator[str]:
    proc, url = _start_agent(["--key", str(DEV_KEYS / "gvcn-10a1.key.pem"), "--cert", str(DEV / "gvcn-10a1.cert.pem")])
    yield url
    _stop(proc)


def _prepare(pdf: bytes, ctx: SigningContext, label: str = "gvcn-10a1", **kw: object) -> PendingSignature:
    opts: dict[str, object] = {
        "document_id": "hocba-10A1-001",
        "signing_cert": load_cert_from_pemder(str(DEV / f"{label}.cert.pem")),
        "chain": CHAIN_CERTS,
        "kind": "certify",
        "reason": "Xác nhận học bạ",
        "appearance": ctx.appearance,
        "validation_context": ctx.validation_context(),
    }
    opts.update(kw)
    return prepare_external(pdf, FIELD_GVCN, **opts)


def _validate(pdf: bytes) -> None:
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(ROOT_CERT))], allow_fetching=True)
    sigs = PdfFileReader(BytesIO(pdf)).embedded_signatures
    assert sigs
    for sig in sigs:
        status = validate_pdf_signature(sig, vc)
        assert status.bottom_line, status.pretty_print_details()


def _unchanged(pending: PendingSignature, pending_json: str, original: bytes) -> None:
    assert pending.to_json() == pending_json
    assert not PdfFileReader(BytesIO(original)).embedded_signatures


def test_end_to_end_two_processes(file_agent: str, signing_ctx: SigningContext, prepared_pdf: bytes) -> None:
    pending = _prepare(prepared_pdf, signing_ctx)
    stored = pending.to_json()  # what the service keeps between the two HTTP requests
    response = request_signature(file_agent, pending.request)  # the agent is another process
    restored = PendingSignature.from_json(stored)
    guard = InMemoryReplayGuard()
    signed = complete_external(
        restored, response, replay_guard=guard, current_revision_sha256=hashlib.sha256(prepared_pdf).hexdigest()
    )
    assert signed.startswith(prepared_pdf)
    _validate(signed)
    (sig,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    assert sig.field_name == FIELD_GVCN and sig.docmdp_level is not None

    # the same response again: refused, nothing produced
    with pytest.raises(ReusedSigningResponseError) as e:
        complete_external(restored, response, replay_guard=guard)
    assert e.value.reason == "response_reused" and e.value.vi and e.value.en


def test_stale_response_is_refused(file_agent: str, signing_ctx: SigningContext, prepared_pdf: bytes) -> None:
    pending = _prepare(prepared_pdf, signing_ctx, ttl=timedelta(minutes=2))
    snapshot = pending.to_json()
    response = request_signature(file_agent, pending.request)
    late = pending.request.expires_at + timedelta(seconds=1)
    with pytest.raises(StaleSigningResponseError) as e:
        complete_external(pending, response, replay_guard=InMemoryReplayGuard(), now=late)
    assert e.value.reason == "response_expired" and "hết hạn" in e.value.vi and "expired" in e.value.en
    _unchanged(pending, snapshot, prepared_pdf)

    # the document moved on (someone signed another revision) since the request was made
    with pytest.raises(StaleSigningResponseError) as e:
        complete_external(pending, response, replay_guard=InMemoryReplayGuard(), current_revision_sha256="0" * 64)
    assert e.value.reason == "document_changed"
    _unchanged(pending, snapshot, prepared_pdf)


def test_agent_refuses_an_expired_request(file_agent: str, signing_ctx: SigningContext, prepared_pdf: bytes) -> None:
    pending = _prepare(prepared_pdf, signing_ctx, now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(AgentSigningError) as e:
        request_signature(file_agent, pending.request)
    assert e.value.reason == "request_expired"


def test_agent_refuses_a_request_for_another_certificate(
    file_agent: str, signing_ctx: SigningContext, prepared_pdf: bytes
) -> None:
    pending = _prepare(prepared_pdf, signing_ctx, label="gvcn-10a2")
    with pytest.raises(AgentSigningError) as e:
        request_signature(file_agent, pending.request)
    assert e.value.reason == "wrong_certificate" and e.value.vi and e.value.en


def test_mismatched_responses_are_refused_and_document_unchanged(
    file_agent: str, signing_ctx: SigningContext, prepared_pdf: bytes
) -> None:
    pending = _prepare(prepared_pdf, signing_ctx)
    other = _prepare(prepared_pdf, signing_ctx, document_id="hocba-10A1-002", reason="Khác")
    snapshot = pending.to_json()
    good = request_signature(file_agent, pending.request)
    other_resp = request_signature(file_agent, other.request)
    # a different teacher's key answering a forged copy of the request
    intruder = FileAgentKey(DEV_KEYS / "gvcn-10a2.key.pem", DEV / "gvcn-10a2.cert.pem")
    forged_req = dataclasses.replace(
        pending.request, certificate_sha256=hashlib.sha256(intruder.certificate.dump()).hexdigest()
    )
    intruder_resp = answer_request(intruder, forged_req)

    cases: list[tuple[SigningResponse, str]] = [
        (other_resp, "request_mismatch"),
        (dataclasses.replace(other_resp, request_id=good.request_id), "nonce_mismatch"),
        (dataclasses.replace(good, nonce="not-the-nonce"), "nonce_mismatch"),
        (dataclasses.replace(good, digest=other.request.digest), "digest_mismatch"),
        (intruder_resp, "certificate_mismatch"),
        # right echo fields, but the signature is over the other document's digest
        (dataclasses.replace(good, signature=other_resp.signature), "signature_invalid"),
    ]
    guard = InMemoryReplayGuard()
    for response, reason in cases:
        with pytest.raises(MismatchedSigningResponseError) as e:
            complete_external(pending, response, replay_guard=guard)
        assert e.value.reason == reason, (reason, e.value)
        assert "không bị thay đổi" in e.value.vi and "not changed" in e.value.en
        _unchanged(pending, snapshot, prepared_pdf)

    # refusals did not burn the request: the genuine answer still completes it
    _validate(complete_external(pending, good, replay_guard=guard))


def test_file_mode_agent(signing_ctx: SigningContext, prepared_pdf: bytes, tmp_path: Path) -> None:
    pending = _prepare(prepared_pdf, signing_ctx)
    (tmp_path / "req.json").write_text(pending.request.to_json())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "signing.agent",
            "sign",
            "--key",
            str(DEV_KEYS / "gvcn-10a1.key.pem"),
            "--cert",
            str(DEV / "gvcn-10a1.cert.pem"),
            "--request",
            str(tmp_path / "req.json"),
            "--out",
            str(tmp_path / "resp.json"),
        ],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
    )
    response = SigningResponse.from_json((tmp_path / "resp.json").read_text())
    _validate(complete_external(pending, response, replay_guard=InMemoryReplayGuard()))


def test_pkcs11_agent_process(softhsm_token: Token, signing_ctx: SigningContext, prepared_pdf: bytes) -> None:
    """The agent holds a key in the (SoftHSM) token; the PIN reaches it through the environment only."""
    proc, url = _start_agent(
        ["--pkcs11-module", softhsm_token.module, "--token-label", softhsm_token.label, "--key-label", TOKEN_KEY_LABEL],
        env={**softhsm_token.env, "SOGOC_PKCS11_PIN": softhsm_token.pin},
    )
    try:
        pending = prepare_external(
            prepared_pdf,
            FIELD_PRINCIPAL,
            document_id="hocba-10A3-001",
            signing_cert=load_cert_from_pemder(str(softhsm_token.cert_path)),
            chain=CHAIN_CERTS,
            kind="approve",
            appearance=signing_ctx.appearance,
            validation_context=signing_ctx.validation_context(),
        )
        signed = complete_external(pending, request_signature(url, pending.request), replay_guard=InMemoryReplayGuard())
    finally:
        _stop(proc)
    _validate(signed)


def test_errors_are_signing_errors() -> None:
    for cls in (StaleSigningResponseError, MismatchedSigningResponseError, ReusedSigningResponseError):
        assert issubclass(cls, SigningError)
