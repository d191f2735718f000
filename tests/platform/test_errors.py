"""One error model: categories on every error, one mapping to HTTP, one to exit codes, one library boundary."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from credential_service.app import cli
from credential_service.app.bootstrap import build
from credential_service.app.factory import create_app
from credential_service.app.problem import HTTP_STATUS, PROBLEM_JSON, http_status, install_problem_handlers
from credential_service.platform.errors import (
    ConfigurationError,
    Conflict,
    ErrorCategory,
    InvalidInput,
    Message,
    NotAuthorised,
    NotFound,
    ServiceUnavailable,
    SigningRefused,
    SogocError,
    WorkflowViolation,
)
from credential_service.platform.library_errors import from_library_error
from credential_service.platform.settings import Settings
from signing import errors as signing_errors
from verifier import errors as verifier_errors

MSG = Message("Thông điệp", "Message")


def _all_subclasses(klass: type[SogocError]) -> Iterator[type[SogocError]]:
    for sub in klass.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


@pytest.fixture(scope="module")
def every_error_class() -> list[type[SogocError]]:
    # importing create_app (above) imported every domain, hence every error class
    return [SogocError, *_all_subclasses(SogocError)]


def test_every_error_class_has_a_category_and_a_status_through_the_mapping(
    every_error_class: list[type[SogocError]],
) -> None:
    assert len(every_error_class) > 15
    for klass in every_error_class:
        assert isinstance(klass.category, ErrorCategory), klass
        assert "status" not in vars(klass), f"{klass.__name__} declares an HTTP status; declare a category"
        assert http_status(klass(MSG)) == HTTP_STATUS[klass.category]
    assert set(HTTP_STATUS) == set(ErrorCategory)


@pytest.mark.parametrize(
    ("klass", "code", "status"),
    [
        (SogocError, "error", 500),
        (InvalidInput, "invalid-input", 422),
        (NotFound, "not-found", 404),
        (Conflict, "conflict", 409),
        (WorkflowViolation, "workflow-violation", 409),
        (NotAuthorised, "not-authorised", 403),
        (SigningRefused, "signing-refused", 409),
        (ConfigurationError, "configuration", 500),
        (ServiceUnavailable, "service-unavailable", 503),
    ],
)
def test_codes_and_statuses_are_those_of_before(klass: type[SogocError], code: str, status: int) -> None:
    assert klass.code == code
    assert http_status(klass(MSG)) == status


def test_service_specific_errors_keep_their_statuses(every_error_class: list[type[SogocError]]) -> None:
    by_name = {(k.__module__.rsplit(".", 2)[-2], k.__name__): k for k in every_error_class}
    expected = {
        ("employers", "RateLimited"): 429,
        ("employers", "ShareCodeNotFound"): 404,
        ("employers", "GrantExpired"): 410,
        ("employers", "GrantPendingGuardian"): 409,
        ("platform", "TooLarge"): 413,
        ("platform", "NotAuthenticated"): 401,
        ("platform", "CsrfRefused"): 403,
        ("ledger", "LedgerIntegrityError"): 500,
        ("diplomas", "RateLimited"): 429,
    }
    for key, status in expected.items():
        assert http_status(by_name[key](MSG)) == status, key


# -- the library boundary --------------------------------------------------------------------------
def test_library_errors_have_the_same_shape() -> None:
    s = signing_errors.CertificateExpiredError("Hết hạn", "Expired")
    v = verifier_errors.InclusionProofError("Sai", "Wrong")
    for err, reason in ((s, "certificate_expired"), (v, "inclusion_proof_invalid")):
        assert (err.vi, err.en, err.reason, err.code) == (err.vi, err.en, reason, reason)
        assert err.problem_code == reason.replace("_", "-")


def test_a_signing_error_becomes_a_signing_refusal_with_its_message_and_reason() -> None:
    err = from_library_error(signing_errors.CertificateRevokedError("Đã thu hồi", "Revoked"))
    assert isinstance(err, SigningRefused) and err.category is ErrorCategory.CONFLICT
    assert (err.message.vi, err.message.en) == ("Đã thu hồi", "Revoked")
    assert err.extra["reason"] == "certificate_revoked" and err.hint is not None
    down = from_library_error(signing_errors.AgentSigningError("x", "y", reason="agent_unreachable"))
    assert down.category is ErrorCategory.UNAVAILABLE and http_status(down) == 503


def test_a_verifier_error_becomes_the_service_error_of_its_category() -> None:
    err = from_library_error(verifier_errors.CheckpointError("Sai checkpoint", "Bad checkpoint"))
    assert isinstance(err, InvalidInput) and err.extra["reason"] == "checkpoint_invalid"
    big = from_library_error(verifier_errors.VerifierError("Lớn", "Large", code="file_too_large"))
    assert big.category is ErrorCategory.TOO_LARGE and http_status(big) == 413 and big.code == "file-too-large"


@pytest.fixture
def library_client() -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/signing")
    def _signing() -> None:
        raise signing_errors.WrongKeyUsageError("Sai mục đích khóa", "Wrong key usage")

    @app.get("/verifier")
    def _verifier() -> None:
        raise verifier_errors.NoteError("Ghi chú sai", "Bad note")

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_signing_error_crossing_a_route_is_a_problem_with_the_translated_category(
    library_client: TestClient,
) -> None:
    r = library_client.get("/signing")
    assert r.status_code == 409 and r.headers["content-type"].startswith(PROBLEM_JSON)
    body = r.json()
    assert body["code"] == "signing-refused" and body["status"] == 409 and body["reason"] == "wrong_key_usage"
    assert body["detail_vi"] == "Sai mục đích khóa" and body["detail_en"] == "Wrong key usage"
    assert body["instance"] == "/signing"


def test_a_verifier_error_crossing_a_route_is_a_problem_with_the_translated_category(
    library_client: TestClient,
) -> None:
    r = library_client.get("/verifier")
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM_JSON)
    body = r.json()
    assert body["code"] == "invalid-input" and body["status"] == 422 and body["reason"] == "note_invalid"
    assert body["detail"] == "Ghi chú sai / Bad note"


@pytest.fixture
def json_client() -> Iterator[TestClient]:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/echo")
    def _echo(body: dict[str, int]) -> dict[str, int]:
        return body

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_a_body_that_cannot_be_read_is_invalid_input_not_the_frameworks_400(json_client: TestClient) -> None:
    r = json_client.post("/echo", content=b"\xff\xfe{", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.headers["content-type"].startswith(PROBLEM_JSON)
    body = r.json()
    assert body["code"] == "invalid-input" and "JSON" in body["detail_vi"] and "JSON" in body["detail_en"]


def test_an_unknown_address_and_a_wrong_method_are_problems_too(json_client: TestClient) -> None:
    r = json_client.get("/nowhere")
    assert r.status_code == 404 and r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "not-found"
    r = json_client.get("/echo")
    assert r.status_code == 405 and r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.json()["code"] == "method-not-allowed" and r.json()["status"] == 405 and r.headers["allow"] == "POST"


# -- OpenAPI --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi') / 'db.sqlite'}"
    container = build(Settings(env="test", database_url=url))
    try:
        return create_app(container).openapi()
    finally:
        container.db.dispose()


def test_every_operation_declares_problem_json_error_responses(spec: dict[str, Any]) -> None:
    ops = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(ops) > 40
    for path, method, op in ops:
        errors = {s: r for s, r in op["responses"].items() if s.isdigit() and int(s) >= 400}
        assert {"404", "422", "500", "503"} <= set(errors), (path, method)
        if method != "get":
            assert {"403", "409"} <= set(errors), (path, method)
        for status, response in errors.items():
            assert response["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (
                path,
                method,
                status,
            )
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "detail_vi", "detail_en", "code"} <= set(problem["required"])
    assert {"instance", "errors", "hint_vi", "hint_en"} <= set(problem["properties"])
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_public_json_operations_have_response_models(spec: dict[str, Any]) -> None:
    public = [
        ("/api/v1/verify", "post"),
        ("/api/v1/verify/qr", "post"),
        ("/api/v1/credentials/{credential_id}/status", "get"),
        ("/.well-known/sogoc-keys.json", "get"),
        ("/api/v1/ledger/proof/inclusion", "get"),
        ("/api/v1/ledger/proof/consistency", "get"),
        ("/api/v1/ledger/entries", "get"),
        ("/api/v1/public/diploma-check", "post"),
        ("/api/v1/public/revocations", "get"),
    ]
    for path, method in public:
        schema = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in schema or "items" in schema, (path, schema)


# -- the CLI ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("category", list(ErrorCategory))
def test_the_cli_exit_code_of_each_category(category: ErrorCategory) -> None:
    err = SogocError(MSG)
    err.category = category
    assert cli.exit_code(err) == cli.EXIT_CODES[category] == 2  # as before categories: every error exits 2


def test_the_cli_translates_a_library_error_and_exits_by_its_category(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise verifier_errors.ProofError("Bằng chứng sai", "Bad proof")

    parser = argparse.ArgumentParser()
    parser.set_defaults(func=fail)
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    assert cli.main([]) == cli.EXIT_CODES[ErrorCategory.INVALID_INPUT]
    err = capsys.readouterr().err
    assert "Bằng chứng sai" in err and "Bad proof" in err
