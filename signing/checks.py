"""Pre-signing checks of a signer's certificate (Circular 15/2025: check validity before signing).

:func:`check_signer_certificate` returns a :class:`CertificateCheck` — a structured,
JSON-able record (one item per check: validity period, key usage, chain to the configured
trust roots, revocation via OCSP/CRL) that the service stores with the signing record.
:meth:`CertificateCheck.require_ok` raises the matching :class:`~signing.errors.SigningError`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)

from verifier.clock import SystemClock

from .errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    CertificateStatusUnknownError,
    SignerCertificateError,
    UntrustedChainError,
    WrongKeyUsageError,
)

__all__ = [
    "SIGNER_KEY_USAGE",
    "CertificateCheck",
    "CheckItem",
    "async_check_signer_certificate",
    "check_signer_certificate",
]

SIGNER_KEY_USAGE: frozenset[str] = frozenset({"digital_signature", "non_repudiation"})

_ERRORS: dict[str, type[SignerCertificateError]] = {
    "certificate_expired": CertificateExpiredError,
    "certificate_not_yet_valid": CertificateNotYetValidError,
    "wrong_key_usage": WrongKeyUsageError,
    "untrusted_chain": UntrustedChainError,
    "certificate_revoked": CertificateRevokedError,
    "certificate_status_unknown": CertificateStatusUnknownError,
}


@dataclass(frozen=True)
class CheckItem:
    name: str  # "validity" | "key_usage" | "chain" | "revocation"
    ok: bool
    detail: str  # English
    detail_vi: str
    reason: str | None = None  # SigningError reason code when not ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "detail_vi": self.detail_vi,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CertificateCheck:
    subject: str
    issuer: str
    serial_hex: str
    sha256_hex: str
    at: datetime
    revocation_policy: str  # "hard-fail" | "soft-fail"
    items: tuple[CheckItem, ...]
    cert: x509.Certificate = field(repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    @property
    def first_failure(self) -> CheckItem | None:
        return next((i for i in self.items if not i.ok), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial_hex": self.serial_hex,
            "sha256_hex": self.sha256_hex,
            "at": self.at.isoformat(),
            "revocation_policy": self.revocation_policy,
            "ok": self.ok,
            "checks": [i.to_dict() for i in self.items],
        }

    def require_ok(self) -> CertificateCheck:
        failure = self.first_failure
        if failure is None:
            return self
        reason = failure.reason or "certificate_invalid"
        cls = _ERRORS.get(reason, SignerCertificateError)
        raise cls(
            f"Không thể ký bằng chứng thư của {self.subject}: {failure.detail_vi}",
            f"Cannot sign with the certificate of {self.subject}: {failure.detail}",
            reason=reason,
            check=self,
        )


def _cn(name: x509.Name) -> str:
    native = name.native
    cn = native.get("common_name")
    return str(cn) if cn else str(name.human_friendly)


def _validity_item(cert: x509.Certificate, at: datetime) -> CheckItem:
    nb, na = cert.not_valid_before, cert.not_valid_after
    span = f"{nb:%Y-%m-%d} – {na:%Y-%m-%d}"
    if at < nb:
        return CheckItem(
            "validity",
            False,
            f"certificate not valid before {nb.isoformat()} (validity {span})",
            f"chứng thư chưa có hiệu lực trước {nb:%d/%m/%Y} (hiệu lực {span})",
            "certificate_not_yet_valid",
        )
    if at > na:
        return CheckItem(
            "validity",
            False,
            f"certificate expired on {na.isoformat()} (validity {span})",
            f"chứng thư đã hết hạn ngày {na:%d/%m/%Y} (hiệu lực {span})",
            "certificate_expired",
        )
    return CheckItem("validity", True, f"valid at {at.isoformat()} ({span})", f"còn hiệu lực ({span})")


def _key_usage_item(cert: x509.Certificate, required: frozenset[str]) -> CheckItem:
    ku = cert.key_usage_value
    present = set(ku.native) if ku is not None else set()
    missing = sorted(required - present)
    if missing:
        return CheckItem(
            "key_usage",
            False,
            f"key usage lacks {', '.join(missing)} (has {', '.join(sorted(present)) or 'none'})",
            f"mục đích sử dụng khóa thiếu {', '.join(missing)}",
            "wrong_key_usage",
        )
    return CheckItem("key_usage", True, f"key usage {', '.join(sorted(present))}", "mục đích khóa hợp lệ")


async def _chain_and_revocation(
    cert: x509.Certificate,
    vc: ValidationContext,
    intermediates: Iterable[x509.Certificate],
) -> tuple[CheckItem, CheckItem]:
    not_checked_vi = "chưa kiểm tra được (chuỗi chứng thư lỗi)"
    validator = CertificateValidator(cert, intermediate_certs=list(intermediates), validation_context=vc)
    try:
        path = await validator.async_validate_path()
    except RevokedError as e:
        return (
            CheckItem("chain", True, "chains to a trusted root", "chuỗi chứng thư tin cậy"),
            CheckItem(
                "revocation",
                False,
                f"certificate revoked: {e}",
                "chứng thư đã bị thu hồi",
                "certificate_revoked",
            ),
        )
    except InsufficientRevinfoError as e:
        return (
            CheckItem("chain", True, "chains to a trusted root", "chuỗi chứng thư tin cậy"),
            CheckItem(
                "revocation",
                False,
                f"no usable OCSP/CRL answer (hard-fail): {e}",
                "không lấy được trạng thái thu hồi (OCSP/CRL)",
                "certificate_status_unknown",
            ),
        )
    except (ExpiredError, NotYetValidError) as e:
        return (
            CheckItem(
                "chain",
                False,
                f"path validation failed: {e}",
                "chứng thư ngoài thời hạn hiệu lực",
                "untrusted_chain",
            ),
            CheckItem("revocation", False, "not checked", not_checked_vi, "certificate_status_unknown"),
        )
    except PathBuildingError as e:
        return (
            CheckItem(
                "chain",
                False,
                f"no path to a trusted root: {e}",
                "không dựng được chuỗi tới chứng thư gốc tin cậy",
                "untrusted_chain",
            ),
            CheckItem("revocation", False, "not checked", not_checked_vi, "certificate_status_unknown"),
        )
    except (PathValidationError, ValidationError) as e:
        return (
            CheckItem(
                "chain",
                False,
                f"path validation failed: {e}",
                "chuỗi chứng thư không hợp lệ",
                "untrusted_chain",
            ),
            CheckItem("revocation", False, "not checked", not_checked_vi, "certificate_status_unknown"),
        )
    root = _cn(path.first.subject) if path.first is not None else "?"
    chain_item = CheckItem("chain", True, f"chains to trusted root {root!r}", f"chuỗi tới gốc tin cậy {root!r}")
    soft = vc.soft_fail_exceptions
    if soft:
        rev_item = CheckItem(
            "revocation",
            True,
            f"status unavailable, accepted under soft-fail: {soft[-1]}",
            "không lấy được trạng thái thu hồi, chấp nhận theo chính sách soft-fail",
        )
    else:
        rev_item = CheckItem("revocation", True, "not revoked (OCSP/CRL)", "chưa bị thu hồi (OCSP/CRL)")
    return chain_item, rev_item


async def async_check_signer_certificate(
    cert: x509.Certificate,
    *,
    at: datetime | None = None,
    validation_context: ValidationContext,
    intermediates: Iterable[x509.Certificate] = (),
    required_key_usage: frozenset[str] = SIGNER_KEY_USAGE,
) -> CertificateCheck:
    """Async variant of :func:`check_signer_certificate`."""
    at = at or SystemClock().now()
    policy = validation_context.revinfo_policy.revocation_checking_policy
    chain_item, rev_item = await _chain_and_revocation(cert, validation_context, intermediates)
    return CertificateCheck(
        subject=_cn(cert.subject),
        issuer=_cn(cert.issuer),
        serial_hex=format(cert.serial_number, "x"),
        sha256_hex=hashlib.sha256(cert.dump()).hexdigest(),
        at=at,
        revocation_policy="hard-fail" if policy.essential else "soft-fail",
        items=(_validity_item(cert, at), _key_usage_item(cert, required_key_usage), chain_item, rev_item),
        cert=cert,
    )


def check_signer_certificate(
    cert: x509.Certificate,
    *,
    at: datetime | None = None,
    validation_context: ValidationContext,
    intermediates: Iterable[x509.Certificate] = (),
    required_key_usage: frozenset[str] = SIGNER_KEY_USAGE,
) -> CertificateCheck:
    """Check a signer certificate at time ``at`` (default: now) before signing.

    Chain and revocation are evaluated by ``validation_context`` (its trust roots, its time —
    build it with ``moment=at`` for a point-in-time check — and its revocation mode:
    ``hard-fail`` refuses when no OCSP/CRL answer can be had, ``soft-fail`` accepts).
    Never raises for a bad certificate; call :meth:`CertificateCheck.require_ok`.
    """

    async def _run() -> CertificateCheck:
        try:
            return await async_check_signer_certificate(
                cert,
                at=at,
                validation_context=validation_context,
                intermediates=intermediates,
                required_key_usage=required_key_usage,
            )
        finally:
            await validation_context.aclose()

    return asyncio.run(_run())
