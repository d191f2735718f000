"""A học bạ book's every year and who signed it, read from the record a PDF embeds (issue #14: one học bạ per
level). Each school year's version carries the earlier years exactly as they were signed (``earlier_years``, with
their signers); the record's own year was signed by the file's signatures. Pure: ``sogoc-verify`` uses it
offline, and the service's ``sogoc verify`` and verify pages use the same function."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# the record's keys for the results after summer (transcripts/record.py: TT22 Art. 13 and 14)
_CONDUCT_AFTER_SUMMER = "after_summer"
_LEARNING_AFTER_REASSESSMENT = "after_reassessment"


def book_years(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every year of the book a record is (the earlier years, then its own), each with its school, class, results
    summary and who signed it (the record's own year: ``signed_by`` None, its signers are the PDF's signatures)."""
    years: list[dict[str, Any]] = []
    for y in [*(record.get("earlier_years") or []), {**record, "signed_by": None}]:
        if not isinstance(y, Mapping):
            continue
        results = y.get("results") or {}
        learning = results.get("learning_result") or {}
        conduct = results.get("conduct") or {}
        years.append(
            {
                "school_year": y.get("school_year"),
                "class": (y.get("class") or {}).get("name"),
                "grade": (y.get("class") or {}).get("grade"),
                "school": (y.get("school") or {}).get("name"),
                "credential_id": y.get("credential_id"),
                "version": y.get("version"),
                "learning_result": learning.get(_LEARNING_AFTER_REASSESSMENT) or learning.get("year"),
                "conduct": conduct.get(_CONDUCT_AFTER_SUMMER) or conduct.get("year"),
                "signed_by": y.get("signed_by"),
            }
        )
    return years


def book_years_signed(record: object, signatures: Iterable[tuple[str, str | None, str]]) -> list[dict[str, Any]]:
    """``book_years`` with the record's own year signed by ``signatures`` ((field, signer, indication) of the
    file's signatures); empty for a single-year record or one not shaped like ours."""
    if not isinstance(record, Mapping) or not record.get("earlier_years"):
        return []
    try:
        years = book_years(record)
    except (AttributeError, TypeError, ValueError):
        return []
    if years:
        years[-1]["signed_by"] = [
            {"step": field, "full_name": signer, "indication": indication} for field, signer, indication in signatures
        ]
    return years


def book_year_lines(years: list[dict[str, Any]]) -> list[str]:
    """A book's years for people: each school year, class, school, the version, and who signed it."""
    lines = []
    for y in years:
        signers = "; ".join(
            f"{s.get('full_name') or '?'} ({s.get('step')}"
            + (f", sê-ri / serial {s['certificate_serial']}" if s.get("certificate_serial") else "")
            + ")"
            for s in y.get("signed_by") or []
        )
        lines.append(
            f"  Năm học / school year {y.get('school_year')}: lớp / class {y.get('class')}, {y.get('school')}"
            f" (học bạ / credential {y.get('credential_id')} v{y.get('version')}); ký bởi / signed by: {signers or '-'}"
        )
    return lines
