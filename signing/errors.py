"""Errors of the signing library.

Every error carries a message for people in Vietnamese (``.vi``) and English (``.en``) and a
stable machine ``.reason`` code in snake_case (also exposed as ``.code``, as before) and
``.problem_code``, the same code in kebab-case like the service's error codes. The verifier
library's errors have the same shape (``vi``, ``en``, ``reason``, ``code``, ``problem_code``).
``str(err)`` is ``"<vi> / <en>"``.
Certificate errors may carry the structured check result (``.check``) so the caller can store it
with the signing record.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AgentSigningError",
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificateRevokedError",
    "CertificateStatusUnknownError",
    "CscError",
    "FieldAlreadySignedError",
    "FieldMissingError",
    "MismatchedSigningResponseError",
    "Pkcs11Error",
    "ReusedSigningResponseError",
    "SignerCertificateError",
    "SigningError",
    "StaleSigningResponseError",
    "TimestampError",
    "UntrustedChainError",
    "WrongKeyUsageError",
]


class SigningError(Exception):
    """Base of every error the signing library raises on purpose."""

    reason: str = "signing_failed"

    def __init__(self, vi: str, en: str, *, reason: str | None = None, check: Any = None) -> None:
        self.vi = vi
        self.en = en
        if reason is not None:
            self.reason = reason
        self.check = check  # a signing.checks.CertificateCheck, when relevant
        super().__init__(f"{vi} / {en}")

    @property
    def code(self) -> str:
        """The snake_case ``reason`` (kept for callers that read ``.code``)."""
        return self.reason

    @property
    def problem_code(self) -> str:
        """The machine code in kebab-case (``certificate_expired`` → ``certificate-expired``)."""
        return self.reason.replace("_", "-")

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reason": self.reason, "vi": self.vi, "en": self.en}
        if self.check is not None and hasattr(self.check, "to_dict"):
            out["check"] = self.check.to_dict()
        return out


class SignerCertificateError(SigningError):
    """The signer's certificate must not be used for signing (base of the certificate errors)."""

    reason = "certificate_invalid"


class CertificateExpiredError(SignerCertificateError):
    reason = "certificate_expired"


class CertificateNotYetValidError(SignerCertificateError):
    reason = "certificate_not_yet_valid"


class CertificateRevokedError(SignerCertificateError):
    reason = "certificate_revoked"


class CertificateStatusUnknownError(SignerCertificateError):
    """No usable OCSP/CRL answer and the revocation policy is hard-fail."""

    reason = "certificate_status_unknown"


class WrongKeyUsageError(SignerCertificateError):
    reason = "wrong_key_usage"


class UntrustedChainError(SignerCertificateError):
    reason = "untrusted_chain"


class FieldMissingError(SigningError):
    reason = "field_missing"


class FieldAlreadySignedError(SigningError):
    reason = "field_already_signed"


class TimestampError(SigningError):
    reason = "timestamp_failed"


class Pkcs11Error(SigningError):
    """The PKCS#11 module, token, PIN or key could not be used (the PIN is never part of the message)."""

    reason = "pkcs11_failed"


class CscError(SigningError):
    """The remote signing service (CSC API) could not be used: service down, unknown credential, the
    signer's PIN/OTP refused, the batch's signature activation data used up or expired… (the PIN and
    OTP are never part of the message)."""

    reason = "csc_failed"


class StaleSigningResponseError(SigningError):
    """An external signing response arrived after the request expired, or the document moved on."""

    reason = "response_expired"


class MismatchedSigningResponseError(SigningError):
    """An external signing response does not answer the pending request (digest, certificate, nonce…)."""

    reason = "response_mismatch"


class ReusedSigningResponseError(SigningError):
    """An external signing response was already used to complete a document."""

    reason = "response_reused"


class AgentSigningError(SigningError):
    """The sign agent refused or failed to sign a request."""

    reason = "agent_refused"
