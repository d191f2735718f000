"""Builders for the admissions tests: a configuration like the issue's example, and applicants by their scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from credential_service.admissions.applicants import Applicant, YearResult
from credential_service.admissions.year_rules import YearConfig, parse_config
from credential_service.transcripts.grading_types import Level

D = Decimal


def config(schools: list[dict[str, Any]] | None = None, **rules: Any) -> YearConfig:
    """The issue's example rules (Toán, Ngữ văn, Ngoại ngữ ×1; groups 2/1.5/1; ≤ 1.0; offsets 0/1/2)."""
    base: dict[str, Any] = {
        "subjects": {"Toán": 1, "Ngữ văn": 1, "Ngoại ngữ": 1},
        "priority_points": {"1": D("2.0"), "2": D("1.5"), "3": D("1.0")},
        "disqualify_at_or_below": D("1.0"),
        "wish_offsets": [D("0.0"), D("1.0"), D("2.0")],
        "tie_break": ["Toán+Ngữ văn", "Toán"],
    }
    base.update(rules)
    return parse_config({"rules": base, "schools": schools or [{"code": "THPT-A", "quota": 2}]})


CHUYEN_TOAN = {
    "code": "CHUYEN-TOAN",
    "quota": 1,
    "specialised_subject": "Toán chuyên",
    "specialised_coefficient": 2,
    "requires_grades_6_9_at_least": "Khá",
}
GOOD_YEARS = (YearResult(Level.TOT, Level.TOT),) * 4


def applicant(ident: str, toan: str | None, van: str | None, nn: str | None, *wishes: str, **extra: Any) -> Applicant:
    scores = {k: D(v) for k, v in (("Toán", toan), ("Ngữ văn", van), ("Ngoại ngữ", nn)) if v is not None}
    if "chuyen" in extra:
        scores["Toán chuyên"] = D(extra.pop("chuyen"))
    extra.setdefault("grades_6_9", GOOD_YEARS)
    return Applicant(id=ident, scores=scores, wishes=tuple(wishes), **extra)


def city_config(regular: int = 55, specialised: int = 5, places: int = 21_000) -> YearConfig:
    """A city of ``regular`` ordinary schools sharing ``places`` and ``specialised`` specialised classes of 35."""
    schools: list[dict[str, Any]] = [
        {"code": f"THPT-{i:02d}", "quota": places // regular + (1 if i < places % regular else 0)}
        for i in range(regular)
    ]
    schools += [
        {
            "code": f"CHUYEN-{i}",
            "quota": 35,
            "specialised_subject": f"Chuyên {i}",
            "specialised_coefficient": 2,
            "requires_grades_6_9_at_least": "Khá",
        }
        for i in range(specialised)
    ]
    return config(schools)
