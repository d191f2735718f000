"""The report's PDF (unsigned; the Sở's seal is added by ``documents/so_seal.py``): the city, the communes,
the levels, the 20 schools furthest behind and the signing backlog, with the same suppressed cells as the
dashboard. Every school is in the workbook, whose SHA-256 is printed here, so the seal covers it too."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from credential_service.reporting.report_rules import SHEET_TITLES, ReportPeriod, header_labels
from credential_service.reporting.suppression import cell_text
from credential_service.reporting.tables_csv import columns

FONT, FONT_BOLD = "SogocReportSans", "SogocReportSans-Bold"
_FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
_lock = threading.Lock()

SUMMARY = [
    "label", "students", "locked", "sealed", "share_signed", "no_personal_id",
    "diplomas_issued", "diplomas_due", "diplomas_late",
]  # fmt: skip
COLUMNS: dict[str, list[str]] = {
    "city": SUMMARY,
    "communes": SUMMARY,
    "levels": SUMMARY,
    "behind": ["rank", "code", "name", "commune", "students", "sealed", "share_signed", "gap"],
    "backlog": ["role", "classes", "documents", "since"],
}
# The sections added to the dashboard since (issue #16 item 1 and the trend, item 3): every column of theirs.
SECTIONS = ("signers", "certificates", "traffic", "registers", "reconciliation", "trend")
_NOT_PRINTED = {"suppressed", "key"}


def _fonts() -> None:
    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(_FONTS / "DejaVuSans.ttf")))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONTS / "DejaVuSans-Bold.ttf")))


def _text(row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if name.startswith("share_") and isinstance(value, float) and name not in (row.get("suppressed") or ()):
        return f"{value:.1%}"
    if name == "since" and isinstance(value, str):
        return value[:10]
    return cell_text(row, name)


def _table(rows: list[dict[str, Any]], names: list[str], cell: ParagraphStyle) -> Table:
    head = [Paragraph(escape(h), cell) for h in header_labels(names)]
    body = [[Paragraph(escape(_text(r, n)), cell) for n in names] for r in rows]
    wide = {"label": 3.0, "name": 3.2, "role": 3.0, "commune": 2.4, "day": 1.6}
    weights = [wide.get(n, 1.0) for n in names]
    total = (297 - 30) * mm
    table = Table([head, *body], colWidths=[total * w / sum(weights) for w in weights], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.93, 0.95)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def render_report(progress: dict[str, Any], period: ReportPeriod, *, made_at: str, xlsx_sha256: str) -> bytes:
    """The report as an unsigned PDF (A4 landscape, Vietnamese first)."""
    _fonts()
    title = ParagraphStyle("t", fontName=FONT_BOLD, fontSize=14, leading=18, spaceAfter=4)
    h2 = ParagraphStyle("h", fontName=FONT_BOLD, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("b", fontName=FONT, fontSize=9, leading=12)
    cell = ParagraphStyle("c", fontName=FONT, fontSize=7.5, leading=9)
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Báo cáo tiến độ {period.label.vi}",
        author="Sở Giáo dục và Đào tạo Hải Phòng",
        subject="Progress report to the city / báo cáo tiến độ gửi UBND Thành phố",
        creator="Sổ Gốc Số",
    )
    plan = progress["plan"]
    supp = progress["suppression"]
    story: list[Any] = [
        Paragraph("SỞ GIÁO DỤC VÀ ĐÀO TẠO HẢI PHÒNG", body),
        Paragraph(f"BÁO CÁO TIẾN ĐỘ CHUYỂN ĐỔI SỐ — {period.label.vi.upper()}", title),
        Paragraph(f"Progress of the digital roll-out — {period.label.en}", body),
        Spacer(1, 4),
        Paragraph(
            f"Năm học / school year: <b>{progress['school_year'] or '—'}</b>. "
            f"Số liệu tính trực tiếp từ sổ gốc lúc / counted from the register at {made_at}. "
            f"Kế hoạch / plan: {plan['share_signed']:.0%} học bạ số đủ chữ ký trước / fully signed by {plan['by']}.",
            body,
        ),
        Paragraph(escape(f"{supp['rule_vi']} / {supp['rule_en']} Ô bị ẩn ghi «{supp['marker']}»."), body),
        Paragraph(
            "Danh sách đủ các trường ở tệp XLSX kèm theo / every school is in the attached workbook, "
            f"SHA-256 <font name='Courier'>{xlsx_sha256}</font>.",
            body,
        ),
    ]
    for name in (*COLUMNS, *SECTIONS):
        rows = section_rows(progress, name, period)
        story.append(Paragraph(f"{SHEET_TITLES[name].vi} / {SHEET_TITLES[name].en}", h2))
        if rows:
            names = COLUMNS.get(name) or [n for n in columns(rows) if n not in _NOT_PRINTED]
            story.append(_table(rows, names, cell))
        else:
            story.append(Paragraph("Không có số liệu / nothing to report.", body))
    doc.build(story)
    return out.getvalue()


def section_rows(progress: dict[str, Any], name: str, period: ReportPeriod) -> list[dict[str, Any]]:
    """A table's rows as the PDF prints them: the trend only for the report's month (the workbook has it all)."""
    rows: list[dict[str, Any]] = progress["tables"][name]
    if name == "trend":
        month = period.key
        rows = [r for r in rows if str(r.get("day", "")).startswith(month)]
    return rows
