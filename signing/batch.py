"""One pre-signing validation per batch of seals, instead of one per document.

Before each PAdES B-LT signature pyHanko validates the signer's certificate path and the TSA's (with their
OCSP/CRL answers) and keeps the result (:class:`PreSignValidationStatus`: the paths, and the answers to embed in
the DSS). In a batch, with one validation context, one signer and one timestamper, that work gives the same
paths every time (the answers are cached in the context after the first document); it cost about a third of a
seal. :class:`PresignCache` keeps the first document's status and gives the next documents the same paths with
the context's answers *as they are now* (exactly the lists pyHanko would read), so each DSS holds what it held
before. ``tests/signing/test_batch_presign.py`` compares the DSS and validates the documents.

The cache is bound to one signer certificate, one validation context and one timestamper; anything else gets
pyHanko's own validation. Only for the pyHanko version it was checked against (see :mod:`signing.cms_cache`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign.signers import PdfSigner
from pyhanko.sign.signers.pdf_signer import PdfSigningSession, PreSignValidationStatus
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator import ValidationContext

from . import cms_cache

__all__ = ["BatchPdfSigner", "PresignCache"]


@dataclasses.dataclass
class PresignCache:
    """The pre-signing validation of one batch: one signer, one validation context, one timestamper."""

    validation_context: ValidationContext
    timestamper: TimeStamper | None
    _signer_cert: bytes | None = None
    _status: PreSignValidationStatus | None = None
    hits: int = 0

    def applies_to(self, signer_cert: bytes, vc: ValidationContext | None, timestamper: TimeStamper | None) -> bool:
        return (
            cms_cache.enabled()
            and vc is self.validation_context
            and timestamper is self.timestamper
            and (self._signer_cert is None or self._signer_cert == signer_cert)
        )

    def lookup(self) -> PreSignValidationStatus | None:
        if self._status is None:
            return None
        vc = self.validation_context
        self.hits += 1
        # what pyHanko reads from the context for every document: the answers collected so far
        return dataclasses.replace(self._status, ocsps_to_embed=vc.ocsps, crls_to_embed=vc.crls)

    def store(self, signer_cert: bytes, status: PreSignValidationStatus | None) -> None:
        if status is not None and status.adobe_revinfo_attr is None and not status.ac_validation_paths:
            self._signer_cert = signer_cert
            self._status = status


class BatchPdfSigner(PdfSigner):
    """:class:`PdfSigner` whose pre-signing validation is done once per :class:`PresignCache`."""

    def __init__(self, *args: Any, presign_cache: PresignCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._presign_cache = presign_cache

    def init_signing_session(self, pdf_out: BasePdfFileWriter, existing_fields_only: bool = False) -> Any:
        session: PdfSigningSession = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        cache = self._presign_cache
        cert = self.signer.signing_cert
        meta = self.signature_meta
        if cert is None or not cache.applies_to(cert.dump(), meta.validation_context, self.default_timestamper):
            return session
        if meta.use_pades_lta or meta.ac_validation_context is not None:
            return session  # these look at the document or at attribute certificates: not cached
        original = session.perform_presign_validation
        cert_der = cert.dump()

        async def perform_presign_validation(pdf_out: BasePdfFileWriter | None = None) -> Any:
            status = cache.lookup()
            if status is None:
                status = await original(pdf_out)
                cache.store(cert_der, status)
            return status

        session.perform_presign_validation = perform_presign_validation  # type: ignore[method-assign]
        return session
