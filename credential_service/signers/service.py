"""Signer registry: staff and seals, their certificates, role assignments with periods, the audit trail.

* Certificates are **imported** (PEM/DER from a CA such as VGCA, with the key label naming where the
  key lives: ``pkcs11:<token>/<label>`` or, in dev, a key file label; see ``certificates``) or, in
  dev/test, **issued by the dev CA** (``devca:<label>``: a new RSA-2048 key and a certificate from the
  ``sogoc-dev`` issuing CA, written in the dev CA state of this database, ``dev_certificates``).
* The dev CA lifecycle — issue, renew, revoke — updates the OCSP and CRL answers of the dev PKI
  server at once for the certificates it issued (:class:`signing.devca.DevCaRegistry`, per database);
  a revocation is also kept here, so the service refuses the certificate from that moment even before
  any OCSP answer says so (and for imported certificates whose CA has not published yet). A revocation
  of a committed dev PKI certificate (``keys/dev/out``, shared by every database) stays here only.
* Role assignments (``role_assignments``, see ``assignments``) have periods;
  :meth:`SignerRegistry.transfer` and :meth:`SignerRegistry.retire` end an assignment *from* a date (the
  day before is its last day).
* ``audit_trail.audit_row`` builds the rows of the signing audit trail (``signing_audit``): every attempt,
  signed or refused, per document.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from credential_service.platform.clock import Clock, SystemClock, as_utc
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, Conflict, InvalidInput, Message, NotFound, Problem
from credential_service.platform.settings import Settings
from credential_service.signers import audit_trail, certificate_rules
from credential_service.signers.assignments import RoleAssignments, assignment_dict
from credential_service.signers.certificates import backend_for_label, cert_sha256, certificate_dict, load_certificate
from credential_service.signers.dev_certificates import issue_key_files
from credential_service.signers.tables import SignerCertificate
from credential_service.staff.authz import staff_member
from credential_service.staff.tables import RoleAssignment, Staff
from signing.devpki import DevCaRegistry, dev_ca_state_dir

KINDS = ("person", "seal")
REVOCATION_REASONS = (
    "unspecified",
    "key_compromise",
    "affiliation_changed",
    "superseded",
    "cessation_of_operation",
)


class SignerRegistry:
    def __init__(
        self, db: Database, settings: Settings, *, state_dir: Path | None = None, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.state_dir = state_dir or dev_ca_state_dir(settings.database_url)
        self.dev_ca = DevCaRegistry(self.state_dir)
        self.assignments = RoleAssignments(db)

    # -- staff -----------------------------------------------------------------------------------
    def add_staff(self, full_name: str, kind: str = "person", key_label: str = "", staff_id: str | None = None) -> str:
        if kind not in KINDS:
            raise InvalidInput(Message(f"Loại người ký không hợp lệ: {kind}.", f"Invalid signer kind: {kind}."))
        sid = staff_id or str(uuid.uuid4())
        with self.db.transaction() as s:
            if s.get(Staff, sid) is not None:
                raise Conflict(Message(f"Đã có người ký mã {sid}.", f"Signer {sid} already exists."))
            s.add(Staff(id=sid, full_name=full_name, kind=kind, key_label=key_label[:64]))
        return sid

    def signer(self, staff_id: str) -> dict[str, Any]:
        with self.db.reader() as s:
            staff = staff_member(s, staff_id)
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
                "certificates": [certificate_dict(c) for c in certs],
                "assignments": [assignment_dict(r) for r in roles],
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
            staff_member(s, staff_id)
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
            staff = staff_member(s, staff_id)
            sha = cert_sha256(cert)
            if s.execute(select(SignerCertificate.id).where(SignerCertificate.sha256 == sha)).first():
                raise Conflict(Message("Chứng thư này đã được đăng ký.", "This certificate is already registered."))
            row = self._cert_row(staff_id, cert, key_label, source)
            s.add(row)
            if activate:
                self._activate(s, staff, row)
            s.flush()
            return certificate_dict(row)

    def _cert_row(self, staff_id: str, cert: asn1_x509.Certificate, key_label: str, source: str) -> SignerCertificate:
        return SignerCertificate(
            id=str(uuid.uuid4()),
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
            return [certificate_dict(c) for c in s.execute(q).scalars()]

    def role_assignments(self) -> list[dict[str, Any]]:
        """Every role assignment, past and present (the progress counts staff with a certificate by role)."""
        with self.db.reader() as s:
            rows = s.execute(select(RoleAssignment).order_by(RoleAssignment.valid_from, RoleAssignment.id)).scalars()
            return [assignment_dict(r) for r in rows]

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
            staff = staff_member(s, staff_id)
            name = staff.full_name
        issued = issue_key_files(
            self.settings.keys_dir, self.state_dir, self.dev_ca,
            name=name, organization=organization, unit=unit, at=at, valid_days=valid_days,
        )  # fmt: skip
        cert = load_certificate(issued.cert_path.read_bytes())
        with self.db.transaction() as s:
            staff = staff_member(s, staff_id)
            row = self._cert_row(staff_id, cert, issued.key_label, "dev-ca")
            row.id = issued.certificate_id
            s.add(row)
            if activate:
                self._activate(s, staff, row)
            s.flush()
            return certificate_dict(row)

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
            out = certificate_dict(row)
        out["published_to_dev_ocsp_crl"] = dev_issued
        return out

    # -- role assignments (see assignments) -------------------------------------------------------
    def check_assignment(
        self, staff_id: str, role: str, *, school_id: str | None, class_id: str | None, commune: str | None
    ) -> None:
        """Refuse an unknown role or a role held at the wrong kind of place (before anyone approves it)."""
        self.assignments.check_assignment(staff_id, role, school_id=school_id, class_id=class_id, commune=commune)

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
        return self.assignments.assign(
            staff_id, role, school_id=school_id, class_id=class_id, valid_from=valid_from, valid_to=valid_to,
            commune=commune,
        )  # fmt: skip

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
        return self.assignments.transfer(
            assignment_id, on=on, school_id=school_id, class_id=class_id, staff_id=staff_id
        )

    def retire(self, staff_id: str, *, on: date) -> list[dict[str, Any]]:
        """Retirement (or leaving): every assignment of the signer ends from ``on``."""
        return self.assignments.retire(staff_id, on=on)

    def end_assignment(self, assignment_id: str, *, on: date) -> dict[str, Any]:
        return self.assignments.end_assignment(assignment_id, on=on)

    # -- audit ------------------------------------------------------------------------------------
    def audit_trail(
        self, *, document_id: str | None = None, staff_id: str | None = None, limit: int = 200
    ) -> list[dict[str, Any]]:
        with self.db.reader() as s:
            return audit_trail.audit_trail(s, document_id=document_id, staff_id=staff_id, limit=limit)
