"""External (interrupted) signing of a class's transcripts with a key at the signer's own computer.

A homeroom teacher (GVCN step, a *certification* signature) or a principal (an *approval*) whose key
is on a USB token signs through the ``sogoc sign-agent`` process running next to the token:

1. :meth:`ExternalSigningService.prepare` — the service checks the workflow, the role assignment,
   that the presented certificate is the staff member's registered one, and the certificate itself
   (validity, key usage, chain to the trust roots, revocation — ``context.check_signer``, once per
   batch); then it reserves the signature in every transcript of the class (pyHanko interrupted
   signing) and keeps each document's :class:`~signing.external.PendingSignature` in
   ``external_signing_requests``. It returns the :class:`~signing.external.SigningRequest` objects
   (no document inside) for the client to hand to the agent.
2. The agent signs each request's digest (``POST /sign`` on the agent, or
   :func:`signing.agent.request_signature`).
3. :meth:`ExternalSigningService.complete` — every response of the batch must verify (stale,
   mismatched or reused responses are refused with the signing library's bilingual errors); then
   one transaction marks the requests used, writes the signed PDFs, the signing events and audit
   rows, and advances the class. Any refusal changes no document, no status and no signing event
   (a refused attempt is written to the audit trail, as for server-side signing).

The school seal stays server-side (HSM, timestamp and revocation data): only the ``gvcn`` and
``principal`` steps can be signed externally.

Key label format
----------------
A staff member whose ``staff.key_label`` is ``external:<label>`` holds the key at their computer;
the service never has it. Their registered certificate is, in this order:

* the ``signer_certificates`` rows of that staff member with ``key_label`` equal to
  ``external:<label>`` and status ``active`` (imported from the CA); else
* the file ``{keys_dir}/out/<label>.cert.pem`` (``<label>``: letters, digits, ``.``, ``_``, ``-``).

The certificate presented at prepare time (what the agent reports at ``GET /certificate``) must be
one of these, byte for byte.

Replay guard
------------
``external_signing_requests.request_id`` is unique and ``consumed_at`` is set once, by an
``UPDATE … WHERE consumed_at IS NULL`` inside the transaction that writes the signed PDFs
(:class:`DbReplayGuard`): a response can complete a document once, and a refused or rolled-back
completion leaves the request usable. The pending state (a copy of the PDF) is dropped when the
request is consumed; expired, unused requests of a class are deleted at its next prepare.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from credential_service.documents.factory import FIELD_FOR_STEP, LOCATION, REASONS, DocumentFactory, refusal
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, SigningRefused, SogocError
from credential_service.platform.library_errors import from_library_error
from credential_service.signers.service import (
    audit_row,
    cert_sha256,
    load_certificate,
    refusal_reason,
    require_usable_certificate,
)
from credential_service.signers.tables import ExternalSigningRequest, SignerCertificate
from credential_service.staff.authz import require_assignment
from credential_service.staff.tables import Staff
from credential_service.transcripts.service import STEP_ROLE, StepReport, require_unchanged
from credential_service.transcripts.tables import SchoolClass, SigningEvent, Transcript
from credential_service.transcripts.workflow import Step, next_status
from signing.checks import CertificateCheck
from signing.errors import ReusedSigningResponseError, SigningError
from signing.external import (
    DEFAULT_TTL,
    Kind,
    PendingSignature,
    SigningResponse,
    async_complete_external,
    async_prepare_external,
)

__all__ = [
    "BACKEND",
    "EXTERNAL_PREFIX",
    "DbReplayGuard",
    "ExternalSigningService",
    "external_cert_path",
    "is_external_label",
]

EXTERNAL_PREFIX = "external:"
BACKEND = "external"  # signing_audit.backend
STEP_KIND: dict[Step, Kind] = {Step.GVCN: "certify", Step.PRINCIPAL: "approve"}
_LABEL = re.compile(r"[A-Za-z0-9._-]{1,55}")
_HINT = Message(
    "Tài liệu chưa bị thay đổi. Hãy tạo yêu cầu ký mới và ký lại bằng dịch vụ ký (sogoc sign-agent) trên máy của bạn.",
    "The documents were left as they were. Prepare a new signing request and sign it again with the sign agent "
    "(sogoc sign-agent) on your computer.",
)


def _new_id() -> str:
    return str(uuid.uuid4())


def is_external_label(key_label: str) -> bool:
    return key_label.startswith(EXTERNAL_PREFIX)


def external_cert_path(keys_dir: Path, key_label: str) -> Path:
    """``{keys_dir}/out/<label>.cert.pem`` for ``external:<label>``."""
    label = key_label.removeprefix(EXTERNAL_PREFIX)
    if not is_external_label(key_label) or not _LABEL.fullmatch(label):
        raise InvalidInput(
            Message(f"Nhãn khóa ký ngoài không hợp lệ: {key_label!r}.", f"Invalid external key label: {key_label!r}.")
        )
    return keys_dir / "out" / f"{label}.cert.pem"


def _refused(error: SigningError) -> SigningRefused:
    """A refusal of the external-signing protocol (stale, mismatched, reused) in the service's hierarchy."""
    return from_library_error(error, hint=_HINT)


def _require_external_step(step: Step) -> None:
    if step not in STEP_KIND:
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


class _BatchGuard:
    """Before the write transaction: refuses a request id given twice in one batch (the DB guard decides last)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def consume(self, request_id: str) -> bool:
        if request_id in self._seen:
            return False
        self._seen.add(request_id)
        return True


def _reused() -> SigningRefused:
    return _refused(
        ReusedSigningResponseError(
            "Phản hồi ký số này đã được sử dụng. Tài liệu không bị thay đổi.",
            "This signing response was already used. The document was not changed.",
        )
    )


def _parse_response(item: SigningResponse | Mapping[str, Any], index: int) -> SigningResponse:
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
class _Attempt:
    """What a refusal needs for the audit trail."""

    staff_id: str | None = None
    documents: list[str] = field(default_factory=list)
    cert: asn1_x509.Certificate | None = None


class ExternalSigningService:
    def __init__(
        self, db: Database, documents: DocumentFactory, *, ttl: timedelta = DEFAULT_TTL, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.documents = documents
        self.ttl = ttl
        self.clock = clock or SystemClock()

    # -- audit -------------------------------------------------------------------------------------
    def _audit_refusal(self, step: Step | str, attempt: _Attempt, error: SogocError, client: str | None) -> None:
        with self.db.transaction() as session:
            documents: list[str | None] = list(attempt.documents) or [None]
            for document_id in documents:
                session.add(
                    audit_row(
                        operation="transcript-step",
                        outcome="refused",
                        document_kind="transcript",
                        document_id=document_id,
                        staff_id=attempt.staff_id,
                        at=self.clock.now(),
                        step=str(step),
                        cert=attempt.cert,
                        backend=BACKEND,
                        client=client,
                        reason=refusal_reason(error),
                        message=error.message,
                        checks=error.extra.get("checks"),
                    )
                )

    @staticmethod
    def _class(session: Session, class_id: str) -> SchoolClass:
        klass = session.get(SchoolClass, class_id)
        if klass is None:
            raise NotFound(Message(f"Không có lớp mã {class_id}.", f"No class with id {class_id}."))
        return klass

    # -- registered certificate --------------------------------------------------------------------
    def _require_registered(self, session: Session, staff: Staff, cert: asn1_x509.Certificate) -> None:
        """The presented certificate must be the staff member's registered one (see the module docstring)."""
        label = staff.key_label
        if not is_external_label(label):
            raise SigningRefused(
                Message(
                    f"Khóa của {staff.full_name} do hệ thống giữ ({label}), không phải trên máy người ký; "
                    "hãy dùng bước ký thông thường.",
                    f"The key of {staff.full_name} is held by the service ({label}), not at the signer's "
                    "computer; use the ordinary signing step.",
                ),
                reason="not_external_signer",
            )
        registered = set(
            session.execute(
                select(SignerCertificate.sha256).where(
                    SignerCertificate.staff_id == staff.id,
                    SignerCertificate.key_label == label,
                    SignerCertificate.status == "active",
                )
            ).scalars()
        )
        if not registered:
            path = external_cert_path(self.documents.settings.keys_dir, label)
            if path.exists():
                registered = {cert_sha256(load_certificate(path.read_bytes()))}
        if not registered:
            raise SigningRefused(
                Message(
                    f"{staff.full_name} chưa có chứng thư số được đăng ký ({label}); không ký được.",
                    f"{staff.full_name} has no registered certificate ({label}); signing refused.",
                ),
                hint=Message(
                    "Nhập chứng thư của người ký vào danh mục người ký.", "Import the signer's certificate first."
                ),
                reason="certificate_not_registered",
            )
        if cert_sha256(cert) not in registered:
            raise SigningRefused(
                Message(
                    f"Chứng thư số {format(cert.serial_number, 'x')} ({cert.subject.human_friendly}) không phải "
                    f"chứng thư đã đăng ký của {staff.full_name}; không ký được. Tài liệu không bị thay đổi.",
                    f"Certificate {format(cert.serial_number, 'x')} ({cert.subject.human_friendly}) is not the "
                    f"registered certificate of {staff.full_name}; signing refused. The documents were not changed.",
                ),
                hint=Message(
                    "Cắm đúng token của bạn, hoặc nhờ quản trị đăng ký chứng thư mới.",
                    "Use your own token, or have the administrator register your new certificate.",
                ),
                reason="certificate_not_registered",
            )

    # -- step 1: prepare -------------------------------------------------------------------------
    def prepare(
        self,
        class_id: str,
        step: Step | str,
        staff_id: str,
        signing_cert_pem: str | bytes,
        *,
        client: str | None = None,
        ttl: timedelta | None = None,
    ) -> list[dict[str, Any]]:
        """Check everything, reserve the signature in each transcript; the requests for the sign agent."""
        attempt = _Attempt(staff_id=staff_id)
        try:
            step = Step(step)
        except ValueError as e:
            raise InvalidInput(Message(f"Bước ký không hợp lệ: {step}.", f"Invalid signing step: {step}.")) from e
        try:
            return self._prepare(class_id, step, staff_id, signing_cert_pem, client, ttl or self.ttl, attempt)
        except SogocError as e:
            self._audit_refusal(step, attempt, e, client)
            raise

    def _prepare(
        self,
        class_id: str,
        step: Step,
        staff_id: str,
        signing_cert_pem: str | bytes,
        client: str | None,
        ttl: timedelta,
        attempt: _Attempt,
    ) -> list[dict[str, Any]]:
        _require_external_step(step)
        at = self.clock.now()
        data = signing_cert_pem.encode("utf-8") if isinstance(signing_cert_pem, str) else signing_cert_pem
        cert = load_certificate(data)
        attempt.cert = cert
        with self.db.reader() as session:
            klass = self._class(session, class_id)
            transcripts = list(
                session.execute(
                    select(Transcript).where(Transcript.class_id == class_id).order_by(Transcript.id)
                ).scalars()
            )
            attempt.documents = [t.id for t in transcripts]
            next_status(klass.status, step)
            staff = require_assignment(session, staff_id=staff_id, role=STEP_ROLE[step], klass=klass, on=vn_date(at))
            require_usable_certificate(session, cert, at)  # revoked or compromised in the signer registry
            self._require_registered(session, staff, cert)
            class_status = klass.status
        try:
            check = self.documents.context.check_signer(cert, at=at).require_ok()
        except SigningError as e:
            raise refusal(e) from e
        pendings = self._prepare_all(step, transcripts, cert, check, at, ttl)
        batch_id = _new_id()
        checks = check.to_dict()
        with self.db.transaction() as session:
            klass = self._class(session, class_id)
            require_unchanged(klass, class_status)
            session.execute(
                delete(ExternalSigningRequest).where(
                    ExternalSigningRequest.class_id == class_id,
                    ExternalSigningRequest.consumed_at.is_(None),
                    ExternalSigningRequest.expires_at < at,
                )
            )
            for t, pending in zip(transcripts, pendings, strict=True):
                session.add(
                    ExternalSigningRequest(
                        id=_new_id(),
                        request_id=pending.request.request_id,
                        batch_id=batch_id,
                        class_id=class_id,
                        transcript_id=t.id,
                        step=step.value,
                        staff_id=staff_id,
                        certificate_sha256=pending.request.certificate_sha256,
                        revision_sha256=pending.request.revision_sha256,
                        pending_json=pending.to_json(),
                        checks=checks,
                        client=(client or None) and client[:200],
                        created_at=at,
                        expires_at=pending.request.expires_at,
                    )
                )
        return [p.request.to_dict() for p in pendings]

    def _prepare_all(
        self,
        step: Step,
        transcripts: Sequence[Transcript],
        cert: asn1_x509.Certificate,
        check: CertificateCheck,
        at: datetime,
        ttl: timedelta,
    ) -> list[PendingSignature]:
        context = self.documents.context

        async def batch() -> list[PendingSignature]:
            return [
                await async_prepare_external(
                    t.pdf,
                    FIELD_FOR_STEP[step],
                    document_id=t.id,
                    signing_cert=cert,
                    chain=context.other_certs,
                    kind=STEP_KIND[step],
                    reason=REASONS[step],
                    location=LOCATION,
                    appearance=context.appearance,
                    precheck=check,
                    ttl=ttl,
                    now=at,
                )
                for t in transcripts
            ]

        try:
            return asyncio.run(batch())
        except SigningError as e:
            raise refusal(e) from e

    # -- step 3: complete ------------------------------------------------------------------------
    def complete(
        self,
        class_id: str,
        responses: Sequence[SigningResponse | Mapping[str, Any]],
        *,
        step: Step | str | None = None,
        client: str | None = None,
        signer: str | None = None,
    ) -> StepReport:
        """Check every response of the batch and, all or nothing, store the signed transcripts.
        ``signer``: the staff id of the person completing; it must be the one who prepared the batch."""
        attempt = _Attempt()
        try:
            return self._complete(class_id, responses, step, client, attempt, signer)
        except SogocError as e:
            self._audit_refusal(step or "", attempt, e, client)
            raise

    def _complete(
        self,
        class_id: str,
        items: Sequence[SigningResponse | Mapping[str, Any]],
        expected_step: Step | str | None,
        client: str | None,
        attempt: _Attempt,
        signer: str | None = None,
    ) -> StepReport:
        responses = [_parse_response(item, i) for i, item in enumerate(items)]
        if not responses:
            raise InvalidInput(Message("Không có phản hồi ký số nào.", "No signing responses were sent."))
        at = self.clock.now()
        ids = [r.request_id for r in responses]
        with self.db.reader() as session:
            klass = self._class(session, class_id)
            rows = {
                row.request_id: row
                for row in session.execute(
                    select(ExternalSigningRequest).where(ExternalSigningRequest.request_id.in_(ids))
                ).scalars()
            }
            unknown = [i for i in ids if i not in rows or rows[i].class_id != class_id]
            if unknown:
                raise SigningRefused(
                    Message(
                        f"Không có yêu cầu ký {unknown[0]} cho lớp {klass.name} (có thể đã hết hạn và bị xóa); "
                        "hãy tạo yêu cầu mới. Tài liệu không bị thay đổi.",
                        f"No signing request {unknown[0]} for class {klass.name} (it may have expired and been "
                        "removed); start again. The documents were not changed.",
                    ),
                    hint=_HINT,
                    reason="request_unknown",
                )
            first = rows[ids[0]]
            attempt.staff_id = first.staff_id
            if signer is not None and first.staff_id != signer:
                raise SigningRefused(
                    Message(
                        "Chỉ chính người ký đã chuẩn bị lô này mới hoàn tất được.",
                        "Only the signer who prepared this batch can complete it.",
                    ),
                    hint=_HINT,
                    reason="not_the_signer",
                )
            batch = list(
                session.execute(
                    select(ExternalSigningRequest)
                    .where(ExternalSigningRequest.batch_id == first.batch_id)
                    .order_by(ExternalSigningRequest.transcript_id)
                ).scalars()
            )
            attempt.documents = [row.transcript_id for row in batch]
            if len(set(ids)) != len(ids) or any(rows[i].consumed_at is not None for i in ids):
                raise _reused()
            step = Step(first.step)
            if expected_step is not None and Step(expected_step) != step:
                raise SigningRefused(
                    Message(
                        f"Các yêu cầu ký này thuộc bước «{step.value}», không phải «{Step(expected_step).value}».",
                        f"These signing requests belong to step «{step.value}», not «{Step(expected_step).value}».",
                    ),
                    hint=_HINT,
                    reason="step_mismatch",
                )
            if {row.request_id for row in batch} != set(ids):
                raise SigningRefused(
                    Message(
                        f"Cần đủ {len(batch)} phản hồi ký của cùng một lần chuẩn bị (nhận {len(ids)}); "
                        "cả lớp được ký cùng lúc. Tài liệu không bị thay đổi.",
                        f"All {len(batch)} responses of one prepared batch are needed (got {len(ids)}); the class "
                        "is signed all at once. The documents were not changed.",
                    ),
                    hint=_HINT,
                    reason="batch_incomplete",
                )
            next_status(klass.status, step)
            staff = require_assignment(
                session, staff_id=first.staff_id, role=STEP_ROLE[step], klass=klass, on=vn_date(at)
            )
            current = {
                t.id: t for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()
            }
            pendings = {row.request_id: PendingSignature.from_json(row.pending_json) for row in batch}
            cert = asn1_x509.Certificate.load(pendings[first.request_id].signing_cert)
            attempt.cert = cert
            require_usable_certificate(session, cert, at)
            self._require_registered(session, staff, cert)  # still hers: not replaced since prepare
            class_status = klass.status
            documents = [(row, current[row.transcript_id]) for row in batch if row.transcript_id in current]
            if len(documents) != len(batch) or len(current) != len(batch):
                raise Conflict(
                    Message(
                        "Danh sách học bạ của lớp đã thay đổi từ khi tạo yêu cầu ký; hãy tạo yêu cầu mới.",
                        "The class's transcripts changed since the signing requests were made; start again.",
                    )
                )
        by_request = {r.request_id: r for r in responses}

        # Crypto outside the transaction: every response verified and embedded before anything is written.
        async def finish() -> list[bytes]:
            guard = _BatchGuard()
            return [
                await async_complete_external(
                    pendings[row.request_id],
                    by_request[row.request_id],
                    replay_guard=guard,
                    current_revision_sha256=t.pdf_sha256,
                    now=at,
                )
                for row, t in documents
            ]

        try:
            signed = asyncio.run(finish())
        except SigningError as e:
            raise _refused(e) from e

        with self.db.transaction() as session:
            klass = self._class(session, class_id)
            require_unchanged(klass, class_status)
            after = next_status(klass.status, step)
            now = self.clock.now()
            guard = DbReplayGuard(session, now)
            for row, _t in documents:
                if not guard.consume(row.request_id):  # another worker completed it meanwhile
                    raise _reused()
            by_id = {
                t.id: t for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()
            }
            serial = format(cert.serial_number, "x")
            subject = cert.subject.human_friendly
            for (row, original), pdf in zip(documents, signed, strict=True):
                t = by_id[original.id]
                if t.pdf_sha256 != row.revision_sha256:
                    raise Conflict(Message("Tài liệu đã bị thay đổi trong lúc ký.", "Document changed while signing."))
                pdf_sha256 = hashlib.sha256(pdf).hexdigest()
                checks = dict(row.checks or {})
                session.add(
                    SigningEvent(
                        id=_new_id(),
                        transcript_id=t.id,
                        step=step.value,
                        staff_id=row.staff_id,
                        certificate_serial=serial,
                        certificate_subject=subject,
                        checks=checks,
                        pdf_sha256_before=t.pdf_sha256,
                        pdf_sha256_after=pdf_sha256,
                        signed_at=now,
                    )
                )
                session.add(
                    audit_row(
                        operation="transcript-step",
                        outcome="signed",
                        document_kind="transcript",
                        document_id=t.id,
                        revision=t.version,
                        staff_id=row.staff_id,
                        at=now,
                        step=step.value,
                        cert=cert,
                        backend=BACKEND,
                        client=client or row.client,
                        checks=checks,
                    )
                )
                t.pdf = pdf
                t.pdf_sha256 = pdf_sha256
                t.status = after.value
            klass.status = after.value
            return StepReport(class_id, step.value, after.value, len(documents))
