"""Per-process signing setup, built once so that a batch pays setup costs once.

Holds the trust roots and intermediates, a :class:`ValidationContext` factory, one shared
:class:`HTTPTimeStamper` (pyHanko caches its dummy token for size estimation per instance),
and the visible-signature appearance (font read once).
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import aiohttp
import certifi
from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

from .appearance import CachedStampAppearance, SignatureAppearance
from .checks import CertificateCheck, check_signer_certificate
from .fetch_guard import guarded_backend

__all__ = ["RevocationPolicy", "SigningContext", "TsaSession"]

RevocationPolicy = Literal["hard-fail", "soft-fail"]
PathLike = str | os.PathLike[str]


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """pyHanko's TLS settings for its own sessions (certifi's CA bundle), built once per process."""
    return ssl.create_default_context(cafile=certifi.where())


class TsaSession(LazySession):
    """pyHanko's lazily created HTTP session (for one event loop: one batch), without reloading the CA bundle.

    pyHanko's ``LazySession`` builds a new TLS context, reading certifi's CA bundle (~20 ms of CPU), for every
    session it opens; here every session shares one context with the same settings.
    """

    def get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=_tls_context()))
        session: aiohttp.ClientSession = self._session
        return session


@dataclass
class SigningContext:
    trust_roots: list[x509.Certificate]
    other_certs: list[x509.Certificate]
    timestamper: HTTPTimeStamper | None
    appearance: SignatureAppearance
    revocation_policy: RevocationPolicy = "hard-fail"
    tsa_url: str | None = None
    fetch_allowed_hosts: frozenset[str] | None = None  # None: any host (library default); else only these
    _shared_vc: ValidationContext | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        *,
        trust_root_paths: Sequence[PathLike],
        font_path: PathLike,
        tsa_url: str | None = None,
        other_cert_paths: Sequence[PathLike] = (),
        revocation_policy: RevocationPolicy = "hard-fail",
        tsa_timeout: float = 10,
        font_size: int = 9,
        cached_stamps: bool = False,
    ) -> SigningContext:
        if not trust_root_paths:
            raise ValueError("at least one trust root is required (no OS trust store fallback)")
        return cls(
            trust_roots=list(load_certs_from_pemder([str(p) for p in trust_root_paths])),
            other_certs=list(load_certs_from_pemder([str(p) for p in other_cert_paths])),
            timestamper=HTTPTimeStamper(tsa_url, timeout=tsa_timeout) if tsa_url else None,
            appearance=(
                CachedStampAppearance(font_path, font_size=font_size)
                if cached_stamps
                else SignatureAppearance(font_path, font_size=font_size)
            ),
            revocation_policy=revocation_policy,
            tsa_url=tsa_url,
        )

    @classmethod
    def for_dev(
        cls, font_path: PathLike, *, revocation_policy: RevocationPolicy = "hard-fail", cached_stamps: bool = False
    ) -> SigningContext:
        """DEV/TEST ONLY: the ``sogoc-dev`` PKI (serve it with ``ensure_dev_pki_server()``)."""
        from .devpki import DEV_CERT_DIR, DEV_PKI_URL

        return cls.build(
            trust_root_paths=[Path(DEV_CERT_DIR) / "root.cert.pem"],
            other_cert_paths=[Path(DEV_CERT_DIR) / "issuing.cert.pem"],
            tsa_url=f"{DEV_PKI_URL}/sogoc-dev/tsa/tsa",
            font_path=font_path,
            revocation_policy=revocation_policy,
            cached_stamps=cached_stamps,
        )

    def validation_context(
        self,
        *,
        moment: datetime | None = None,
        revocation_policy: RevocationPolicy | None = None,
        allow_fetching: bool = True,
    ) -> ValidationContext:
        """A fresh validation context (trust roots only; OCSP/CRL fetched from the URLs in the certs, and
        only from ``fetch_allowed_hosts`` when that is set: see ``signing/fetch_guard.py``)."""
        backend = guarded_backend(self.fetch_allowed_hosts) if self.fetch_allowed_hosts is not None else None
        return ValidationContext(
            trust_roots=self.trust_roots,
            other_certs=self.other_certs,
            moment=moment,
            allow_fetching=allow_fetching,
            revocation_mode=revocation_policy or self.revocation_policy,
            fetcher_backend=backend if allow_fetching else None,
        )

    def shared_validation_context(self) -> ValidationContext:
        """One context reused across a batch: OCSP/CRL answers and validated paths are cached in it.

        Revocation answers are then as old as the batch; call :meth:`reset_shared_validation_context`
        between batches.
        """
        if self._shared_vc is None:
            self._shared_vc = self.validation_context()
        return self._shared_vc

    def reset_shared_validation_context(self) -> None:
        self._shared_vc = None

    def check_signer(
        self,
        cert: x509.Certificate,
        *,
        at: datetime | None = None,
        revocation_policy: RevocationPolicy | None = None,
    ) -> CertificateCheck:
        vc = self.validation_context(moment=at, revocation_policy=revocation_policy)
        return check_signer_certificate(cert, at=at, validation_context=vc, intermediates=self.other_certs)
