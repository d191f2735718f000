"""What a signer's certificate must be before it is registered (pure rules over parsed certificates).

Sources: Circular 15/2025/TT-BKHCN (RSA ≥ 2048 bits or ECDSA ≥ 256 bits for signature keys);
Decree 23/2025 Art. 12 (the certificate chains to a licensed CA: the NEAC root, VGCA for the state);
RFC 5280 §4.2.1.3 (a signing certificate asserts digitalSignature or nonRepudiation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
MAX_CHAIN = 4


@dataclass(frozen=True)
class Finding:
    code: str  # key_size | key_usage | chain
    vi: str
    en: str


def key_size_finding(cert: x509.Certificate) -> Finding | None:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        return Finding(
            "key_size",
            f"Khóa RSA {key.key_size} bit quá ngắn; cần ít nhất {MIN_RSA_BITS} bit (Thông tư 15/2025).",
            f"RSA key of {key.key_size} bits is too short; at least {MIN_RSA_BITS} (Circular 15/2025).",
        )
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.key_size < MIN_EC_BITS:
        return Finding(
            "key_size",
            f"Khóa ECDSA {key.curve.key_size} bit quá ngắn; cần ít nhất {MIN_EC_BITS} bit.",
            f"ECDSA key of {key.curve.key_size} bits is too short; at least {MIN_EC_BITS}.",
        )
    if not isinstance(
        key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    ):
        return Finding("key_size", "Loại khóa không được chấp nhận.", "This key type is not accepted.")
    return None


def key_usage_finding(cert: x509.Certificate) -> Finding | None:
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return Finding(
            "key_usage",
            "Chứng thư không ghi mục đích sử dụng khóa (keyUsage).",
            "The certificate has no keyUsage extension.",
        )
    if not (usage.digital_signature or usage.content_commitment):
        return Finding(
            "key_usage",
            "Chứng thư không dùng để ký số (thiếu digitalSignature/nonRepudiation).",
            "The certificate is not for signing (no digitalSignature or nonRepudiation).",
        )
    return None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, Exception):  # InvalidSignature and unsupported algorithms alike
        return False
    return True


def chain_finding(
    cert: x509.Certificate, roots: Sequence[x509.Certificate], intermediates: Sequence[x509.Certificate]
) -> Finding | None:
    """The certificate must chain, by signature, to one of the configured trust roots."""
    current = cert
    for _ in range(MAX_CHAIN):
        if any(_issued_by(current, root) for root in roots):
            return None
        parent = next((i for i in intermediates if i != current and _issued_by(current, i)), None)
        if parent is None:
            break
        current = parent
    return Finding(
        "chain",
        "Chứng thư không thuộc chuỗi của tổ chức chứng thực được tin cậy (NEAC/VGCA, hoặc gốc thử nghiệm).",
        "The certificate does not chain to a configured trust root (NEAC/VGCA, or the dev root).",
    )


def findings(
    cert: x509.Certificate, roots: Sequence[x509.Certificate], intermediates: Sequence[x509.Certificate]
) -> list[Finding]:
    return [
        f
        for f in (key_size_finding(cert), key_usage_finding(cert), chain_finding(cert, roots, intermediates))
        if f is not None
    ]
