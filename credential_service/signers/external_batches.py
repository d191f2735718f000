"""The pieces of an external signing batch: which steps may be signed externally, the replay guards,
reading the agent's responses, the service's form of a protocol refusal, reserving the signatures
(pyHanko interrupted signing) and the audit row of a refused attempt.

Replay guard
------------
``external_signing_requests.request_id`` is unique and ``consumed_at`` is set once, by an
``UPDATE … WHERE consumed_at IS NULL`` inside the transaction that writes the signed PDFs
(:class:`DbReplayGuard`): a response can complete a document once, and a refused or rolled-back
completion leaves the request usable. The pending state (a copy of the PDF) is dropped when the
request is consumed; expired, unused requests of a class are deleted at its next prepare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.fields import MDPPerm
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from credential_service.documents.factory import LOCATION, DocumentFactory, refusal
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import InvalidInput, Message, SigningRefused, SogocError
from credential_service.platform.library_errors import from_library_error
from credential_service.signers.audit_trail import audit_row, refusal_reason
from credential_service.signers.tables import ExternalSigningRequest
from credential_service.transcripts.signing_profile import profile
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step
from signing.aio import run_sync
from signing.checks import CertificateCheck
from signing.errors import ReusedSigningResponseError, SigningError
from signing.external import Kind, PendingSignature, SigningResponse, async_prepare_external

BACKEND = "external"  # signing_audit.backend
HINT = Message(
    "Tài liệu chưa bị thay đổi. Hãy tạo yêu cầu ký mới và ký lại bằng dịch vụ ký (sogoc sign-agent) trên máy của bạn.",
    "The documents were left as they were. Prepare a new signing request and sign it again with the sign agent "
    "(sogoc sign-agent) on your computer.",
)


def refused(error: SigningError) -> SigningRefused:
    """A refusal of the external-signing protocol (stale, mismatched, reused) in the service's hierarchy."""
    return from_library_error(error, hint=HINT)


def require_external_step(step: Step) -> None:
    if not profile(step).signs_at_the_signers_computer:
        raise InvalidInput(
            Message(
                "Chỉ bước GVCN (gvcn) và Hiệu trưởng (principal) được ký bằng khóa trên máy người ký; "
                "dấu của trường được ký trong HSM của hệ thống.",
                "Only the homeroom teacher (gvcn) and principal steps can be signed with a key at the signer's "
                "computer; the school seal is signed in the service's HSM.",
            ),
            step=step.value,
        )


class DbReplayGuard:
    """:class:`signing.external.ReplayGuard` on ``external_signing_requests``: consumed once, atomically.

    Use it inside the transaction that stores the result, so that a rollback leaves the request usable.
    """

    def __init__(self, session: Session, at: datetime) -> None:
        self.session = session
        self.at = at

    def consume(self, request_id: str) -> bool:
        result = self.session.execute(
            update(ExternalSigningRequest)
            .where(ExternalSigningRequest.request_id == request_id, ExternalSigningRequest.consumed_at.is_(None))
            .values(consumed_at=self.at, pending_json="")
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        return result.rowcount == 1


class BatchGuard:
    """Before the write transaction: refuses a request id given twice in one batch (the DB guard decides last)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def consume(self, request_id: str) -> bool:
        if request_id in self._seen:
            return False
        self._seen.add(request_id)
        return True


def reused() -> SigningRefused:
    return refused(
        ReusedSigningResponseError(
            "Phản hồi ký số này đã được sử dụng. Tài liệu không bị thay đổi.",
            "This signing response was already used. The document was not changed.",
        )
    )


def parse_response(item: SigningResponse | Mapping[str, Any], index: int) -> SigningResponse:
    if isinstance(item, SigningResponse):
        return item
    try:
        return SigningResponse.from_dict(dict(item))
    except (KeyError, ValueError, TypeError) as e:
        raise InvalidInput(
            Message(
                f"Phản hồi ký số thứ {index + 1} không đúng định dạng.",
                f"Signing response #{index + 1} is malformed ({type(e).__name__}).",
            )
        ) from e


@dataclass
class Attempt:
    """What a refusal needs for the audit trail."""

    staff_id: str | None = None
    documents: list[str] = field(default_factory=list)
    cert: asn1_x509.Certificate | None = None


def reserve_signatures(
    documents: DocumentFactory,
    step: Step,
    transcripts: Sequence[Transcript],
    cert: asn1_x509.Certificate,
    check: CertificateCheck,
    at: datetime,
    ttl: timedelta,
) -> list[PendingSignature]:
    """Reserve the signature in every transcript (no document leaves: the agent gets only digests)."""
    context = documents.context

    p = profile(step)
    kind = cast(Kind, p.kind)  # certify or approve: require_external_step
    docmdp = MDPPerm(p.docmdp) if p.docmdp is not None else MDPPerm.FILL_FORMS

    async def batch() -> list[PendingSignature]:
        return [
            await async_prepare_external(
                t.pdf,
                p.field,
                document_id=t.id,
                signing_cert=cert,
                chain=context.other_certs,
                kind=kind,
                docmdp=docmdp,
                reason=p.reason,
                location=LOCATION,
                appearance=context.appearance,
                precheck=check,
                ttl=ttl,
                now=at,
            )
            for t in transcripts
        ]

    try:
        return run_sync(batch())
    except SigningError as e:
        raise refusal(e) from e


def audit_refusal(
    db: Database, clock: Clock, step: Step | str, attempt: Attempt, error: SogocError, client: str | None
) -> None:
    """One ``refused`` audit row per document of the attempt (or one without a document)."""
    with db.transaction() as session:
        documents: list[str | None] = list(attempt.documents) or [None]
        for document_id in documents:
            session.add(
                audit_row(
                    operation="transcript-step",
                    outcome="refused",
                    document_kind="transcript",
                    document_id=document_id,
                    staff_id=attempt.staff_id,
                    at=clock.now(),
                    step=str(step),
                    cert=attempt.cert,
                    backend=BACKEND,
                    client=client,
                    reason=refusal_reason(error),
                    message=error.message,
                    checks=error.extra.get("checks"),
                )
            )
