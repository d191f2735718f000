"""What each four-eyes proposal does when approved, and who may approve it.

The maker's route stores the proposal (``staff/approvals.py``); ``POST /api/v1/approvals/{id}/approve``
runs the action here with both names. Actions that sign (correction, reissue) sign with the checker's
own key after the checker's own fresh confirmation: the checker is the issuer.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from credential_service.app.bootstrap import Container
from credential_service.diplomas import register_import_jobs as rij
from credential_service.diplomas.rules import CorrectionRequest
from credential_service.staff.approvals import both
from credential_service.staff.authz import seal_in_force
from credential_service.staff.policy import Actor, Policy, staff
from credential_service.staff.roles import Role


@dataclass(frozen=True)
class Approved:
    """A proposal being run: its id, what the maker proposed, and both people."""

    id: str
    payload: dict[str, Any]
    maker: str
    checker: Actor

    @property
    def both(self) -> str:
        """The two names recorded as the actor (maker + checker)."""
        return both(self.maker, self.checker.display)


Run = Callable[[Container, Approved], dict[str, Any]]


@dataclass(frozen=True)
class Action:
    kind: str
    checker: Policy
    run: Run
    signs: bool = False  # the checker's key signs: their fresh confirmation is needed


def _revoke(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    fields = {**p["fields"], "decision_date": date.fromisoformat(p["fields"]["decision_date"])}
    return c.diplomas.revoke(p["diploma_id"], **fields, actor=a.both)


def _seal_of(c: Container, p: dict[str, Any]) -> str:
    """The seal in force at the diploma's school (the proposal records the school)."""
    with c.db.reader() as session:
        return seal_in_force(session, school_id=str(p["school_id"]), on=c.clock.today()).id


def _correct(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    f = p["fields"]
    request = CorrectionRequest(
        **{**f, "decision_date": date.fromisoformat(f["decision_date"]), "evidence": tuple(f["evidence"])}
    )
    return c.diplomas.correct(
        p["diploma_id"],
        request,
        actor=a.both,
        issuer_staff_id=a.checker.staff_id,
        seal_staff_id=_seal_of(c, p),
    )


def _reissue(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    f = {**p["fields"], "decision_date": date.fromisoformat(p["fields"]["decision_date"])}
    return c.diplomas.reissue(
        p["diploma_id"],
        **f,
        actor=a.both,
        issuer_staff_id=a.checker.staff_id,
        seal_staff_id=_seal_of(c, p),
    )


def _register_import(c: Container, a: Approved) -> dict[str, Any]:
    """A small book is imported at once; a large one (``register_import_jobs.JOB_BYTES``) by the job workers:
    the approval is then done when the import is queued, and its result names the job."""
    p = a.payload
    data = rij.proposal_file(p)
    actor = a.both
    if rij.runs_as_job(data):
        job_id = rij.submit_register_import(c.jobs, a.id, p, actor=actor, created_by=a.checker.display)
        return {
            **c.jobs.accepted(job_id),
            "message_vi": "Đã duyệt; sổ lớn nên được nhập trong công việc nền — xem tiến độ và kết quả của công việc.",
            "message_en": "Approved; the book is large, so it is imported as a background job — see the job's "
            "progress and result.",
        }
    book = rij.book_info(p["book"])
    return c.register_importer.import_file(data, p["file_name"], book, actor=actor).to_dict()


def _resolve(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    return c.register_importer.resolve(p["item_id"], decision=p["decision"], clerk=a.both, note=p["note"])


def _certificate(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    return c.signers.import_certificate(p["staff_id"], base64.b64decode(p["cert_b64"]), p["key_label"])


def _assign(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    return c.signers.assign(
        p["staff_id"],
        p["role"],
        school_id=p.get("school_id"),
        class_id=p.get("class_id"),
        commune=p.get("commune"),
        valid_from=date.fromisoformat(p["valid_from"]),
        valid_to=date.fromisoformat(p["valid_to"]) if p.get("valid_to") else None,
    )


def _transfer(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    return c.signers.transfer(
        p["assignment_id"],
        on=date.fromisoformat(p["on"]),
        school_id=p.get("school_id"),
        class_id=p.get("class_id"),
        staff_id=p.get("staff_id"),
    )


def _compromise(c: Container, a: Approved) -> dict[str, Any]:
    p = a.payload
    return c.compromise.declare(
        p["certificate"],
        compromised_at=datetime.fromisoformat(p["compromised_at"]),
        declared_by=a.both[:100],
        reason=p.get("reason"),
    )


_SO_REGISTER = {Role.SO_CLERK, Role.SO_ADMIN}
ACTIONS: dict[str, Action] = {
    a.kind: a
    for a in [
        Action("diploma.revoke", staff("approve.diploma.revoke", {Role.PRINCIPAL, *_SO_REGISTER}), _revoke),
        Action("diploma.correct", staff("approve.diploma.correct", {Role.PRINCIPAL}), _correct, signs=True),
        Action("diploma.reissue", staff("approve.diploma.reissue", {Role.PRINCIPAL}), _reissue, signs=True),
        Action("register.import", staff("approve.register.import", _SO_REGISTER), _register_import),
        Action("register.resolve", staff("approve.register.resolve", _SO_REGISTER), _resolve),
        Action("signer.certificate", staff("approve.signer.certificate", {Role.SO_ADMIN}), _certificate),
        Action("signer.assign", staff("approve.signer.assign", {Role.SO_ADMIN}), _assign),
        Action("signer.transfer", staff("approve.signer.transfer", {Role.SO_ADMIN}), _transfer),
        Action("key.compromise", staff("approve.key.compromise", {Role.SO_ADMIN}), _compromise),
    ]
}
