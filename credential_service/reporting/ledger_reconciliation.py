"""The Sở's reconciliation of the register with the ledger (``ledger_rules.py``), read through the transcripts,
diplomas and ledger services. At a city's size it reads every credential id once (about a second per million), so
it is asked for (``sogoc progress reconcile``, ``GET /api/v1/progress/ledger``), not computed on every dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from credential_service.reporting import ledger_rules


class IssuedTranscripts(Protocol):
    def issued_ids(self) -> list[str]: ...


class RegisteredDiplomas(Protocol):
    def register_ids(self) -> list[str]: ...


class LedgerCounts(Protocol):
    def record_entries_by_credential(self, kinds: Sequence[str]) -> dict[str, int]: ...


def reconcile_with_ledger(
    transcripts: IssuedTranscripts, diplomas: RegisteredDiplomas, ledger: LedgerCounts
) -> dict[str, Any]:
    counts = ledger.record_entries_by_credential(ledger_rules.RECORD_KINDS)
    parts = {
        "transcripts": ledger_rules.reconcile(transcripts.issued_ids(), counts),
        "diplomas": ledger_rules.reconcile(diplomas.register_ids(), counts),
    }
    return ledger_rules.summary(parts, sum(counts.values()))
