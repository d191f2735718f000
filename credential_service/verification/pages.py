"""The public verification page ``/v/<id>`` (Vietnamese first, English one click away).

* ``GET /v/<id>``: the credential's current status, the fields to compare with the paper, what to
  do when they differ, a PDF upload form and a camera QR scan (BarcodeDetector where the browser has
  it, otherwise typing or pasting the code). The QR's ``#HB1:`` fragment never reaches the server
  by itself; the page offers to check it (sent only when the visitor asks).
* ``GET /v``: the same tools without a credential.
* ``POST /v/check`` (PDF) and ``POST /v/qr`` (QR text): the verdict, rendered for people.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.app.problem import http_status
from credential_service.platform.errors import NotFound, SogocError
from credential_service.platform.view_keys import holds_document
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.transcripts.record import CONDUCT_AFTER_SUMMER, LEARNING_AFTER_REASSESSMENT
from credential_service.verification.results import STATUS_LABELS
from credential_service.verification.routes import Verifier, counted, read_upload
from verifier.book_years import book_years

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]

CHECK_LABELS: dict[str, tuple[str, str]] = {
    "signatures": ("Chữ ký số trên tệp", "Digital signatures in the file"),
    "signers": ("Người ký đúng quy trình phát hành", "Signers are the issuing ones"),
    "record": ("Dữ liệu gắn trong tệp khớp sổ gốc", "Embedded data matches the register"),
    "register": ("Có trong sổ gốc", "In the register"),
    "qr": ("Mã QR in trên trang khớp học bạ", "Printed QR code matches the transcript"),
    "ledger": ("Được công bố trong sổ cái (bằng chứng Merkle)", "Published in the ledger (Merkle proof)"),
    "status": ("Còn hiệu lực", "Still in force"),
}


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "vi"


def _date_vn(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = iso[:10].split("-")
    return f"{d}/{m}/{y}"


def _fields(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    res = record.get("results") or {}
    lr = res.get("learning_result") or {}
    cd = res.get("conduct") or {}
    return [
        ("Họ và tên", "Full name", record["student"]["full_name"]),
        ("Ngày sinh", "Date of birth", _date_vn(record["student"].get("date_of_birth"))),
        ("Trường", "School", record["school"]["name"]),
        ("Lớp", "Class", record["class"]["name"]),
        ("Năm học", "School year", record["school_year"]),
        ("Kết quả học tập cả năm", "Year learning result", lr.get(LEARNING_AFTER_REASSESSMENT) or lr.get("year") or ""),
        ("Kết quả rèn luyện cả năm", "Year conduct", cd.get(CONDUCT_AFTER_SUMMER) or cd.get("year") or ""),
        ("Mã học bạ số", "Credential id", record["credential_id"]),
        ("Phiên bản", "Version", str(record.get("version", ""))),
    ]


def _years(record: dict[str, Any]) -> list[dict[str, Any]]:
    """A học bạ book's every school year and who signed it (one học bạ per level); empty for a single year. This
    version's own year is signed by the people its record names (the file's signatures)."""
    if not record.get("earlier_years"):
        return []
    try:
        years = book_years(record)
    except (AttributeError, TypeError, ValueError):
        return []
    if years and years[-1].get("signed_by") is None:
        years[-1]["signed_by"] = [
            {"step": "gvcn", "full_name": (record.get("homeroom_teacher") or {}).get("full_name")},
            {"step": "principal", "full_name": (record.get("principal") or {}).get("full_name")},
            {"step": "seal", "full_name": (record.get("school") or {}).get("name")},
        ]
    return years


def _page(request: Request, template: str, ctx: dict[str, Any], status_code: int = 200) -> Response:
    base = {"lang": _lang(request), "status_labels": STATUS_LABELS, "check_labels": CHECK_LABELS}
    return TEMPLATES.TemplateResponse(request, template, {**base, **ctx}, status_code=status_code)


@router.get("/v", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def verify_home(request: Request) -> Response:
    return _page(request, "verify.html", {"id": None, "st": None, "fields": []})


@router.get("/v/{credential_id}", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def verify_page(
    request: Request,
    credential_id: str,
    svc: Verifier,
    c: C,
    k: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The status for anyone; the personal details only with the view key carried in the QR code."""
    try:
        st = svc.credential_status(credential_id)
    except NotFound:
        counted(c, "qr", None, None)
        return _page(request, "verify.html", {"id": credential_id, "st": None, "fields": []}, status_code=404)
    counted(c, "qr", None, st.status)  # the page a scanned QR code opens
    record = json.loads(svc.record_json(credential_id))
    holder = holds_document(svc.settings.view_secret, credential_id, k)
    return _page(
        request,
        "verify.html",
        {
            "id": credential_id,
            "st": st,
            "fields": _fields(record) if holder else [],
            "years": _years(record) if holder else [],
            "details_hidden": not holder,
            "school": record["school"]["name"],
        },
    )


@router.post("/v/check", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
async def verify_upload_page(request: Request, svc: Verifier, c: C, file: Annotated[UploadFile, File()]) -> Response:
    from starlette.concurrency import run_in_threadpool

    try:
        data = await read_upload(file)
        result = await run_in_threadpool(svc.verify_pdf, data)
    except SogocError as e:
        counted(c, "pdf", None, None)
        return _page(request, "verify_result.html", {"error": e, "r": None, "kind": "pdf"}, status_code=http_status(e))
    counted(c, "pdf", result.indication, None)
    r = result.to_dict()
    fields = _safe_fields(result.record) if result.record and result.credential else []
    years = result.book_years() if fields else []
    ctx = {"r": r, "kind": "pdf", "fields": fields, "years": years, "name": file.filename}
    return _page(request, "verify_result.html", ctx)


def _safe_fields(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The fields of an uploaded file's embedded record; none when it is not shaped like ours (a forgery)."""
    try:
        return [(vi, en, str(value)) for vi, en, value in _fields(record)]
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError):
        return []


@router.post("/v/qr", response_class=HTMLResponse, dependencies=[allow(P.PUBLIC)])
def verify_qr_page(request: Request, svc: Verifier, c: C, text: Annotated[str, Form(max_length=4096)]) -> Response:
    report, status = svc.verify_qr_text(text)
    counted(c, "qr", report.indication, status.status if status else None)
    r = report.to_dict()
    r["credential"] = status.to_dict() if status else None
    return _page(request, "verify_result.html", {"r": r, "kind": "qr", "fields": []})
