"""A paper register book's import as a batch job (issue #17 item 4): one item, the whole book, all or nothing.

The import runs when a second Sở clerk approves the proposal (``app/approval_actions.py``). A small book is
imported at once, inside the approval, as before; a book whose file is larger than :data:`JOB_BYTES` (about three
thousand rows of XLSX, some seconds of validation and hashing) is handed to the job workers instead, and the
approval answers with the job (``GET /api/v1/jobs/{job_id}``). The proposal is what the checker approved, so it
is ``done`` once the import is queued; whether the import then succeeds is the job's status, and its item's
result holds the import report (or the refusal, in both languages).

The item keeps no copy of the file: it names the approval whose payload holds it, and the file's SHA-256, which
the item checks before importing. What makes the item safe to run again after a worker is killed:
:meth:`RegisterImporter.import_file` writes the book, its rows, the reconciliation queue and the ledger entries
in one transaction, and is idempotent by the file's digest (``register_books.source_sha256``, a unique column):
a second attempt either finds the book stored (and reports the stored counts, importing nothing) or nothing of
the first attempt was written.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from credential_service.diplomas.register_book import BookInfo
from credential_service.diplomas.register_import import RegisterImporter
from credential_service.diplomas.rules import DiplomaType, IssuerRole
from credential_service.diplomas.tables import RegisterBook
from credential_service.platform.errors import Conflict, Message
from credential_service.platform.jobs import JobHandler, JobItem, JobService
from credential_service.staff.approvals import ApprovalService

REGISTER_IMPORT = "diplomas.register_import"
PROPOSAL_KIND = "register.import"
JOB_BYTES = 256 * 1024  # a larger file is imported by the job workers, not inside the approval request
RECONCILIATION = "/api/v1/reconciliation"


def book_info(b: Mapping[str, Any]) -> BookInfo:
    """The book described in a proposal's payload (``payload["book"]``)."""
    return BookInfo(
        str(b["book_code"]),
        str(b["issuer_key"]),
        str(b["issuer_name"]),
        DiplomaType(b["diploma_type"]),
        issuer_role=IssuerRole(b["issuer_role"]),
    )


def proposal_file(payload: Mapping[str, Any]) -> bytes:
    return base64.b64decode(str(payload["file_b64"]))


def runs_as_job(data: bytes) -> bool:
    return len(data) > JOB_BYTES


def submit_register_import(
    jobs: JobService, approval_id: str, payload: Mapping[str, Any], *, actor: str, created_by: str
) -> str:
    """Queue the import of the proposal ``approval_id`` (its ``payload``) for ``actor`` (both names); the job id."""
    data = proposal_file(payload)
    book = payload["book"]
    item = JobItem(
        payload={
            "approval_id": approval_id,
            "file_sha256": hashlib.sha256(data).hexdigest(),
            "book_code": book["book_code"],
            "actor": actor,
        }
    )
    title = (
        f"Nhập sổ gốc {book['book_code']} ({book['issuer_name']}), {payload['file_name']} / "
        f"register import {book['book_code']}"
    )
    return jobs.submit(REGISTER_IMPORT, [item], title=title[:300], created_by=created_by, school_id=None)


def _stored(importer: RegisterImporter, digest: str) -> dict[str, Any] | None:
    with importer.db.reader() as session:
        book = session.execute(select(RegisterBook).where(RegisterBook.source_sha256 == digest)).scalar_one_or_none()
        if book is None:
            return None
        return {
            "book_code": book.book_code,
            "rows": book.row_count,
            "imported": book.imported_count,
            "queued": book.queued_count,
            "already_imported": True,
            "reconciliation": RECONCILIATION,
        }


def register_import_handler(importer: RegisterImporter, approvals: ApprovalService) -> JobHandler:
    """Import the approved book; when a book from this very file is stored already (an earlier attempt, or an
    earlier proposal with the same file), report its counts and import nothing."""

    def handle(payload: Mapping[str, Any]) -> dict[str, Any]:
        digest = str(payload["file_sha256"])
        proposal = approvals.payload(str(payload["approval_id"]))
        data = proposal_file(proposal)
        if hashlib.sha256(data).hexdigest() != digest:
            raise Conflict(
                Message(
                    "Tệp trong đề nghị không còn khớp với tệp đã được duyệt; không nhập gì.",
                    "The proposal's file no longer matches the approved file; nothing was imported.",
                )
            )
        found = _stored(importer, digest)
        if found is not None:
            return found
        try:
            report = importer.import_file(
                data, str(proposal["file_name"]), book_info(proposal["book"]), actor=str(payload["actor"])
            )
        except IntegrityError:  # another attempt stored this file meanwhile
            found = _stored(importer, digest)
            if found is None:
                raise
            return found
        if report.unchanged:
            return _stored(importer, digest) or {**report.to_dict(), "already_imported": True}
        return {**report.to_dict(), "already_imported": False, "reconciliation": RECONCILIATION}

    return handle
