"""Alerts for a person (``alerts.py``), read from the progress model, the diplomas' 5-day view and the signer
registry — through their services, never their tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from credential_service.platform.clock import Clock
from credential_service.reporting import alerts as A
from credential_service.reporting.rules import Filters
from credential_service.reporting.service import DeadlineReads, ReportingService
from credential_service.staff.roles import Grant


class SignerReads(Protocol):
    """What the alerts need from the signer registry (``SignerRegistry``)."""

    def certificates(self, staff_id: str | None = None) -> list[dict[str, Any]]: ...

    def signer(self, staff_id: str) -> dict[str, Any]: ...


def _school_in_force(signer: dict[str, Any], on: date) -> str | None:
    for a in signer.get("assignments", []):
        starts, ends = date.fromisoformat(a["valid_from"]), a.get("valid_to")
        if starts <= on and (ends is None or on <= date.fromisoformat(ends)) and a.get("school_id"):
            return str(a["school_id"])
    return None


class AlertsService:
    def __init__(
        self, progress: ReportingService, diplomas: DeadlineReads, signers: SignerReads, *, clock: Clock
    ) -> None:
        self.progress = progress
        self.diplomas = diplomas
        self.signers = signers
        self.clock = clock

    def all(self) -> list[A.Alert]:
        """Every alert in the city today."""
        today = self.clock.today()
        model, year, _, _ = self.progress.model(Filters(), None)
        schools = [(s, t) for s, t, _ in model.schools.values()]
        by_code = {s.code: s for s, _ in schools}
        by_id = {s.school_id: s for s, _ in schools}
        out = A.behind_alerts(schools, year, today)
        out += A.deadline_alerts(self.diplomas.deadline_view(today), by_code, today)
        certificates = A.expiring(self.signers.certificates(), today)
        names: dict[str, tuple[str, str | None]] = {}
        for staff_id in {str(c["staff_id"]) for c in certificates}:
            signer = self.signers.signer(staff_id)
            names[staff_id] = (signer["full_name"], _school_in_force(signer, today))
        out += A.certificate_alerts(certificates, names, by_id, today)
        return out

    def for_person(self, grants: Iterable[Grant]) -> list[dict[str, Any]]:
        return A.for_person(self.all(), grants, self.clock.today())
