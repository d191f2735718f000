"""The verifier library's commitment (verifier.bundle) is the ledger's (ledger.storage): a third party who
installs the verifier alone opens the same leaf."""

from __future__ import annotations

import secrets

from credential_service.ledger.storage import commitment
from verifier.bundle import record_commitment


def test_the_verifier_and_the_ledger_compute_the_same_commitment() -> None:
    for _ in range(20):
        salt, record = secrets.token_hex(32), secrets.token_hex(32)
        assert record_commitment(salt, record) == commitment(salt, record)
