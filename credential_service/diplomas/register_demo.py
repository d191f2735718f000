"""Synthetic register books for demos, tests and benchmarks (every name, date and number made up): a clean
book, the same book with the typical errors of a hand-typed register, and either as an XLSX or CSV file.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook

from credential_service.diplomas import rules
from credential_service.diplomas.register_book import COLUMNS
from credential_service.diplomas.register_files import SHEET

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Hữu", "Thuỳ"]
_GIVEN = ["Hoà", "Thuý", "Khoẻ", "An", "Bình", "Châu", "Dũng", "Giang", "Hải", "Hương", "Khánh", "Lan", "Long",
          "Mai", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Trang", "Tuấn", "Việt", "Yến"]  # fmt: skip
_PLACES = ["Hải Phòng", "Kiến An", "Thủy Nguyên", "An Lão", "Tiên Lãng", "Vĩnh Bảo", "Hải Dương", "Cát Hải"]
_SCHOOLS = ["Trường THPT Ngô Quyền", "Trường THPT Trần Nguyên Hãn", "Trường THPT Lê Quý Đôn", "Trường THPT Thái Phiên"]


def demo_register_rows(n: int, *, year: int = 2004, type_code: str = "THPT", seed: int = 1,
                       serial_prefix: str = "A", first_seq: int = 1) -> list[list[Any]]:  # fmt: skip
    """A clean synthetic register book (all made up), as rows in COLUMNS order (all text cells)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        dob = date(year - 18, rnd.randint(1, 12), rnd.randint(1, 28))
        sex = "Nữ" if rnd.random() < 0.5 else "Nam"
        middle = "Thị" if sex == "Nữ" and rnd.random() < 0.6 else rnd.choice(_MIDDLE)
        name = f"{rnd.choice(_FAMILY)} {middle} {rnd.choice(_GIVEN)}"
        pin = f"031{(2 if sex == 'Nam' else 3) if dob.year >= 2000 else (0 if sex == 'Nam' else 1)}"
        pin += f"{dob.year % 100:02d}{rnd.randint(0, 999_999):06d}"
        rows.append([
            str(i + 1), name, dob.strftime("%d/%m/%Y"), rnd.choice(_PLACES), sex, "Kinh", rnd.choice(_SCHOOLS),
            str(year), rnd.choice(["Khá", "Trung bình", "Giỏi"]), f"{serial_prefix}{seed:02d}{i + 1:07d}",
            f"{first_seq + i}/{type_code}/{year}", f"{seed}/QĐ-SGDĐT", f"15/07/{year}",
            pin if rnd.random() < 0.4 else "", str(i // 25 + 1), str(i % 25 + 1), f"scan/{seed}/p{i // 25 + 1:03d}.jpg",
            "",
        ])  # fmt: skip
    return rows


MESSY_ERRORS = {  # row index (0-based data row) -> (column, what was done)
    3: ("Ngày sinh", "31/02/1986: no such day"),
    7: ("Số định danh", "11 digits"),
    11: ("Số hiệu văn bằng", "same serial as data row 2"),
    15: ("Số vào sổ", "number skipped (out of sequence)"),
    19: ("Họ và tên", "missing"),
    23: ("Ngày sinh", "born after graduating"),
}


def make_messy(rows: list[list[Any]]) -> list[list[Any]]:
    """The typical errors of a hand-typed register, at the rows of :data:`MESSY_ERRORS`."""
    out = [list(r) for r in rows]
    col = {name: i for i, name in enumerate(COLUMNS)}
    out[3][col["Ngày sinh"]] = "31/02/1986"
    out[7][col["Số định danh"]] = "03120400012"
    out[11][col["Số hiệu văn bằng"]] = out[1][col["Số hiệu văn bằng"]]
    parsed = rules.parse_register_no(out[15][col["Số vào sổ"]])
    assert parsed is not None
    for k in range(15, len(out)):  # the clerk skipped a number: every later number is one too high
        p = rules.parse_register_no(out[k][col["Số vào sổ"]])
        assert p is not None
        out[k][col["Số vào sổ"]] = f"{p.seq + 1}/{p.type}/{p.year}"
    out[19][col["Họ và tên"]] = ""
    out[23][col["Ngày sinh"]] = f"01/01/{int(out[23][col['Năm tốt nghiệp']]) + 1}"
    return out


def register_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")
