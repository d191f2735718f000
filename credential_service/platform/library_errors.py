"""The one boundary where errors of the ``signing`` and ``verifier`` libraries become service errors.

The libraries keep their own hierarchies (they must not import the service). Services that catch
a :class:`signing.errors.SigningError` or a :class:`verifier.errors.VerifierError` and want to
pass it on call :func:`from_library_error`; ``credential_service.app.problem`` calls it too for a
library error that escapes a route, so such an error is a problem+json with a category, not a 500.
The message text (Vietnamese and English) is kept; the library's snake_case ``reason`` is kept
as ``extra["reason"]`` (it is part of the problem body and of audit rows).
"""

from __future__ import annotations

from typing import overload

from credential_service.platform.errors import (
    ErrorCategory,
    InvalidInput,
    Message,
    ServiceUnavailable,
    SigningRefused,
    SogocError,
)
from signing import errors as signing_errors
from verifier import errors as verifier_errors

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
# Reasons whose category differs from their class's (a dependency that is down, not a refusal).
SIGNING_REASON_CATEGORIES: dict[str, ErrorCategory] = {
    "agent_unreachable": ErrorCategory.UNAVAILABLE,
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
}

_SERVICE_CLASS: dict[ErrorCategory, type[SogocError]] = {
    ErrorCategory.INVALID_INPUT: InvalidInput,
    ErrorCategory.UNAVAILABLE: ServiceUnavailable,
}

SIGNING_HINT = Message(
    "Tài liệu chưa bị thay đổi. Hãy gia hạn/thay chứng thư số hoặc liên hệ quản trị hệ thống ký số.",
    "The documents were left as they were. Renew or replace the certificate, or contact the signing administrator.",
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
    if isinstance(exc, signing_errors.SigningError):
        err = SigningRefused(message, hint=hint or SIGNING_HINT, reason=exc.reason)
    else:
        err = _SERVICE_CLASS.get(category, SogocError)(message, hint=hint, reason=exc.reason)
        if type(err) is SogocError:
            err.code = exc.problem_code  # no service class of its own: the library's code, in kebab-case
    if err.category is not category:
        err.category = category  # e.g. a signing refusal because a dependency is down
    return err
