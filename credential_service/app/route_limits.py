"""How large a request body each route accepts: one table, enforced by the body-limit middleware
(:mod:`credential_service.platform.body_limits`) before the route reads anything, and declared in the OpenAPI
document (the 413 answer of each operation names its limit).

Every route takes at most :data:`DEFAULT_BODY_LIMIT` (JSON and forms) unless the table below gives it more: the
upload routes, whose limit is the upload's own cap (:mod:`credential_service.platform.upload_limits` and each
domain's numbers) plus :data:`MULTIPART_ALLOWANCE` for the multipart framing and the form fields beside the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from credential_service.admissions.import_files import ADMISSIONS_LIMITS
from credential_service.admissions.service import ALLOCATE_BODY_LIMIT
from credential_service.app.problem import PROBLEM_JSON, http_status, problem_body
from credential_service.diplomas.register_files import REGISTER_LIMITS
from credential_service.documents.service import MAX_UPLOAD as MAX_DOCUMENT_BYTES
from credential_service.platform.body_limits import MB, BodyLimits
from credential_service.platform.errors import TooLarge
from credential_service.staff.access import api_routes
from credential_service.transcripts.spreadsheets import CLASS_IMPORT_LIMITS
from credential_service.verification.uploads import MAX_UPLOAD as MAX_VERIFY_BYTES

DEFAULT_BODY_LIMIT = 1 * MB  # a JSON body or a form without a file
MULTIPART_ALLOWANCE = 1 * MB  # the multipart framing and the fields sent beside an uploaded file
GRADUATION_DECISION_LIMIT = 4 * MB  # up to 5,000 graduates (diplomas/routes.py DecisionIn) of ~250 bytes each

# "METHOD path" as in the OpenAPI document -> the largest body it accepts, in bytes.
ROUTE_BODY_LIMITS: dict[str, int] = {
    # one XLSX, or two CSV files (roster and results), each within the class import's cap
    "POST /api/v1/classes/{class_id}/imports": 2 * CLASS_IMPORT_LIMITS.max_bytes + MULTIPART_ALLOWANCE,
    "POST /classes/{class_id}/import": CLASS_IMPORT_LIMITS.max_bytes + MULTIPART_ALLOWANCE,  # the page's form
    "POST /api/v1/classes/{class_id}/results": CLASS_IMPORT_LIMITS.max_bytes,  # a class import as JSON
    "POST /api/v1/graduation-decisions": GRADUATION_DECISION_LIMIT,
    "POST /api/v1/register-books": REGISTER_LIMITS.max_bytes + MULTIPART_ALLOWANCE,
    "POST /api/v1/verify": MAX_VERIFY_BYTES + MULTIPART_ALLOWANCE,
    "POST /v/check": MAX_VERIFY_BYTES + MULTIPART_ALLOWANCE,  # the verify page's form
    "POST /api/v1/documents": MAX_DOCUMENT_BYTES + MULTIPART_ALLOWANCE,
    "POST /api/v1/documents/verify": MAX_DOCUMENT_BYTES + MULTIPART_ALLOWANCE,
    "POST /api/v1/admissions/{year}/applicants/import": ADMISSIONS_LIMITS.max_bytes + MULTIPART_ALLOWANCE,
    "POST /api/v1/admissions/allocate": ALLOCATE_BODY_LIMIT,
    "POST /api/v1/admissions/residence": ALLOCATE_BODY_LIMIT,  # a city's grade-1 or grade-6 applicants
    "POST /api/v1/admissions/residence-allocations": ALLOCATE_BODY_LIMIT,  # the same, residence from the registry
}


def _route_regexes(app: FastAPI) -> dict[str, re.Pattern[str]]:
    """Each table entry's path pattern; an entry that names no route of the app stops the start."""
    found: dict[str, re.Pattern[str]] = {}
    for route in api_routes(app):
        for method in route.methods:
            key = f"{method} {route.path}"
            if key in ROUTE_BODY_LIMITS:
                found[key] = route.path_regex
    missing = sorted(set(ROUTE_BODY_LIMITS) - set(found))
    if missing:
        raise RuntimeError("body limits for routes the app does not have: " + "; ".join(missing))
    return found


def body_limit_of(app: FastAPI) -> Callable[[str, str], int]:
    """``limit(method, path)``: the body limit of a request (the table's, else the default)."""
    table = [(key.split(" ", 1)[0], regex, ROUTE_BODY_LIMITS[key]) for key, regex in _route_regexes(app).items()]

    def limit(method: str, path: str) -> int:
        for m, regex, n in table:
            if m == method and regex.match(path):
                return n
        return DEFAULT_BODY_LIMIT

    return limit


def _render(error: TooLarge, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = JSONResponse(problem_body(error, path)).body  # rendered as every other problem
    return http_status(error), [(b"content-type", PROBLEM_JSON.encode())], bytes(body)


def install_body_limits(app: FastAPI, limit_for: Callable[[str, str], int]) -> None:
    """Refuse a body over its route's limit (:func:`body_limit_of`) with a 413 problem."""
    app.add_middleware(BodyLimits, limit_for=limit_for, render=_render)
