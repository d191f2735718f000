"""One exception hierarchy for the service.

Every error carries a stable machine code (kebab-case), a :class:`ErrorCategory` and a message
for people in Vietnamese first and English second. Nothing here knows about HTTP or exit codes:
``credential_service.app.problem`` maps categories to HTTP statuses and ``application/problem+json``
in one place, and ``credential_service.app.cli`` maps them to exit codes in one place. Errors of
the ``signing`` and ``verifier`` libraries become errors of this hierarchy in
``credential_service.platform.library_errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ErrorCategory(StrEnum):
    """What kind of failure an error is; the HTTP status and the CLI exit code follow from it."""

    INTERNAL = "internal"  # a bug or a broken installation (configuration, integrity)
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the request clashes with the current state (duplicate, wrong step, refused signature)
    INVALID_INPUT = "invalid_input"
    REFUSED = "refused"  # the actor is known but not allowed
    UNAUTHENTICATED = "unauthenticated"  # the actor is not known (not signed in)
    GONE = "gone"  # the thing existed but can no longer be used (an expired share code)
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"  # a dependency is down; try again later


@dataclass(frozen=True)
class Message:
    """A message for people: Vietnamese first, English second."""

    vi: str
    en: str

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


@dataclass(frozen=True)
class Problem:
    """One located problem in some input (a cell, a field, a row)."""

    message: Message
    location: dict[str, Any] = field(default_factory=dict)  # e.g. {"sheet": "Diem", "row": 4, "column": "HK1 GK"}
    value: Any = None
    expected: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"location": self.location, "vi": self.message.vi, "en": self.message.en}
        if self.value is not None:
            out["value"] = self.value
        if self.expected is not None:
            out["expected_vi"] = self.expected.vi
            out["expected_en"] = self.expected.en
        return out

    def __str__(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.location.items())
        text = f"[{where}] {self.message}"
        if self.value is not None:
            text += f" (giá trị/value: {self.value!r})"
        if self.expected is not None:
            text += f" — cần/expected: {self.expected}"
        return text


class SogocError(Exception):
    """Base of every error the service raises on purpose."""

    code: str = "error"
    category: ErrorCategory = ErrorCategory.INTERNAL
    title = Message("Lỗi hệ thống", "Internal error")

    def __init__(
        self,
        message: Message,
        *,
        problems: list[Problem] | None = None,
        hint: Message | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.problems = list(problems or [])
        self.hint = hint
        self.extra = extra

    def __str__(self) -> str:
        lines = [str(self.message)]
        lines.extend(f"  - {p}" for p in self.problems)
        if self.hint is not None:
            lines.append(f"  → {self.hint}")
        return "\n".join(lines)


class InvalidInput(SogocError):
    """The caller's input is malformed or breaks a rule; nothing was changed."""

    code = "invalid-input"
    category = ErrorCategory.INVALID_INPUT
    title = Message("Dữ liệu không hợp lệ", "Invalid input")


class NotFound(SogocError):
    code = "not-found"
    category = ErrorCategory.NOT_FOUND
    title = Message("Không tìm thấy", "Not found")


class Conflict(SogocError):
    """The request conflicts with the current state (e.g. a duplicate)."""

    code = "conflict"
    category = ErrorCategory.CONFLICT
    title = Message("Xung đột dữ liệu", "Conflict")


class WorkflowViolation(Conflict):
    """A step was attempted out of order (e.g. the principal signs before the GVCN)."""

    code = "workflow-violation"
    title = Message("Sai thứ tự quy trình", "Workflow step out of order")


class NotAuthorised(SogocError):
    """The actor is not assigned to the role needed for this action."""

    code = "not-authorised"
    category = ErrorCategory.REFUSED
    title = Message("Không có quyền", "Not authorised")


class NotAuthenticated(SogocError):
    """The actor is not known: no session, an expired one, or a bad credential (HTTP 401)."""

    code = "not-authenticated"
    category = ErrorCategory.UNAUTHENTICATED
    title = Message("Chưa đăng nhập", "Not signed in")


class CsrfRefused(SogocError):
    code = "csrf"
    category = ErrorCategory.REFUSED
    title = Message("Yêu cầu bị từ chối (CSRF)", "Request refused (CSRF)")


class SigningRefused(SogocError):
    """A signature was refused (certificate expired, revoked, wrong key usage, ...)."""

    code = "signing-refused"
    category = ErrorCategory.CONFLICT  # the certificate/document state refuses it, not the actor's rights
    title = Message("Từ chối ký số", "Signing refused")


class SigningServiceUnavailable(SigningRefused):
    """A signature could not be made because a service it needs (TSA, OCSP/CRL, remote signing) did not
    answer: HTTP 503 with ``retry_after``; the certificate is not at fault and nothing was signed."""

    code = "signing-service-unavailable"
    category = ErrorCategory.UNAVAILABLE
    title = Message("Dịch vụ ký số tạm thời không khả dụng", "Signing service unavailable")


class ConfigurationError(SogocError):
    code = "configuration"
    category = ErrorCategory.INTERNAL
    title = Message("Cấu hình không hợp lệ", "Invalid configuration")


class TooLarge(SogocError):
    """An input over a limit (size, rows, cells, pages, time): HTTP 413. Say the limit and what to do."""

    code = "too-large"
    category = ErrorCategory.TOO_LARGE
    title = Message("Dữ liệu vượt giới hạn", "Input too large")


class RateLimited(SogocError):
    """Too many attempts: HTTP 429; ``retry_after`` (seconds) in the extra fields."""

    code = "rate-limited"
    category = ErrorCategory.RATE_LIMITED
    title = Message("Quá nhiều yêu cầu", "Too many requests")


class ServiceUnavailable(SogocError):
    code = "service-unavailable"
    category = ErrorCategory.UNAVAILABLE
    title = Message("Dịch vụ tạm thời không khả dụng", "Service unavailable")
