"""Class-level endpoints: review, import results, lock, and the three signing steps."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, UploadFile
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.documents.batch_keys import BatchAuthorization
from credential_service.platform.errors import InvalidInput, Message
from credential_service.platform.upload_limits import read_limited
from credential_service.staff import policies as P
from credential_service.staff.access import allow, visible_classes
from credential_service.staff.policy import Actor
from credential_service.transcripts import imports, seal_jobs
from credential_service.transcripts.spreadsheets import CLASS_IMPORT_LIMITS
from credential_service.transcripts.workflow import Step

router = APIRouter(tags=["classes / lớp học"])
C = Annotated[Container, Depends(container)]


class SignRequest(BaseModel):
    confirmation_id: str = Field(
        max_length=36,
        description="xác nhận của chính người ký cho lần ký này (POST /api/v1/staff/confirmations, purpose "
        "sign:class:<class_id>:<step>) / the signer's own confirmation for this batch",
    )
    pin: str | None = Field(
        default=None,
        max_length=64,
        description="mã PIN của chính người ký ở dịch vụ ký số từ xa hoặc token, cho lần ký này (không lưu) / "
        "the signer's own PIN at their remote signing service or token, for this batch (never stored)",
    )
    otp: str | None = Field(default=None, max_length=16, description="OTP của dịch vụ ký số / the service's OTP")


def sign_purpose(class_id: str, step: Step) -> str:
    return f"sign:class:{class_id}:{step.value}"


@router.get("/classes", summary="Danh sách lớp / list classes")
def list_classes(c: C, actor: Annotated[Actor, allow(P.CLASS_LIST)]) -> list[dict[str, Any]]:
    return visible_classes(actor, P.CLASS_LIST, c.transcripts.list_classes(), c.clock.today())


@router.get("/classes/{class_id}", summary="Xem lớp và kết quả / review a class", dependencies=[allow(P.CLASS_READ)])
def class_overview(class_id: str, c: C) -> dict[str, Any]:
    return c.transcripts.class_overview(class_id)


@router.get(
    "/classes/{class_id}/students/{student_id}",
    summary="Kết quả năm học và căn cứ quy chế / a student's year with the rule trace",
    dependencies=[allow(P.CLASS_READ)],
)
def student_year(class_id: str, student_id: str, c: C) -> dict[str, Any]:
    return c.transcripts.student_year(class_id, student_id)


@router.post(
    "/classes/{class_id}/imports",
    summary="Nhập điểm từ XLSX hoặc CSV / import XLSX or CSV",
    dependencies=[allow(P.CLASS_IMPORT)],
)
def import_file(
    class_id: str,
    c: C,
    file: Annotated[UploadFile | None, File(description="XLSX với hai sheet HocSinh và Diem")] = None,
    roster: Annotated[UploadFile | None, File(description="CSV danh sách học sinh (HocSinh)")] = None,
    results: Annotated[UploadFile | None, File(description="CSV điểm (Diem)")] = None,
) -> dict[str, Any]:
    """Not ``async``: the file is read in a worker process (time and memory limits) and this thread waits."""
    limits = CLASS_IMPORT_LIMITS
    if file is not None:
        data = read_limited(file.file, limits, field="file")
        report = imports.import_xlsx(c.transcripts, class_id, data, file.filename or "upload.xlsx")
    elif roster is not None and results is not None:
        report = imports.import_csv(
            c.transcripts,
            class_id,
            read_limited(roster.file, limits, field="roster"),
            read_limited(results.file, limits, field="results"),
            names=(roster.filename or "HocSinh.csv", results.filename or "Diem.csv"),
        )
    else:
        raise InvalidInput(
            Message(
                "Hãy gửi một tệp XLSX (trường 'file') hoặc hai tệp CSV (trường 'roster' và 'results').",
                "Send one XLSX file (field 'file') or two CSV files (fields 'roster' and 'results').",
            )
        )
    return asdict(report)


@router.post(
    "/classes/{class_id}/results",
    summary="Nhập điểm qua JSON / import results as JSON",
    dependencies=[allow(P.CLASS_IMPORT)],
)
def import_results_json(class_id: str, c: C, payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return asdict(imports.import_json(c.transcripts, class_id, payload))


@router.post("/classes/{class_id}/lock", summary="Khóa sổ và tạo học bạ / lock and render transcripts")
def lock_class(class_id: str, actor: Annotated[Actor, allow(P.CLASS_LOCK)], c: C) -> dict[str, Any]:
    return asdict(c.transcripts.lock_class(class_id))


@router.post(
    "/classes/{class_id}/sign/{step}",
    summary="Ký số một bước (gvcn, principal, seal) / sign one step",
)
def sign_step(
    class_id: str, step: Step, body: SignRequest, actor: Annotated[Actor, allow(P.CLASS_SIGN)], c: C
) -> dict[str, Any]:
    """The acting person signs with their own key (the seal operator with the school's seal), after
    their own fresh confirmation; one confirmation covers the whole class."""
    if step == Step.LOCK:
        raise InvalidInput(
            Message("Bước ký phải là gvcn, principal hoặc seal.", "Step must be gvcn, principal or seal.")
        )
    signer = c.staff_auth.signer_for_class_step(actor, class_id=class_id, step=step.value)
    c.staff_auth.consume_confirmation(actor, body.confirmation_id, sign_purpose(class_id, step))
    secret = BatchAuthorization(pin=body.pin, otp=body.otp)
    report = c.transcripts.sign_class(class_id, step, staff_id=signer, actor=actor.display, authorization=secret)
    return asdict(report)


class SchoolSealRequest(BaseModel):
    confirmation_id: str = Field(
        max_length=36,
        description="xác nhận của chính người đóng dấu cho cả trường (purpose sign:school:<school_id>:seal) / the "
        "seal operator's own confirmation for the whole school",
    )


@router.post(
    "/schools/{school_id}/seal-jobs",
    status_code=202,
    summary="Đóng dấu mọi lớp đã được phê duyệt, chạy nền / seal every approved class as a background job",
)
def seal_school(
    school_id: str, body: SchoolSealRequest, actor: Annotated[Actor, allow(P.SCHOOL_SEAL)], c: C
) -> dict[str, Any]:
    """One confirmation of the seal operator covers the school's waiting classes; each class is one job item,
    sealed all or nothing. Answers at once with the job id; ``GET /api/v1/jobs/{job_id}`` shows the progress."""

    def confirm(purpose: str) -> None:
        c.staff_auth.consume_confirmation(actor, body.confirmation_id, purpose)

    job_id = seal_jobs.submit_school_seal(c.transcripts, c.staff_auth, c.jobs, actor, school_id, confirm)
    return c.jobs.accepted(job_id)


@router.get(
    "/staff", summary="Người ký và phân công / signers and role assignments", dependencies=[allow(P.STAFF_LIST)]
)
def staff(c: C) -> list[dict[str, Any]]:
    return c.transcripts.list_staff()
