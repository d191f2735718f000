"""A lost or stolen signing key: declare it compromised as of a time, find and re-seal what it signed.

* :meth:`CompromiseService.declare` marks a registered certificate compromised from ``compromised_at``
  (possibly earlier than now: when the token was lost), revokes it (reason ``key_compromise``; for
  dev-CA certificates the dev OCSP/CRL say so at once) and lists every document signed with it at or
  after that time — transcript signing events (certificate serial and subject, ``signed_at``) and
  signed uploaded documents.
* :meth:`CompromiseService.reseal` gives each affected document a new revision signed with the
  signer's new key (``sogoc keys renew`` / ``issue`` first): for a transcript whose *seal* was made
  with the key, the PDF as it was before the seal (an earlier revision of the same bytes, found by the
  hash kept in the signing event) is sealed again; for an uploaded document its original is signed
  again. Each new revision is an ``issued`` ledger entry that amends the previous entry. Homeroom
  teacher and principal signatures cannot be redone without the later signers: they are reported
  as ``needs_reissue``.
* :func:`compromised_signatures` is what verification uses: a signature by a compromised key is
  flagged (KEY_COMPROMISED) unless a timestamp proves it existed before the compromise.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.documents.factory import DocumentFactory
from credential_service.documents.service import AnyDocumentService
from credential_service.documents.tables import SignedDocument
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.clock import Clock, SystemClock, as_utc
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message, NotFound, SogocError
from credential_service.signers.audit_trail import audit_row
from credential_service.signers.certificates import backend_for_label, require_usable_certificate
from credential_service.signers.service import SignerRegistry
from credential_service.signers.tables import KeyCompromise, SignerCertificate
from credential_service.staff.tables import Staff
from credential_service.transcripts.tables import SigningEvent, Transcript
from credential_service.transcripts.workflow import Step


def pdf_before(pdf: bytes, sha256_hex: str) -> bytes | None:
    """The earlier revision of ``pdf`` whose SHA-256 is ``sha256_hex`` (incremental updates keep it as a prefix)."""
    start = 0
    while True:
        i = pdf.find(b"%%EOF", start)
        if i < 0:
            return None
        end = i + 5
        for cut in (end, end + 1, end + 2):
            if cut <= len(pdf) and hashlib.sha256(pdf[:cut]).hexdigest() == sha256_hex:
                return pdf[:cut]
        start = end


class CompromiseService:
    def __init__(
        self, db: Database, documents: DocumentFactory, registry: SignerRegistry, *, clock: Clock | None = None
    ) -> None:
        self.db = db
        self.documents = documents
        self.registry = registry
        self.clock = clock or SystemClock()
        self.any_documents = AnyDocumentService(db, documents, clock=self.clock)

    def declare(
        self, ref: str, *, compromised_at: datetime, declared_by: str, reason: str | None = None
    ) -> dict[str, Any]:
        """Mark the key of a registered certificate compromised from ``compromised_at``; list what it signed."""
        compromised_at = as_utc(compromised_at)
        with self.db.reader() as s:
            cert = self.registry.find_certificate(s, ref)
            cert_id, already_revoked = cert.id, cert.revoked_at is not None
        if not already_revoked:
            self.registry.revoke(cert_id, reason="key_compromise")
        with self.db.transaction() as s:
            cert = self.registry.find_certificate(s, cert_id)
            if s.execute(select(KeyCompromise.id).where(KeyCompromise.certificate_sha256 == cert.sha256)).first():
                raise Conflict(
                    Message("Khóa này đã được khai báo bị lộ.", "This key was already declared compromised.")
                )
            cert.compromised_at = min(compromised_at, cert.compromised_at or compromised_at)
            affected = self._affected(s, cert, compromised_at)
            row = KeyCompromise(
                id=str(uuid.uuid4()),
                certificate_sha256=cert.sha256,
                certificate_serial=cert.serial_hex,
                subject=cert.subject,
                compromised_at=compromised_at,
                declared_at=self.clock.now(),
                declared_by=declared_by[:100],
                reason=reason,
                affected=affected,
                resealed=[],
            )
            s.add(row)
            s.flush()
            return self._view(row)

    @staticmethod
    def _view(row: KeyCompromise) -> dict[str, Any]:
        return {
            "compromise_id": row.id,
            "certificate_sha256": row.certificate_sha256,
            "certificate_serial": row.certificate_serial,
            "subject": row.subject,
            "compromised_at": row.compromised_at.isoformat(),
            "declared_at": row.declared_at.isoformat(),
            "declared_by": row.declared_by,
            "reason": row.reason,
            "affected": row.affected,
            "resealed": row.resealed,
        }

    def _affected(self, s: Session, cert: SignerCertificate, since: datetime) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        events = s.execute(
            select(SigningEvent, Transcript.version)
            .join(Transcript, Transcript.id == SigningEvent.transcript_id)
            .where(
                SigningEvent.certificate_serial == cert.serial_hex,
                SigningEvent.certificate_subject == cert.subject,
                SigningEvent.signed_at >= since,
            )
            .order_by(SigningEvent.signed_at, SigningEvent.transcript_id)
        ).all()
        for ev, version in events:
            out.append(
                {
                    "kind": "transcript",
                    "document_id": ev.transcript_id,
                    "revision": version,
                    "step": ev.step,
                    "signing_event_id": ev.id,
                    "signed_at": ev.signed_at.isoformat(),
                }
            )
        docs = s.execute(
            select(SignedDocument)
            .where(SignedDocument.certificate_sha256 == cert.sha256, SignedDocument.signed_at >= since)
            .order_by(SignedDocument.signed_at)
        ).scalars()
        for d in docs:
            out.append(
                {
                    "kind": d.kind,
                    "document_id": d.document_id,
                    "revision": d.revision,
                    "step": None,
                    "signed_at": d.signed_at.isoformat(),
                }
            )
        return out

    def get(self, compromise_id: str) -> dict[str, Any]:
        with self.db.reader() as s:
            row = s.get(KeyCompromise, compromise_id)
            if row is None:
                raise NotFound(Message(f"Không có khai báo {compromise_id}.", f"No compromise {compromise_id}."))
            return self._view(row)

    def list(self) -> list[dict[str, Any]]:
        with self.db.reader() as s:
            return [
                self._view(r) for r in s.execute(select(KeyCompromise).order_by(KeyCompromise.declared_at)).scalars()
            ]

    # -- re-seal --------------------------------------------------------------------------------
    def reseal(self, compromise_id: str, *, client: str | None = None, actor: str | None = None) -> dict[str, Any]:
        """New revisions of every affected document, signed with the signer's current (new) key."""
        view = self.get(compromise_id)
        with self.db.reader() as s:
            cert = self.registry.find_certificate(s, view["certificate_sha256"])
            staff = s.get(Staff, cert.staff_id)
            if staff is None:
                raise NotFound(Message("Không có người ký của chứng thư.", "The certificate's signer is gone."))
            staff_id, key_label = staff.id, staff.key_label
            new_cert = self.documents.signer(key_label).signing_cert
            require_usable_certificate(s, new_cert, self.clock.now())
        done = {(r["document_id"], r.get("step")) for r in view["resealed"]}
        results: list[dict[str, Any]] = []
        for item in view["affected"]:
            if (item["document_id"], item.get("step")) in done:
                continue
            try:
                if item["kind"] == "transcript":
                    results.append(self._reseal_transcript(item, staff_id, key_label, client, actor))
                else:
                    results.append(self._reseal_document(item, staff_id, key_label, client, actor))
            except SogocError as e:
                results.append({**item, "outcome": "refused", "reason": str(e.message)})
        with self.db.transaction() as s:
            row = s.get(KeyCompromise, compromise_id)
            assert row is not None
            row.resealed = [*row.resealed, *results]
            s.flush()
            return self._view(row)

    def _reseal_transcript(
        self, item: dict[str, Any], staff_id: str, key_label: str, client: str | None, actor: str | None
    ) -> dict[str, Any]:
        tid = item["document_id"]
        if item.get("step") != Step.SEAL.value:
            return {**item, "outcome": "needs_reissue"}
        with self.db.reader() as s:
            t = s.get(Transcript, tid)
            ev = s.get(SigningEvent, item["signing_event_id"])
            if t is None or ev is None:
                raise NotFound(Message(f"Không có học bạ {tid}.", f"No transcript {tid}."))
            before = pdf_before(t.pdf, ev.pdf_sha256_before)
            if before is None:
                return {**item, "outcome": "needs_reissue"}
            earlier = list(
                s.execute(
                    select(Staff.key_label)
                    .join(SigningEvent, SigningEvent.staff_id == Staff.id)
                    .where(SigningEvent.transcript_id == tid, SigningEvent.step != Step.SEAL.value)
                    .distinct()
                ).scalars()
            )
            last_seq = s.execute(
                select(LedgerEntry.seq).where(LedgerEntry.credential_id == tid).order_by(LedgerEntry.seq.desc())
            ).scalar()
            old_sha = t.pdf_sha256
        result = self.documents.sign_many(Step.SEAL, key_label, [before], earlier_key_labels=earlier)[0]
        now = self.clock.now()
        new_sha = hashlib.sha256(result.pdf).hexdigest()
        cert = self.documents.signer(key_label).signing_cert
        with self.db.transaction() as s:
            t = s.get(Transcript, tid)
            assert t is not None
            if t.pdf_sha256 != old_sha:
                raise Conflict(Message("Học bạ vừa thay đổi; thử lại.", "The transcript changed meanwhile; retry."))
            s.add(
                SigningEvent(
                    id=str(uuid.uuid4()),
                    transcript_id=tid,
                    step=Step.SEAL.value,
                    staff_id=staff_id,
                    certificate_serial=result.certificate_serial,
                    certificate_subject=result.certificate_subject,
                    checks=result.checks,
                    pdf_sha256_before=hashlib.sha256(before).hexdigest(),
                    pdf_sha256_after=new_sha,
                    signed_at=now,
                )
            )
            t.pdf, t.pdf_sha256 = result.pdf, new_sha
            entry = ledger.append_many(
                s,
                [
                    ledger.LeafEvent(
                        kind="issued",
                        credential_id=tid,
                        record_sha256=t.record_sha256,
                        salt=t.salt,
                        pdf_sha256=new_sha,
                        register_no=None,
                        amends_seq=last_seq,
                        time=now,
                    )
                ],
            )[0]
            s.add(
                audit_row(
                    operation="reseal",
                    outcome="signed",
                    document_kind="transcript",
                    document_id=tid,
                    revision=t.version,
                    staff_id=staff_id,
                    at=now,
                    step=Step.SEAL.value,
                    cert=cert,
                    backend=backend_for_label(key_label),
                    client=client,
                    actor=actor,
                    checks=result.checks,
                )
            )
            publish_in_transaction(s, self.documents.settings, at=now)
        return {**item, "outcome": "resealed", "ledger_seq": entry.seq, "pdf_sha256": new_sha}

    def _reseal_document(
        self, item: dict[str, Any], staff_id: str, key_label: str, client: str | None, actor: str | None
    ) -> dict[str, Any]:
        svc = self.any_documents
        latest = svc.revision_row(item["document_id"])
        signer, check = svc.check_signer(key_label, self.clock.now())
        with self.db.reader() as s:
            staff = s.get(Staff, staff_id)
            name = staff.full_name if staff else ""
        signed, field = svc.seal_pdf(latest.original_pdf, signer, check, reason=f"Ký lại / re-sealed: {latest.title}")
        view = svc.store_revision(
            document_id=latest.document_id,
            revision=latest.revision + 1,
            kind=latest.kind,
            title=latest.title,
            school_id=latest.school_id,
            staff_id=staff_id,
            signer_name=name,
            original_name=latest.original_name,
            original=latest.original_pdf,
            signed=signed,
            field=field,
            check=check,
            operation="reseal",
            client=client,
            actor=actor,
            backend=backend_for_label(key_label),
            amends_seq=latest.ledger_seq,
        )
        return {**item, "outcome": "resealed", "new_revision": view["revision"], "ledger_seq": view["ledger_seq"]}
