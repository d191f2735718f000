"""Public verification API: upload a PDF, check a scanned QR, a credential's status, the QR key list.

Errors are application/problem+json (credential_service.app.problem). "Not valid" is a result
(200 with ``indication: FAILED``), "could not process" is an error (413, 422, 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from fastapi import Path as FPath
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import InvalidInput, Message, TooLarge
from credential_service.platform.upload_limits import megabytes
from credential_service.reporting.check_counter import count_check
from credential_service.reporting.traffic_rules import check_outcome
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.verification.schemas import (
    CredentialStatusOut,
    KeyListOut,
    PdfVerificationOut,
    QrVerificationOut,
)
from credential_service.verification.service import MAX_UPLOAD, VerificationService

router = APIRouter(tags=["verify / kiểm tra"])
BUNDLE_MEDIA = "application/vnd.sogoc.verification-bundle+json"
API = "/api/v1"


async def verification_service(c: Annotated[Container, Depends(container)]) -> VerificationService:
    return c.verification


Verifier = Annotated[VerificationService, Depends(verification_service)]
C = Annotated[Container, Depends(container)]


def counted(c: Container, channel: str, indication: str | None, status: str | None) -> None:
    """One anonymous check counted for the progress' traffic (per day, channel and outcome only; in memory,
    written every few seconds: ``reporting/check_counter.py``)."""
    count_check(c.db, c.clock, channel, check_outcome(indication, status))


async def read_upload(file: UploadFile, limit: int = MAX_UPLOAD) -> bytes:
    """Read at most ``limit`` bytes; a larger upload is refused with 413 without reading it all."""
    data = await file.read(limit + 1)
    if len(data) > limit:
        top = megabytes(limit)
        raise TooLarge(Message(f"Tệp quá lớn (tối đa {top}).", f"File too large (at most {top})."), maximum=limit)
    if not data:
        raise InvalidInput(Message("Tệp rỗng.", "The file is empty."))
    return data


@router.post(
    f"{API}/verify",
    summary="Kiểm tra một tệp PDF học bạ số / verify a transcript PDF",
    response_model=PdfVerificationOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
async def verify_upload(svc: Verifier, c: C, file: Annotated[UploadFile, File(description="PDF")]) -> dict[str, Any]:
    indication = None  # an unreadable or refused file counts as failed
    try:
        data = await read_upload(file)
        result = await run_in_threadpool(svc.verify_pdf, data)
        indication = result.indication
    finally:
        counted(c, "pdf", indication, None)
    return result.to_dict()


class QrIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096, description="nội dung mã QR / the QR's text")


@router.post(
    f"{API}/verify/qr",
    summary="Kiểm tra nội dung mã QR đã quét / verify a scanned QR code",
    response_model=QrVerificationOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
async def verify_qr_text(body: QrIn, svc: Verifier, c: C) -> dict[str, Any]:
    """``async`` with one worker thread for the check, as :func:`credential_status`."""
    report, status = await run_in_threadpool(svc.verify_qr_text, body.text)
    counted(c, "qr", report.indication, status.status if status else None)
    out = report.to_dict()
    out["credential"] = status.to_dict() if status else None
    return out


@router.get(
    API + "/credentials/{credential_id}/status",
    summary="Trạng thái hiện tại / current status",
    response_model=CredentialStatusOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
async def credential_status(credential_id: str, svc: Verifier, c: C) -> dict[str, Any]:
    """``async``, with the register read in one worker thread: the answer is then checked against the response
    model on the event loop, not in a second thread (issue #17: the status endpoint's throughput; FastAPI runs a
    plain ``def`` route in one thread and the response model's check in another)."""
    status = None  # an unknown id counts as failed
    try:
        found = await run_in_threadpool(svc.credential_status, credential_id)
        status = found.status
        return found.to_dict()
    finally:
        counted(c, "status", None, status)


@router.get(
    API + "/credentials/{credential_id}/bundle.json",
    summary="Gói xác minh cho người có bản ghi / verification bundle for whoever holds the record",
    description=(
        "Bằng chứng bao hàm, checkpoint đã ký và trạng thái đã ký (sogoc-verification-bundle/2) của mục sổ cái "
        "cam kết bản ghi có SHA-256 này; 404 nếu không có (sổ cái không có bằng chứng). / The inclusion proof, "
        "signed checkpoint and signed status of the ledger entry committing to the record with this SHA-256 "
        "(it carries the salt, so the caller proves possession of the record); 404: the ledger has no proof."
    ),
    response_class=Response,
    responses={200: {"content": {BUNDLE_MEDIA: {}}, "description": "sogoc-verification-bundle/2"}},
    dependencies=[allow(P.PUBLIC)],
)
def public_bundle(
    svc: Verifier,
    credential_id: Annotated[str, FPath(min_length=1, max_length=64)],
    record_sha256: Annotated[str, Query(pattern="^[0-9a-fA-F]{64}$", description="SHA-256 (hex) of the record")],
) -> Response:
    bundle = svc.public_bundle(credential_id, record_sha256)
    return Response(bundle.to_json(), media_type=BUNDLE_MEDIA, headers={"Cache-Control": "no-store"})


@router.get(
    "/.well-known/sogoc-keys.json",
    summary="Danh sách khóa ký mã QR / the published QR key list",
    response_model=KeyListOut,
    dependencies=[allow(P.PUBLIC)],
)
def qr_keys(svc: Verifier) -> JSONResponse:
    return JSONResponse(svc.key_list(), headers={"Cache-Control": "public, max-age=3600"})
