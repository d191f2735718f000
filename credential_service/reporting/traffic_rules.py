"""Verification traffic in the progress (pure; issue #16 item 1): checks per day over the last 30 days, and
the share that failed.

What is counted — only what the service records:

* **employer checks**: the access log's ``verify`` events (``holders/tables.py:AccessLogEntry``, written by
  ``employers/service.py`` for each credential an employer's API call checks, or once per share code that
  named none); failed: any result but ``ok`` (expired, revoked, used up, awaiting a guardian, not the
  organisation shared with, unknown code).
* **share-link opens**: the access log's ``share_code_use`` events (the event is defined; nothing writes it
  today, so the column reads 0 until something does); failed: any result but ``ok``/``shown``.
* **public register checks**: the public paper-diploma check (``diplomas/public.py:PublicRegister.check``,
  table ``public_check_log``); failed: ``no_match`` or ``limited`` (refused by the rate limit).

* **QR scans** (``qr``: the ``/v/<id>`` page a scanned code opens, and a scanned code's text checked by
  ``POST /api/v1/verify/qr`` or the ``/v/qr`` form), **PDF checks** (``pdf``: ``POST /api/v1/verify`` and the
  ``/v/check`` form) and **status look-ups** (``status``: ``GET /api/v1/credentials/<id>/status``): counted
  per day, channel and outcome only (``verification_daily_counts``, kept by ``check_counter.py``: no log of
  the checks, no client address or document id); failed: any outcome but ``ok`` (:func:`check_outcome`).

Still not counted: ``sogoc verify`` and the offline verifier, which run on the checker's own machine.

Only the moment, the kind of event and its result are read: no person, credential, organisation or client.
These are counts of requests, not of students: ``suppression.py``'s rule does not apply and nothing is
suppressed. The days are Vietnam's calendar days (``platform/clock.py:vn_date``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from credential_service.platform.clock import vn_date

DAYS = 30
TABLES = ("traffic",)
EMPLOYER_EVENT = "verify"
SHARE_EVENT = "share_code_use"
LOG_EVENTS = (EMPLOYER_EVENT, SHARE_EVENT)
_OK = {"ok", "shown"}
REGISTER_OK = {"match"}
CHANNELS = ("qr", "pdf", "status")  # the anonymous checks counted per day (check_counter.py)
OUTCOMES = ("ok", "failed")
KINDS = (*CHANNELS, "employer", "share_link", "register")
NOT_COUNTED = {
    "vi": "Lượt quét QR, kiểm tra tệp PDF và tra cứu trạng thái chỉ được đếm theo ngày, không ghi nhật ký từng lượt;"
    " chưa đếm lượt kiểm tra bằng «sogoc verify» và trình kiểm tra ngoại tuyến.",
    "en": "QR scans, PDF checks and status look-ups are counted per day only, with no log of each check; checks"
    " with «sogoc verify» and the offline verifier are not counted.",
}


def check_outcome(indication: str | None, status: str | None) -> str:
    """An anonymous check's outcome: ``ok`` when the signatures verify (indication ``PASSED``, or no signature
    to check: a status look-up) and the credential is valid in the register (or the check did not reach the
    register: a PDF whose verdict stands alone); ``failed`` otherwise (forged, altered, revoked, superseded,
    unknown, unreadable)."""
    if indication is not None and indication != "PASSED":
        return "failed"
    if status is not None and status != "valid":
        return "failed"
    return "ok" if indication is not None or status is not None else "failed"


def window(today: date, days: int = DAYS) -> list[date]:
    """The ``days`` calendar days ending today, oldest first."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def _share(failed: int, total: int) -> float | None:
    return round(failed / total, 4) if total else None


def traffic_rows(
    log_events: Iterable[tuple[datetime, str, str]],
    register_checks: Iterable[tuple[datetime, str]],
    today: date,
    days: int = DAYS,
    daily_counts: Iterable[tuple[date, str, str, int]] = (),
) -> list[dict[str, Any]]:
    """One row per day of the window: checks and failures of each kind, the total and the share failed."""
    counts: dict[date, dict[str, int]] = {d: {} for d in window(today, days)}

    def add(day: date, kind: str, failed: bool, n: int = 1) -> None:
        cell = counts.get(day)
        if cell is None:  # outside the window
            return
        cell[kind] = cell.get(kind, 0) + n
        if failed:
            cell[f"{kind}_failed"] = cell.get(f"{kind}_failed", 0) + n

    for day, channel, outcome, n in daily_counts:
        if channel in CHANNELS:
            add(day, channel, outcome != "ok", n)

    for at, event, result in log_events:
        kind = "employer" if event == EMPLOYER_EVENT else "share_link" if event == SHARE_EVENT else None
        if kind is not None:
            add(vn_date(at), kind, result not in _OK)
    for at, outcome in register_checks:
        add(vn_date(at), "register", outcome not in REGISTER_OK)
    rows = []
    for day, cell in counts.items():
        row: dict[str, Any] = {"day": day.isoformat()}
        for kind in KINDS:
            row[f"{kind}_checks"] = cell.get(kind, 0)
            row[f"{kind}_failed"] = cell.get(f"{kind}_failed", 0)
        total = sum(cell.get(k, 0) for k in KINDS)
        failed = sum(cell.get(f"{k}_failed", 0) for k in KINDS)
        row.update({"checks": total, "failed": failed, "share_failed": _share(failed, total), "suppressed": []})
        rows.append(row)
    return rows


def traffic_section(
    log_events: Iterable[tuple[datetime, str, str]],
    register_checks: Iterable[tuple[datetime, str]],
    today: date,
    *,
    city: bool,
    daily_counts: Iterable[tuple[date, str, str, int]] = (),
) -> dict[str, Any]:
    """The section (its table ``traffic`` and the window's totals). The traffic is the city's: it is not
    attributed to communes (that would mean reading whose credential was checked), so a commune's view has
    no rows."""
    rows = traffic_rows(log_events, register_checks, today, daily_counts=daily_counts) if city else []
    totals = {
        f"{kind}_{what}": sum(r[f"{kind}_{what}"] for r in rows) for kind in KINDS for what in ("checks", "failed")
    }
    checks, failed = sum(r["checks"] for r in rows), sum(r["failed"] for r in rows)
    return {
        "days": DAYS if city else 0,
        "from": rows[0]["day"] if rows else None,
        "to": rows[-1]["day"] if rows else None,
        "city_only": True,
        **totals,
        "checks": checks,
        "failed": failed,
        "share_failed": _share(failed, checks),
        "not_counted_vi": NOT_COUNTED["vi"],
        "not_counted_en": NOT_COUNTED["en"],
        "tables": {"traffic": rows},
    }
