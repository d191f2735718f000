"""The periodic report to the city (issue #16, item 4): monthly and on demand, an XLSX of every dashboard
table and a PDF sealed by the Sở (PAdES B-LT) and recorded in the ledger.

Nothing new signs here: the PDF goes through the document service like any other signed document (kind
``progress-report``), with the Sở's own seal as the signer (``documents/so_seal.py``). The workbook's SHA-256
is printed in the PDF, so the seal vouches for the workbook too. The numbers are the city-wide
``ReportingService.progress`` of the month's school year, as they stand when the report is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from credential_service.platform.clock import Clock
from credential_service.reporting.report_pdf import render_report
from credential_service.reporting.report_rules import ReportPeriod, file_stem, parse_month
from credential_service.reporting.report_xlsx import write_workbook
from credential_service.reporting.rules import Filters
from credential_service.reporting.service import ReportingService

KIND = "progress-report"


class SealForSo(Protocol):
    """Seal a PDF as the Sở (``documents/so_seal.py:sign_as_so`` over ``AnyDocumentService``); returns the
    signed document's view (document id, ledger sequence, certificate …)."""

    def __call__(
        self, data: bytes, *, title: str, kind: str, filename: str, client: str | None, actor: str | None
    ) -> dict[str, Any]: ...


class SignedPdf(Protocol):
    """The signed bytes of a stored document (``AnyDocumentService.revision_row(...).pdf``)."""

    def __call__(self, document_id: str) -> bytes: ...


@dataclass(frozen=True)
class CityReport:
    period: ReportPeriod
    school_year: str | None
    made_at: str
    xlsx: bytes
    pdf: bytes  # signed
    document: dict[str, Any]

    @property
    def names(self) -> tuple[str, str]:
        stem = file_stem(self.period)
        return f"{stem}.xlsx", f"{stem}.pdf"

    def summary(self) -> dict[str, Any]:
        xlsx_name, pdf_name = self.names
        return {
            "month": self.period.key,
            "school_year": self.school_year,
            "made_at": self.made_at,
            "document": self.document,
            "files": {
                "xlsx": {"name": xlsx_name, "sha256": hashlib.sha256(self.xlsx).hexdigest(), "bytes": len(self.xlsx)},
                "pdf": {"name": pdf_name, "sha256": hashlib.sha256(self.pdf).hexdigest(), "bytes": len(self.pdf)},
            },
        }

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / n for n in self.names]
        paths[0].write_bytes(self.xlsx)
        paths[1].write_bytes(self.pdf)
        return paths


class CityReports:
    def __init__(self, progress: ReportingService, seal: SealForSo, signed_pdf: SignedPdf, *, clock: Clock) -> None:
        self.progress = progress
        self.seal = seal
        self.signed_pdf = signed_pdf
        self.clock = clock

    def make(
        self,
        month: str | None = None,
        *,
        school_year: str | None = None,
        actor: str | None = None,
        client: str | None = None,
    ) -> CityReport:
        """The report for ``month`` (``YYYY-MM``; None: this month) over the whole city; the school year is
        the month's unless given."""
        now = self.clock.now()
        period = parse_month(month, self.clock.today())
        year = school_year or period.school_year
        data = self.progress.progress(Filters(None, None, year), None)
        made_at = now.isoformat(timespec="seconds")
        xlsx = write_workbook(data, period, made_at=made_at)
        pdf = render_report(data, period, made_at=made_at, xlsx_sha256=hashlib.sha256(xlsx).hexdigest())
        title = f"Báo cáo tiến độ chuyển đổi số ngành giáo dục {period.label.vi} (năm học {year})"
        view = self.seal(pdf, title=title, kind=KIND, filename=f"{file_stem(period)}.pdf", client=client, actor=actor)
        signed = self.signed_pdf(view["document_id"])
        return CityReport(period, year, made_at, xlsx, signed, view)
