"""External (interrupted) signing: the key is elsewhere — a USB token on a teacher's computer.

Three steps, built on pyHanko's interrupted signing (``PdfSigner.async_digest_doc_for_signing``,
``Signer.signed_attrs``, ``PdfTBSDocument.async_finish_signing``):

1. :func:`async_prepare_external` (service) checks the signer's certificate (validity, key usage,
   chain, revocation — as :mod:`signing.pades` does), writes the signature field's incremental
   update with an empty ``/Contents`` placeholder, computes the ``/ByteRange`` digest and the
   CMS signed attributes, and returns a :class:`PendingSignature`. Its ``request`` is the
   :class:`SigningRequest` to hand out.
2. The sign agent (:mod:`signing.agent`, ``sogoc sign-agent``) signs ``request.digest`` — the
   SHA-256 of the DER signed attributes — with the key matching ``request.certificate_sha256``
   and returns a :class:`SigningResponse`.
3. :func:`async_complete_external` (service) refuses a stale response (expired request, or the
   stored document moved on since the request was made), a mismatched one (other request id,
   nonce, digest or certificate, or a signature that does not verify with the expected
   certificate) and a reused one (the :class:`ReplayGuard` has seen the request id), then embeds
   the CMS and returns the signed PDF. The caller's bytes and the pending state are never changed:
   a refusal leaves the document as it was.

Persisted state (format ``sogoc-external-signing/1``)
----------------------------------------------------
``PendingSignature.to_json()`` is one UTF-8 JSON object (binary values base64, times ISO 8601
UTC)::

    {"format": "sogoc-external-signing/1", "kind": "certify" | "approve",
     "request": {<SigningRequest.to_dict()>},
     "prepared_pdf": b64,            # document with the placeholder (about the PDF's size × 1.34)
     "reserved_region": [start, end],  # byte offsets of the /Contents hex string
     "document_digest": b64,         # SHA-256 over the /ByteRange
     "signing_cert": b64 DER, "chain": [b64 DER, ...]}

Store it server-side (never in the client); the request alone carries no document. The signed
attributes include the signing time of step 1 (PAdES ``signingTime`` is not used, the CMS
``signing-time`` is), so keep the time-to-live short (:data:`DEFAULT_TTL`).

B-B signatures (``certify`` for the homeroom teacher, ``approve`` for the principal). A seal with
timestamp and DSS (B-LT) belongs in an HSM (:mod:`signing.pkcs11`) and is signed in one step.

The request, response and pending-state messages are in :mod:`signing.external_messages`
(re-exported here).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any, Protocol

from asn1crypto import cms, x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509 import load_der_x509_certificate
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import PdfSigner
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import ExternalSigner, PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.stamp import StaticStampStyle, TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from verifier.clock import SystemClock

from .aio import run_sync
from .appearance import CachedStampAppearance, SignatureAppearance
from .checks import CertificateCheck
from .errors import (
    MismatchedSigningResponseError,
    ReusedSigningResponseError,
    SigningError,
    StaleSigningResponseError,
)
from .external_messages import (
    FORMAT,
    Kind,
    PendingSignature,
    SigningRequest,
    SigningResponse,
    cert_sha256,
)
from .pades import (
    BYTES_RESERVED_PLAIN,
    ROLE_GVCN,
    ROLE_PRINCIPAL,
    SignOptions,
    _cn,
    _existing_signer_certs,
    _meta,
    _precheck,
    _require_empty_field,
)

__all__ = [
    "DEFAULT_TTL",
    "FORMAT",
    "InMemoryReplayGuard",
    "PendingSignature",
    "ReplayGuard",
    "SigningRequest",
    "SigningResponse",
    "async_complete_external",
    "async_prepare_external",
    "cert_sha256",
    "complete_external",
    "prepare_external",
    "verify_response",
]

DEFAULT_TTL = timedelta(minutes=10)
DIGEST_ALGORITHM = "sha256"


class ReplayGuard(Protocol):
    """Remembers completed requests. ``consume`` must be atomic (e.g. a DB unique constraint)."""

    def consume(self, request_id: str) -> bool:
        """Mark ``request_id`` used; False if it already was."""
        ...


class InMemoryReplayGuard:
    """One process only (tests, a single-worker service)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def consume(self, request_id: str) -> bool:
        with self._lock:
            if request_id in self._seen:
                return False
            self._seen.add(request_id)
            return True


# ------------------------------------------------------------------------------------------
# step 1: prepare
# ------------------------------------------------------------------------------------------


def _placeholder_len(cert: x509.Certificate) -> int:
    pub = cert.public_key
    if pub.algorithm == "rsa":
        return int(pub.bit_size) // 8
    return 2 * (int(pub.bit_size) // 8) + 9  # DER ECDSA upper bound


async def async_prepare_external(
    pdf: bytes,
    field: str,
    *,
    document_id: str,
    signing_cert: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    kind: Kind = "approve",
    signer_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    role: str | None = None,
    appearance: SignatureAppearance | None = None,
    validation_context: ValidationContext | None = None,
    precheck: CertificateCheck | None = None,
    ttl: timedelta = DEFAULT_TTL,
    bytes_reserved: int = BYTES_RESERVED_PLAIN,
    now: datetime | None = None,
    docmdp: MDPPerm = MDPPerm.FILL_FORMS,
) -> PendingSignature:
    """Check the certificate, reserve the signature in ``field`` and build the request to sign."""
    _require_empty_field(pdf, field)
    if kind == "certify" and _existing_signer_certs(pdf):
        raise SigningError(
            "Chữ ký chứng nhận phải là chữ ký đầu tiên",
            "A certification signature must be the first signature in the document",
            reason="certify_not_first",
        )
    now = now or SystemClock().now()
    registry = SimpleCertificateStore.from_certs([signing_cert, *chain])
    ext = ExternalSigner(signing_cert, registry, signature_value=_placeholder_len(signing_cert))
    await _precheck(ext, validation_context, precheck)

    opts = SignOptions(
        signer_name=signer_name,
        role=role if role is not None else (ROLE_GVCN if kind == "certify" else ROLE_PRINCIPAL),
        reason=reason,
        location=location,
    )
    extra: dict[str, object] = {"certify": True, "docmdp_permissions": docmdp} if kind == "certify" else {}
    meta = _meta(field, ext, opts, **extra)
    name = opts.signer_name or _cn(signing_cert)
    stamp_style: TextStampStyle | StaticStampStyle | None = None
    text_params: dict[str, str] | None = None
    if isinstance(appearance, CachedStampAppearance):
        stamp_style = appearance.style_for(signer_name=name, role=opts.role)
    elif appearance is not None:
        stamp_style = appearance.stamp_style
        text_params = SignatureAppearance.text_params(signer_name=name, role=opts.role)

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    pdf_signer = PdfSigner(meta, ext, stamp_style=stamp_style)
    try:
        prepared, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer, existing_fields_only=True, bytes_reserved=bytes_reserved, appearance_text_params=text_params
        )
        signed_attrs = await ext.signed_attrs(
            prepared.document_digest,
            DIGEST_ALGORITHM,
            attr_settings=PdfCMSSignedAttributes(signing_time=now),
            use_pades=True,
        )
    except PyHankoSigningError as e:
        raise SigningError("Không chuẩn bị được tài liệu để ký", f"Could not prepare the document: {e}") from e
    signed_attrs_der = signed_attrs.dump()
    mechanism = ext.get_signature_mechanism_for_digest(DIGEST_ALGORITHM)
    request = SigningRequest(
        request_id=str(uuid.uuid4()),
        document_id=document_id,
        revision_sha256=hashlib.sha256(pdf).hexdigest(),
        field=field,
        digest_algorithm=DIGEST_ALGORITHM,
        signature_algorithm=str(mechanism["algorithm"].native),
        digest=hashlib.sha256(signed_attrs_der).digest(),
        signed_attributes=signed_attrs_der,
        certificate_sha256=cert_sha256(signing_cert),
        nonce=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + ttl,
    )
    output.seek(0)
    return PendingSignature(
        kind=kind,
        request=request,
        prepared_pdf=output.read(),
        reserved_region_start=prepared.reserved_region_start,
        reserved_region_end=prepared.reserved_region_end,
        document_digest=prepared.document_digest,
        signing_cert=signing_cert.dump(),
        chain=tuple(c.dump() for c in chain),
    )


# ------------------------------------------------------------------------------------------
# step 3: complete
# ------------------------------------------------------------------------------------------


def _mismatch(vi: str, en: str, reason: str) -> MismatchedSigningResponseError:
    return MismatchedSigningResponseError(
        f"Phản hồi ký số không khớp với yêu cầu: {vi}. Tài liệu không bị thay đổi.",
        f"The signing response does not match the request: {en}. The document was not changed.",
        reason=reason,
    )


def _verify_raw(cert_der: bytes, signature: bytes, digest: bytes, digest_algorithm: str) -> bool:
    pub = load_der_x509_certificate(cert_der).public_key()
    algo = Prehashed(get_pyca_cryptography_hash(digest_algorithm))
    try:
        if isinstance(pub, RSAPublicKey):
            pub.verify(signature, digest, PKCS1v15(), algo)
        elif isinstance(pub, EllipticCurvePublicKey):
            pub.verify(signature, digest, ECDSA(algo))
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_response(
    pending: PendingSignature,
    response: SigningResponse,
    *,
    now: datetime | None = None,
    current_revision_sha256: str | None = None,
) -> None:
    """Raise the matching :class:`SigningError` unless ``response`` answers ``pending.request``."""
    req = pending.request
    now = now or SystemClock().now()
    if response.request_id != req.request_id:
        raise _mismatch("phản hồi thuộc về một yêu cầu khác", "it answers another request", "request_mismatch")
    if now > req.expires_at:
        raise StaleSigningResponseError(
            f"Yêu cầu ký đã hết hạn lúc {req.expires_at.isoformat()}; hãy tạo yêu cầu mới. Tài liệu không bị thay đổi.",
            f"The signing request expired at {req.expires_at.isoformat()}; start again. The document was not changed.",
            reason="response_expired",
        )
    if current_revision_sha256 is not None and current_revision_sha256 != req.revision_sha256:
        raise StaleSigningResponseError(
            "Tài liệu đã thay đổi kể từ khi tạo yêu cầu ký; hãy tạo yêu cầu mới. Tài liệu không bị thay đổi.",
            "The document changed since the signing request was made; start again. The document was not changed.",
            reason="document_changed",
        )
    if not secrets.compare_digest(response.nonce.encode(), req.nonce.encode()):
        raise _mismatch("sai mã nonce", "wrong nonce", "nonce_mismatch")
    if response.digest != req.digest:
        raise _mismatch("giá trị băm đã ký khác với giá trị cần ký", "a different digest was signed", "digest_mismatch")
    if cert_sha256(response.certificate) != req.certificate_sha256 or response.certificate != pending.signing_cert:
        raise _mismatch(
            "ký bằng chứng thư khác với chứng thư đã đăng ký",
            "signed with a different certificate",
            "certificate_mismatch",
        )
    if not _verify_raw(pending.signing_cert, response.signature, req.digest, req.digest_algorithm):
        raise _mismatch(
            "chữ ký không hợp lệ với khóa công khai của chứng thư",
            "the signature does not verify with the certificate's public key",
            "signature_invalid",
        )


async def async_complete_external(
    pending: PendingSignature,
    response: SigningResponse,
    *,
    replay_guard: ReplayGuard,
    current_revision_sha256: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """Check ``response`` (stale, mismatched, reused → refused) and return the signed PDF."""
    verify_response(pending, response, now=now, current_revision_sha256=current_revision_sha256)
    if not replay_guard.consume(pending.request.request_id):
        raise ReusedSigningResponseError(
            "Phản hồi ký số này đã được sử dụng. Tài liệu không bị thay đổi.",
            "This signing response was already used. The document was not changed.",
        )
    cert = x509.Certificate.load(pending.signing_cert)
    chain = [x509.Certificate.load(c) for c in pending.chain]
    ext = ExternalSigner(cert, SimpleCertificateStore.from_certs([cert, *chain]), signature_value=response.signature)
    signed_attrs = cms.CMSAttributes.load(pending.request.signed_attributes)
    sig_cms = await ext.async_sign_prescribed_attributes(pending.request.digest_algorithm, signed_attrs=signed_attrs)
    output = BytesIO(pending.prepared_pdf)  # a copy: the pending state stays as it was
    prepared = PreparedByteRangeDigest(
        document_digest=pending.document_digest,
        reserved_region_start=pending.reserved_region_start,
        reserved_region_end=pending.reserved_region_end,
    )
    try:
        await PdfTBSDocument.async_finish_signing(output, prepared, sig_cms)
    except PyHankoSigningError as e:
        raise SigningError("Không hoàn tất được chữ ký", f"Could not complete the signature: {e}") from e
    return output.getvalue()


def prepare_external(pdf: bytes, field: str, **kwargs: Any) -> PendingSignature:
    """Synchronous :func:`async_prepare_external` (own event loop; closes ``validation_context``)."""
    vc = kwargs.get("validation_context")

    async def run() -> PendingSignature:
        try:
            return await async_prepare_external(pdf, field, **kwargs)
        finally:
            if isinstance(vc, ValidationContext):
                await vc.aclose()

    return run_sync(run())


def complete_external(
    pending: PendingSignature,
    response: SigningResponse,
    *,
    replay_guard: ReplayGuard,
    current_revision_sha256: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """Synchronous :func:`async_complete_external`."""
    return run_sync(
        async_complete_external(
            pending, response, replay_guard=replay_guard, current_revision_sha256=current_revision_sha256, now=now
        )
    )
