"""Digitisation of the paper registers in the progress (issue #16 item 1): books and entries per register year
since 2000, entries in the ledger, the reconciliation queue and its age — the same numbers as a count straight
from the tables, in the JSON, the CSV, the page and the workbook; small cells of entries suppressed."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.diplomas.register_book import BookInfo
from credential_service.diplomas.register_demo import demo_register_rows, register_csv, register_xlsx
from credential_service.diplomas.rules import DiplomaType
from credential_service.diplomas.tables import Diploma, ReconciliationItem
from credential_service.platform.clock import vn_date
from credential_service.reporting import digitisation_rules as R
from credential_service.reporting.report_rules import parse_month
from credential_service.reporting.report_xlsx import read_tables, write_workbook
from credential_service.reporting.rules import Filters
from credential_service.reporting.suppression import MARK

HTML = {"accept": "text/html"}
SO = ("SO-GDDT-HP", "Sở Giáo dục và Đào tạo Hải Phòng", DiplomaType.THPT)


# -- pure ------------------------------------------------------------------------------------------
def test_every_year_since_2000_with_small_cells_of_entries_suppressed_and_the_queue_by_age() -> None:
    today = date(2026, 12, 3)
    years = [
        {"year": 2004, "rows": 30, "books": 2, "in_ledger": 30, "signed_pdf": 0},
        {"year": 2015, "rows": 3, "books": 1, "in_ledger": 3, "signed_pdf": 0},
    ]
    at = datetime.fromisoformat("2026-12-03T01:00:00+00:00")
    queue = [("open", at), ("open", at - timedelta(days=10)), ("open", at - timedelta(days=100)), ("rejected", at)]
    out = R.digitisation_section({"years": years, "books": {"books": 3, "book_rows": 40}, "queue": queue}, today,
                                 city=True)  # fmt: skip
    registers = out["tables"]["registers"]
    assert [r["year"] for r in registers] == list(range(2000, 2027))
    by_year = {r["year"]: r for r in registers}
    assert (by_year[2004]["rows"], by_year[2004]["books"], by_year[2004]["suppressed"]) == (30, 2, [])
    assert by_year[2015]["rows"] is None and by_year[2015]["books"] == 1  # three graduates: suppressed
    assert by_year[2015]["suppressed"] == ["in_ledger", "rows"] and by_year[2001]["rows"] == 0
    queue_rows = {r["key"]: r for r in out["tables"]["reconciliation"]}
    assert queue_rows["open_0_7"]["items"] is None and queue_rows["open_0_7"]["suppressed"] == ["items"]
    assert queue_rows["open_31_90"]["items"] == 0
    assert (out["rows"], out["books"], out["queue_open"], out["queue_oldest_days"]) == (33, 3, None, 100)
    assert out["suppressed"] == ["queue_open"]
    commune = R.digitisation_section({"years": years, "books": {"books": 3}, "queue": queue}, today, city=False)
    assert commune["tables"] == {"registers": [], "reconciliation": []} and commune["books"] == 0


# -- on the demo city ------------------------------------------------------------------------------
def _setup(c: Container) -> None:
    """Book A (2004, 30 entries), book B (2010, 8 entries), book C (2015, 3 entries) and book D repeating
    book A's first 7 rows: queued for reconciliation, 4 of them for 40 days."""
    imp = c.register_importer
    book = BookInfo("SG-THPT-2004-Q1", *SO, signer_name="Giám đốc Sở")
    imp.import_file(register_csv(demo_register_rows(30)), "a.csv", book, actor="clerk")
    b_rows = demo_register_rows(8, year=2010, seed=2, serial_prefix="B")
    imp.import_file(register_csv(b_rows), "b.csv", BookInfo("SG-THPT-2010", *SO), actor="clerk")
    c_rows = demo_register_rows(3, year=2015, seed=3, serial_prefix="C")
    imp.import_file(register_csv(c_rows), "c.csv", BookInfo("SG-THPT-2015", *SO), actor="clerk")
    report = imp.import_file(register_xlsx(demo_register_rows(7)), "d.xlsx", BookInfo("SG-THPT-2004-Q2", *SO),
                             actor="clerk")  # fmt: skip
    assert (report.imported, report.queued) == (0, 7)
    with c.db.transaction() as s:
        ids = list(s.execute(select(ReconciliationItem.id).order_by(ReconciliationItem.row_no).limit(4)).scalars())
        old = c.clock.now() - timedelta(days=40)
        s.execute(update(ReconciliationItem).where(ReconciliationItem.id.in_(ids)).values(created_at=old))


def _from_tables(c: Container) -> dict[str, Any]:
    """Counted the plain way from the diplomas and the reconciliation queue."""
    today = c.clock.today()
    with c.db.reader() as s:
        legacy = [(d.register_year, d.book_id, d.ledger_seq) for d in s.execute(select(Diploma)).scalars()]
        items = [(i.status, i.created_at) for i in s.execute(select(ReconciliationItem)).scalars()]
    years: dict[int, dict[str, Any]] = {}
    for year, book, seq in legacy:
        y = years.setdefault(year, {"rows": 0, "books": set(), "in_ledger": 0})
        y["rows"] += 1
        y["books"].add(book)
        y["in_ledger"] += seq is not None
    ages = [(today - vn_date(at)).days for status, at in items if status == "open"]
    return {
        "years": {
            k: {"rows": v["rows"], "books": len(v["books"]), "in_ledger": v["in_ledger"]} for k, v in years.items()
        },
        "open": len(ages),
        "open_31_90": sum(1 for a in ages if 31 <= a <= 90),
        "open_0_7": sum(1 for a in ages if a <= 7),
        "oldest": max(ages),
    }


def _shown(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {
        int(r["year"]): {k: (MARK if r[k] in (None, MARK) else int(r[k])) for k in ("rows", "books", "in_ledger")}
        for r in rows
        if str(r["books"]) != "0"
    }


def test_the_section_matches_a_count_straight_from_the_tables_in_json_csv_and_page(
    container: Container, client: TestClient
) -> None:
    _setup(container)
    expected = _from_tables(container)
    assert expected["years"] == {
        2004: {"rows": 30, "books": 1, "in_ledger": 30},
        2010: {"rows": 8, "books": 1, "in_ledger": 8},
        2015: {"rows": 3, "books": 1, "in_ledger": 3},
    }
    sign_in(client, "inspector")
    body = client.get("/api/v1/progress").json()
    dg = body["digitisation"]
    assert dg["tables"] == ["registers", "reconciliation"]
    shown = {y: dict(v) for y, v in expected["years"].items()}
    shown[2015].update(rows=MARK, in_ledger=MARK)  # three graduates: suppressed
    assert _shown(body["tables"]["registers"]) == shown
    assert body["tables"]["registers"][0]["year"] == 2000 and body["tables"]["registers"][-1]["year"] >= 2026
    assert (dg["books"], dg["rows"], dg["in_ledger"], dg["signed_pdf"]) == (4, 41, 41, 0)  # book D: all queued
    assert (dg["queue_open"], dg["queue_oldest_days"]) == (expected["open"], expected["oldest"]) == (7, 40)
    queue = {r["key"]: r["items"] for r in body["tables"]["reconciliation"]}
    assert queue["open_31_90"] is None and expected["open_31_90"] == 4  # four: suppressed
    assert queue["open_0_7"] is None and expected["open_0_7"] == 3

    text = client.get("/api/v1/progress/registers.csv").text.lstrip("\ufeff")
    assert _shown(list(csv.DictReader(io.StringIO(text)))) == shown
    recon = client.get("/api/v1/progress/reconciliation.csv").text.lstrip("\ufeff")
    assert {r["key"]: r["items"] for r in csv.DictReader(io.StringIO(recon))}["open_31_90"] == MARK
    assert "Nguyễn" not in text + recon and "A0000" not in text + recon  # no name, no serial

    page = client.get("/so/tien-do", headers=HTML).text
    assert page.index("Số hóa sổ gốc giấy") < page.index("Digitisation of the paper registers")
    assert '<strong id="dg-rows">41</strong>' in page and '<strong id="dg-open">7</strong>' in page
    assert 'id="table-registers"' in page and "/api/v1/progress/registers.csv" in page


def test_a_commune_officer_sees_no_city_registers(container: Container, client: TestClient) -> None:
    _setup(container)
    sign_in(client, "commune-officer")
    own = client.get("/api/v1/progress").json()
    assert own["tables"]["registers"] == [] and own["digitisation"]["books"] == 0
    assert "chỉ tính cho toàn thành phố" in client.get("/so/tien-do", headers=HTML).text


def test_the_workbook_has_the_register_sheets(container: Container) -> None:
    _setup(container)
    period = parse_month("2026-05", container.clock.today())
    data = container.reporting.progress(Filters(None, None, period.school_year), None)
    back = read_tables(write_workbook(data, period, made_at="2026-05-31T10:00:00+07:00"))
    assert _shown(back["registers"]) == _shown(data["tables"]["registers"])
    assert [r["key"] for r in back["reconciliation"]] == [r["key"] for r in data["tables"]["reconciliation"]]
