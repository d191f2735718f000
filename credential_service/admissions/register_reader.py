"""The adapter of the register port (``register_rules.LearningRegister``): reads through the holders, transcripts,
diplomas and verification services, never their tables.

For each personal ID asked:

* the holders service gives the student records and diplomas linked to the person who holds that ID;
* the transcripts service gives the sealed grade 6–9 học bạ of those students, or of students stating that ID
  (taken only when the number agrees with the record's sex and date of birth), the latest issued version per
  student and class;
* the diplomas service gives the legacy THCS diplomas linked or stating that ID (every version);
* each source is verified: its status from the verification service must be ``valid`` (not superseded, not
  revoked), its ledger entry must be in the latest signed checkpoint and commit to the register's record hash
  (RFC 9162 inclusion proof and the salted commitment), and the record read must hash to that same hash.

The PDF's signatures are not re-verified here (seconds per document at city scale); the record the figures come
from is the one the ledger commits to. Only the minimum fields leave this module (``register_rules``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from credential_service.admissions.register_rules import (
    Completion,
    RegisterFacts,
    Source,
    YearFigure,
    completion_confirmed,
    final_levels,
    record_intact,
    stated_pin_agrees,
)
from credential_service.diplomas.service import DiplomaService
from credential_service.holders.service import HolderService
from credential_service.platform.clock import Clock
from credential_service.platform.errors import NotFound
from credential_service.transcripts.service import TranscriptService
from credential_service.verification.results import CredentialStatus

CHUNK = 500  # personal IDs per round of queries (bound parameters stay well under every database's limit)
CURRENT_DIPLOMA = "issued"  # a diploma version the register still holds in force (others: corrected, revoked …)


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


class RegisterReader:
    def __init__(
        self,
        transcripts: TranscriptService,
        holders: HolderService,
        diplomas: DiplomaService,
        status: Callable[[str], CredentialStatus],
        *,
        clock: Clock,
    ) -> None:
        self.transcripts = transcripts
        self.holders = holders
        self.diplomas = diplomas
        self.status = status
        self.clock = clock

    def read(self, personal_ids: Sequence[str]) -> Mapping[str, RegisterFacts]:
        out: dict[str, RegisterFacts] = {}
        for chunk in _chunks(sorted(set(personal_ids)), CHUNK):
            out.update(self._read(chunk))
        return out

    def _source(self, kind: str, row: Mapping[str, Any]) -> Source:
        intact = record_intact(row["record_json"], row["record_sha256"])
        try:
            st = self.status(row["credential_id"])
        except NotFound:
            return Source(kind, row["credential_id"], row["version"], "unknown", False, intact)
        # a year the học bạ book continued into the next school year is still that year's signed record
        status = "continued" if st.status == "superseded" and st.continued_in else st.status
        return Source(
            kind, row["credential_id"], row["version"], status, st.ledger.included,
            intact and st.record_sha256 == row["record_sha256"] and st.version == row["version"],
        )  # fmt: skip

    def _read(self, pins: list[str]) -> dict[str, RegisterFacts]:
        asked, today = set(pins), self.clock.today()
        linked = self.holders.records_linked_by_pin(pins)
        student_pin = {sid: pin for pin, (sids, _) in linked.items() for sid in sids}
        diploma_pin = {did: pin for pin, (_, dids) in linked.items() for did in dids}
        years: dict[str, list[YearFigure]] = {pin: [] for pin in pins}
        done: dict[str, list[Completion]] = {pin: [] for pin in pins}
        for t in self.transcripts.sealed_lower_secondary(pins, list(student_pin)):
            record = json.loads(t["record_json"])
            pin = student_pin.get(t["student_id"])
            if pin is None:
                stated = t["personal_id"]
                if stated not in asked or not stated_pin_agrees(record, stated, today):
                    continue
                pin = stated
            source = self._source("transcript", t)
            learning, conduct = final_levels(record)
            years[pin].append(YearFigure(int(t["grade"]), str(t["school_year"]), learning, conduct, source))
            if completion_confirmed(record):
                done[pin].append(Completion("principal_confirmation", source))
            del record  # only the minimum fields above leave this function
        for d in self.diplomas.legacy_thcs_diplomas(pins, list(diploma_pin)):
            pin = diploma_pin.get(d["credential_id"]) or (d["personal_id"] if d["personal_id"] in asked else None)
            if pin is None or d["status"] != CURRENT_DIPLOMA:
                continue
            done[pin].append(Completion("legacy_diploma", self._source("diploma", d)))
        return {pin: RegisterFacts(pin, tuple(years[pin]), tuple(done[pin])) for pin in pins}
