"""External (interrupted) signing of a class's transcripts with a key at the signer's own computer.

A homeroom teacher (GVCN step, a *certification* signature) or a principal (an *approval*) whose key
is on a USB token signs through the ``sogoc sign-agent`` process running next to the token:

1. :meth:`ExternalSigningService.prepare` — the service checks the workflow, the role assignment,
   that the presented certificate is the staff member's registered one (``external_keys``), and the
   certificate itself (validity, key usage, chain to the trust roots, revocation —
   ``context.check_signer``, once per batch); then it reserves the signature in every transcript of the
   class (pyHanko interrupted signing) and keeps each document's :class:`~signing.external.PendingSignature`
   in ``external_signing_requests``. It returns the :class:`~signing.external.SigningRequest` objects
   (no document inside) for the client to hand to the agent.
2. The agent signs each request's digest (``POST /sign`` on the agent, or
   :func:`signing.agent.request_signature`).
3. :meth:`ExternalSigningService.complete` — every response of the batch must verify (stale,
   mismatched or reused responses are refused with the signing library's bilingual errors); then
   one transaction marks the requests used (the replay guard: ``external_batches``), writes the signed
   PDFs, the signing events and audit rows, and advances the class. Any refusal changes no document,
   no status and no signing event (a refused attempt is written to the audit trail, as for server-side
   signing).

The school seal stays server-side (HSM, timestamp and revocation data): only the ``gvcn`` and
``principal`` steps can be signed externally.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from asn1crypto import x509 as asn1_x509
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credential_service.documents.factory import DocumentFactory, refusal
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, SigningRefused, SogocError
from credential_service.signers.certificates import load_certificate, require_usable_certificate
from credential_service.signers.external_batches import (
    BACKEND,
    HINT,
    Attempt,
    BatchGuard,
    DbReplayGuard,
    audit_refusal,
    parse_response,
    refused,
    require_external_step,
    reserve_signatures,
    reused,
)
from credential_service.signers.external_keys import require_registered_certificate
from credential_service.signers.tables import ExternalSigningRequest
from credential_service.staff.authz import require_assignment
from credential_service.transcripts.class_steps import SignatureMade, StepReport, record_signature, require_unchanged
from credential_service.transcripts.signing_profile import profile
from credential_service.transcripts.tables import SchoolClass, Transcript
from credential_service.transcripts.workflow import Step, next_status
from signing.aio import run_sync
from signing.errors import SigningError
from signing.external import DEFAULT_TTL, PendingSignature, SigningResponse, async_complete_external


class ExternalSigningService:
    def __init__(
        self, db: Database, documents: DocumentFactory, *, ttl: timedelta = DEFAULT_TTL, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.documents = documents
        self.ttl = ttl
        self.clock = clock or SystemClock()

    @staticmethod
    def _class(session: Session, class_id: str) -> SchoolClass:
        klass = session.get(SchoolClass, class_id)
        if klass is None:
            raise NotFound(Message(f"Không có lớp mã {class_id}.", f"No class with id {class_id}."))
        return klass

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
        attempt = Attempt(staff_id=staff_id)
        try:
            step = Step(step)
        except ValueError as e:
            raise InvalidInput(Message(f"Bước ký không hợp lệ: {step}.", f"Invalid signing step: {step}.")) from e
        try:
            return self._prepare(class_id, step, staff_id, signing_cert_pem, client, ttl or self.ttl, attempt)
        except SogocError as e:
            audit_refusal(self.db, self.clock, step, attempt, e, client)
            raise

    def _prepare(
        self,
        class_id: str,
        step: Step,
        staff_id: str,
        signing_cert_pem: str | bytes,
        client: str | None,
        ttl: timedelta,
        attempt: Attempt,
    ) -> list[dict[str, Any]]:
        require_external_step(step)
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
            staff = require_assignment(session, staff_id=staff_id, role=profile(step).role, klass=klass, on=vn_date(at))
            require_usable_certificate(session, cert, at)  # revoked or compromised in the signer registry
            require_registered_certificate(session, staff, cert, self.documents.settings.keys_dir)
            class_status = klass.status
        try:
            check = self.documents.context.check_signer(cert, at=at).require_ok()
        except SigningError as e:
            raise refusal(e) from e
        pendings = reserve_signatures(self.documents, step, transcripts, cert, check, at, ttl)
        batch_id = str(uuid.uuid4())
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
                        id=str(uuid.uuid4()),
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
        attempt = Attempt()
        try:
            return self._complete(class_id, responses, step, client, attempt, signer)
        except SogocError as e:
            audit_refusal(self.db, self.clock, step or "", attempt, e, client)
            raise

    def _complete(
        self,
        class_id: str,
        items: Sequence[SigningResponse | Mapping[str, Any]],
        expected_step: Step | str | None,
        client: str | None,
        attempt: Attempt,
        signer: str | None = None,
    ) -> StepReport:
        responses = [parse_response(item, i) for i, item in enumerate(items)]
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
                    hint=HINT,
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
                    hint=HINT,
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
                raise reused()
            step = Step(first.step)
            if expected_step is not None and Step(expected_step) != step:
                raise SigningRefused(
                    Message(
                        f"Các yêu cầu ký này thuộc bước «{step.value}», không phải «{Step(expected_step).value}».",
                        f"These signing requests belong to step «{step.value}», not «{Step(expected_step).value}».",
                    ),
                    hint=HINT,
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
                    hint=HINT,
                    reason="batch_incomplete",
                )
            next_status(klass.status, step)
            staff = require_assignment(
                session, staff_id=first.staff_id, role=profile(step).role, klass=klass, on=vn_date(at)
            )
            current = {
                t.id: t for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()
            }
            pendings = {row.request_id: PendingSignature.from_json(row.pending_json) for row in batch}
            cert = asn1_x509.Certificate.load(pendings[first.request_id].signing_cert)
            attempt.cert = cert
            require_usable_certificate(session, cert, at)
            keys_dir = self.documents.settings.keys_dir
            require_registered_certificate(session, staff, cert, keys_dir)  # still hers: not replaced since prepare
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
            guard = BatchGuard()
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
            signed = run_sync(finish())
        except SigningError as e:
            raise refused(e) from e

        with self.db.transaction() as session:
            klass = self._class(session, class_id)
            require_unchanged(klass, class_status)
            after = next_status(klass.status, step)
            now = self.clock.now()
            guard = DbReplayGuard(session, now)
            for row, _t in documents:
                if not guard.consume(row.request_id):  # another worker completed it meanwhile
                    raise reused()
            by_id = {
                t.id: t for t in session.execute(select(Transcript).where(Transcript.class_id == class_id)).scalars()
            }
            serial = format(cert.serial_number, "x")
            subject = cert.subject.human_friendly
            for (row, original), pdf in zip(documents, signed, strict=True):
                t = by_id[original.id]
                if t.pdf_sha256 != row.revision_sha256:
                    raise Conflict(Message("Tài liệu đã bị thay đổi trong lúc ký.", "Document changed while signing."))
                record_signature(
                    session,
                    t,
                    SignatureMade(step, row.staff_id, pdf, serial, subject),
                    status=after,
                    at=now,
                    checks=dict(row.checks or {}),
                    cert=cert,
                    backend=BACKEND,
                    client=client or row.client,
                )
            klass.status = after.value
            return StepReport(class_id, step.value, after.value, len(documents))
