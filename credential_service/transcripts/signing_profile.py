"""One signing profile per step: the one place that says what each signature on our documents is.

For each step: the PDF signature field, the role whose key signs it, the kind of PAdES signature
(certification, approval or seal), the DocMDP permission a certification sets, whether it carries an
RFC 3161 timestamp and validation data (LTV), the reason written into the signature, and its label.
Rendering (the empty fields), signing on the server and at the signer's computer, verification (which
fields an issued document must carry) and the pages all read it here.

Sources: Circular 22/2021/TT-BGDĐT Art. 18 and 20 (the GVCN certifies the record, the principal approves,
signs and stamps it); the draft MOET circular on học bạ số (5/2026) orders the individual signatures before
the institution's; a diploma is signed by its issuer and sealed (Circular 10/2026/TT-BGDĐT, before
15/4/2026 Circular 21/2019/TT-BGDĐT).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from credential_service.platform.errors import Message
from credential_service.transcripts.workflow import STEP_LABELS, Step
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL

Kind = Literal["certify", "approve", "seal"]

DOCMDP_FILL_FORMS = 2
"""DocMDP P=2 (ISO 32000-1 §12.8.2.2): after the certification only form filling and signing are allowed."""


@dataclass(frozen=True)
class SigningProfile:
    step: Step
    field: str
    """The signature field in the PDF (signing/fields.py)."""
    role: str
    """The role assignment whose key signs: ``gvcn``, ``principal`` or ``seal``."""
    kind: Kind
    docmdp: int | None
    """The DocMDP permission a certification signature locks in; None for the others."""
    timestamped: bool
    """An RFC 3161 signature timestamp from the TSA."""
    ltv: bool
    """Validation data (certificates, OCSP/CRL) for every signer in the DSS: PAdES B-LT."""
    reason: str
    label: Message

    @property
    def signs_at_the_signers_computer(self) -> bool:
        """A person's own signature may be made with a key at their computer; the seal never leaves the server."""
        return self.kind != "seal"


PROFILES: dict[Step, SigningProfile] = {
    p.step: p
    for p in (
        SigningProfile(
            Step.GVCN,
            FIELD_GVCN,
            "gvcn",
            "certify",
            DOCMDP_FILL_FORMS,
            timestamped=False,
            ltv=False,
            reason="Giáo viên chủ nhiệm xác nhận học bạ / Homeroom teacher certifies the transcript",
            label=STEP_LABELS[Step.GVCN],
        ),
        SigningProfile(
            Step.PRINCIPAL,
            FIELD_PRINCIPAL,
            "principal",
            "approve",
            None,
            timestamped=False,
            ltv=False,
            reason="Hiệu trưởng phê duyệt / Principal's approval",
            label=STEP_LABELS[Step.PRINCIPAL],
        ),
        SigningProfile(
            Step.SEAL,
            FIELD_SEAL,
            "seal",
            "seal",
            None,
            timestamped=True,
            ltv=True,
            reason="Đóng dấu nhà trường và phát hành / School seal and issue",
            label=STEP_LABELS[Step.SEAL],
        ),
    )
}

TRANSCRIPT_STEPS = (Step.GVCN, Step.PRINCIPAL, Step.SEAL)
"""A học bạ: the GVCN certifies, the principal approves, the school seals."""
AMENDMENT_STEPS = (Step.PRINCIPAL, Step.SEAL)
"""A học bạ's new version after the summer (transcripts/amendments.py): the principal signs, the school seals."""
DIPLOMA_STEPS = (Step.PRINCIPAL, Step.SEAL)
"""A văn bằng: the issuer (principal, or the Sở director) approves, the organisation seals."""

TRANSCRIPT_FIELDS = tuple(PROFILES[s].field for s in TRANSCRIPT_STEPS)
DIPLOMA_FIELDS = tuple(PROFILES[s].field for s in DIPLOMA_STEPS)
AMENDMENT_FIELDS = tuple(PROFILES[s].field for s in AMENDMENT_STEPS)
ISSUING_FIELDS_BY_SCHEMA = {"hocba/1": TRANSCRIPT_FIELDS, "vanbang/1": DIPLOMA_FIELDS}
"""The signatures an issued document of each record schema carries, in signing order."""


def profile(step: Step | str) -> SigningProfile:
    """The profile of a signing step (``lock`` is not one: it signs nothing)."""
    return PROFILES[Step(step)]


def step_for_role(role: str) -> Step | None:
    """The step a role signs, or None for a role that signs no step."""
    return next((p.step for p in PROFILES.values() if p.role == role), None)
