"""Revocation data is fetched only from allowed hosts: a certificate's OCSP/CRL/AIA address is not an
instruction to the server (no SSRF through an uploaded certificate)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest
from signing_fixtures import FONT_PATH

from signing.context import SigningContext
from signing.devpki import DevPkiServer
from signing.fetch_guard import AllowListSession, FetchRefused
from signing.keys import CachedKeySigner


def test_a_request_to_a_host_off_the_list_is_refused_before_any_connection() -> None:
    async def go() -> None:
        lazy = AllowListSession(frozenset({"ocsp.neac.gov.vn"}))
        try:
            with pytest.raises(FetchRefused) as refused:
                await lazy.get_session().get("http://169.254.169.254/latest/meta-data/")
            assert refused.value.reason == "fetch_host_refused" and "169.254.169.254" in refused.value.en
            assert lazy.refused == ["169.254.169.254"]
        finally:
            await lazy.close()

    asyncio.run(go())


def test_signer_checks_fetch_revocation_data_only_from_allowed_hosts(
    dev_pki: DevPkiServer, dev_signer: Callable[[str], CachedKeySigner]
) -> None:
    cert = dev_signer("principal").signing_cert
    allowed = replace(SigningContext.for_dev(FONT_PATH), fetch_allowed_hosts=frozenset({"127.0.0.1"}))
    assert allowed.check_signer(cert).ok
    elsewhere = replace(SigningContext.for_dev(FONT_PATH), fetch_allowed_hosts=frozenset({"ocsp.example.vn"}))
    check = elsewhere.check_signer(cert)
    assert not check.ok  # hard-fail: no revocation answer may be fetched from the dev PKI's address
