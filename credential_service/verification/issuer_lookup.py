"""``sogoc verify`` on a machine whose register is not the issuer's: ask the issuer's public ledger.

When no verification bundle is at hand and the credential is not in the local register, the evidence is
asked of the issuer over HTTP (:func:`verifier.online.fetch_bundle`), at the address printed in the QR
code (or ``--issuer``), and only if that address is on the allow-list of the installation's trust list
(``issuers``: :meth:`credential_service.ledger.key_rotation.KeyRotationService.trust_list`). The bundle it
answers is then checked like any other against the pinned log keys
(:meth:`VerificationService.verify_pdf`). An issuer that answers 404 gives no proof: NOT_IN_LEDGER; one
that cannot be reached, or is not on the allow-list, leaves the ledger INDETERMINATE with a hint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from credential_service.platform.canonical import canonical_json
from credential_service.platform.errors import NotFound
from credential_service.verification.results import Check, CredentialVerification, overall_verdict
from credential_service.verification.service import VerificationService
from credential_service.verification.uploads import embedded_records
from verifier.bundle import Bundle
from verifier.credential_check import issuer_url_from_qr
from verifier.errors import VerifierError
from verifier.online import fetch_bundle
from verifier.report import INDETERMINATE
from verifier.trust_list import TrustList

__all__ = ["IssuerEvidence", "ask_issuer", "note_issuer_answer"]


@dataclass(frozen=True)
class IssuerEvidence:
    """What asking the issuer gave: ``outcome`` is ``local`` (the register here knows the credential: not
    asked), ``found`` (with ``bundle``), ``absent``, ``unreachable``, ``not_allowed`` or ``no_address``."""

    outcome: str
    bundle: Bundle | None = None
    url: str | None = None
    detail: str | None = None


def _record_key(data: bytes) -> tuple[str, str] | None:
    import hashlib

    records = embedded_records(data)
    if len(records) != 1:
        return None
    try:
        record = json.loads(records[0])
        cid = record["credential_id"]
        return str(cid), hashlib.sha256(canonical_json(record)).hexdigest()
    except (ValueError, KeyError, TypeError):
        return None


def _qr_address(data: bytes) -> str | None:
    from verifier.qr_image import read_qr_from_pdf

    try:
        return issuer_url_from_qr(read_qr_from_pdf(data, pages=(1,)))
    except VerifierError:
        return None


def ask_issuer(svc: VerificationService, trust_note: str, data: bytes, issuer: str | None) -> IssuerEvidence:
    """The evidence for the credential in ``data``, from its allow-listed issuer, unless it is local."""
    key = _record_key(data)
    if key is None:
        return IssuerEvidence("local")  # no single readable record: the service's checks say why
    cid, digest = key
    try:
        svc.credential_status(cid)
        return IssuerEvidence("local")
    except NotFound:
        pass
    trust = TrustList.from_note(trust_note)
    url = issuer or _qr_address(data)
    if not url:
        return IssuerEvidence("no_address", detail="the issuer's address cannot be read from the QR; use --issuer")
    allowed = trust.issuer_for(url)
    if allowed is None:
        listed = ", ".join(i.url for i in trust.issuers) or "-"
        return IssuerEvidence("not_allowed", url=url, detail=f"{url} is not on the trust list's issuers ({listed})")
    answer = fetch_bundle(allowed, cid, digest)
    return IssuerEvidence(answer.outcome, answer.bundle, answer.url, answer.en or None)


def note_issuer_answer(result: CredentialVerification, ev: IssuerEvidence, checked_at: str) -> CredentialVerification:
    """Say in ``result`` that the ledger evidence came from the issuer (or why it could not be asked)."""
    if ev.outcome == "local":
        return result
    source: dict[str, Any] = {"source": "issuer", "url": ev.url, "outcome": ev.outcome, "checked_at": checked_at}
    if result.ledger_source:
        source = {**result.ledger_source, **source}
    if ev.detail:
        source["detail"] = ev.detail
    result.ledger_source = source
    if ev.outcome in ("not_allowed", "unreachable", "no_address"):
        sub = "ISSUER_NOT_ALLOWED" if ev.outcome == "not_allowed" else "LEDGER_UNREACHABLE"
        for i, check in enumerate(result.checks):
            if check.name == "ledger" and check.indication == INDETERMINATE:
                result.checks[i] = Check("ledger", INDETERMINATE, sub, ev.detail)
        return overall_verdict(result)
    return result
