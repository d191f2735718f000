"""Transcript downloads and the record."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from credential_service.app.bootstrap import Container
from credential_service.app.deps import PDF, container
from credential_service.staff import policies as P
from credential_service.staff.access import allow

router = APIRouter(tags=["transcripts / học bạ số"])
C = Annotated[Container, Depends(container)]


@router.get(
    "/transcripts/{transcript_id}",
    summary="Thông tin học bạ số / transcript metadata",
    dependencies=[allow(P.TRANSCRIPT_READ)],
)
def transcript(transcript_id: str, c: C) -> dict[str, Any]:
    t = c.transcripts.transcript(transcript_id)
    return {
        "id": t.id,
        "status": t.status,
        "version": t.version,
        "record_sha256": t.record_sha256,
        "pdf_sha256": t.pdf_sha256,
        "issued_at": t.issued_at.isoformat() if t.issued_at else None,
        "verify_url": c.settings.verify_url(t.id),
    }


@router.get(
    "/transcripts/{transcript_id}/pdf",
    summary="Tải PDF / download the PDF",
    response_class=Response,
    responses=PDF,
    dependencies=[allow(P.TRANSCRIPT_READ)],
)
def transcript_pdf(transcript_id: str, c: C) -> Response:
    t = c.transcripts.transcript(transcript_id)
    return Response(
        t.pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="hocba-{t.id}.pdf"'},
    )


@router.get(
    "/transcripts/{transcript_id}/record",
    summary="Bản ghi chuẩn hóa / canonical record",
    dependencies=[allow(P.TRANSCRIPT_READ)],
)
def transcript_record(transcript_id: str, c: C) -> dict[str, Any]:
    t = c.transcripts.transcript(transcript_id)
    record: dict[str, Any] = json.loads(t.record_json)
    return record
