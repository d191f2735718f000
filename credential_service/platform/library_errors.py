"""The one boundary where errors of the ``signing`` and ``verifier`` libraries become service errors.

The libraries keep their own hierarchies (they must not import the service). Services that catch
a :class:`signing.errors.SigningError` or a :class:`verifier.errors.VerifierError` and want to
pass it on call :func:`from_library_error`; ``credential_service.app.problem`` calls it too for a
library error that escapes a route, so such an error is a problem+json with a category, not a 500.
The message text (Vietnamese and English) is kept; the library's snake_case ``reason`` is kept
as ``extra["reason"]`` (it is part of the problem body and of audit rows).
"""

from __future__ import annotations

import logging
from typing import overload

from credential_service.platform.errors import (
    ErrorCategory,
    InvalidInput,
    Message,
    ServiceUnavailable,
    SigningRefused,
    SigningServiceUnavailable,
    SogocError,
)
from signing import errors as signing_errors
from verifier import errors as verifier_errors

log = logging.getLogger(__name__)

# The category of each library error class; the most specific class listed wins (the MRO is walked).
SIGNING_CATEGORIES: dict[type[Exception], ErrorCategory] = {
    signing_errors.SigningError: ErrorCategory.CONFLICT,
    signing_errors.SignerCertificateError: ErrorCategory.CONFLICT,  # expired, revoked, untrusted, wrong usage…
    signing_errors.FieldMissingError: ErrorCategory.CONFLICT,
    signing_errors.FieldAlreadySignedError: ErrorCategory.CONFLICT,
    signing_errors.StaleSigningResponseError: ErrorCategory.CONFLICT,
    signing_errors.MismatchedSigningResponseError: ErrorCategory.CONFLICT,
    signing_errors.ReusedSigningResponseError: ErrorCategory.CONFLICT,
    signing_errors.AgentSigningError: ErrorCategory.CONFLICT,
    signing_errors.TimestampError: ErrorCategory.CONFLICT,
    signing_errors.Pkcs11Error: ErrorCategory.CONFLICT,
}
# Reasons that mean a service the signature depends on did not answer: the certificate is not at fault,
# retrying later helps. Such an error gets the service's own message (the library's English, which quotes
# pyHanko or aiohttp internals, stays in the log), a retry time and the category UNAVAILABLE (503).
DEPENDENCY_OUTAGES: dict[str, Message] = {
    "timestamp_failed": Message("máy chủ cấp dấu thời gian (TSA)", "the timestamp service (TSA)"),
    "certificate_status_unknown": Message(
        "dịch vụ kiểm tra trạng thái chứng thư (OCSP/CRL) của nhà cung cấp chứng thư số",
        "the certificate status service (OCSP/CRL) of the certificate authority",
    ),
    "csc_unavailable": Message("dịch vụ ký số từ xa (CSC)", "the remote signing service (CSC)"),
    "agent_unreachable": Message(
        "dịch vụ ký trên máy người ký (sign agent)", "the sign agent on the signer's computer"
    ),
}
OUTAGE_RETRY_MINUTES = 5
# Reasons whose category differs from their class's (a dependency that is down, not a refusal).
SIGNING_REASON_CATEGORIES: dict[str, ErrorCategory] = {
    reason: ErrorCategory.UNAVAILABLE for reason in DEPENDENCY_OUTAGES
}

VERIFIER_CATEGORIES: dict[type[Exception], ErrorCategory] = {
    verifier_errors.VerifierError: ErrorCategory.INVALID_INPUT,
    verifier_errors.ProofError: ErrorCategory.INVALID_INPUT,
    verifier_errors.NoteError: ErrorCategory.INVALID_INPUT,
    verifier_errors.CheckpointError: ErrorCategory.INVALID_INPUT,
    # QR payload, receipt and PDF errors (defined next to their code) are VerifierErrors: invalid input
}
VERIFIER_REASON_CATEGORIES: dict[str, ErrorCategory] = {
    "file_too_large": ErrorCategory.TOO_LARGE,  # verifier PdfTooLargeError
    "qr_image_too_large": ErrorCategory.TOO_LARGE,  # verifier.qr_image: an image over the pixel limit
    "pdf_page_too_large": ErrorCategory.TOO_LARGE,  # verifier.qr_image: a page too large to render
}

_SERVICE_CLASS: dict[ErrorCategory, type[SogocError]] = {
    ErrorCategory.INVALID_INPUT: InvalidInput,
    ErrorCategory.UNAVAILABLE: ServiceUnavailable,
}

SIGNING_HINT = Message(
    "Tài liệu chưa bị thay đổi. Hãy gia hạn/thay chứng thư số hoặc liên hệ quản trị hệ thống ký số.",
    "The documents were left as they were. Renew or replace the certificate, or contact the signing administrator.",
)


def dev_pki_unavailable(port: int | None, error: BaseException) -> SigningServiceUnavailable:
    """The development TSA/OCSP/CRL server could not be started (its port is taken): 503, nothing signed."""
    where = f"cổng {port}" if port else "cổng của nó"
    where_en = f"port {port}" if port else "its port"
    log.error("dev PKI server could not start on %s: %r", where_en, error)
    return SigningServiceUnavailable(
        Message(
            f"Không khởi động được máy chủ TSA/OCSP dành cho môi trường phát triển (nhiều khả năng {where} đang bị "
            "chương trình khác sử dụng). Chưa ký gì, các tài liệu giữ nguyên như trước.",
            f"The development TSA/OCSP server could not start (most likely {where_en} is taken by another program). "
            "Nothing was signed and the documents are unchanged.",
        ),
        hint=Message(
            f"Quản trị/lập trình viên: dừng chương trình đang dùng {where} (ví dụ một tiến trình sogoc cũ) rồi "
            "thử lại sau 1 phút.",
            f"Administrator/developer: stop the program using {where_en} (e.g. an old sogoc process), then try "
            "again in 1 minute.",
        ),
        reason="dev_pki_unavailable",
        retry_after=60,
    )


def dependency_outage(reason: str) -> SigningServiceUnavailable:
    """A signature that could not be made because a service it needs did not answer (503, retry later)."""
    service = DEPENDENCY_OUTAGES[reason]
    minutes = OUTAGE_RETRY_MINUTES
    return SigningServiceUnavailable(
        Message(
            f"Không kết nối được {service.vi}; chưa ký gì, các tài liệu giữ nguyên như trước. "
            f"Vui lòng thử lại sau khoảng {minutes} phút.",
            f"{service.en[0].upper()}{service.en[1:]} is unreachable; nothing was signed and the documents are "
            f"unchanged. Try again in about {minutes} minutes.",
        ),
        hint=Message(
            f"Chứng thư số không có lỗi, không cần gia hạn hay thay. Nếu sau {minutes} phút vẫn lỗi, báo quản trị "
            "hệ thống kiểm tra kết nối tới dịch vụ này.",
            f"The certificate is not at fault: there is no need to renew or replace it. If it still fails after "
            f"{minutes} minutes, ask the administrator to check the connection to this service.",
        ),
        reason=reason,
        retry_after=minutes * 60,
    )


def _category_of(exc: Exception, table: dict[type[Exception], ErrorCategory]) -> ErrorCategory:
    for klass in type(exc).__mro__:
        if klass in table:
            return table[klass]
    return ErrorCategory.INTERNAL


def library_error_category(exc: signing_errors.SigningError | verifier_errors.VerifierError) -> ErrorCategory:
    """The service category of a library error (by reason first, then by class)."""
    if isinstance(exc, signing_errors.SigningError):
        return SIGNING_REASON_CATEGORIES.get(exc.reason) or _category_of(exc, SIGNING_CATEGORIES)
    return VERIFIER_REASON_CATEGORIES.get(exc.reason) or _category_of(exc, VERIFIER_CATEGORIES)


@overload
def from_library_error(exc: signing_errors.SigningError, *, hint: Message | None = None) -> SigningRefused: ...
@overload
def from_library_error(exc: verifier_errors.VerifierError, *, hint: Message | None = None) -> SogocError: ...
@overload
def from_library_error(
    exc: signing_errors.SigningError | verifier_errors.VerifierError, *, hint: Message | None = None
) -> SogocError: ...


def from_library_error(
    exc: signing_errors.SigningError | verifier_errors.VerifierError, *, hint: Message | None = None
) -> SogocError:
    """Translate a library error into the service's hierarchy, keeping its message and reason.

    A signing error becomes :class:`SigningRefused` (code ``signing-refused``, with the signing
    hint unless ``hint`` is given); a verifier error becomes the service error of its category
    (e.g. :class:`InvalidInput` for a malformed proof or note). The category is per library class
    (:data:`SIGNING_CATEGORIES`, :data:`VERIFIER_CATEGORIES`) or per reason.
    """
    category = library_error_category(exc)
    message = Message(exc.vi, exc.en)
    err: SogocError
    if isinstance(exc, signing_errors.SigningError) and exc.reason in DEPENDENCY_OUTAGES:
        log.warning("signing dependency unreachable (%s): %s", exc.reason, exc.en)
        return dependency_outage(exc.reason)
    if isinstance(exc, signing_errors.SigningError):
        err = SigningRefused(message, hint=hint or SIGNING_HINT, reason=exc.reason)
    else:
        err = _SERVICE_CLASS.get(category, SogocError)(message, hint=hint, reason=exc.reason)
        if type(err) is SogocError:
            err.code = exc.problem_code  # no service class of its own: the library's code, in kebab-case
    if err.category is not category:
        err.category = category  # e.g. a signing refusal because a dependency is down
    return err
