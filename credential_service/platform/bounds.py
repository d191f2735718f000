"""The bounds of the numbers and dates a request may carry: every value fits the database and the calendar.

A request model or a route parameter uses these, so that a value out of bounds is refused as invalid input (422)
and the OpenAPI document declares the bounds: an integer larger than the database's ``Integer`` column, or a date
that overflows when a validity period is added to it, would otherwise fail deep in the service with a 500.

Dates carry their range as ``formatMinimum``/``formatMaximum`` (JSON Schema has no ``minimum`` for strings) and in
their description.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import Field

INT32_MAX = 2**31 - 1  # an Integer column on PostgreSQL (int4); SQLite's are wider
YEAR_MIN, YEAR_MAX = 1900, 2199  # school years, graduation years, registers being digitised
DATE_MIN, DATE_MAX = date(YEAR_MIN, 1, 1), date(YEAR_MAX, 12, 31)
MOMENT_MIN = datetime(YEAR_MIN, 1, 1, tzinfo=UTC)
MOMENT_MAX = datetime(YEAR_MAX, 12, 31, 23, 59, 59, tzinfo=UTC)

_DATES = f"từ/from {DATE_MIN.isoformat()} đến/to {DATE_MAX.isoformat()}"

Year = Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
Day = Annotated[
    date,
    Field(
        ge=DATE_MIN,
        le=DATE_MAX,
        description=f"ngày/date, {_DATES}",
        json_schema_extra={"formatMinimum": DATE_MIN.isoformat(), "formatMaximum": DATE_MAX.isoformat()},
    ),
]
Moment = Annotated[
    datetime,
    Field(
        ge=MOMENT_MIN,
        le=MOMENT_MAX,
        description=f"thời điểm / a moment, {_DATES}",
        json_schema_extra={"formatMinimum": MOMENT_MIN.isoformat(), "formatMaximum": MOMENT_MAX.isoformat()},
    ),
]
