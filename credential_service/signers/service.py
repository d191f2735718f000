"""Signer registry: staff and seals, their certificates, role assignments with periods, the audit trail.

* Certificates are **imported** (PEM/DER from a CA such as VGCA, with the key label naming where the
  key lives: ``pkcs11:<token>/<label>`` or, in dev, a key file label) or, in dev/test, **issued by the
  dev CA** (``devca:<label>``: a new RSA-2048 key and a certificate from the ``sogoc-dev`` issuing
  CA, written in the dev CA state of this database, :func:`signing.devca.dev_ca_state_dir`).
* The dev CA lifecycle — issue, renew, revoke — updates the OCSP and CRL answers of the dev PKI
  server at once for the certificates it issued (:class:`signing.devca.DevCaRegistry`, per database);
  a revocation is also kept here, so the service refuses the certificate from that moment even before
  any OCSP answer says so (and for imported certificates whose CA has not published yet). A revocation
  of a committed dev PKI certificate (``keys/dev/out``, shared by every database) stays here only.
* Role assignments (``role_assignments``) have periods; :meth:`SignerRegistry.transfer` and
  :meth:`SignerRegistry.retire` end an assignment *from* a date (the day before is its last day).
* :func:`audit_row` builds the rows of the signing audit trail (``signing_audit``): every attempt,
  signed or refused, per document.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from credential_service.platform.clock import Clock, SystemClock, as_utc
from credential_service.platform.db import Database
from credential_service.platform.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    Message,
    NotFound,
    Problem,
    SigningRefused,
)
from credential_service.platform.settings import Settings
from credential_service.signers import certificate_rules
from credential_service.signers.tables import SignerCertificate, SigningAudit
from credential_service.staff.roles import Role, place_problem
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts.tables import SchoolClass
from signing.devpki import DEV_CA_STATE_DIR, DEV_CERT_DIR, DEV_PKI_DIR, DevCaRegistry, DevCaScopes, dev_ca_state_dir

ROLES = tuple(r.value for r in Role)
KINDS = ("person", "seal")
REVOCATION_REASONS = (
    "unspecified",
    "key_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
)
DEVCA_PREFIX = "devca:"


def _new_id() -> str:
    return str(uuid.uuid4())


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


def audit_row(
    *,
    operation: str,
    outcome: str,
    document_kind: str,
    document_id: str | None,
    staff_id: str | None,
    at: datetime,
    revision: int | None = None,
    step: str | None = None,
    cert: asn1_x509.Certificate | None = None,
    backend: str | None = None,
    client: str | None = None,
    actor: str | None = None,
    reason: str | None = None,
    message: Message | None = None,
    checks: dict[str, Any] | None = None,
) -> SigningAudit:
    """One row of the signing audit trail (``outcome``: signed | refused | failed)."""
    return SigningAudit(
        id=_new_id(),
        at=at,
        operation=operation,
        staff_id=staff_id,
        actor=actor,
        client=(client or None) and client[:200],
        document_kind=document_kind,
        document_id=document_id,
        revision=revision,
        step=step,
        certificate_serial=format(cert.serial_number, "x") if cert is not None else None,
        certificate_sha256=cert_sha256(cert) if cert is not None else None,
        backend=backend,
        outcome=outcome,
        reason=reason,
        message=f"{message.vi} / {message.en}" if message is not None else None,
        checks=checks,
    )


def refusal_reason(error: Exception) -> str:
    extra = getattr(error, "extra", {}) or {}
    return str(extra.get("reason") or getattr(error, "code", None) or type(error).__name__)[:64]


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


@dataclass(frozen=True)
class IssuedKey:
    certificate_id: str
    key_label: str
    serial_hex: str
    sha256: str
    cert_path: Path
    key_path: Path


def _cert_dict(row: SignerCertificate) -> dict[str, Any]:
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


def _assignment_dict(r: RoleAssignment) -> dict[str, Any]:
    return {
        "assignment_id": r.id,
        "staff_id": r.staff_id,
        "role": r.role,
        "school_id": r.school_id,
        "class_id": r.class_id,
        "valid_from": r.valid_from.isoformat(),
        "valid_to": r.valid_to.isoformat() if r.valid_to else None,
    }


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


class SignerRegistry:
    def __init__(
        self, db: Database, settings: Settings, *, state_dir: Path | None = None, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.state_dir = state_dir or dev_ca_state_dir(settings.database_url)
        self.dev_ca = DevCaRegistry(self.state_dir)

    # -- staff -----------------------------------------------------------------------------------
    def add_staff(self, full_name: str, kind: str = "person", key_label: str = "", staff_id: str | None = None) -> str:
        if kind not in KINDS:
            raise InvalidInput(Message(f"Loại người ký không hợp lệ: {kind}.", f"Invalid signer kind: {kind}."))
        sid = staff_id or _new_id()
        with self.db.transaction() as s:
            if s.get(Staff, sid) is not None:
                raise Conflict(Message(f"Đã có người ký mã {sid}.", f"Signer {sid} already exists."))
            s.add(Staff(id=sid, full_name=full_name, kind=kind, key_label=key_label[:64]))
        return sid

    def _staff(self, s: Session, staff_id: str) -> Staff:
        staff = s.get(Staff, staff_id)
        if staff is None:
            raise NotFound(Message(f"Không có cán bộ/chữ ký mã {staff_id}.", f"No staff member or seal {staff_id}."))
        return staff

    def signer(self, staff_id: str) -> dict[str, Any]:
        with self.db.reader() as s:
            staff = self._staff(s, staff_id)
            certs = s.execute(
                select(SignerCertificate)
                .where(SignerCertificate.staff_id == staff_id)
                .order_by(SignerCertificate.created_at)
            ).scalars()
            roles = s.execute(
                select(RoleAssignment).where(RoleAssignment.staff_id == staff_id).order_by(RoleAssignment.valid_from)
            ).scalars()
            return {
                "staff_id": staff.id,
                "full_name": staff.full_name,
                "kind": staff.kind,
                "key_label": staff.key_label,
                "backend": backend_for_label(staff.key_label),
                "certificates": [_cert_dict(c) for c in certs],
                "assignments": [_assignment_dict(r) for r in roles],
            }

    # -- certificates ----------------------------------------------------------------------------
    def check_certificate(self, staff_id: str, data: bytes, key_label: str) -> asn1_x509.Certificate:
        """Refuse a certificate that is short-keyed, not for signing, outside the trusted chain, or whose key
        is already registered to someone else (a copied public certificate proves nothing)."""
        cert = load_certificate(data)
        crypto_cert = x509.load_der_x509_certificate(cert.dump())
        roots, intermediates = self._trust_material()
        found = certificate_rules.findings(crypto_cert, roots, intermediates)
        with self.db.reader() as s:
            self._staff(s, staff_id)
            spki = hashlib.sha256(cert.public_key.dump()).hexdigest()
            for other in s.execute(select(SignerCertificate).where(SignerCertificate.staff_id != staff_id)).scalars():
                if hashlib.sha256(load_certificate(other.cert_der).public_key.dump()).hexdigest() == spki:
                    found.append(
                        certificate_rules.Finding(
                            "key_taken",
                            "Khóa công khai này đã đăng ký cho người ký khác.",
                            "This public key is already registered to another signer.",
                        )
                    )
                    break
        if found:
            raise InvalidInput(
                Message("Chứng thư không được chấp nhận.", "The certificate is refused."),
                problems=[Problem(Message(f.vi, f.en), location={"check": f.code}) for f in found],
            )
        return cert

    def _trust_material(self) -> tuple[list[x509.Certificate], list[x509.Certificate]]:
        root_paths = list(self.settings.trust_roots)
        if not root_paths and self.settings.is_dev:
            root_paths = [self.settings.keys_dir / "out" / "root.cert.pem"]
        roots = [x509.load_pem_x509_certificate(p.read_bytes()) for p in root_paths]
        out = self.settings.keys_dir / "out"
        intermediates = [x509.load_pem_x509_certificate(p.read_bytes()) for p in sorted(out.glob("issuing*.cert.pem"))]
        return roots, intermediates

    def import_certificate(
        self, staff_id: str, data: bytes, key_label: str, *, activate: bool = True, source: str = "imported"
    ) -> dict[str, Any]:
        """Register a certificate (PEM or DER) for a signer; ``key_label`` says where its key is held."""
        cert = self.check_certificate(staff_id, data, key_label)
        if not key_label or len(key_label) > 64:
            raise InvalidInput(
                Message("Cần nhãn khóa (tối đa 64 ký tự).", "A key label (at most 64 characters) is needed.")
            )
        if backend_for_label(key_label) == "file" and not self.settings.is_dev:
            raise ConfigurationError(
                Message(
                    "Môi trường production không nhận khóa dạng tệp; dùng pkcs11:<token>/<nhãn khóa>.",
                    "Production does not accept file keys; use pkcs11:<token>/<key label>.",
                )
            )
        with self.db.transaction() as s:
            staff = self._staff(s, staff_id)
            sha = cert_sha256(cert)
            if s.execute(select(SignerCertificate.id).where(SignerCertificate.sha256 == sha)).first():
                raise Conflict(Message("Chứng thư này đã được đăng ký.", "This certificate is already registered."))
            row = self._cert_row(staff_id, cert, key_label, source)
            s.add(row)
            if activate:
                self._activate(s, staff, row)
            s.flush()
            return _cert_dict(row)

    def _cert_row(self, staff_id: str, cert: asn1_x509.Certificate, key_label: str, source: str) -> SignerCertificate:
        return SignerCertificate(
            id=_new_id(),
            staff_id=staff_id,
            key_label=key_label,
            backend=backend_for_label(key_label),
            source=source,
            serial_hex=format(cert.serial_number, "x"),
            issuer=cert.issuer.human_friendly[:400],
            subject=cert.subject.human_friendly[:400],
            sha256=cert_sha256(cert),
            not_before=cert.not_valid_before,
            not_after=cert.not_valid_after,
            cert_der=cert.dump(),
            status="active",
            created_at=self.clock.now(),
        )

    def _activate(self, s: Session, staff: Staff, row: SignerCertificate) -> None:
        """Make ``row`` the signer's certificate; the previous active one is superseded by it."""
        for old in s.execute(
            select(SignerCertificate).where(
                SignerCertificate.staff_id == staff.id,
                SignerCertificate.status == "active",
                SignerCertificate.id != row.id,
            )
        ).scalars():
            old.status = "superseded"
            old.replaced_by_id = row.id
        staff.key_label = row.key_label

    def certificates(self, staff_id: str | None = None) -> list[dict[str, Any]]:
        with self.db.reader() as s:
            q = select(SignerCertificate).order_by(SignerCertificate.created_at)
            if staff_id:
                q = q.where(SignerCertificate.staff_id == staff_id)
            return [_cert_dict(c) for c in s.execute(q).scalars()]

    def find_certificate(self, s: Session, ref: str) -> SignerCertificate:
        """A registered certificate by id, SHA-256 or serial (hex)."""
        ref = ref.strip().lower().removeprefix("0x")
        row = (
            s.get(SignerCertificate, ref)
            or s.execute(
                select(SignerCertificate).where(
                    or_(SignerCertificate.sha256 == ref, SignerCertificate.serial_hex == ref)
                )
            ).scalar()
        )
        if row is None:
            raise NotFound(Message(f"Không có chứng thư {ref} trong danh mục.", f"No registered certificate {ref}."))
        return row

    # -- dev CA lifecycle (cấp phát, gia hạn, thu hồi) -------------------------------------------
    def _require_dev(self) -> None:
        if not self.settings.is_dev:
            raise ConfigurationError(
                Message(
                    "CA thử nghiệm chỉ dùng khi phát triển; production nhập chứng thư từ CA thật (VGCA).",
                    "The dev CA is for development only; production imports certificates from a real CA (VGCA).",
                )
            )

    def issue(
        self,
        staff_id: str,
        *,
        at: datetime | None = None,
        valid_days: int = 3 * 365,
        organization: str = "Trường THPT Demo Hải Phòng",
        unit: str | None = None,
        activate: bool = True,
    ) -> dict[str, Any]:
        """Dev CA: a new RSA-2048 key and a certificate for the signer (``devca:<label>``)."""
        self._require_dev()
        at = as_utc(at) if at is not None else self.clock.now()
        with self.db.reader() as s:
            staff = self._staff(s, staff_id)
            name = staff.full_name
        issued = self._issue_files(name, organization, unit, at, valid_days)
        cert = load_certificate(issued.cert_path.read_bytes())
        with self.db.transaction() as s:
            staff = self._staff(s, staff_id)
            row = self._cert_row(staff_id, cert, issued.key_label, "dev-ca")
            row.id = issued.certificate_id
            s.add(row)
            if activate:
                self._activate(s, staff, row)
            s.flush()
            return _cert_dict(row)

    def _issue_files(self, name: str, organization: str, unit: str | None, at: datetime, valid_days: int) -> IssuedKey:
        from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

        keys_dir = self.settings.keys_dir
        issuer_cert = x509.load_pem_x509_certificate((keys_dir / "out" / "issuing.cert.pem").read_bytes())
        issuer_key_path = keys_dir / "keys" / "issuing.key.pem"
        if not issuer_key_path.exists():  # a keys_dir without the CA key: use the committed dev PKI
            issuer_cert = x509.load_pem_x509_certificate((DEV_CERT_DIR / "issuing.cert.pem").read_bytes())
            issuer_key_path = DEV_PKI_DIR / "keys" / "issuing.key.pem"
        issuer_key = serialization.load_pem_private_key(issuer_key_path.read_bytes(), password=None)
        assert isinstance(issuer_key, rsa.RSAPrivateKey)
        ca_key: CertificateIssuerPrivateKeyTypes = issuer_key
        template = x509.load_pem_x509_certificate((DEV_CERT_DIR / "gvcn-10a1.cert.pem").read_bytes())
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Hải Phòng"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        ]
        if unit:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        serial = x509.random_serial_number()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attrs))
            .issuer_name(issuer_cert.subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(at - timedelta(minutes=5))
            .not_valid_after(at + timedelta(days=valid_days))
        )
        for ext in template.extensions:  # key usage, CRL distribution point, OCSP, AKI as the dev profile
            if isinstance(ext.value, x509.SubjectKeyIdentifier):
                builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            else:
                builder = builder.add_extension(ext.value, ext.critical)
        cert = builder.sign(ca_key, hashes.SHA256())
        label = f"{serial:x}"[:16]
        key_label = DEVCA_PREFIX + label
        key_path, cert_path = devca_paths(key_label, self.state_dir)
        key_path.parent.mkdir(parents=True, exist_ok=True)
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_path.chmod(0o600)
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        cert_path.write_bytes(cert_pem)
        self.dev_ca.record_issued(serial, name, at)
        der = cert.public_bytes(serialization.Encoding.DER)
        return IssuedKey(
            _new_id(), key_label, format(serial, "x"), hashlib.sha256(der).hexdigest(), cert_path, key_path
        )

    def renew(self, staff_id: str, *, at: datetime | None = None, valid_days: int = 3 * 365) -> dict[str, Any]:
        """Dev CA: a new key and certificate for a signer; the old certificate is superseded (not revoked)."""
        with self.db.reader() as s:
            current = s.execute(
                select(SignerCertificate).where(
                    SignerCertificate.staff_id == staff_id, SignerCertificate.status == "active"
                )
            ).scalar()
            cert = load_certificate(current.cert_der) if current is not None else None
        native = cert.subject.native if cert is not None else {}
        return self.issue(
            staff_id,
            at=at,
            valid_days=valid_days,
            organization=str(native.get("organization_name") or "Trường THPT Demo Hải Phòng"),
            unit=native.get("organizational_unit_name"),
        )

    def revoke(self, ref: str, *, at: datetime | None = None, reason: str = "unspecified") -> dict[str, Any]:
        """Revoke a registered certificate from ``at`` (default now): the registry refuses it from then on,
        and for a certificate this database's dev CA issued the dev OCSP responder and CRL say so at once (a
        committed dev PKI certificate is shared by every database: its revocation stays in this registry)."""
        if reason not in REVOCATION_REASONS:
            raise InvalidInput(
                Message(f"Lý do thu hồi không hợp lệ: {reason}.", f"Invalid revocation reason: {reason}."),
                hint=Message(", ".join(REVOCATION_REASONS), ", ".join(REVOCATION_REASONS)),
            )
        at = (as_utc(at) if at is not None else self.clock.now()).replace(microsecond=0)
        with self.db.transaction() as s:
            row = self.find_certificate(s, ref)
            if row.revoked_at is not None:
                raise Conflict(Message("Chứng thư đã bị thu hồi trước đó.", "The certificate was already revoked."))
            row.status = "revoked"
            row.revoked_at = at
            row.revocation_reason = reason
            if reason == "key_compromise" and row.compromised_at is None:
                row.compromised_at = at
            dev_issued = row.source == "dev-ca"  # issued by this database's dev CA: its OCSP/CRL say so
            if dev_issued:
                self._require_dev()
                self.dev_ca.revoke(int(row.serial_hex, 16), at, reason, row.subject)
            s.flush()
            out = _cert_dict(row)
        out["published_to_dev_ocsp_crl"] = dev_issued
        return out

    # -- role assignments ----------------------------------------------------------------------
    def check_assignment(
        self, staff_id: str, role: str, *, school_id: str | None, class_id: str | None, commune: str | None
    ) -> None:
        """Refuse an unknown role or a role held at the wrong kind of place (before anyone approves it)."""
        if role not in ROLES:
            raise InvalidInput(Message(f"Vai trò không hợp lệ: {role}.", f"Invalid role: {role}."))
        problem = place_problem(Role(role), school_id=school_id, class_id=class_id, commune=commune)
        if problem is not None:
            raise InvalidInput(problem)
        with self.db.reader() as s:
            self._staff(s, staff_id)

    def assign(
        self,
        staff_id: str,
        role: str,
        *,
        school_id: str | None,
        class_id: str | None = None,
        valid_from: date,
        valid_to: date | None = None,
        commune: str | None = None,
    ) -> dict[str, Any]:
        self.check_assignment(staff_id, role, school_id=school_id, class_id=class_id, commune=commune)
        if valid_to is not None and valid_to < valid_from:
            raise InvalidInput(Message("Ngày kết thúc trước ngày bắt đầu.", "The end date is before the start date."))
        with self.db.transaction() as s:
            self._staff(s, staff_id)
            if school_id is not None and s.get(School, school_id) is None:
                raise NotFound(Message(f"Không có trường mã {school_id}.", f"No school {school_id}."))
            if class_id is not None:
                klass = s.get(SchoolClass, class_id)
                if klass is None or klass.school_id != school_id:
                    raise NotFound(
                        Message(f"Trường không có lớp mã {class_id}.", f"The school has no class {class_id}.")
                    )
            row = RoleAssignment(
                id=_new_id(),
                staff_id=staff_id,
                role=role,
                school_id=school_id,
                class_id=class_id,
                commune=commune,
                valid_from=valid_from,
                valid_to=valid_to,
            )
            s.add(row)
            s.flush()
            return _assignment_dict(row)

    def _end(self, row: RoleAssignment, on: date) -> None:
        """End ``row`` from ``on``: ``on - 1`` is its last day (an assignment that starts later is cancelled)."""
        last = on - timedelta(days=1)
        if row.valid_to is None or row.valid_to > last:
            row.valid_to = max(last, row.valid_from - timedelta(days=1))

    def transfer(
        self,
        assignment_id: str,
        *,
        on: date,
        school_id: str | None = None,
        class_id: str | None = None,
        staff_id: str | None = None,
    ) -> dict[str, Any]:
        """End an assignment from ``on`` and start the same role there (another school/class, or another person)."""
        with self.db.transaction() as s:
            row = s.get(RoleAssignment, assignment_id)
            if row is None:
                raise NotFound(Message(f"Không có phân công {assignment_id}.", f"No assignment {assignment_id}."))
            if row.valid_to is not None and row.valid_to < on:
                raise Conflict(
                    Message("Phân công đã kết thúc trước ngày đó.", "The assignment ended before that date.")
                )
            new = RoleAssignment(
                id=_new_id(),
                staff_id=staff_id or row.staff_id,
                role=row.role,
                school_id=school_id or row.school_id,
                class_id=class_id if class_id is not None else row.class_id,
                valid_from=on,
                valid_to=None,
            )
            if school_id and school_id != row.school_id and class_id is None:
                new.class_id = None
            if new.role == "gvcn" and not new.class_id:
                raise InvalidInput(Message("Giáo viên chủ nhiệm cần một lớp.", "A homeroom teacher needs a class."))
            self._end(row, on)
            s.add(new)
            s.flush()
            return {"ended": _assignment_dict(row), "started": _assignment_dict(new)}

    def retire(self, staff_id: str, *, on: date) -> list[dict[str, Any]]:
        """Retirement (or leaving): every assignment of the signer ends from ``on``."""
        with self.db.transaction() as s:
            self._staff(s, staff_id)
            rows = (
                s.execute(
                    select(RoleAssignment).where(
                        RoleAssignment.staff_id == staff_id,
                        or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to >= on),
                    )
                )
                .scalars()
                .all()
            )
            for row in rows:
                self._end(row, on)
            s.flush()
            return [_assignment_dict(r) for r in rows]

    def end_assignment(self, assignment_id: str, *, on: date) -> dict[str, Any]:
        with self.db.transaction() as s:
            row = s.get(RoleAssignment, assignment_id)
            if row is None:
                raise NotFound(Message(f"Không có phân công {assignment_id}.", f"No assignment {assignment_id}."))
            self._end(row, on)
            s.flush()
            return _assignment_dict(row)

    # -- audit ------------------------------------------------------------------------------------
    def audit_trail(
        self, *, document_id: str | None = None, staff_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        with self.db.reader() as s:
            q = select(SigningAudit).order_by(SigningAudit.at.desc(), SigningAudit.id).limit(max(1, min(limit, 1000)))
            if document_id:
                q = q.where(SigningAudit.document_id == document_id)
            if staff_id:
                q = q.where(SigningAudit.staff_id == staff_id)
            return [
                {
                    "id": a.id,
                    "at": a.at.isoformat(),
                    "operation": a.operation,
                    "staff_id": a.staff_id,
                    "actor": a.actor,
                    "client": a.client,
                    "document_kind": a.document_kind,
                    "document_id": a.document_id,
                    "revision": a.revision,
                    "step": a.step,
                    "certificate_serial": a.certificate_serial,
                    "certificate_sha256": a.certificate_sha256,
                    "backend": a.backend,
                    "outcome": a.outcome,
                    "reason": a.reason,
                    "message": a.message,
                }
                for a in s.execute(q).scalars()
            ]
