"""The mapping tables of the drills: database conditions (SQLite result codes and messages, PostgreSQL
SQLSTATEs), signing dependencies that are down, and how the HTTP layer and the CLI present them."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc

from credential_service.app import cli
from credential_service.app.problem import PROBLEM_JSON, http_status, install_problem_handlers
from credential_service.platform.db_errors import (
    DatabaseBusy,
    DatabaseFull,
    DatabaseReadOnly,
    DatabaseUnavailable,
    from_database_error,
)
from credential_service.platform.errors import SigningServiceUnavailable
from credential_service.platform.library_errors import SIGNING_HINT, from_library_error
from signing import errors as signing_errors


class FakePgError(Exception):
    """What psycopg raises: an exception with the server's SQLSTATE."""

    def __init__(self, message: str, sqlstate: str | None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


FakePgError.__module__ = "psycopg.errors"


def _wrapped(orig: Exception, klass: type[sa_exc.DBAPIError] = sa_exc.OperationalError) -> sa_exc.DBAPIError:
    return klass("INSERT …", {}, orig)


@pytest.mark.parametrize(
    ("sqlstate", "expected", "retry_after"),
    [
        ("40001", DatabaseBusy, 2),  # serialization failure: retry at once
        ("40P01", DatabaseBusy, 2),  # deadlock
        ("55P03", DatabaseBusy, 30),  # lock_timeout
        ("53100", DatabaseFull, None),  # disk full: retrying does not help
        ("25006", DatabaseReadOnly, None),  # read-only transaction (standby, default_transaction_read_only)
        ("57P03", DatabaseUnavailable, 60),  # cannot connect now (starting up)
        ("57P01", DatabaseUnavailable, 60),  # admin shutdown
        ("08006", DatabaseUnavailable, 60),  # connection failure
    ],
)
def test_postgresql_sqlstates(sqlstate: str, expected: type, retry_after: int | None) -> None:
    err = from_database_error(_wrapped(FakePgError("server says no", sqlstate)))
    assert type(err) is expected and err is not None and http_status(err) == 503
    assert err.extra.get("retry_after") == retry_after
    assert err.message.vi and err.message.en and "server says no" not in str(err.message)


def test_a_connection_that_never_opened_has_no_sqlstate_and_is_unavailable() -> None:
    orig = FakePgError('connection failed: connection to server at "127.0.0.1", port 1 failed: refused', None)
    assert isinstance(from_database_error(_wrapped(orig)), DatabaseUnavailable)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("database is locked", DatabaseBusy),
        ("database table is locked", DatabaseBusy),
        ("attempt to write a readonly database", DatabaseReadOnly),
        ("database or disk is full", DatabaseFull),
        ("unable to open database file", DatabaseUnavailable),
    ],
)
def test_sqlite_messages(message: str, expected: type) -> None:
    assert type(from_database_error(_wrapped(sqlite3.OperationalError(message)))) is expected


def test_what_is_not_a_condition_stays_a_bug() -> None:
    assert from_database_error(_wrapped(FakePgError("relation does not exist", "42P01"))) is None
    assert from_database_error(_wrapped(FakePgError("duplicate", "23505"), sa_exc.IntegrityError)) is None
    assert from_database_error(_wrapped(sqlite3.OperationalError("no such table: x"))) is None
    assert from_database_error(ValueError("not a database error")) is None
    assert isinstance(from_database_error(sa_exc.TimeoutError("QueuePool limit")), DatabaseBusy)


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/locked")
    def _locked() -> None:
        raise _wrapped(sqlite3.OperationalError("database is locked"))

    @app.get("/bug")
    def _bug() -> None:
        raise _wrapped(sqlite3.OperationalError("no such column: x"))

    return TestClient(app, raise_server_exceptions=False)


def test_the_http_layer_answers_a_condition_with_its_problem_and_retry_after(client: TestClient) -> None:
    r = client.get("/locked")
    assert r.status_code == 503 and r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.headers["Retry-After"] == "30" and r.json()["code"] == "database-busy"
    bug = client.get("/bug")  # a bug is still the generic 500 (and logged)
    assert bug.status_code == 500 and bug.json()["code"] == "error" and "Retry-After" not in bug.headers


def test_the_cli_prints_the_condition_and_exits_with_its_category(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(_args: object) -> int:
        raise _wrapped(sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(cli, "build_parser", lambda: _parser(full))
    assert cli.main([]) == cli.EXIT_CODES[DatabaseFull.category]
    assert "disk is full" in capsys.readouterr().err


def _parser(func: object) -> object:
    import argparse

    parser = argparse.ArgumentParser()
    parser.set_defaults(func=func)
    return parser


@pytest.mark.parametrize(
    ("error", "service"),
    [
        (signing_errors.TimestampError("x", "Could not obtain a timestamp: ClientConnectorError(...)"), "TSA"),
        (signing_errors.CertificateStatusUnknownError("x", "no usable OCSP/CRL answer (hard-fail): ..."), "OCSP"),
        (signing_errors.CscError("x", "Cannot reach ...: ClientConnectorError", reason="csc_unavailable"), "CSC"),
        (signing_errors.AgentSigningError("x", "Cannot reach the sign agent: [Errno 111]", reason="agent_unreachable"),
         "sign agent"),
    ],
)  # fmt: skip
def test_a_signing_dependency_down_is_a_503_that_names_it_without_library_text(
    error: signing_errors.SigningError, service: str
) -> None:
    err = from_library_error(error)
    assert isinstance(err, SigningServiceUnavailable) and http_status(err) == 503
    assert err.extra["reason"] == error.reason and err.extra["retry_after"] == 300
    assert service in err.message.en and "5 min" in err.message.en and "5 phút" in err.message.vi
    assert error.en not in str(err) and "Error" not in err.message.en and err.hint != SIGNING_HINT
    refused = from_library_error(signing_errors.CertificateRevokedError("Đã thu hồi", "Revoked"))
    assert refused.hint == SIGNING_HINT and http_status(refused) == 409  # a real refusal is unchanged
