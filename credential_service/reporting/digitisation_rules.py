"""Digitisation of the paper registers in the progress (pure; issue #16 item 1): books and rows imported per
register year since 2000, the reconciliation queue and its age, and the entries vouched for.

Read from the diplomas domain (``DiplomaService.digitisation_counts``: counts only, never a row).

* **Per year** is the register year written in the paper book (``diplomas.register_year``): the rows
  (entries) imported, the books they came from (a book with entries of two years counts in each), the rows
  recorded in the ledger (an ``imported`` leaf under the Sở's signed checkpoints), and the rows with a signed
  PDF. Every year from 2000 to this year has a row, with zeros where nothing is imported yet.
* **Signed by the competent authority:** an imported entry is the paper book's, signed on paper by whoever
  the book names; the service records it in the ledger (``in_ledger``) but signs no PDF for it, so
  ``signed_pdf`` reads 0 until such a signing exists.
* **The queue:** conflicting rows waiting for a clerk (``open``), by how long they have waited (0–7, 8–30,
  31–90, over 90 days), and those accepted or rejected.

Suppression: an entry or a queued row is one graduate, so those counts are suppressed below 5 like the
students' (``suppression.py``); the books are not persons and are shown. The registers are the Sở's and the
former district offices', not a commune's: the section is for the whole city only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from credential_service.platform.clock import vn_date
from credential_service.reporting.suppression import is_small, suppress

FIRST_YEAR = 2000
TABLES = ("registers", "reconciliation")
ROW_COUNTS = ("rows", "in_ledger", "signed_pdf")
AGES: tuple[tuple[str, int, int | None], ...] = (
    ("open_0_7", 0, 7),
    ("open_8_30", 8, 30),
    ("open_31_90", 31, 90),
    ("open_over_90", 91, None),
)
QUEUE_LABELS = {
    "open_0_7": ("Chờ đối soát 0–7 ngày", "Waiting 0–7 days"),
    "open_8_30": ("Chờ đối soát 8–30 ngày", "Waiting 8–30 days"),
    "open_31_90": ("Chờ đối soát 31–90 ngày", "Waiting 31–90 days"),
    "open_over_90": ("Chờ đối soát trên 90 ngày", "Waiting over 90 days"),
    "accepted": ("Đã chấp nhận", "Accepted"),
    "rejected": ("Đã từ chối", "Rejected"),
}


def year_rows(years: Iterable[Mapping[str, Any]], today: date) -> list[dict[str, Any]]:
    """One row per register year from 2000 (or an earlier year on record) to this year, suppressed."""
    found = {int(y["year"]): y for y in years}
    first = min([FIRST_YEAR, *found])
    last = max([today.year, *found])
    rows = []
    for year in range(first, last + 1):
        y = found.get(year, {})
        row = {"year": year, "books": int(y.get("books", 0))}
        row.update({name: int(y.get(name, 0)) for name in ROW_COUNTS})
        rows.append(suppress(row, ROW_COUNTS))
    return rows


def queue_rows(items: Iterable[tuple[str, datetime]], today: date) -> tuple[list[dict[str, Any]], int | None]:
    """The queue by status and, for open items, by age in days; and the oldest open item's age."""
    counts = dict.fromkeys(QUEUE_LABELS, 0)
    oldest: int | None = None
    for status, at in items:
        if status != "open":
            if status in counts:
                counts[status] += 1
            continue
        age = (today - vn_date(at)).days
        oldest = age if oldest is None else max(oldest, age)
        key = next(k for k, lo, hi in AGES if age >= lo and (hi is None or age <= hi)) if age >= 0 else "open_0_7"
        counts[key] += 1
    rows = [
        suppress({"key": k, "label": vi, "label_en": en, "items": counts[k]}, ("items",))
        for k, (vi, en) in QUEUE_LABELS.items()
    ]
    return rows, oldest


def digitisation_section(counts: Mapping[str, Any], today: date, *, city: bool) -> dict[str, Any]:
    """The section (tables ``registers`` and ``reconciliation``) and its headline numbers, suppressed."""
    if not city:
        counts = {"years": [], "books": {"books": 0, "book_rows": 0}, "queue": []}
    years = list(counts["years"])
    queue = list(counts["queue"])
    registers = year_rows(years, today) if city else []
    reconciliation, oldest = queue_rows(queue, today)
    head = {
        "books": int(counts["books"]["books"]),
        "rows": sum(int(y["rows"]) for y in years),
        "in_ledger": sum(int(y["in_ledger"]) for y in years),
        "signed_pdf": sum(int(y["signed_pdf"]) for y in years),
        "queue_open": sum(1 for status, _ in queue if status == "open"),
        "queue_oldest_days": oldest,
    }
    hidden = [k for k in ("rows", "in_ledger", "signed_pdf", "queue_open") if is_small(head[k])]
    for k in hidden:
        head[k] = None
    return {
        "city_only": True,
        "from_year": FIRST_YEAR,
        **head,
        "suppressed": hidden,
        "note_vi": "Mục nhập sổ gốc giấy đã số hóa được ghi vào sổ cái (ledger); chưa có bản PDF nào được ký số.",
        "note_en": "Digitised paper entries are recorded in the ledger; no PDF is signed for them.",
        "tables": {"registers": registers, "reconciliation": reconciliation if city else []},
    }
