"""Fixtures for the signing library: dev PKI server on 127.0.0.1:9771, signers, sample PDFs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from signing_fixtures import CHAIN, FIELDS, FONT_PATH, make_pdf

from signing.context import SigningContext
from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR, DevPkiServer, ensure_dev_pki_server
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, prepare_signature_fields
from signing.keys import CachedKeySigner, load_file_signer
from signing.pades import sign_approve, sign_certify, sign_seal


@pytest.fixture(scope="session")
def dev_pki() -> DevPkiServer:
    return ensure_dev_pki_server()


@pytest.fixture(scope="session")
def signing_ctx(dev_pki: DevPkiServer) -> SigningContext:
    return SigningContext.for_dev(FONT_PATH)


@pytest.fixture(scope="session")
def dev_signer() -> Callable[[str], CachedKeySigner]:
    cache: dict[str, CachedKeySigner] = {}

    def _get(label: str) -> CachedKeySigner:
        if label not in cache:
            cache[label] = load_file_signer(
                DEV_PKI_DIR / "keys" / f"{label}.key.pem", DEV_CERT_DIR / f"{label}.cert.pem", CHAIN
            )
        return cache[label]

    return _get


@pytest.fixture(scope="session")
def prepared_pdf() -> bytes:
    return prepare_signature_fields(make_pdf(), FIELDS)


@pytest.fixture(scope="session")
def signed_steps(
    prepared_pdf: bytes,
    signing_ctx: SigningContext,
    dev_signer: Callable[[str], CachedKeySigner],
) -> dict[str, bytes]:
    """The whole pipeline once: GVCN certifies, principal approves, school seals (B-LT)."""
    ctx = signing_ctx
    certified = sign_certify(
        prepared_pdf,
        FIELD_GVCN,
        dev_signer("gvcn-10a1"),
        reason="Xác nhận học bạ lớp 10A1",
        location="Hải Phòng",
        appearance=ctx.appearance,
        validation_context=ctx.validation_context(),
    )
    approved = sign_approve(
        certified,
        FIELD_PRINCIPAL,
        dev_signer("principal"),
        reason="Phê duyệt học bạ",
        location="Hải Phòng",
        appearance=ctx.appearance,
        validation_context=ctx.validation_context(),
    )
    assert ctx.timestamper is not None
    sealed = sign_seal(
        approved,
        FIELD_SEAL,
        dev_signer("seal-thpt-demo"),
        timestamper=ctx.timestamper,
        validation_context=ctx.validation_context(),
        appearance=ctx.appearance,
        location="Hải Phòng",
    )
    return {"prepared": prepared_pdf, "certified": certified, "approved": approved, "sealed": sealed}
