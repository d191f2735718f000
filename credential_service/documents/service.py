"""Any document, not only credentials: staff upload a PDF (grade book, decision, report) and sign it.

The same checks as for transcripts apply — the signer must hold an assignment in force at the school,
the certificate must not be revoked or compromised in the registry, and it must pass validity, key
usage, chain and OCSP/CRL checks — then the document gets an invisible PAdES signature with an
RFC 3161 timestamp and revocation data in the DSS (B-LT), a ledger entry (``issued``; a re-seal is an
``issued`` entry that amends the previous one) and a row in the signing audit trail. Refusals are
audited too and leave nothing else behind.

:meth:`AnyDocumentService.verify` checks an uploaded copy: the signatures (``verifier.pdf``), that
these exact bytes are a revision in our register, the ledger inclusion against the signed
checkpoint, whether a newer revision replaced it, and whether a signature was made with a key
declared compromised (KEY_COMPROMISED).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import uuid
from datetime import datetime
from typing import Any

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, append_signature_field, enumerate_sig_fields
from pyhanko.sign.signers import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper
from sqlalchemy import func, select

from credential_service.documents.factory import LOCATION, DocumentFactory, refusal
from credential_service.documents.kinds import DOC_KINDS as DOC_KINDS  # re-exported (signers/routes.py)
from credential_service.documents.tables import SignedDocument
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import LedgerService, publish_in_transaction
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import ConfigurationError, InvalidInput, Message, NotFound, SogocError
from credential_service.signers.audit_trail import audit_row, refusal_reason
from credential_service.signers.certificates import backend_for_label, require_usable_certificate
from credential_service.staff.authz import require_any_assignment
from credential_service.staff.tables import School, Staff
from signing.aio import run_sync
from signing.checks import CertificateCheck
from signing.errors import SigningError
from signing.pades import async_sign_seal
from verifier.checkpoint import open_checkpoint
from verifier.errors import VerifierError
from verifier.merkle import leaf_hash, verify_inclusion
from verifier.pdf import VerificationPolicy, verify_pdf
from verifier.report import FAILED, INDETERMINATE, PASSED

FIELD_PREFIX = "SoGocSo"
MAX_UPLOAD = 10 * 1024 * 1024
RECORD_FORMAT = "sogoc-document/1"


def _invalid(vi: str, en: str) -> InvalidInput:
    return InvalidInput(Message(vi, en))


def check_upload(data: bytes) -> PdfFileReader:
    """A readable, unencrypted PDF of at most 10 MB, or a bilingual refusal."""
    if not data:
        raise _invalid("Tệp rỗng.", "The file is empty.")
    if len(data) > MAX_UPLOAD:
        raise _invalid("Tệp quá lớn (tối đa 10 MB).", "File too large (at most 10 MB).")
    if b"%PDF-" not in data[:1024]:
        raise _invalid("Tệp không phải PDF.", "The file is not a PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(data))
        if reader.encrypted:
            raise _invalid("Tệp PDF được mã hóa; hãy gỡ mật khẩu trước.", "The PDF is encrypted; remove the password.")
        _ = reader.root["/Pages"]  # parse the page tree now
    except SogocError:
        raise
    except Exception as e:
        raise _invalid(f"Không đọc được tệp PDF: {e}", f"Cannot read the PDF: {e}") from e
    return reader


def add_signature_field(data: bytes, reader: PdfFileReader | None = None) -> tuple[bytes, str]:
    """Append an invisible empty signature field ``SoGocSo<n>`` in an incremental update."""
    reader = reader or PdfFileReader(io.BytesIO(data))
    taken = {name for name, _value, _ref in enumerate_sig_fields(reader)}
    n = 1
    while f"{FIELD_PREFIX}{n}" in taken:
        n += 1
    name = f"{FIELD_PREFIX}{n}"
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    append_signature_field(writer, SigFieldSpec(sig_field_name=name, box=None))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), name


class AnyDocumentService:
    def __init__(self, db: Database, documents: DocumentFactory, *, clock: Clock | None = None) -> None:
        self.db = db
        self.documents = documents
        self.clock = clock or SystemClock()

    # -- signing ------------------------------------------------------------------------------
    def seal_pdf(
        self, pdf: bytes, signer: Signer, check: CertificateCheck, *, reason: str, reader: PdfFileReader | None = None
    ) -> tuple[bytes, str]:
        """Add a field and sign it: PAdES B-LT (timestamp and DSS), checks already passed (``check``)."""
        prepared, field = add_signature_field(pdf, reader)
        ctx = self.documents.context
        if not ctx.tsa_url:
            raise ConfigurationError(Message("Chưa cấu hình máy chủ dấu thời gian (TSA).", "No TSA configured."))
        tsa_url = ctx.tsa_url

        async def run() -> bytes:
            vc = ctx.validation_context()
            try:
                return await async_sign_seal(
                    prepared,
                    field,
                    signer,
                    timestamper=HTTPTimeStamper(tsa_url, timeout=10),
                    validation_context=vc,
                    precheck=check,
                    include_earlier_signers=False,
                    reason=reason,
                    location=LOCATION,
                    appearance=None,
                )
            finally:
                await vc.aclose()

        try:
            return run_sync(run()), field
        except SigningError as e:
            raise refusal(e) from e

    def check_signer(self, key_label: str, at: datetime) -> tuple[Signer, CertificateCheck]:
        signer = self.documents.signer(key_label)
        try:
            check = self.documents.context.check_signer(signer.signing_cert, at=at).require_ok()
        except SigningError as e:
            raise refusal(e) from e
        return signer, check

    def sign_upload(
        self,
        data: bytes,
        *,
        title: str,
        kind: str,
        staff_id: str,
        school_code: str | None = None,
        filename: str = "document.pdf",
        client: str | None = None,
        actor: str | None = None,
        at: datetime | None = None,
        also: Any = None,  # (session, document view) -> None: the caller's rows, in the document's transaction
    ) -> dict[str, Any]:
        """Sign an uploaded PDF with the staff member's registered signer; returns the new document."""
        at = at or self.clock.now()
        document_id = str(uuid.uuid4())
        seen: dict[str, Any] = {"also": also}
        try:
            return self._sign_upload(
                data, document_id, title=title, kind=kind, staff_id=staff_id, school_code=school_code,
                filename=filename, client=client, actor=actor, at=at, seen=seen,
            )  # fmt: skip
        except SogocError as e:
            with self.db.transaction() as session:
                session.add(
                    audit_row(
                        operation="document",
                        outcome="refused",
                        document_kind=kind if kind in DOC_KINDS else "other",
                        document_id=document_id,
                        revision=1,
                        staff_id=staff_id,
                        at=self.clock.now(),
                        cert=seen.get("cert"),
                        backend=seen.get("backend"),
                        client=client,
                        actor=actor,
                        reason=refusal_reason(e),
                        message=e.message,
                    )
                )
            raise

    def _sign_upload(
        self,
        data: bytes,
        document_id: str,
        *,
        title: str,
        kind: str,
        staff_id: str,
        school_code: str | None,
        filename: str,
        client: str | None,
        actor: str | None,
        at: datetime,
        seen: dict[str, Any],
    ) -> dict[str, Any]:
        if kind not in DOC_KINDS:
            raise _invalid(
                f"Loại văn bản không hợp lệ: {kind} (sổ điểm, quyết định, báo cáo: {', '.join(DOC_KINDS)}).",
                f"Invalid document kind: {kind} ({', '.join(DOC_KINDS)}).",
            )
        title = " ".join(title.split())
        if not title or len(title) > 255:
            raise _invalid("Cần tiêu đề (tối đa 255 ký tự).", "A title (at most 255 characters) is needed.")
        reader = check_upload(data)
        with self.db.reader() as session:
            school_id = None
            if school_code:
                school = session.execute(select(School).where(School.code == school_code)).scalar()
                if school is None:
                    raise NotFound(Message(f"Không có trường {school_code}.", f"No school {school_code}."))
                school_id = school.id
            staff = require_any_assignment(session, staff_id=staff_id, school_id=school_id, on=vn_date(at))
            seen["backend"] = backend_for_label(staff.key_label)
            signer = self.documents.signer(staff.key_label)
            seen["cert"] = signer.signing_cert
            require_usable_certificate(session, signer.signing_cert, at)
            signer_name = staff.full_name
        signer, check = self.check_signer(staff.key_label, at)
        reason = f"{DOC_KINDS[kind].vi} / {DOC_KINDS[kind].en}: {title}"[:200]
        signed, field = self.seal_pdf(data, signer, check, reason=reason, reader=reader)
        return self.store_revision(
            document_id=document_id,
            revision=1,
            kind=kind,
            title=title,
            school_id=school_id,
            staff_id=staff_id,
            signer_name=signer_name,
            original_name=filename,
            original=data,
            signed=signed,
            field=field,
            check=check,
            operation="document",
            client=client,
            actor=actor,
            backend=seen["backend"],
            also=seen.get("also"),
        )

    def store_revision(
        self,
        *,
        document_id: str,
        revision: int,
        kind: str,
        title: str,
        school_id: str | None,
        staff_id: str,
        signer_name: str,
        original_name: str,
        original: bytes,
        signed: bytes,
        field: str,
        check: CertificateCheck,
        operation: str,
        client: str | None,
        actor: str | None,
        backend: str,
        amends_seq: int | None = None,
        also: Any = None,  # (session, document view) -> None, called before the commit
    ) -> dict[str, Any]:
        """Write a signed revision, its ledger entry, a checkpoint and the audit row in one transaction."""
        now = self.clock.now()
        record = {
            "format": RECORD_FORMAT,
            "document_id": document_id,
            "revision": revision,
            "kind": kind,
            "title": title,
            "original_sha256": sha256_hex(original),
            "signer": signer_name,
            "certificate_sha256": check.sha256_hex,
            "signed_at": now.isoformat(timespec="seconds"),
        }
        record_bytes = canonical_json(record)
        salt = secrets.token_hex(32)
        pdf_sha = sha256_hex(signed)
        with self.db.transaction() as session:
            if revision > 1:
                for old in session.execute(
                    select(SignedDocument).where(
                        SignedDocument.document_id == document_id, SignedDocument.status == "valid"
                    )
                ).scalars():
                    old.status = "superseded"
            entry = ledger.append_many(
                session,
                [
                    ledger.LeafEvent(
                        kind="issued",
                        credential_id=document_id,
                        record_sha256=sha256_hex(record_bytes),
                        salt=salt,
                        pdf_sha256=pdf_sha,
                        register_no=None,
                        amends_seq=amends_seq,
                        time=now,
                    )
                ],
            )[0]
            row = SignedDocument(
                id=str(uuid.uuid4()),
                document_id=document_id,
                revision=revision,
                kind=kind,
                title=title,
                school_id=school_id,
                staff_id=staff_id,
                original_name=original_name[:255],
                original_pdf=original,
                original_sha256=sha256_hex(original),
                pdf=signed,
                pdf_sha256=pdf_sha,
                field_name=field,
                record_json=record_bytes.decode("utf-8"),
                record_sha256=sha256_hex(record_bytes),
                salt=salt,
                certificate_serial=check.serial_hex,
                certificate_sha256=check.sha256_hex,
                status="valid",
                ledger_seq=entry.seq,
                signed_at=now,
            )
            session.add(row)
            session.add(
                audit_row(
                    operation=operation,
                    outcome="signed",
                    document_kind=kind,
                    document_id=document_id,
                    revision=revision,
                    staff_id=staff_id,
                    at=now,
                    cert=check.cert,
                    backend=backend,
                    client=client,
                    actor=actor,
                    checks=check.to_dict(),
                )
            )
            if also is not None:  # the caller's rows: stored with the document, or nothing is
                also(session, self._view(row))
            publish_in_transaction(session, self.documents.settings, at=now)
            session.flush()
            return self._view(row)

    # -- reading ------------------------------------------------------------------------------
    @staticmethod
    def _view(row: SignedDocument) -> dict[str, Any]:
        return {
            "document_id": row.document_id,
            "revision": row.revision,
            "kind": row.kind,
            "title": row.title,
            "staff_id": row.staff_id,
            "status": row.status,
            "field": row.field_name,
            "pdf_sha256": row.pdf_sha256,
            "original_sha256": row.original_sha256,
            "certificate_serial": row.certificate_serial,
            "certificate_sha256": row.certificate_sha256,
            "ledger_seq": row.ledger_seq,
            "signed_at": row.signed_at.isoformat(),
        }

    def revision_row(self, document_id: str, revision: int | None = None) -> SignedDocument:
        with self.db.reader() as session:
            q = select(SignedDocument).where(SignedDocument.document_id == document_id)
            if revision is None:
                q = q.order_by(SignedDocument.revision.desc()).limit(1)
            else:
                q = q.where(SignedDocument.revision == revision)
            row = session.execute(q).scalar()
        if row is None:
            raise NotFound(Message(f"Không có văn bản mã {document_id}.", f"No document {document_id}."))
        return row

    def document(self, document_id: str) -> dict[str, Any]:
        with self.db.reader() as session:
            rows = session.execute(
                select(SignedDocument)
                .where(SignedDocument.document_id == document_id)
                .order_by(SignedDocument.revision)
            ).scalars()
            revisions = [self._view(r) for r in rows]
        if not revisions:
            raise NotFound(Message(f"Không có văn bản mã {document_id}.", f"No document {document_id}."))
        return {**revisions[-1], "revisions": revisions}

    def list_documents(self, staff_id: str | None = None) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            latest = (
                select(SignedDocument.document_id, func.max(SignedDocument.revision).label("rev"))
                .group_by(SignedDocument.document_id)
                .subquery()
            )
            q = select(SignedDocument).join(
                latest,
                (latest.c.document_id == SignedDocument.document_id) & (latest.c.rev == SignedDocument.revision),
            )
            if staff_id:
                q = q.where(SignedDocument.staff_id == staff_id)
            return [self._view(r) for r in session.execute(q.order_by(SignedDocument.signed_at)).scalars()]

    # -- verification -------------------------------------------------------------------------
    def verify(self, data: bytes, ledger_service: LedgerService, *, at: datetime | None = None) -> dict[str, Any]:
        """Signatures, register, ledger, newer revision, compromised keys — the worst result wins."""
        from credential_service.signers.compromised_keys import compromised_signatures

        trust = self.documents.context.trust_roots
        report = verify_pdf(data, trust=trust, at=at, policy=VerificationPolicy(max_file_size=MAX_UPLOAD))
        checks: list[dict[str, Any]] = [
            {"name": "signatures", "indication": report.indication, "sub_indication": report.sub_indication}
        ]
        document: dict[str, Any] | None = None
        sha = hashlib.sha256(data).hexdigest()
        with self.db.reader() as session:
            row = session.execute(select(SignedDocument).where(SignedDocument.pdf_sha256 == sha)).scalar()
            flagged = compromised_signatures(session, report)
            if row is not None:
                latest = session.execute(
                    select(func.max(SignedDocument.revision)).where(SignedDocument.document_id == row.document_id)
                ).scalar_one()
                signer = session.get(Staff, row.staff_id)
        if row is None:
            checks.append({"name": "register", "indication": FAILED, "sub_indication": "NOT_IN_LEDGER"})
        else:
            document = {**self._view(row), "signer": signer.full_name if signer else None, "latest_revision": latest}
            checks.append({"name": "register", "indication": PASSED, "sub_indication": None})
            checks.append(self._ledger_check(row, ledger_service))
            if latest > row.revision:
                checks.append({"name": "status", "indication": FAILED, "sub_indication": "SUPERSEDED"})
            else:
                checks.append({"name": "status", "indication": PASSED, "sub_indication": None})
        if flagged:
            checks.append(
                {
                    "name": "signing_keys",
                    "indication": FAILED,
                    "sub_indication": "KEY_COMPROMISED",
                    "signatures": flagged,
                }
            )
        else:
            checks.append({"name": "signing_keys", "indication": PASSED, "sub_indication": None})
        failed = [c for c in checks if c["indication"] == FAILED]
        if failed:
            indication, sub = FAILED, failed[0]["sub_indication"]
        elif report.indication == INDETERMINATE:
            indication, sub = INDETERMINATE, report.sub_indication
        else:
            indication, sub = PASSED, None
        return {
            "indication": indication,
            "sub_indication": sub,
            "checks": checks,
            "document": document,
            "pdf": report.to_dict(),
        }

    @staticmethod
    def _ledger_check(row: SignedDocument, ledger_service: LedgerService) -> dict[str, Any]:
        try:
            proof = ledger_service.inclusion_proof(row.ledger_seq)
            note = proof.get("checkpoint")
            if not note:
                raise VerifierError("Không có checkpoint đã ký.", "No signed checkpoint.")
            cp = open_checkpoint(note, [ledger_service.verifier], ledger_service.origin)
            leaf = base64.b64decode(proof["leaf"])
            verify_inclusion(
                leaf_hash(leaf), proof["index"], cp.size, [bytes.fromhex(h) for h in proof["proof"]], cp.root_hash
            )
            doc = json.loads(leaf)
            if doc.get("credential_id") != row.document_id or doc.get("pdf_sha256") != row.pdf_sha256:
                raise VerifierError("Mục sổ cái không khớp văn bản.", "The ledger entry does not match the document.")
            if doc.get("commitment") != ledger.commitment(row.salt, row.record_sha256):
                raise VerifierError("Cam kết sổ cái không khớp.", "The ledger commitment does not match.")
        except (SogocError, VerifierError, ValueError, KeyError) as e:
            return {"name": "ledger", "indication": FAILED, "sub_indication": "NOT_IN_LEDGER", "detail": str(e)}
        return {
            "name": "ledger",
            "indication": PASSED,
            "sub_indication": None,
            "index": proof["index"],
            "checkpoint_size": cp.size,
        }
