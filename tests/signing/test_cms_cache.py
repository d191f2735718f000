"""The cached fixed parts of a CMS give byte-for-byte pyHanko's own CMS (signing/cms_cache.py)."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from asn1crypto import cms

from signing import cms_cache
from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR
from signing.keys import CachedKeySigner, load_file_signer

CHAIN = [DEV_CERT_DIR / "issuing.cert.pem", DEV_CERT_DIR / "root.cert.pem"]


def _signer(label: str, *, cached: bool) -> CachedKeySigner:
    signer = load_file_signer(DEV_PKI_DIR / "keys" / f"{label}.key.pem", DEV_CERT_DIR / f"{label}.cert.pem", CHAIN)
    if not cached:
        signer._fixed = None  # pyHanko's own path
    return signer


def _normalised(info: cms.ContentInfo) -> bytes:
    """The DER with the certificate SET in a fixed order (pyHanko builds it from a Python set)."""
    copy = cms.ContentInfo.load(info.dump())
    signed_data = copy["content"]
    certs = sorted(c.dump() for c in signed_data["certificates"])
    signed_data["certificates"] = cms.CertificateSet([cms.CertificateChoices.load(c) for c in certs])
    return bytes(copy.dump(force=True))


def test_enabled_for_the_checked_pyhanko_version() -> None:
    assert cms_cache.enabled()


@pytest.mark.parametrize("label", ["gvcn-10a1", "principal", "seal-thpt-demo"])
@pytest.mark.parametrize("use_pades", [True, False])
def test_cms_is_pyhankos_byte_for_byte(label: str, use_pades: bool) -> None:
    stock, cached = _signer(label, cached=False), _signer(label, cached=True)

    async def both(digest: bytes) -> tuple[cms.ContentInfo, cms.ContentInfo]:
        a = await stock.async_sign(digest, "sha256", use_pades=use_pades)
        b = await cached.async_sign(digest, "sha256", use_pades=use_pades)
        return a, b

    for i in range(3):  # the cache is filled by the first signature and used by the next ones
        digest = hashlib.sha256(f"document {i}".encode()).digest()
        a, b = asyncio.run(both(digest))
        if use_pades:
            assert a.dump() is not None and b.dump() is not None
            assert _normalised(a) == _normalised(b)
        else:  # a signing-time attribute differs by the clock: compare the rest
            sa, sb = a["content"]["signer_infos"][0], b["content"]["signer_infos"][0]
            assert {x["type"].native for x in sa["signed_attrs"]} == {x["type"].native for x in sb["signed_attrs"]}
            assert a["content"]["certificates"].dump() is not None
            assert sorted(c.dump() for c in a["content"]["certificates"]) == sorted(
                c.dump() for c in b["content"]["certificates"]
            )
        # the whole CMS re-encodes to the same DER: nothing stale inside
        assert cms.ContentInfo.load(b.dump()).dump(force=True) == b.dump()


def test_a_changed_certificate_set_is_not_served_from_the_cache() -> None:
    parts = cms_cache.FixedCmsParts()
    one = _signer("gvcn-10a1", cached=False)
    two = _signer("principal", cached=False)
    a = parts.certificate_set([cms.CertificateChoices(name="certificate", value=one.signing_cert)])
    b = parts.certificate_set([cms.CertificateChoices(name="certificate", value=two.signing_cert)])
    assert a.dump() != b.dump()
    assert b[0].chosen.dump() == two.signing_cert.dump()
