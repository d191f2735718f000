"""Which keys are compromised, and which signatures in a verification report they taint.

Verification (of transcripts, diplomas and any signed document) asks :func:`compromised_signatures`:
a signature made with a key declared compromised is flagged (KEY_COMPROMISED) unless a timestamp
proves it existed before the compromise. Declaring a compromise is :mod:`credential_service.signers.compromise`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.platform.clock import as_utc
from credential_service.signers.tables import KeyCompromise, SignerCertificate
from verifier.report import VerificationReport


def compromised_keys(session: Session) -> dict[str, datetime]:
    """Certificate SHA-256 → the time from which its key is compromised."""
    out: dict[str, datetime] = {}
    for sha, at in session.execute(
        select(SignerCertificate.sha256, SignerCertificate.compromised_at).where(
            SignerCertificate.compromised_at.is_not(None)
        )
    ):
        if at is not None:
            out[sha] = as_utc(at)
    for sha, at in session.execute(select(KeyCompromise.certificate_sha256, KeyCompromise.compromised_at)):
        out[sha] = min(as_utc(at), out.get(sha, as_utc(at)))
    return out


def compromised_signatures(session: Session, report: VerificationReport) -> list[dict[str, Any]]:
    """Signatures in ``report`` made with a compromised key and not proven (by a timestamp) to predate it."""
    keys = compromised_keys(session)
    flagged = []
    for sig in report.signatures:
        sha = sig.signer_certificate_sha256
        if sig.kind != "signature" or sha is None or sha not in keys:
            continue
        since = keys[sha]
        when = datetime.fromisoformat(sig.signing_time) if sig.signing_time else None
        if when is not None and sig.signing_time_source == "timestamp" and as_utc(when) < since:
            continue  # proven to exist before the key was compromised
        flagged.append(
            {
                "field": sig.field,
                "signer": sig.signer,
                "certificate_sha256": sha,
                "signing_time": sig.signing_time,
                "signing_time_source": sig.signing_time_source,
                "compromised_at": since.isoformat(),
            }
        )
    return flagged
