"""One pre-signing validation per batch of seals (signing/batch.py): the same DSS, valid documents."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from io import BytesIO

from asn1crypto import crl, ocsp
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import async_validate_pdf_signature
from signing_fixtures import FIELDS, ROOT_CERT, make_pdf

from signing.batch import PresignCache
from signing.context import SigningContext
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, prepare_signature_fields
from signing.keys import CachedKeySigner
from signing.pades import async_sign_seal, sign_approve, sign_certify


def _approved(ctx: SigningContext, signer: Callable[[str], CachedKeySigner], n: int) -> list[bytes]:
    out = []
    for i in range(n):
        pdf = prepare_signature_fields(make_pdf(f"Hoc ba {i}"), FIELDS)
        vc = ctx.validation_context()
        pdf = sign_certify(pdf, FIELD_GVCN, signer("gvcn-10a1"), appearance=ctx.appearance, validation_context=vc)
        vc = ctx.validation_context()
        pdf = sign_approve(pdf, FIELD_PRINCIPAL, signer("principal"), appearance=ctx.appearance, validation_context=vc)
        out.append(pdf)
    return out


def _seal_batch(
    ctx: SigningContext, signer: Callable[[str], CachedKeySigner], pdfs: list[bytes], *, cached: bool
) -> tuple[list[bytes], int]:
    async def run() -> tuple[list[bytes], int]:
        vc = ctx.validation_context()
        assert ctx.tsa_url is not None
        from pyhanko.sign.timestamps import HTTPTimeStamper

        ts = HTTPTimeStamper(ctx.tsa_url)
        cache = PresignCache(vc, ts) if cached else None
        try:
            out = [
                await async_sign_seal(
                    pdf,
                    FIELD_SEAL,
                    signer("seal-thpt-demo"),
                    timestamper=ts,
                    validation_context=vc,
                    appearance=ctx.appearance,
                    presign_cache=cache,
                )
                for pdf in pdfs
            ]
        finally:
            await vc.aclose()
        return out, cache.hits if cache else 0

    return asyncio.run(run())


def _dss(pdf: bytes) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """The DSS: its certificates, whose status its OCSP answers give, whose CRLs it holds."""
    dss = DocumentSecurityStore.read_dss(PdfFileReader(BytesIO(pdf)))
    certs = sorted(ref.get_object().data for ref in dss.certs.values())
    ocsps = sorted(
        ocsp.OCSPResponse.load(ref.get_object().data)["response_bytes"]["response"]
        .parsed["tbs_response_data"]["responses"][0]["cert_id"]
        .dump()
        for ref in dss.ocsps
    )
    crls = sorted(crl.CertificateList.load(ref.get_object().data)["tbs_cert_list"]["issuer"].dump() for ref in dss.crls)
    return certs, ocsps, crls


def _valid_offline(pdf: bytes) -> list[bool]:
    root = load_cert_from_pemder(str(ROOT_CERT))

    async def run() -> list[bool]:
        reader = PdfFileReader(BytesIO(pdf))
        dss = DocumentSecurityStore.read_dss(reader)
        result = []
        for sig in reader.embedded_signatures:
            vc = dss.as_validation_context(
                {"trust_roots": [root], "allow_fetching": False, "revocation_mode": "hard-fail",
                 "retroactive_revinfo": True, "crls": [], "ocsps": []}
            )  # fmt: skip
            status = await async_validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=vc)
            result.append(bool(status.bottom_line))
        return result

    return asyncio.run(run())


def test_a_batch_of_seals_validates_once_and_keeps_the_same_dss(
    signing_ctx: SigningContext, dev_signer: Callable[[str], CachedKeySigner]
) -> None:
    pdfs = _approved(signing_ctx, dev_signer, 3)
    stock, stock_hits = _seal_batch(signing_ctx, dev_signer, pdfs, cached=False)
    cached, hits = _seal_batch(signing_ctx, dev_signer, pdfs, cached=True)
    assert stock_hits == 0
    assert hits == 2  # the first document validates, the next two reuse it
    for a, b in zip(stock, cached, strict=True):
        certs, ocsps, crls = _dss(b)
        assert (certs, ocsps, crls) == _dss(a)
        assert len(certs) >= 3 and len(ocsps) >= 3  # the seal, the TSA and the earlier signers
        assert _valid_offline(b) == [True, True, True]


def test_the_cache_is_bound_to_its_context_and_timestamper(signing_ctx: SigningContext) -> None:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    assert signing_ctx.tsa_url is not None
    vc, other_vc = signing_ctx.validation_context(), signing_ctx.validation_context()
    ts = HTTPTimeStamper(signing_ctx.tsa_url)
    cache = PresignCache(vc, ts)
    assert cache.applies_to(b"cert", vc, ts)
    assert not cache.applies_to(b"cert", other_vc, ts)
    assert not cache.applies_to(b"cert", vc, HTTPTimeStamper(signing_ctx.tsa_url))
