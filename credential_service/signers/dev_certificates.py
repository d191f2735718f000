"""Dev CA files: a new RSA-2048 key and a certificate from the ``sogoc-dev`` issuing CA, written in the
dev CA state of a database (``devca:<label>``) and recorded there, so its OCSP and CRL answers know it."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

from credential_service.signers.certificates import DEVCA_PREFIX, devca_paths
from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR, DevCaRegistry


@dataclass(frozen=True)
class IssuedKey:
    certificate_id: str
    key_label: str
    serial_hex: str
    sha256: str
    cert_path: Path
    key_path: Path


def issue_key_files(
    keys_dir: Path,
    state_dir: Path,
    dev_ca: DevCaRegistry,
    *,
    name: str,
    organization: str,
    unit: str | None,
    at: datetime,
    valid_days: int,
) -> IssuedKey:
    """Issue, write (key 0600) and record a dev certificate for ``name``, valid ``valid_days`` from ``at``."""
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
    key_path, cert_path = devca_paths(key_label, state_dir)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path.write_bytes(cert_pem)
    dev_ca.record_issued(serial, name, at)
    der = cert.public_bytes(serialization.Encoding.DER)
    return IssuedKey(
        str(uuid.uuid4()), key_label, format(serial, "x"), hashlib.sha256(der).hexdigest(), cert_path, key_path
    )
