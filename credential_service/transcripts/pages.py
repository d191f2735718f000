"""Server-rendered school pages (Vietnamese first): review a class, sign, approve, seal, download."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import SogocError
from credential_service.platform.upload_limits import read_limited
from credential_service.reporting.routes import landing_alerts
from credential_service.staff import policies as P
from credential_service.staff.access import allow, visible_classes
from credential_service.staff.policy import Actor
from credential_service.staff.roles import Role
from credential_service.transcripts import imports, seal_jobs
from credential_service.transcripts.spreadsheets import CLASS_IMPORT_LIMITS
from credential_service.transcripts.workflow import STATUS_LABELS, Status, Step

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent.parent / "platform" / "templates"))
router = APIRouter(include_in_schema=False)
C = Annotated[Container, Depends(container)]


def _status_label(status: str) -> Any:
    return STATUS_LABELS[Status(status)]


def _redirect(url: str, *, ok: str | None = None, error: SogocError | None = None) -> RedirectResponse:
    if error is not None:
        url += "?error_vi=" + quote(error.message.vi) + "&error_en=" + quote(error.message.en)
        if error.problems:
            url += "&details=" + quote("\n".join(str(p) for p in error.problems[:50]))
    elif ok:
        url += "?ok=" + quote(ok)
    return RedirectResponse(url, status_code=303)


@router.get("/", response_class=HTMLResponse, dependencies=[allow(P.CLASS_LIST)])
def index(request: Request, c: C) -> Response:
    actor = request.state.actor
    classes = visible_classes(actor, P.CLASS_LIST, c.transcripts.list_classes(), c.clock.today())
    return TEMPLATES.TemplateResponse(
        request,
        "index.html",
        {
            "classes": classes,
            "status_label": _status_label,
            "actor": actor,
            "csrf": c.staff_auth.csrf_token(actor.session_hash or ""),
            "alerts": landing_alerts(c, actor),  # reporting/alerts.py: a principal's, None for a teacher
            "seal_batches": _seal_batches(actor, classes),
        },
    )


def _seal_batches(actor: Actor, classes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a seal operator: per school, the classes the principal approved, to seal in one background job."""
    if Role.SEAL_OPERATOR not in actor.roles_today:
        return []
    schools: dict[str, dict[str, Any]] = {}
    for k in classes:
        if k["status"] == Status.SIGNED_PRINCIPAL.value:
            entry = schools.setdefault(k["school_id"], {"school_id": k["school_id"], "name": k["school"]["name"]})
            entry["classes"] = entry.get("classes", 0) + 1
    return list(schools.values())


@router.post("/schools/{school_id}/seal-job")
def seal_school(
    school_id: str, c: C, actor: Annotated[Actor, allow(P.SCHOOL_SEAL)], totp: Annotated[str, Form(max_length=10)]
) -> Response:
    """The operator's own code on the form confirms the seal of every approved class; the job runs in the
    background and its page shows the progress."""

    def confirm(purpose: str) -> None:
        confirmation, _ = c.staff_auth.confirm(actor, totp_code=totp, purpose=purpose)
        c.staff_auth.consume_confirmation(actor, confirmation, purpose)

    try:
        job_id = seal_jobs.submit_school_seal(c.transcripts, c.staff_auth, c.jobs, actor, school_id, confirm)
    except SogocError as e:
        return _redirect("/", error=e)
    return _redirect(f"/jobs/{job_id}")


@router.get("/jobs/{job_id}", response_class=HTMLResponse, dependencies=[allow(P.JOB_READ)])
def job_page(request: Request, job_id: str, c: C) -> Response:
    """A background job's progress: a bar, documents done, time left; the page refreshes itself until it ends."""
    return TEMPLATES.TemplateResponse(request, "job.html", {"job": c.jobs.progress(job_id).to_dict()})


@router.get("/classes/{class_id}", response_class=HTMLResponse, dependencies=[allow(P.CLASS_READ)])
def class_page(request: Request, class_id: str, c: C) -> Response:
    overview = c.transcripts.class_overview(class_id)
    return TEMPLATES.TemplateResponse(
        request,
        "class.html",
        {
            "c": overview,
            "csrf": c.staff_auth.csrf_token(request.state.actor.session_hash or ""),
            "status_label": _status_label,
            "ok": request.query_params.get("ok"),
            "error_vi": request.query_params.get("error_vi"),
            "error_en": request.query_params.get("error_en"),
            "details": request.query_params.get("details"),
        },
    )


@router.get(
    "/classes/{class_id}/students/{student_id}", response_class=HTMLResponse, dependencies=[allow(P.CLASS_READ)]
)
def student_page(request: Request, class_id: str, student_id: str, c: C) -> Response:
    return TEMPLATES.TemplateResponse(request, "student.html", {"s": c.transcripts.student_year(class_id, student_id)})


@router.post("/classes/{class_id}/lock", dependencies=[allow(P.CLASS_LOCK)])
def lock(class_id: str, c: C) -> Response:  # the CSRF form field is checked by the policy
    try:
        report = c.transcripts.lock_class(class_id)
    except SogocError as e:
        return _redirect(f"/classes/{class_id}", error=e)
    return _redirect(f"/classes/{class_id}", ok=f"Đã khóa sổ, tạo {report.transcripts} học bạ.")


@router.post("/classes/{class_id}/sign")
def sign(
    class_id: str,
    c: C,
    actor: Annotated[Actor, allow(P.CLASS_SIGN)],
    step: Annotated[str, Form(max_length=16)],
    totp: Annotated[str, Form(max_length=10)],
) -> Response:
    """The signer's own code on the form is the fresh confirmation for the whole class."""
    try:
        the_step = Step(step)
        purpose = f"sign:class:{class_id}:{the_step.value}"
        signer = c.staff_auth.signer_for_class_step(actor, class_id=class_id, step=the_step.value)
        confirmation, _ = c.staff_auth.confirm(actor, totp_code=totp, purpose=purpose)
        c.staff_auth.consume_confirmation(actor, confirmation, purpose)
        report = c.transcripts.sign_class(class_id, the_step, staff_id=signer, actor=actor.display)
    except SogocError as e:
        return _redirect(f"/classes/{class_id}", error=e)
    return _redirect(f"/classes/{class_id}", ok=f"Đã ký {report.transcripts} học bạ ({report.step}).")


@router.post("/classes/{class_id}/import", dependencies=[allow(P.CLASS_IMPORT)])
def upload(class_id: str, c: C, file: Annotated[UploadFile, File()]) -> Response:
    try:  # not async: the file is read in a worker process (time and memory limits) and this thread waits
        data = read_limited(file.file, CLASS_IMPORT_LIMITS)
        report = imports.import_xlsx(c.transcripts, class_id, data, file.filename or "upload.xlsx")
    except SogocError as e:
        return _redirect(f"/classes/{class_id}", error=e)
    msg = (
        "Tệp này đã được nhập trước đây; không có gì thay đổi."
        if report.unchanged
        else (f"Đã nhập {report.students} học sinh ({report.created} mới, {report.updated} cập nhật).")
    )
    if report.warnings:  # accepted, but the clerk checks these numbers against the population registry
        checks = "; ".join(f"{w['student_code']} {w['full_name']}: {w['message_vi']}" for w in report.warnings[:5])
        more = f" (và {len(report.warnings) - 5} cảnh báo khác)" if len(report.warnings) > 5 else ""
        msg += f" Cần kiểm tra số định danh / check the ID numbers: {checks}{more}"
    return _redirect(f"/classes/{class_id}", ok=msg)
