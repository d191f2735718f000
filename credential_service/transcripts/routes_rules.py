"""Explain a student's year under Circular 22/2021 (the same as `sogoc rules explain`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from credential_service.staff import policies as P
from credential_service.staff.access import allow
from credential_service.transcripts.rules_explain import explain_year

router = APIRouter(tags=["rules / quy chế đánh giá"])

EXAMPLE = {
    "grade": 10,
    "subjects": {
        "Toán": {"hk1": {"tx": [8, 7.5, 9, 8], "gk": 7, "ck": 8.5}, "hk2": {"tx": [8, 8, 9, 9], "gk": 8, "ck": 8}},
        "Giáo dục thể chất": {"hk1": "Đ", "hk2": "Đ"},
    },
    "conduct": {"hk1": "Tốt", "hk2": "Khá"},
    "absences": 12,
}


@router.post(
    "/rules/explain", summary="Giải thích kết quả năm học / explain a year's results", dependencies=[allow(P.PUBLIC)]
)
def explain(data: Annotated[dict[str, Any], Body(examples=[EXAMPLE])]) -> dict[str, Any]:
    return explain_year(data)
