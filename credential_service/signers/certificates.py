"""Signer certificates as the registry keeps them: where a key lives (from its label), the dev CA's key
and certificate files, loading and fingerprinting a certificate, and refusing one the registry knows to be
revoked or compromised."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.platform.clock import as_utc
from credential_service.platform.errors import InvalidInput, Message, SigningRefused
from credential_service.signers.tables import SignerCertificate
from signing.devpki import DEV_CA_STATE_DIR, DevCaScopes

DEVCA_PREFIX = "devca:"


def backend_for_label(key_label: str) -> str:
    """Where a key lives, from its label: ``pkcs11`` (HSM/token), ``external`` (the signer's own computer,
    through ``sogoc sign-agent``), ``devca`` (dev CA file), ``file`` (dev)."""
    if key_label.startswith("pkcs11:"):
        return "pkcs11"
    if key_label.startswith("csc:"):
        return "csc"
    if key_label.startswith("external:"):
        return "external"
    if key_label.startswith(DEVCA_PREFIX):
        return "devca"
    return "file"


def devca_paths(key_label: str, state_dir: Path) -> tuple[Path, Path]:
    """Key and certificate files of a ``devca:<label>`` signer: in a database's dev CA state (``state_dir``), else
    where the dev CA wrote it (labels are random: a factory shared by several databases in tests, or a key
    issued before the state was kept per database, in the checkout's ``var/devca``)."""
    label = key_label.removeprefix(DEVCA_PREFIX)
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,100}", label):
        raise InvalidInput(Message(f"Nhãn khóa không hợp lệ: {key_label!r}.", f"Invalid key label: {key_label!r}."))
    for folder in (state_dir, *DevCaScopes().roots(), DEV_CA_STATE_DIR):
        if (folder / "keys" / f"{label}.key.pem").exists():
            return folder / "keys" / f"{label}.key.pem", folder / "certs" / f"{label}.cert.pem"
    return state_dir / "keys" / f"{label}.key.pem", state_dir / "certs" / f"{label}.cert.pem"


def cert_sha256(cert: asn1_x509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    try:
        if asn1_pem.detect(data):
            _, _, data = asn1_pem.unarmor(data)
        cert = asn1_x509.Certificate.load(data)
        cert.native  # noqa: B018 - parse everything now
    except Exception as e:
        raise InvalidInput(
            Message("Tệp không phải chứng thư số X.509 (PEM/DER).", "The file is not an X.509 certificate (PEM/DER).")
        ) from e
    return cert


def require_usable_certificate(session: Session, cert: asn1_x509.Certificate, at: datetime) -> None:
    """Refuse a certificate the registry knows to be revoked or compromised at ``at``."""
    row = session.execute(select(SignerCertificate).where(SignerCertificate.sha256 == cert_sha256(cert))).scalar()
    if row is None:
        return
    at = as_utc(at)
    if row.revoked_at is not None and row.revoked_at <= at:
        raise SigningRefused(
            Message(
                f"Chứng thư {row.serial_hex} của {row.subject} đã bị thu hồi từ "
                f"{row.revoked_at:%d/%m/%Y %H:%M} UTC; không ký được.",
                f"Certificate {row.serial_hex} of {row.subject} was revoked at "
                f"{row.revoked_at.isoformat()}; signing refused.",
            ),
            hint=Message(
                "Tài liệu chưa bị thay đổi. Hãy dùng chứng thư mới.", "Nothing was changed. Use a new certificate."
            ),
            reason="certificate_revoked",
        )
    if row.compromised_at is not None and row.compromised_at <= at:
        raise SigningRefused(
            Message(
                f"Khóa của chứng thư {row.serial_hex} ({row.subject}) đã bị lộ; không ký được.",
                f"The key of certificate {row.serial_hex} ({row.subject}) is compromised; signing refused.",
            ),
            reason="key_compromised",
        )


def certificate_dict(row: SignerCertificate) -> dict[str, Any]:
    return {
        "certificate_id": row.id,
        "staff_id": row.staff_id,
        "key_label": row.key_label,
        "backend": row.backend,
        "source": row.source,
        "serial_hex": row.serial_hex,
        "subject": row.subject,
        "issuer": row.issuer,
        "sha256": row.sha256,
        "not_before": row.not_before.isoformat(),
        "not_after": row.not_after.isoformat(),
        "status": row.status,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "revocation_reason": row.revocation_reason,
        "compromised_at": row.compromised_at.isoformat() if row.compromised_at else None,
        "replaced_by_id": row.replaced_by_id,
    }
