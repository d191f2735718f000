"""PAdES signatures for học bạ / văn bằng: GVCN certifies, principal approves, school seals.

Every function takes PDF bytes and returns *new* bytes (the input is never touched), adds
one incremental update, signs an existing empty field only, and checks the signer's
certificate first (validity, key usage, chain, revocation) — an expired or revoked
certificate is refused before anything is written.

* :func:`sign_certify` — certification signature, DocMDP P=2 (form filling + signing only).
* :func:`sign_approve` — approval signature (PAdES B-B).
* :func:`sign_seal` — approval signature with an RFC 3161 signature timestamp and
  OCSP/CRL/certificates in the DSS, written in the same revision (PAdES B-LT).  The DSS also
  receives revocation data for the earlier signers' certificates.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import ParamSpec, TypeVar

from asn1crypto import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.rw_common import PdfHandler
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko_certvalidator import ValidationContext

from verifier.clock import SystemClock

from .aio import run_sync
from .appearance import CachedStampAppearance, SignatureAppearance
from .batch import BatchPdfSigner, PresignCache
from .checks import CertificateCheck, async_check_signer_certificate
from .errors import FieldAlreadySignedError, FieldMissingError, SigningError, TimestampError
from .fields import FieldState, field_state
from .incremental import IncrementalWriter

__all__ = [
    "BYTES_RESERVED_PLAIN",
    "BYTES_RESERVED_SEAL",
    "ROLE_GVCN",
    "ROLE_PRINCIPAL",
    "ROLE_SEAL",
    "SignOptions",
    "async_sign_approve",
    "async_sign_certify",
    "async_sign_seal",
    "sign_approve",
    "sign_certify",
    "sign_seal",
]

# pyHanko counts the reserved /Contents space in hex digits (2 per DER byte).
# Measured DER sizes (sogoc-dev chain: 2 × RSA-3072 CA + RSA-2048 signer):
# approval/certification CMS ≈ 6.1 KB, seal CMS with TST ≈ 12.5 KB.
BYTES_RESERVED_PLAIN = 16_000
BYTES_RESERVED_SEAL = 40_000

ROLE_GVCN = "Giáo viên chủ nhiệm"
ROLE_PRINCIPAL = "Hiệu trưởng"
ROLE_SEAL = "Dấu của nhà trường"

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class SignOptions:
    """What goes into the signature dictionary and the visible stamp."""

    signer_name: str | None = None  # default: CN of the signer's certificate
    role: str = ""
    reason: str | None = None
    location: str | None = None
    contact_info: str | None = None


def _cn(cert: x509.Certificate | None) -> str:
    if cert is None:
        return ""
    return str(cert.subject.native.get("common_name", cert.subject.human_friendly))


def _reader(pdf: bytes | PdfHandler) -> PdfHandler:
    return PdfFileReader(BytesIO(pdf)) if isinstance(pdf, bytes) else pdf


def _require_empty_field(pdf: bytes | PdfHandler, field: str) -> None:
    """``pdf``: the bytes, or a reader already open on them (the signing writer's ``prev``: one parse per step)."""
    reader = _reader(pdf)
    try:
        state = field_state(reader, field)
    except Exception as e:  # e.g. a non-signature field with that name
        raise FieldMissingError(
            f"Không tìm thấy ô chữ ký {field!r}",
            f"Signature field {field!r} not found: {e}",
        ) from e
    if state is FieldState.MISSING:
        raise FieldMissingError(
            f"Không tìm thấy ô chữ ký {field!r} trong tài liệu",
            f"Signature field {field!r} does not exist in the document",
        )
    if state is FieldState.SIGNED:
        raise FieldAlreadySignedError(
            f"Ô chữ ký {field!r} đã được ký",
            f"Signature field {field!r} is already signed",
        )


def _existing_signer_certs(pdf: bytes | PdfFileReader) -> list[x509.Certificate]:
    reader = PdfFileReader(BytesIO(pdf)) if isinstance(pdf, bytes) else pdf
    return [s.signer_cert for s in reader.embedded_signatures if s.signer_cert is not None]


async def _precheck(
    signer: Signer,
    validation_context: ValidationContext | None,
    precheck: CertificateCheck | None,
    *,
    at: datetime | None = None,
) -> CertificateCheck:
    cert = signer.signing_cert
    if cert is None:
        raise SigningError(
            "Thiếu chứng thư của người ký", "The signer has no certificate", reason="certificate_missing"
        )
    if precheck is not None:
        if precheck.cert.dump() != cert.dump():
            raise SigningError(
                "Kết quả kiểm tra chứng thư không khớp với người ký",
                "The certificate check does not belong to this signer",
                reason="precheck_mismatch",
            )
        return precheck.require_ok()
    if validation_context is None:
        raise SigningError(
            "Phải kiểm tra chứng thư trước khi ký",
            "A validation context (or a precheck) is required to check the certificate before signing",
            reason="precheck_missing",
        )
    at = at or SystemClock().now()
    check = await async_check_signer_certificate(cert, at=at, validation_context=validation_context)
    return check.require_ok()


def _sync(fn: Callable[P, Awaitable[bytes]]) -> Callable[P, bytes]:
    """A synchronous wrapper that runs one signature in its own event loop and closes the context."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> bytes:
        vc = kwargs.get("validation_context")
        return _run(fn(*args, **kwargs), vc if isinstance(vc, ValidationContext) else None)

    return wrapper


def _run(coro: Awaitable[T], vc: ValidationContext | None) -> T:
    async def _wrapped() -> T:
        try:
            return await coro
        finally:
            if vc is not None:
                await vc.aclose()

    return run_sync(_wrapped())


async def _async_sign(
    pdf: bytes,
    writer: IncrementalPdfFileWriter,
    field: str,
    signer: Signer,
    meta: PdfSignatureMetadata,
    opts: SignOptions,
    *,
    appearance: SignatureAppearance | None,
    timestamper: TimeStamper | None,
    bytes_reserved: int | None,
    presign_cache: PresignCache | None = None,
) -> bytes:
    signer_name = opts.signer_name or _cn(signer.signing_cert)
    stamp_style: TextStampStyle | StaticStampStyle | None = None
    text_params: dict[str, str] | None = None
    if isinstance(appearance, CachedStampAppearance):
        stamp_style = appearance.style_for(signer_name=signer_name, role=opts.role)
    elif appearance is not None:
        stamp_style = appearance.stamp_style
        text_params = SignatureAppearance.text_params(signer_name=signer_name, role=opts.role)
    pdf_signer = (
        PdfSigner(meta, signer, timestamper=timestamper, stamp_style=stamp_style)
        if presign_cache is None
        else BatchPdfSigner(meta, signer, timestamper=timestamper, stamp_style=stamp_style, presign_cache=presign_cache)
    )
    out = BytesIO()
    try:
        try:
            await pdf_signer.async_sign_pdf(
                writer,
                existing_fields_only=True,
                bytes_reserved=bytes_reserved,
                appearance_text_params=text_params,
                output=out,
            )
        except PyHankoSigningError as e:
            if "larger than expected" not in str(e):
                raise
            # our size guess was too small: let pyHanko estimate (costs a dry run)
            writer = IncrementalWriter(BytesIO(pdf))
            out = BytesIO()
            await pdf_signer.async_sign_pdf(
                writer, existing_fields_only=True, appearance_text_params=text_params, output=out
            )
    except TimestampRequestError as e:
        raise TimestampError(
            "Không lấy được dấu thời gian từ máy chủ TSA",
            f"Could not obtain a timestamp from the TSA: {e}",
        ) from e
    except PyHankoSigningError as e:
        raise SigningError("Ký số thất bại", f"Signing failed: {e}") from e
    return out.getvalue()


def _meta(field: str, signer: Signer, opts: SignOptions, **kwargs: object) -> PdfSignatureMetadata:
    return PdfSignatureMetadata(
        field_name=field,
        md_algorithm="sha256",
        subfilter=SigSeedSubFilter.PADES,
        name=opts.signer_name or _cn(signer.signing_cert),
        reason=opts.reason,
        location=opts.location,
        contact_info=opts.contact_info,
        **kwargs,  # type: ignore[arg-type]
    )


async def async_sign_certify(
    pdf: bytes,
    field: str,
    signer: Signer,
    *,
    signer_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    role: str = ROLE_GVCN,
    appearance: SignatureAppearance | None = None,
    validation_context: ValidationContext | None = None,
    precheck: CertificateCheck | None = None,
    bytes_reserved: int | None = BYTES_RESERVED_PLAIN,
    docmdp: MDPPerm = MDPPerm.FILL_FORMS,
) -> bytes:
    """Certification signature (first signature; by default DocMDP allows only form filling and signing)."""
    writer = IncrementalWriter(BytesIO(pdf))  # its reader (``prev``) serves the checks too
    _require_empty_field(writer.prev, field)
    if _existing_signer_certs(writer.prev):
        raise SigningError(
            "Chữ ký chứng nhận phải là chữ ký đầu tiên",
            "A certification signature must be the first signature in the document",
            reason="certify_not_first",
        )
    opts = SignOptions(signer_name=signer_name, role=role, reason=reason, location=location)
    meta = _meta(field, signer, opts, certify=True, docmdp_permissions=docmdp)

    await _precheck(signer, validation_context, precheck)
    return await _async_sign(
        pdf,
        writer,
        field,
        signer,
        meta,
        opts,
        appearance=appearance,
        timestamper=None,
        bytes_reserved=bytes_reserved,
    )


async def async_sign_approve(
    pdf: bytes,
    field: str,
    signer: Signer,
    *,
    signer_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    role: str = ROLE_PRINCIPAL,
    appearance: SignatureAppearance | None = None,
    validation_context: ValidationContext | None = None,
    precheck: CertificateCheck | None = None,
    bytes_reserved: int | None = BYTES_RESERVED_PLAIN,
) -> bytes:
    """Approval signature (PAdES B-B) in an existing empty field."""
    writer = IncrementalWriter(BytesIO(pdf))  # its reader (``prev``) serves the checks too
    _require_empty_field(writer.prev, field)
    opts = SignOptions(signer_name=signer_name, role=role, reason=reason, location=location)
    meta = _meta(field, signer, opts)

    await _precheck(signer, validation_context, precheck)
    return await _async_sign(
        pdf,
        writer,
        field,
        signer,
        meta,
        opts,
        appearance=appearance,
        timestamper=None,
        bytes_reserved=bytes_reserved,
    )


async def async_sign_seal(
    pdf: bytes,
    field: str,
    signer: Signer,
    *,
    timestamper: TimeStamper,
    validation_context: ValidationContext,
    signer_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    role: str = ROLE_SEAL,
    appearance: SignatureAppearance | None = None,
    precheck: CertificateCheck | None = None,
    include_earlier_signers: bool = True,
    earlier_signer_certs: Sequence[x509.Certificate] | None = None,
    bytes_reserved: int | None = BYTES_RESERVED_SEAL,
    presign_cache: PresignCache | None = None,
) -> bytes:
    """Organisation seal: approval signature + RFC 3161 timestamp + DSS (PAdES B-LT).

    ``validation_context`` must allow fetching and trust the PKI root; the OCSP/CRL answers it
    collects (for the seal, the TSA and — with ``include_earlier_signers`` — the GVCN and
    principal certificates) are written to the DSS in the same revision as the signature.

    ``presign_cache`` (one per batch, for this ``validation_context`` and ``timestamper``): pyHanko's
    pre-signing validation of the seal's and the TSA's paths is done for the first document only
    (see :mod:`signing.batch`).
    """
    writer = IncrementalWriter(BytesIO(pdf))  # its reader (``prev``) serves the checks too
    _require_empty_field(writer.prev, field)
    opts = SignOptions(signer_name=signer_name, role=role, reason=reason, location=location)
    meta = _meta(
        field,
        signer,
        opts,
        embed_validation_info=True,
        validation_context=validation_context,
        dss_settings=DSSContentSettings(include_vri=False, placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE),
    )
    if not include_earlier_signers:
        earlier: Sequence[x509.Certificate] = []
    elif earlier_signer_certs is not None:  # the caller knows them: spare a parse of the signatures
        earlier = earlier_signer_certs
    else:
        earlier = _existing_signer_certs(writer.prev)

    await _precheck(signer, validation_context, precheck)
    for cert in earlier:
        # collects their OCSP/CRL answers into the context, hence into the DSS
        await async_check_signer_certificate(cert, validation_context=validation_context)
    return await _async_sign(
        pdf,
        writer,
        field,
        signer,
        meta,
        opts,
        appearance=appearance,
        timestamper=timestamper,
        bytes_reserved=bytes_reserved,
        presign_cache=presign_cache,
    )


# Synchronous forms: one signature, one event loop. For a batch, call the async forms inside one
# loop with one shared validation context, so revocation answers are fetched once per batch.
sign_certify = _sync(async_sign_certify)
sign_approve = _sync(async_sign_approve)
sign_seal = _sync(async_sign_seal)
