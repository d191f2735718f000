"""The fixed parts of a signer's CMS, built once per signer (hence once per batch) instead of once per signature.

pyHanko 0.38 builds every CMS ``SignedData`` from Python objects: the certificate set (signer + chain), the
``signing-certificate-v2`` attribute (a hash of the signer's certificate with its issuer and serial) and the
``cms-algorithm-protection`` attribute. asn1crypto then re-serialises those trees on every signature (about
two-thirds of the ~25 ms a CMS costs). None of them depend on the document: they depend on the signer's
certificate, its chain and the digest/signature algorithms only.

:class:`FixedCmsParts` keeps their DER, made once (by pyHanko's own function for signing-certificate-v2, by
the same construction as pyHanko's provider for algorithm protection), and hands pyHanko a value freshly
*parsed* from that DER for each signature. A parsed, unmodified asn1crypto value dumps its original bytes, so
the CMS is byte-for-byte what pyHanko would have built, up to the order of the certificates in their SET (pyHanko
takes it from a Python set; here it is the first signature's order). ``tests/signing/test_cms_cache.py``
compares both on the same inputs.

Only for the pyHanko version it was checked against (:data:`SUPPORTED_PYHANKO`): on any other version
:func:`enabled` is false and the signer uses pyHanko's path unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from asn1crypto import algos, cms, tsp
from pyhanko.sign.attributes import CMSAlgorithmProtectionProvider, CMSAttributeProvider, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.version import __version__ as PYHANKO_VERSION

__all__ = ["SUPPORTED_PYHANKO", "FixedCmsParts", "enabled"]

SUPPORTED_PYHANKO = ("0.38.0",)


def enabled() -> bool:
    return PYHANKO_VERSION in SUPPORTED_PYHANKO


class _FromDer(CMSAttributeProvider):
    """An attribute provider whose value is re-parsed from DER computed once."""

    def __init__(self, attribute_type: str, spec: type[Any], der: bytes) -> None:
        self.attribute_type = attribute_type
        self._spec = spec
        self._der = der

    async def build_attr_value(self, dry_run: bool = False) -> Any:
        return self._spec.load(self._der)


class FixedCmsParts:
    """DER of the document-independent parts of one signer's CMS, keyed by what they depend on."""

    def __init__(self) -> None:
        self._certificates: dict[tuple[bytes, ...], bytes] = {}
        self._attrs: dict[tuple[str, bytes], bytes] = {}

    def certificate_set(self, certs: Iterable[cms.CertificateChoices]) -> cms.CertificateSet:
        """The ``certificates`` of ``SignedData``: built (and serialised) once for the same certificates."""
        choices = list(certs)
        key = tuple(sorted(c.dump() for c in choices))
        der = self._certificates.get(key)
        if der is None:
            der = cms.CertificateSet(choices).dump()
            self._certificates[key] = der
        return cms.CertificateSet.load(der)

    def providers(self, providers: Iterable[CMSAttributeProvider]) -> Iterator[CMSAttributeProvider]:
        """pyHanko's signed-attribute providers, those that depend only on the signer served from cached DER."""
        for p in providers:
            if type(p) is SigningCertificateV2Provider:
                key = ("signing_certificate_v2", p.signing_cert.dump())
                der = self._attrs.get(key)
                if der is None:
                    der = as_signing_certificate_v2(p.signing_cert).dump()
                    self._attrs[key] = der
                yield _FromDer(p.attribute_type, tsp.SigningCertificateV2, der)
            elif type(p) is CMSAlgorithmProtectionProvider and p.digest_algo != "shake256":
                key = ("cms_algorithm_protection", p.digest_algo.encode() + b"\0" + p.signature_algo.dump())
                der = self._attrs.get(key)
                if der is None:  # as CMSAlgorithmProtectionProvider.build_attr_value (not shake256)
                    der = cms.CMSAlgorithmProtection(
                        {
                            "digest_algorithm": algos.DigestAlgorithm({"algorithm": p.digest_algo}),
                            "signature_algorithm": p.signature_algo,
                        }
                    ).dump()
                    self._attrs[key] = der
                yield _FromDer(p.attribute_type, cms.CMSAlgorithmProtection, der)
            else:
                yield p
