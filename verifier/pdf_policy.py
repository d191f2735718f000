"""Limits and choices for :func:`verifier.pdf.verify_pdf` (:class:`VerificationPolicy`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from verifier.errors import VerifierError

__all__ = ["DEFAULT_POLICY", "Deadline", "MiB", "PdfTooLargeError", "VerificationPolicy"]

MiB = 1024 * 1024


class PdfTooLargeError(VerifierError):
    """The file is larger than the policy allows; it was not examined."""

    code = "file_too_large"


@dataclass(frozen=True)
class VerificationPolicy:
    """Limits and choices for :func:`verify_pdf`. The defaults suit files from strangers, offline."""

    max_file_size: int = 25 * MiB
    """Larger files are refused with :class:`PdfTooLargeError`."""
    max_objects: int = 500_000
    """Upper bound on object headers and on any xref ``/Size``."""
    max_signatures: int = 32
    """More signature fields than this: FAILED/FORMAT_FAILURE."""
    time_limit: float = 2.5
    """Seconds of wall-clock time for the parsing and validation work."""
    decode_budget: int = 64 * MiB
    """Bytes all stream decoders together may produce (at least; 20x the file size is also allowed)."""
    allow_fetching: bool = False
    """Fetch OCSP/CRL (and missing certificates) over the network when the embedded data is not enough."""
    revocation_mode: Literal["soft-fail", "hard-fail", "require"] = "hard-fail"
    """pyhanko-certvalidator revocation mode: ``hard-fail`` (default) fails when revocation data
    that should exist cannot be found or is stale; ``require`` demands it for every certificate."""
    allow_lenient_syntax: bool = True
    """Re-read files that pyHanko's strict parser refuses (e.g. xref quirks) in lenient mode, with a
    warning; all signature and difference checks still apply and the result is at best INDETERMINATE.
    ``False``: FAILED/FORMAT_FAILURE."""


DEFAULT_POLICY = VerificationPolicy()


@dataclass(frozen=True)
class Deadline:
    """The moment (:func:`time.monotonic`) by which all the work on one file must be done.

    One deadline covers every read of an uploaded file: the parsing and validation in the worker
    thread (which also waits at most :attr:`VerificationPolicy.time_limit`), then the rendering of
    page 1 for its printed QR code (:func:`verifier.qr_image.read_qr_from_pdf`).
    """

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left (0 when the deadline has passed)."""
        return max(0.0, self.at - time.monotonic())
