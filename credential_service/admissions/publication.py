"""Publishing a run: the city's results list rendered, signed by the Sở (PAdES) and recorded in the ledger.

One document for the city, a section per school: one signature, one timestamp and one ledger entry, so a
publication is all there or not at all (60 documents could not be stored in one transaction), and anyone
checks the whole city's list with one ``sogoc verify``. A school prints its own section.

The signing path is the one of any other signed document (:meth:`AnyDocumentService.sign_upload`, kinds
``admission-results`` and ``admission-appeal-diff``): the same certificate, revocation and chain checks, a
B-LT signature, a ledger entry and the audit row. The signer is the Sở's own seal in force that day
(``documents/so_seal.py``: role ``seal`` held at no school and no commune), never a school's. The publication
row is written in the transaction that stores the document and its ledger entry (``sign_upload(also=...)``),
so there is no entry without its document and no document without its publication.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.admissions.publication_rules import school_lists
from credential_service.admissions.results_pdf import RunFacts, render_results
from credential_service.admissions.service import AdmissionsService
from credential_service.admissions.tables import AdmissionPublication, AdmissionRun, AdmissionYear
from credential_service.admissions.year_rules import parse_toml_config
from credential_service.documents.service import AnyDocumentService
from credential_service.documents.so_seal import so_seal_in_force
from credential_service.platform.clock import Clock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message, NotFound

RESULTS = "results"
APPEAL_DIFF = "appeal-diff"
Hook = Callable[[Session, dict[str, Any]], None]


def facts(run: AdmissionRun) -> RunFacts:
    return RunFacts(
        year=run.year,
        run_id=run.id,
        ran_at=run.ran_at.isoformat(timespec="seconds"),
        config_sha256=run.config_sha256,
        input_sha256=run.input_sha256,
        output_sha256=run.output_sha256,
        applicants=run.applicants,
        admitted=run.admitted,
    )


def output_of(run: AdmissionRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run.output, parse_float=Decimal)
    return data


def publication_view(row: AdmissionPublication) -> dict[str, Any]:
    return {
        "publication_id": row.id,
        "year": row.year,
        "kind": row.kind,
        "run_id": row.run_id,
        "previous_run_id": row.previous_run_id,
        "appeal_id": row.appeal_id,
        "document_id": row.document_id,
        "pdf_sha256": row.pdf_sha256,
        "ledger_seq": row.ledger_seq,
        "published_at": row.published_at.isoformat(timespec="seconds"),
        "published_by": row.published_by,
    }


class AdmissionsPublisher:
    def __init__(
        self, db: Database, admissions: AdmissionsService, documents: AnyDocumentService, *, clock: Clock
    ) -> None:
        self.db = db
        self.admissions = admissions
        self.documents = documents
        self.clock = clock

    # -- the run and its school names ---------------------------------------------------------------
    def run(self, s: Session, year: str, run_id: str) -> AdmissionRun:
        run = s.get(AdmissionRun, run_id)
        if run is None or run.year != year:
            raise NotFound(
                Message(f"Năm {year} không có lần xét tuyển {run_id}", f"No allocation run {run_id} in {year}")
            )
        return run

    def school_names(self, s: Session, year: str) -> dict[str, str]:
        row = s.get(AdmissionYear, year)
        if row is None:
            return {}
        return {school.code: school.name for school in parse_toml_config(row.config_text).schools}

    def sign(self, pdf: bytes, *, kind: str, title: str, filename: str, actor: str, client: str, also: Hook) -> None:
        seal, _ = so_seal_in_force(self.documents, vn_date(self.clock.now()))
        self.documents.sign_upload(
            pdf, title=title, kind=kind, staff_id=seal, school_code=None, filename=filename, client=client,
            actor=actor, also=also,
        )  # fmt: skip

    # -- the results list --------------------------------------------------------------------------
    def existing(self, s: Session, run_id: str, kind: str) -> AdmissionPublication | None:
        return s.execute(
            select(AdmissionPublication).where(AdmissionPublication.run_id == run_id, AdmissionPublication.kind == kind)
        ).scalar_one_or_none()

    def publish(self, year: str, run_id: str, *, actor: str, client: str = "api") -> dict[str, Any]:
        """Render the run's results list, sign it as the Sở and ledger it; a run is published once (a second
        call returns the first publication)."""
        with self.db.reader() as s:
            run = self.run(s, year, run_id)
            done = self.existing(s, run_id, RESULTS)
            if done is not None:
                return {**publication_view(done), "already_published": True}
            names = self.school_names(s, year)
            lists = school_lists(output_of(run))
            pdf = render_results(facts(run), names, lists)
        publication_id = str(uuid.uuid4())

        def record(session: Session, document: dict[str, Any]) -> None:
            if self.existing(session, run_id, RESULTS) is not None:
                raise Conflict(Message("Lần xét tuyển này vừa được công bố", "This run was just published"))
            session.add(
                AdmissionPublication(
                    id=publication_id, year=year, kind=RESULTS, run_id=run_id, previous_run_id=None, appeal_id=None,
                    document_id=document["document_id"], pdf_sha256=document["pdf_sha256"],
                    ledger_seq=document["ledger_seq"], published_at=self.clock.now(), published_by=actor,
                )
            )  # fmt: skip

        self.sign(
            pdf,
            kind="admission-results",
            title=f"Danh sách trúng tuyển lớp 10 năm học {year} (lần xét {run_id})",
            filename=f"trung-tuyen-lop-10-{year}.pdf",
            actor=actor,
            client=client,
            also=record,
        )
        out = self.publication(publication_id)
        out["schools"] = {x.code: len(x.admitted) for x in lists}
        return out

    # -- reading -----------------------------------------------------------------------------------
    def publication(self, publication_id: str) -> dict[str, Any]:
        with self.db.reader() as s:
            row = s.get(AdmissionPublication, publication_id)
            if row is None:
                raise NotFound(Message("Không có văn bản công bố này", "No such publication"))
            return publication_view(row)

    def publications(self, year: str) -> list[dict[str, Any]]:
        with self.db.reader() as s:
            rows = s.execute(
                select(AdmissionPublication)
                .where(AdmissionPublication.year == year)
                .order_by(AdmissionPublication.published_at, AdmissionPublication.id)
            ).scalars()
            return [publication_view(r) for r in rows]

    def pdf(self, publication_id: str) -> bytes:
        document_id = self.publication(publication_id)["document_id"]
        return bytes(self.documents.revision_row(document_id).pdf)
