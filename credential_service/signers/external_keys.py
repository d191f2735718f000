"""Whose key is at the signer's own computer, and which certificate is theirs.

Key label format
----------------
A staff member whose ``staff.key_label`` is ``external:<label>`` holds the key at their computer;
the service never has it. Their registered certificate is, in this order:

* the ``signer_certificates`` rows of that staff member with ``key_label`` equal to
  ``external:<label>`` and status ``active`` (imported from the CA); else
* the file ``{keys_dir}/out/<label>.cert.pem`` (``<label>``: letters, digits, ``.``, ``_``, ``-``).

The certificate presented at prepare time (what the agent reports at ``GET /certificate``) must be
one of these, byte for byte (:func:`require_registered_certificate`).
"""

from __future__ import annotations

import re
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.platform.errors import InvalidInput, Message, SigningRefused
from credential_service.signers.certificates import cert_sha256, load_certificate
from credential_service.signers.tables import SignerCertificate
from credential_service.staff.tables import Staff

EXTERNAL_PREFIX = "external:"
_LABEL = re.compile(r"[A-Za-z0-9._-]{1,55}")


def is_external_label(key_label: str) -> bool:
    return key_label.startswith(EXTERNAL_PREFIX)


def external_cert_path(keys_dir: Path, key_label: str) -> Path:
    """``{keys_dir}/out/<label>.cert.pem`` for ``external:<label>``."""
    label = key_label.removeprefix(EXTERNAL_PREFIX)
    if not is_external_label(key_label) or not _LABEL.fullmatch(label):
        raise InvalidInput(
            Message(f"Nhãn khóa ký ngoài không hợp lệ: {key_label!r}.", f"Invalid external key label: {key_label!r}.")
        )
    return keys_dir / "out" / f"{label}.cert.pem"


def require_registered_certificate(session: Session, staff: Staff, cert: asn1_x509.Certificate, keys_dir: Path) -> None:
    """The presented certificate must be the staff member's registered one (see the module docstring)."""
    label = staff.key_label
    if not is_external_label(label):
        raise SigningRefused(
            Message(
                f"Khóa của {staff.full_name} do hệ thống giữ ({label}), không phải trên máy người ký; "
                "hãy dùng bước ký thông thường.",
                f"The key of {staff.full_name} is held by the service ({label}), not at the signer's "
                "computer; use the ordinary signing step.",
            ),
            reason="not_external_signer",
        )
    registered = set(
        session.execute(
            select(SignerCertificate.sha256).where(
                SignerCertificate.staff_id == staff.id,
                SignerCertificate.key_label == label,
                SignerCertificate.status == "active",
            )
        ).scalars()
    )
    if not registered:
        path = external_cert_path(keys_dir, label)
        if path.exists():
            registered = {cert_sha256(load_certificate(path.read_bytes()))}
    if not registered:
        raise SigningRefused(
            Message(
                f"{staff.full_name} chưa có chứng thư số được đăng ký ({label}); không ký được.",
                f"{staff.full_name} has no registered certificate ({label}); signing refused.",
            ),
            hint=Message(
                "Nhập chứng thư của người ký vào danh mục người ký.", "Import the signer's certificate first."
            ),
            reason="certificate_not_registered",
        )
    if cert_sha256(cert) not in registered:
        raise SigningRefused(
            Message(
                f"Chứng thư số {format(cert.serial_number, 'x')} ({cert.subject.human_friendly}) không phải "
                f"chứng thư đã đăng ký của {staff.full_name}; không ký được. Tài liệu không bị thay đổi.",
                f"Certificate {format(cert.serial_number, 'x')} ({cert.subject.human_friendly}) is not the "
                f"registered certificate of {staff.full_name}; signing refused. The documents were not changed.",
            ),
            hint=Message(
                "Cắm đúng token của bạn, hoặc nhờ quản trị đăng ký chứng thư mới.",
                "Use your own token, or have the administrator register your new certificate.",
            ),
            reason="certificate_not_registered",
        )
