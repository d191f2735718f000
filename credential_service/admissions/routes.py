"""Admissions API (thin): the year's rules, the applicants' workbook, the allocation, one applicant's page data,
and the stateless allocation of a JSON document (the same as ``sogoc admissions allocate FILE.json``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from credential_service.admissions.appeals import AppealService
from credential_service.admissions.deferred_acceptance import compared_document
from credential_service.admissions.import_files import ADMISSIONS_LIMITS
from credential_service.admissions.publication import AdmissionsPublisher
from credential_service.admissions.result_json import dumps
from credential_service.admissions.service import allocate_document, residence_document
from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.platform.errors import InvalidInput, Message, NotFound, Problem
from credential_service.platform.upload_limits import SpreadsheetLimits, read_limited
from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.staff.policy import Actor

router = APIRouter(prefix="/api/v1/admissions", tags=["admissions / tuyển sinh"])
C = Annotated[Container, Depends(container)]
Year = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,16}$", description="năm tuyển sinh / year, e.g. 2026-2027")]
JSON = "application/json"
# A TOML file: only the byte cap applies (read_limited); the spreadsheet limits have no meaning for it.
RULES_LIMITS = SpreadsheetLimits(
    label=Message("tệp quy định tuyển sinh", "admission rules file"),
    max_bytes=512 * 1024,
    max_unzipped_bytes=0,
    max_sheets=0,
    max_rows=0,
    max_columns=0,
    max_cells=0,
    max_line_chars=0,
    seconds=0,
    memory_bytes=0,
)


def _json(data: Any) -> Response:
    return Response(dumps(data), media_type=JSON)


@router.put("/{year}/rules", summary="Nạp quy định tuyển sinh của năm (TOML) / load the year's rules (TOML)")
def load_rules(
    c: C, year: Year, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)], file: Annotated[UploadFile, File()]
) -> Response:
    data = read_limited(file.file, RULES_LIMITS)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        message = Message("Tệp quy định phải là UTF-8", "The rules file must be UTF-8")
        raise InvalidInput(message, problems=[Problem(message, {"file": file.filename})]) from e
    config = c.admissions.load_rules(year, text, actor=actor.display)
    return _json({"year": year, "schools": len(config.schools), "wishes": config.rules.max_wishes})


@router.get("/{year}/rules", summary="Quy định tuyển sinh đang áp dụng / the year's rules")
def read_rules(c: C, year: Year, _: Annotated[Actor, allow(P.ADMISSIONS_READ)]) -> Response:
    return _json(c.admissions.rules_data(year))


@router.post(
    "/{year}/applicants/import",
    summary="Nhập tệp tuyển sinh (XLSX: KetQuaThi, NguyenVong, UuTien, TuyenThang) — thay toàn bộ danh sách / import "
    "the admissions workbook, replacing the year's applicants",
)
def import_applicants(
    c: C, year: Year, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)], file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Not ``async``: the workbook is read in a worker process (time and memory limits) and this thread waits."""
    data = read_limited(file.file, ADMISSIONS_LIMITS)
    return c.admissions.import_workbook(year, data, actor=actor.display)


@router.post("/{year}/allocations", summary="Xét tuyển lớp 10 trên dữ liệu đã nhập / run the grade-10 allocation")
def run_allocation(c: C, year: Year, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)]) -> Response:
    return _json(c.admissions.allocate(year, actor=actor.display))


@router.post(
    "/{year}/allocation-jobs",
    status_code=202,
    summary="Xét tuyển lớp 10, chạy nền / run the grade-10 allocation as a background job",
)
def run_allocation_as_job(c: C, year: Year, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)]) -> dict[str, Any]:
    """The same run as ``POST /{year}/allocations``, answered at once; ``GET /api/v1/jobs/{job_id}`` shows the
    progress, and the item's result names the run (``GET /api/v1/admissions/allocations/{run_id}``)."""
    from credential_service.admissions.allocation_jobs import submit_allocation

    job_id = submit_allocation(c.admissions, c.jobs, year, actor=actor.display)
    return {**c.jobs.accepted(job_id), "progress": f"/api/v1/admissions/allocation-jobs/{job_id}"}


@router.get(
    "/allocation-jobs/{job_id}",
    summary="Tiến độ và kết quả một lần xét tuyển chạy nền / an allocation job's progress and result",
)
def allocation_job(
    c: C, job_id: Annotated[str, Path(max_length=36)], _: Annotated[Actor, allow(P.ADMISSIONS_READ)]
) -> dict[str, Any]:
    """The admissions officer's own view of an allocation job (the general ``/api/v1/jobs`` is for the schools'
    readers, which admissions is not): only jobs of that kind, 404 for any other."""
    from credential_service.admissions.allocation_jobs import ALLOCATE_YEAR

    progress = c.jobs.progress(job_id)
    if progress.kind != ALLOCATE_YEAR:
        raise NotFound(Message(f"Không có lần xét tuyển chạy nền {job_id}.", f"No allocation job {job_id}."))
    return {**progress.to_dict(), "items": c.jobs.results(job_id)}


@router.get("/allocations/{run_id}", summary="Kết quả đầy đủ của một lần xét tuyển / a run's full result")
def read_allocation(
    c: C, run_id: Annotated[str, Path(max_length=36)], _: Annotated[Actor, allow(P.ADMISSIONS_READ)]
) -> Response:
    return Response(c.admissions.run_output(run_id), media_type=JSON)


@router.get("/{year}/applicants/{registration_no}", summary="Dữ liệu và kết quả của một thí sinh / one applicant")
def read_applicant(
    c: C,
    year: Year,
    registration_no: Annotated[str, Path(max_length=32)],
    actor: Annotated[Actor, allow(P.ADMISSIONS_READ)],
) -> Response:
    return _json(c.admissions.applicant(year, registration_no, actor=actor.display))


@router.get(
    "/{year}/applicants/{registration_no}/register",
    summary="Kết quả học tập, rèn luyện lớp 6–9 và hoàn thành THCS của một thí sinh, đọc từ sổ gốc, mỗi số liệu kèm "
    "nguồn (mã, phiên bản, đã xác minh) / one applicant's grade 6–9 results and THCS completion from the register, "
    "each figure with its source (credential id, version, verified)",
)
def read_applicant_register(
    c: C,
    year: Year,
    registration_no: Annotated[str, Path(max_length=32)],
    actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)],
) -> Response:
    """The Sở's admissions duty is the legal basis (no consent); the read goes to the holder's access log."""
    return _json(c.admissions.applicant_register(year, registration_no, actor=actor.display))


@router.post(
    "/allocate",
    summary="Xét tuyển trên một tài liệu JSON (quy định, trường, thí sinh) / allocate a JSON document",
    openapi_extra={"requestBody": {"required": True, "content": {JSON: {"schema": {"type": "object"}}}}},
)
async def allocate_json(
    request: Request, _: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)], compare: bool = False
) -> Response:
    body = await request.body()
    document = compared_document if compare else allocate_document
    return Response(await run_in_threadpool(document, body, source="body"), media_type=JSON)


@router.post(
    "/residence",
    summary="Tuyển sinh lớp 1, 6 theo địa bàn cư trú và bốc thăm có hạt giống / grades 1 and 6 by residence and "
    "the seeded lottery (printf '%s' \"SEED:ID\" | sha256sum)",
    openapi_extra={"requestBody": {"required": True, "content": {JSON: {"schema": {"type": "object"}}}}},
)
async def residence_json(request: Request, _: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)]) -> Response:
    body = await request.body()
    return Response(await run_in_threadpool(residence_document, body, source="body"), media_type=JSON)


@router.post(
    "/residence-allocations",
    summary="Tuyển sinh lớp 1, 6 theo địa bàn: nơi cư trú và ngày sinh đọc từ CSDL quốc gia về dân cư, không lấy từ "
    "đơn; mỗi em được hỏi ghi vào nhật ký truy cập / grades 1 and 6 by residence, with residence and date of birth "
    "from the population registry (never the form); each child asked about goes to their access log",
    openapi_extra={"requestBody": {"required": True, "content": {JSON: {"schema": {"type": "object"}}}}},
)
async def residence_from_registry(
    request: Request, c: C, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)]
) -> Response:
    """Form: ``{"seed", "grade": 1|6, "year", "schools": [{code, quota, areas}], "applicants": [{id, personal_id,
    wish}]}``. A child the registry does not know, or not of the charter age, is listed for the commune with a
    bilingual reason."""
    body = await request.body()
    registry = c.residence_registry
    out = await run_in_threadpool(c.admissions.allocate_residence, body, registry, actor=actor.display, source="body")
    return Response(out, media_type=JSON)


# -- publication (issue #15 item 6) ------------------------------------------------------------------
RunId = Annotated[str, Path(max_length=36)]


def _publisher(c: Container, *, signs: bool = False) -> AdmissionsPublisher:
    if signs:
        c.start_dev_services()  # dev/test: the loopback TSA, OCSP and CRL (nothing in production)
    return AdmissionsPublisher(c.db, c.admissions, c.any_documents, clock=c.clock)


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run_id: str = Field(max_length=36, description="lần xét bị phúc khảo / the run appealed against")
    registration_no: str = Field(max_length=32, description="số báo danh / registration number")
    scores: dict[str, str | int | float | None] = Field(
        max_length=16, description="môn → điểm mới (null: vắng thi) / subject → new score (null: absent)"
    )
    reason: str = Field(max_length=2000, description="lý do, số quyết định phúc khảo / why: the appeal decision")


@router.post(
    "/{year}/allocations/{run_id}/publication",
    summary="Công bố danh sách trúng tuyển của một lần xét: PDF do Sở ký số, ghi sổ cái / publish a run's results "
    "list, signed by the Sở and ledgered",
)
def publish_run(c: C, year: Year, run_id: RunId, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)]) -> Response:
    return _json(_publisher(c, signs=True).publish(year, run_id, actor=actor.display))


@router.get("/{year}/publications", summary="Các văn bản đã công bố / the year's publications")
def list_publications(c: C, year: Year, _: Annotated[Actor, allow(P.ADMISSIONS_READ)]) -> Response:
    return _json(_publisher(c).publications(year))


@router.get("/publications/{publication_id}/pdf", summary="Tệp PDF đã ký / the signed PDF of a publication")
def publication_pdf(
    c: C, publication_id: Annotated[str, Path(max_length=36)], _: Annotated[Actor, allow(P.ADMISSIONS_READ)]
) -> Response:
    return Response(_publisher(c).pdf(publication_id), media_type="application/pdf")


@router.post(
    "/{year}/appeals",
    summary="Phúc khảo: sửa điểm, xét lại và công bố danh sách thay đổi do Sở ký / an appeal: change the scores, "
    "re-run the allocation and publish the signed diff of who moved",
)
def appeal(c: C, year: Year, body: AppealIn, actor: Annotated[Actor, allow(P.ADMISSIONS_MANAGE)]) -> Response:
    out = AppealService(_publisher(c, signs=True)).appeal(
        year, run_id=body.run_id, registration_no=body.registration_no, scores=body.scores, reason=body.reason,
        actor=actor.display,
    )  # fmt: skip
    return _json(out)


@router.get("/{year}/appeals", summary="Các quyết định phúc khảo / the year's appeals")
def list_appeals(c: C, year: Year, _: Annotated[Actor, allow(P.ADMISSIONS_READ)]) -> Response:
    return _json(AppealService(_publisher(c)).appeals(year))
