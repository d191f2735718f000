"""Ledger test helpers: events, a LedgerService with one configured witness, the attacker's tools."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from credential_service.ledger import storage as ledger
from credential_service.ledger.service import LedgerService
from credential_service.platform.db import Database
from credential_service.platform.settings import Settings
from verifier.checkpoint import Ed25519CosignatureSigner

WITNESS_SEED = bytes(range(32))
WITNESS_NAME = "witness.example.org/w1"


def event(i: int, kind: str = "issued", credential: int | None = None) -> ledger.LeafEvent:
    return ledger.LeafEvent(
        kind=kind,
        credential_id=f"00000000-0000-0000-0000-{(i if credential is None else credential):012d}",
        record_sha256=f"{i:064x}",
        salt="cd" * 32,
        pdf_sha256="ef" * 32,
        register_no=None,
        amends_seq=None,
        time=datetime(2026, 5, 30, tzinfo=UTC),
    )


def witness_signer(name: str = WITNESS_NAME, seed: bytes = WITNESS_SEED) -> Ed25519CosignatureSigner:
    return Ed25519CosignatureSigner(name, seed, clock=lambda: 1_780_000_000)


@dataclass
class Ledger:
    url: str
    db: Database
    svc: LedgerService

    def append(self, count: int, start: int | None = None) -> None:
        first = ledger_size(self.db) if start is None else start
        with self.db.transaction() as s:
            ledger.append_many(s, [event(first + i) for i in range(count)])

    def sql(self, statement: str, **params: object) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(text(statement), params)

    def drop_triggers(self, table: str) -> None:
        """What an attacker with database rights does first."""
        if self.db.engine.dialect.name == "sqlite":
            self.sql(f"DROP TRIGGER {table}_no_update")
            self.sql(f"DROP TRIGGER {table}_no_delete")
        else:
            self.sql(f"DROP TRIGGER {table}_append_only ON {table}")


def ledger_size(db: Database) -> int:
    with db.reader() as s:
        return ledger.tree_size(s)


@pytest.fixture
def led(db_url: str) -> Iterator[Ledger]:
    db = Database(db_url)
    settings = Settings(env="test", database_url=db_url, ledger_witness_vkeys=[witness_signer().verifier().vkey])
    yield Ledger(db_url, db, LedgerService.from_settings(db, settings))
    db.dispose()
