"""The monthly report to the city as a batch job (issue #17 item 4): one item, the workbook and the PDF sealed by
the Sở, made by :meth:`CityReports.make` exactly as ``POST /api/v1/progress/reports`` makes them.

What makes the item safe to run again after a worker is killed: the seal is the only thing it writes, and the
document service writes the signed PDF, its ledger entry, the checkpoint and the signing-audit row in one
transaction (``AnyDocumentService.store_revision``). The item's payload carries a key chosen when the job was
submitted, and the seal is asked for with the client ``batch-job report <key>``, which that audit row keeps. A
second attempt first looks for a sealed report with that client: found, the first attempt committed, and the item
answers with that document and seals nothing; not found, nothing of the first attempt was written (a worker killed
while rendering or signing leaves no row), and the report is made now. So one job item never seals two PDFs.

The workbook is not a stored document (the sealed PDF prints its SHA-256), so the item's result carries it in
base64 like the synchronous answer does. In the one case where the seal committed but the worker died before the
item recorded its result, the workbook is gone with the worker: the result then says so, and a new report
(a new job) gives a new workbook with a new sealed PDF.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select

from credential_service.documents.service import AnyDocumentService
from credential_service.documents.so_seal import so_seal_in_force
from credential_service.documents.tables import SignedDocument
from credential_service.platform.db import Database
from credential_service.platform.jobs import JobHandler, JobItem, JobService
from credential_service.reporting.report_rules import ReportPeriod, file_stem, parse_month
from credential_service.reporting.reports import KIND, CityReport, CityReports
from credential_service.signers.tables import SigningAudit

CITY_REPORT = "reporting.city_report"


def job_client(key: str) -> str:
    """The client named in the seal's audit row: how a second attempt of the item finds the first's seal."""
    return f"batch-job report {key}"


def pdf_link(document_id: str) -> str:
    return f"/api/v1/documents/{document_id}/pdf"


def submit_city_report(
    jobs: JobService,
    documents: AnyDocumentService,
    *,
    month: str | None,
    school_year: str | None,
    actor: str,
    created_by: str,
    today: date,
) -> str:
    """Queue the report for ``month`` (None: this month; fixed now, so a later attempt makes the same month);
    the job id. Refused at once (nothing queued) for a month that is not valid (422) or when the Sở has no seal
    in force (404): what the report would refuse anyway, known before any worker starts."""
    period = parse_month(month, today)
    year = school_year or period.school_year
    so_seal_in_force(documents, today)
    payload = {"month": period.key, "school_year": year, "actor": actor, "key": str(uuid.uuid4())}
    title = f"Báo cáo tiến độ gửi Thành phố {period.key} (năm học {year}) / progress report to the city {period.key}"
    return jobs.submit(CITY_REPORT, [JobItem(payload=payload)], title=title, created_by=created_by, school_id=None)


def report_result(report: CityReport) -> dict[str, Any]:
    """The item's result: the synchronous answer, with the workbook in base64 and a link to the sealed PDF."""
    out = report.summary()
    out["files"]["xlsx"]["base64"] = base64.b64encode(report.xlsx).decode("ascii")
    document_id = str(report.document["document_id"])
    return {"document_id": document_id, "pdf": pdf_link(document_id), **out, "already_sealed": False}


def sealed_for(db: Database, key: str, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """The report an earlier attempt of the item sealed (found by its audit row), or None."""
    with db.reader() as session:
        row = (
            session.execute(
                select(SignedDocument)
                .join(SigningAudit, SigningAudit.document_id == SignedDocument.document_id)
                .where(  # the few sealed reports, then their audit rows by the indexed document id
                    SignedDocument.kind == KIND,
                    SigningAudit.client == job_client(key),
                    SigningAudit.outcome == "signed",
                    SigningAudit.document_kind == KIND,
                    SignedDocument.revision == 1,
                )
            )
            .scalars()
            .first()
        )
        if row is None:
            return None
        month = str(payload["month"])
        period = ReportPeriod(int(month[:4]), int(month[5:7]))
        return {
            "document_id": row.document_id,
            "pdf": pdf_link(row.document_id),
            "month": month,
            "school_year": payload.get("school_year"),
            "document": {
                "document_id": row.document_id,
                "title": row.title,
                "ledger_seq": row.ledger_seq,
                "pdf_sha256": row.pdf_sha256,
                "signed_at": row.signed_at.isoformat(),
            },
            "files": {"pdf": {"name": f"{file_stem(period)}.pdf", "sha256": row.pdf_sha256, "bytes": len(row.pdf)}},
            "already_sealed": True,
            "note_vi": "Báo cáo đã được đóng dấu ở lần chạy trước; tệp XLSX của lần đó không còn. "
            "Cần tệp XLSX thì lập báo cáo mới.",
            "note_en": "The report was sealed by an earlier attempt; that attempt's XLSX is gone. "
            "Make a new report for a workbook.",
        }


def city_report_handler(reports: Callable[[], CityReports], db: Database) -> JobHandler:
    """Make and seal the item's report, unless an earlier attempt of the same item sealed it already."""

    def handle(payload: Mapping[str, Any]) -> dict[str, Any]:
        key = str(payload["key"])
        found = sealed_for(db, key, payload)
        if found is not None:
            return found
        school_year = payload.get("school_year")
        report = reports().make(
            str(payload["month"]),
            school_year=str(school_year) if school_year else None,
            actor=str(payload.get("actor") or "") or None,
            client=job_client(key),
        )
        return report_result(report)

    return handle
