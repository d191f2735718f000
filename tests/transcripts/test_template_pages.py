"""Each học bạ template renders its own first page (issue #14, "Done when": one rendered page per template):
primary (Circular 27), THCS and THPT (Circular 22), and continuing education (GDTX). The pages are written as
PNG for people to look at::

    .venv/bin/pytest tests/transcripts/test_template_pages.py -p no:cacheprovider --basetemp=/tmp/pages
    ls /tmp/pages/*/hocba-*.png
"""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from level_book_fixture import add_class, add_school, pupils
from primary_fixture import example

from credential_service.app.bootstrap import Container
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.subjects import GDTX_THPT_SUBJECTS, Programme
from credential_service.transcripts.tables import Transcript

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)
PUPIL = {"student_code": "TP-01", "full_name": "Vũ Khánh Linh", "date_of_birth": "2017-09-02", "sex": "Nữ",
         "place_of_birth": "Ngô Quyền, Hải Phòng", "ethnicity": "Kinh", "personal_id": "031317000311"}  # fmt: skip
HEADINGS = {
    "primary": "TIỂU HỌC",
    "thcs": "TRUNG HỌC CƠ SỞ",
    "thpt": "TRUNG HỌC PHỔ THÔNG",
    "gdtx": "GIÁO DỤC THƯỜNG XUYÊN CẤP TRUNG HỌC PHỔ THÔNG",
}


def _first_page(c: Container, class_id: str, out: Path) -> str:
    """Lock the class (which renders each học bạ), write the first học bạ's page 1 as PNG, return its text."""
    c.transcripts.lock_class(class_id, issued_on=date(2026, 5, 29))
    with c.db.reader() as s:
        pdf = s.query(Transcript).filter(Transcript.class_id == class_id).order_by(Transcript.id).first().pdf
    path = out.with_suffix(".pdf")
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(path), str(out)],
                   check=True)  # fmt: skip
    assert out.with_suffix(".png").stat().st_size > 10_000
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    return " ".join(text.split())


def test_each_template_renders_its_own_first_page(container: Container, tmp_path: Path) -> None:
    c = container
    school = add_school(c, "TP-DEMO", "Trường Liên cấp Mẫu", ("Đặng Thu Trang", "Lý Văn Quang"))
    primary = add_class(c, school, "3A", 3, "2025-2026")
    year = {k: v for k, v in example().items() if k != "grade"}
    imports.import_json(c.transcripts, primary, {"students": [{**PUPIL, "year": year}]})
    secondary = {}
    for grade, name in ((7, "7A"), (11, "11A")):
        secondary[name] = add_class(c, school, name, grade, "2025-2026")
        rows = pupils(name, grade, 1)
        imports.import_xlsx(c.transcripts, secondary[name], importers.write_sample_xlsx(rows), f"{name}.xlsx")
    gdtx = add_class(c, school, "11G", 11, "2025-2026", programme="GDTX")
    rows = [replace(r, year=replace(r.year, programme=Programme.GDTX, subjects=tuple(
        s for s in r.year.subjects if s.name in GDTX_THPT_SUBJECTS))) for r in pupils("11G", 11, 1)]  # fmt: skip
    imports.import_xlsx(c.transcripts, gdtx, importers.write_sample_xlsx(rows), "g.xlsx")

    pages = {
        "primary": _first_page(c, primary, tmp_path / "hocba-primary"),
        "thcs": _first_page(c, secondary["7A"], tmp_path / "hocba-thcs"),
        "thpt": _first_page(c, secondary["11A"], tmp_path / "hocba-thpt"),
        "gdtx": _first_page(c, gdtx, tmp_path / "hocba-gdtx"),
    }
    for template, text in pages.items():
        assert "HỌC BẠ" in text and HEADINGS[template] in text, (template, text[:300])
    assert "GIÁO DỤC THƯỜNG XUYÊN" not in pages["thpt"]
    assert "PHẨM CHẤT VÀ NĂNG LỰC" in pages["primary"]  # Circular 27's own layout
    assert "Giáo dục thể chất" not in pages["gdtx"] and "Giáo dục thể chất" in pages["thpt"]
