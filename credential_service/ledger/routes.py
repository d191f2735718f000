"""Public ledger endpoints (sổ gốc số): checkpoints, proofs, entries, the log key, witness cosignatures.

Checkpoints are served as ``text/plain`` C2SP signed notes (the log's signature, then the witnesses'
cosignature lines). Proofs and entries are JSON; hashes are hex, leaf bytes base64.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from credential_service.app.bootstrap import Container
from credential_service.app.deps import container
from credential_service.ledger.proofs import MAX_PAGE
from credential_service.ledger.schemas import (
    CheckpointOut,
    ConsistencyProofOut,
    EntriesOut,
    InclusionProofOut,
)
from credential_service.ledger.service import LedgerService
from credential_service.platform.bounds import INT32_MAX
from credential_service.staff import policies as P
from credential_service.staff.access import allow

router = APIRouter(prefix="/ledger", tags=["ledger / sổ gốc số"])
NOTE = "text/plain; charset=utf-8"
DEFAULT_LATEST = "mặc định: checkpoint mới nhất / default: latest"


async def ledger_service(c: Annotated[Container, Depends(container)]) -> LedgerService:
    return c.ledger


Ledger = Annotated[LedgerService, Depends(ledger_service)]


class CosignatureIn(BaseModel):
    size: int = Field(
        ge=0, le=INT32_MAX, description="cỡ của checkpoint được đồng ký / size of the cosigned checkpoint"
    )
    cosignature: str = Field(
        min_length=1,
        max_length=1000,
        description="một dòng tlog-cosignature `— <tên> <base64>` / one tlog-cosignature line",
    )


@router.get(
    "/checkpoint",
    summary="Checkpoint mới nhất / latest checkpoint",
    response_class=PlainTextResponse,
    dependencies=[allow(P.PUBLIC)],
)
def latest_checkpoint(svc: Ledger) -> PlainTextResponse:
    return PlainTextResponse(svc.latest_checkpoint().note, media_type=NOTE)


@router.post(
    "/checkpoint",
    summary="Công bố checkpoint (người vận hành) / publish a checkpoint (operator)",
    response_model=CheckpointOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.LEDGER_PUBLISH)],
)
def publish_checkpoint(svc: Ledger) -> dict[str, Any]:
    return svc.publish().to_dict()


@router.get(
    "/checkpoint/{size}",
    summary="Checkpoint ở cỡ cho trước / checkpoint at a size",
    response_class=PlainTextResponse,
    dependencies=[allow(P.PUBLIC)],
)
def checkpoint_at(size: Annotated[int, Path(ge=0, le=INT32_MAX)], svc: Ledger) -> PlainTextResponse:
    return PlainTextResponse(svc.checkpoint(size).note, media_type=NOTE)


@router.get(
    "/proof/inclusion",
    summary="Bằng chứng bao hàm / inclusion proof",
    response_model=InclusionProofOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
def inclusion_proof(
    svc: Ledger,
    seq: Annotated[int, Query(ge=0, le=INT32_MAX)],
    size: Annotated[int | None, Query(ge=0, le=INT32_MAX, description=DEFAULT_LATEST)] = None,
) -> dict[str, Any]:
    return svc.inclusion_proof(seq, size)


@router.get(
    "/proof/inclusion/credential/{credential_id}",
    summary="Bằng chứng bao hàm cho mục mới nhất của một văn bằng / proof for a credential's latest entry",
    response_model=InclusionProofOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
def credential_inclusion_proof(
    credential_id: str, svc: Ledger, size: Annotated[int | None, Query(ge=0, le=INT32_MAX)] = None
) -> dict[str, Any]:
    return svc.credential_inclusion_proof(credential_id, size)


@router.get(
    "/proof/consistency",
    summary="Bằng chứng nhất quán / consistency proof",
    response_model=ConsistencyProofOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
def consistency_proof(
    svc: Ledger,
    from_: Annotated[int, Query(alias="from", ge=0, le=INT32_MAX)],
    to: Annotated[int | None, Query(ge=0, le=INT32_MAX, description=DEFAULT_LATEST)] = None,
) -> dict[str, Any]:
    return svc.consistency_proof(from_, to)


@router.get(
    "/entries",
    summary="Các mục theo khoảng / entries by range",
    response_model=EntriesOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.PUBLIC)],
)
def entries(
    svc: Ledger,
    start: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> dict[str, Any]:
    return svc.entries(start, limit)


@router.get(
    "/key",
    summary="Khóa công khai của sổ cái (vkey) / the log's verifier key",
    response_class=PlainTextResponse,
    dependencies=[allow(P.PUBLIC)],
)
def log_key(svc: Ledger) -> PlainTextResponse:
    return PlainTextResponse(svc.vkey + "\n", media_type=NOTE)


@router.post(
    "/cosignatures",
    summary="Nhân chứng gửi đồng chữ ký / a witness submits a cosignature",
    response_model=CheckpointOut,
    response_model_exclude_unset=True,
    dependencies=[allow(P.WITNESS)],
)
def add_cosignature(body: CosignatureIn, svc: Ledger) -> dict[str, Any]:
    return svc.add_cosignature(body.size, body.cosignature).to_dict()
