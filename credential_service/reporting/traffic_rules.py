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

Not counted, because nothing records them: QR scans and the ``/v/<id>`` verify pages, and PDF checks (``POST
/api/v1/verify``, ``sogoc verify``, the offline verifier) — the verification service keeps no log of
anonymous checks, and adding one (a client address per check) would be a new store of personal data.

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
KINDS = ("employer", "share_link", "register")
NOT_COUNTED = {
    "vi": "Chưa đếm lượt quét QR và kiểm tra tệp PDF: hệ thống không ghi nhật ký các lượt kiểm tra ẩn danh này.",
    "en": "QR scans and PDF checks are not counted: the service keeps no log of these anonymous checks.",
}


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
) -> list[dict[str, Any]]:
    """One row per day of the window: checks and failures of each kind, the total and the share failed."""
    counts: dict[date, dict[str, int]] = {d: {} for d in window(today, days)}

    def add(day: date, kind: str, failed: bool) -> None:
        cell = counts.get(day)
        if cell is None:  # outside the window
            return
        cell[kind] = cell.get(kind, 0) + 1
        if failed:
            cell[f"{kind}_failed"] = cell.get(f"{kind}_failed", 0) + 1

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
) -> dict[str, Any]:
    """The section (its table ``traffic`` and the window's totals). The traffic is the city's: it is not
    attributed to communes (that would mean reading whose credential was checked), so a commune's view has
    no rows."""
    rows = traffic_rows(log_events, register_checks, today) if city else []
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
