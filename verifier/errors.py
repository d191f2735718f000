"""Error hierarchy of the offline verifier library.

Every error carries a message for people in Vietnamese (``.vi``) and English (``.en``) and a
stable machine ``code`` in snake_case (also exposed as ``.reason``) and ``.problem_code``, the
same code in kebab-case — the same shape as :class:`signing.errors.SigningError`. ``code`` stays
snake_case because ``sogoc-verify --json`` prints it and third parties read it.
``str(err)`` is ``"<vi> / <en>"``. This module depends on nothing
outside the standard library so that third parties can use :mod:`verifier` on its own.
"""

from __future__ import annotations


class VerifierError(Exception):
    """Base of every error the verifier library raises on purpose."""

    code: str = "verifier_error"

    def __init__(self, vi: str, en: str, *, code: str | None = None) -> None:
        self.vi = vi
        self.en = en
        if code is not None:
            self.code = code
        super().__init__(f"{vi} / {en}")

    @property
    def reason(self) -> str:
        """The snake_case machine code (same attribute name as the signing library's errors)."""
        return self.code

    @property
    def problem_code(self) -> str:
        """The machine code in kebab-case (``proof_invalid`` → ``proof-invalid``)."""
        return self.code.replace("_", "-")

    def __str__(self) -> str:
        return f"{self.vi} / {self.en}"


class ProofError(VerifierError):
    """A Merkle proof (inclusion or consistency) failed to verify or was malformed."""

    code = "proof_invalid"


class InclusionProofError(ProofError):
    """An inclusion proof (RFC 9162 §2.1.3.2) failed."""

    code = "inclusion_proof_invalid"


class ConsistencyProofError(ProofError):
    """A consistency proof (RFC 9162 §2.1.4.2) failed."""

    code = "consistency_proof_invalid"


class NoteError(VerifierError):
    """A C2SP signed note is malformed, or no trusted key signed it validly."""

    code = "note_invalid"


class CheckpointError(VerifierError):
    """A C2SP tlog-checkpoint (or its cosignature) is malformed or not trusted."""

    code = "checkpoint_invalid"


__all__ = [
    "CheckpointError",
    "ConsistencyProofError",
    "InclusionProofError",
    "NoteError",
    "ProofError",
    "VerifierError",
]
