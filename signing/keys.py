"""Signer backends.

Stock :class:`pyhanko.sign.signers.SimpleSigner` re-parses its private key for every
signature (``load_der_private_key`` runs OpenSSL's RSA key check, ~35 ms) and ignores
``dry_run``.  :class:`CachedKeySigner` loads the key once and keeps the ``cryptography``
key object; dry runs return a zero-filled placeholder of the right length.

:class:`SignerPort` is the seam for other backends (PKCS#11 token/HSM, remote/CSC signing):
anything that can hand pyHanko a :class:`~pyhanko.sign.signers.Signer` for a known
certificate.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asn1crypto import cms, x509
from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from . import cms_cache
from .cms_cache import FixedCmsParts

__all__ = ["CachedKeySigner", "SignerPort", "load_file_signer", "load_private_key"]

PathLike = str | os.PathLike[str]


@runtime_checkable
class SignerPort(Protocol):
    """A source of signatures for one certificate (file key, PKCS#11, remote service…)."""

    @property
    def signing_cert(self) -> x509.Certificate | None: ...

    def pyhanko_signer(self) -> Signer:
        """The pyHanko signer to pass to :mod:`signing.pades`."""
        ...


def load_private_key(key_path: PathLike, password: bytes | None = None) -> PrivateKeyTypes:
    """Load a PEM or DER private key (with full key validation — done once)."""
    data = Path(key_path).read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        return serialization.load_pem_private_key(data, password=password)
    return serialization.load_der_private_key(data, password=password)


class CachedKeySigner(SimpleSigner):
    """``SimpleSigner`` that keeps the parsed ``cryptography`` key object."""

    def __init__(
        self,
        signing_cert: x509.Certificate,
        private_key: PrivateKeyTypes,
        cert_registry: SimpleCertificateStore,
        *,
        embed_roots: bool = True,
    ) -> None:
        key_info = asn1_keys.PrivateKeyInfo.load(
            private_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        super().__init__(
            signing_cert=signing_cert,
            signing_key=key_info,
            cert_registry=cert_registry,
            embed_roots=embed_roots,
        )
        self._private_key = private_key
        self._dry_run_len = private_key.key_size // 8 if isinstance(private_key, RSAPrivateKey) else None
        self._fixed = FixedCmsParts() if cms_cache.enabled() else None

    # The fixed parts of the CMS (certificates, signing-certificate-v2, algorithm protection) are serialised once
    # per signer: see signing/cms_cache.py.
    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Any:
        provs = super()._signed_attr_providers(*args, **kwargs)
        return provs if self._fixed is None else self._fixed.providers(provs)

    def _package_signature(self, **kwargs: Any) -> cms.ContentInfo:
        info: cms.ContentInfo = super()._package_signature(**kwargs)
        if self._fixed is not None:
            signed_data = info["content"]
            signed_data["certificates"] = self._fixed.certificate_set(signed_data["certificates"])
        return info

    # SignerPort
    def pyhanko_signer(self) -> Signer:
        return self

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run and self._dry_run_len is not None:
            # RSA signatures have a fixed length: a placeholder is enough for size estimation
            return bytes(self._dry_run_len)
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algo = mech.signature_algo
        except ValueError:
            algo = mech["algorithm"].native
        key = self._private_key
        if algo == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algo == "rsassa_pss" and isinstance(key, RSAPrivateKey):
            padding, hash_algo = process_pss_params(mech["parameters"])
            return key.sign(data, padding, hash_algo)
        if algo == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        if algo == "ed25519" and isinstance(key, Ed25519PrivateKey):
            return key.sign(data)
        # anything exotic: fall back to the stock (slow, re-parsing) implementation
        return super().sign_raw(data, digest_algorithm)


def _load_certs(paths: Iterable[PathLike]) -> list[x509.Certificate]:
    return list(load_certs_from_pemder([str(p) for p in paths]))


def load_file_signer(
    key_path: PathLike,
    cert_path: PathLike,
    chain_paths: Sequence[PathLike] = (),
    *,
    password: bytes | None = None,
    embed_roots: bool = True,
) -> CachedKeySigner:
    """Load a key file (PEM/DER) once, with its certificate and chain, into a fast signer."""
    cert = load_cert_from_pemder(str(cert_path))
    chain = _load_certs(chain_paths)
    key = load_private_key(key_path, password)
    return CachedKeySigner(
        signing_cert=cert,
        private_key=key,
        cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
        embed_roots=embed_roots,
    )
