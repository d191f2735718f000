"""The register against the ledger (issue #16 item 2: "the totals agree exactly with the ledger"), pure.

Every credential the register holds as issued must be recorded in the ledger by exactly one entry of a recording
kind: a transcript version sealed (``issued``, or ``continued`` / ``amended`` / ``corrected`` for a later version);
a diploma issued, corrected or reissued, or imported from a paper register (``imported``). A revocation is an
entry of its own kind and does not count here. Anything else is a disagreement the Sở must explain: a credential
the ledger does not record (missing) or records twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

RECORD_KINDS = ("issued", "imported", "amended", "corrected", "reissued", "continued")
SHOWN = 20  # ids listed per disagreement, for drill-down (credential ids, not personal data)


def reconcile(register_ids: Iterable[str], ledger_counts: Mapping[str, int]) -> dict[str, Any]:
    """Counts for one kind of credential: how many the register holds, how many the ledger records once, and
    the disagreements with the first ids of each."""
    register = 0
    missing: list[str] = []
    twice: list[str] = []
    for credential_id in register_ids:
        register += 1
        n = ledger_counts.get(credential_id, 0)
        if n == 0:
            missing.append(credential_id)
        elif n > 1:
            twice.append(credential_id)
    return {
        "register": register,
        "recorded_once": register - len(missing) - len(twice),
        "missing_from_ledger": len(missing),
        "recorded_more_than_once": len(twice),
        "agree": not missing and not twice,
        "examples": {"missing_from_ledger": sorted(missing)[:SHOWN], "recorded_more_than_once": sorted(twice)[:SHOWN]},
    }


def summary(parts: Mapping[str, dict[str, Any]], ledger_entries: int) -> dict[str, Any]:
    """The whole reconciliation: each kind's counts, the ledger's recording entries, and whether all agree."""
    return {
        **parts,
        "ledger_record_entries": ledger_entries,
        "agree": all(p["agree"] for p in parts.values()),
    }
