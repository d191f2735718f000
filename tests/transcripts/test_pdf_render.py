"""The học bạ PDF: text with diacritics, embedded fonts only, attachment, QR, determinism, boxes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hocba_fixture import canonical_json, require_tool

from credential_service.transcripts.render import ATTACHMENT_NAME, SIGNATURE_FIELDS, RenderedPdf, render_transcript


@pytest.fixture
def rendered(record: dict[str, Any], verify_url: str, record_json: bytes) -> RenderedPdf:
    return render_transcript(record, verify_url=verify_url, record_json=record_json)


@pytest.fixture
def pdf_path(tmp_path: Path, rendered: RenderedPdf) -> Path:
    path = tmp_path / "hocba.pdf"
    path.write_bytes(rendered.pdf)
    return path


def _run(*args: str) -> str:
    return subprocess.run(list(args), capture_output=True, check=True).stdout.decode("utf-8")


def test_pdf_basics(rendered: RenderedPdf) -> None:
    pdf = rendered.pdf
    assert pdf.startswith(b"%PDF-1.7\n%")
    assert all(b >= 0x80 for b in pdf[10:14])  # binary comment line (PDF/A)
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"/Encrypt" not in pdf
    assert b"/Helvetica" not in pdf and b"/Times" not in pdf and b"/Courier" not in pdf
    for key in (b"/OutputIntents", b"/GTS_PDFA1", b"/DestOutputProfile", b"/Metadata", b"/AF "):
        assert key in pdf
    assert b"/AFRelationship /Data" in pdf
    assert b"/Subtype /application#2Fjson" in pdf
    assert b"<pdfaid:part>3</pdfaid:part>" in pdf and b"<pdfaid:conformance>B</pdfaid:conformance>" in pdf
    assert b"/SMask" not in pdf and b"/Group" not in pdf and b"/CA " not in pdf


def test_deterministic(record: dict[str, Any], verify_url: str, record_json: bytes) -> None:
    a = render_transcript(record, verify_url=verify_url, record_json=record_json)
    b = render_transcript(record, verify_url=verify_url, record_json=record_json)
    assert a.pdf == b.pdf
    assert a.signature_boxes == b.signature_boxes
    c = render_transcript(record, verify_url=verify_url + "x", record_json=record_json)
    assert c.pdf != a.pdf


def test_dates_follow_issue_date(rendered: RenderedPdf) -> None:
    assert b"/CreationDate (D:20260530000000+07'00')" in rendered.pdf
    assert b"<xmp:CreateDate>2026-05-30T00:00:00+07:00</xmp:CreateDate>" in rendered.pdf


def test_signature_boxes_inside_page(rendered: RenderedPdf) -> None:
    assert set(rendered.signature_boxes) == set(SIGNATURE_FIELDS)
    boxes = list(rendered.signature_boxes.values())
    for page, x1, y1, x2, y2 in boxes:
        assert page == 0
        assert 0 <= x1 < x2 <= 595.28 and 0 <= y1 < y2 <= 841.89
        assert x2 - x1 >= 120 and y2 - y1 >= 40
    # no two boxes overlap
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]


def test_one_page_for_fifteen_subjects(pdf_path: Path) -> None:
    pdfinfo = require_tool("pdfinfo")
    assert re.search(r"^Pages:\s+1$", _run(pdfinfo, str(pdf_path)), re.M)


def test_text_with_diacritics(pdf_path: Path) -> None:
    pdftotext = require_tool("pdftotext")
    text = _run(pdftotext, "-layout", str(pdf_path), "-")
    for needle in (
        "Nguyễn Thị Hương",
        "Ngô Quang Trưởng",
        "Giáo dục quốc phòng và an ninh",
        "Hoạt động trải nghiệm",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "HỌC BẠ",
        "Transcript",
        "14/03/2010",
        "031310001234",
        "Được lên lớp",
        "Học sinh Giỏi",
        "Chăm ngoan, có ý thức tự học.",
        "Quét mã QR để kiểm tra",
        "Scan to verify",
        "8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11",
        "Giáo viên chủ nhiệm",
        "Hiệu trưởng phê duyệt",
        "Dấu của nhà trường",
        "Hải Phòng, ngày 30 tháng 5 năm 2026",
    ):
        assert needle in text, needle


def test_only_embedded_fonts(pdf_path: Path) -> None:
    pdffonts = require_tool("pdffonts")
    lines = _run(pdffonts, str(pdf_path)).splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        cols = line.split()
        assert "DejaVuSans" in cols[0], line
        # columns from the right: object ID (2), uni, sub, emb
        emb, sub, uni = cols[-5], cols[-4], cols[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line


def test_attachment_round_trip(pdf_path: Path, record_json: bytes, tmp_path: Path) -> None:
    pdfdetach = require_tool("pdfdetach")
    listing = _run(pdfdetach, "-list", str(pdf_path))
    assert f"1: {ATTACHMENT_NAME}" in listing
    out = tmp_path / "out.json"
    subprocess.run([pdfdetach, "-save", "1", "-o", str(out), str(pdf_path)], check=True, capture_output=True)
    assert out.read_bytes() == record_json


def test_qr_scans_to_verify_url(pdf_path: Path, verify_url: str, tmp_path: Path) -> None:
    pdftoppm = require_tool("pdftoppm")
    zbarimg = require_tool("zbarimg")
    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p")], check=True
    )
    png = next(tmp_path.glob("p*.png"))
    out = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, check=True)
    assert out.stdout.decode().strip() == verify_url


def test_qr_with_offline_fragment_scans(record: dict[str, Any], record_json: bytes, tmp_path: Path) -> None:
    pdftoppm = require_tool("pdftoppm")
    zbarimg = require_tool("zbarimg")
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    url = "https://verify.sogoc.haiphong.edu.vn/v/8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11#" + "".join(
        alphabet[(i * 11 + 5) % 45] for i in range(350)
    )
    path = tmp_path / "frag.pdf"
    path.write_bytes(render_transcript(record, verify_url=url, record_json=record_json).pdf)
    subprocess.run([pdftoppm, "-r", "150", "-png", str(path), str(tmp_path / "f")], check=True)
    png = next(tmp_path.glob("f*.png"))
    out = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, check=True)
    assert out.stdout.decode().strip() == url


def test_pyhanko_reads_structure(rendered: RenderedPdf, record_json: bytes) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(rendered.pdf), strict=True)
    root = reader.root
    af = root["/AF"]
    spec = af[0].get_object() if hasattr(af[0], "get_object") else af[0]
    assert spec["/UF"] == ATTACHMENT_NAME and spec["/AFRelationship"] == "/Data"
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[0] == ATTACHMENT_NAME
    ef = spec["/EF"]["/F"].get_object()
    assert ef.data == record_json
    intent = root["/OutputIntents"][0]
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    assert len(reader.trailer["/ID"]) == 2


def test_grade9_completion_and_long_record_paginates(record: dict[str, Any], verify_url: str, tmp_path: Path) -> None:
    record["class"] = {"name": "9A2", "grade": 9}
    record["results"]["completion"] = {
        "label_vi": "Hoàn thành chương trình trung học cơ sở",
        "label_en": "Completed the lower-secondary programme",
    }
    record["results"]["teacher_comment"] = "Em có nhiều cố gắng trong học tập. " * 20
    record["results"]["subjects"] = record["results"]["subjects"] * 2
    rj = canonical_json(record)
    out = render_transcript(record, verify_url=verify_url, record_json=rj)
    # the signature area is kept together, so it moves to page 2 as a whole
    page, *_ = out.signature_boxes["DauTruong"]
    assert page == 1
    assert {b[0] for b in out.signature_boxes.values()} == {1}
    path = tmp_path / "g9.pdf"
    path.write_bytes(out.pdf)
    pdftotext = require_tool("pdftotext")
    text = _run(pdftotext, str(path), "-")
    assert "Hoàn thành chương trình trung học cơ sở" in text
    assert "TRUNG HỌC CƠ SỞ" in text
    assert "Trang / Page 2/2" in text


def test_signing_fields_can_be_added_at_the_boxes(rendered: RenderedPdf) -> None:
    from io import BytesIO

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(BytesIO(rendered.pdf), strict=True)
    for name, (page, x1, y1, x2, y2) in rendered.signature_boxes.items():
        box = (int(x1), int(y1), int(x2), int(y2))
        append_signature_field(writer, SigFieldSpec(sig_field_name=name, on_page=page, box=box))
    out = BytesIO()
    writer.write(out)
    assert out.getvalue().startswith(rendered.pdf)


def _grade9_after_summer_training() -> dict[str, Any]:
    """A grade-9 year with conduct Chưa đạt in both semesters, then Đạt after summer training."""
    scored = [
        "Ngữ văn", "Toán", "Ngoại ngữ 1", "Giáo dục công dân", "Lịch sử và Địa lí", "Khoa học tự nhiên", "Công nghệ",
        "Tin học",
    ]  # fmt: skip
    comment = ["Giáo dục thể chất", "Nghệ thuật", "Hoạt động trải nghiệm, hướng nghiệp"]
    from credential_service.transcripts.assessment_counts import allowed_tx_counts

    def semester(name: str) -> dict[str, Any]:
        allowed = allowed_tx_counts(name, 9)  # TT22 Art. 7.1: by the subject's periods a year
        assert allowed is not None
        return {"tx": [7] * allowed.start, "gk": 7, "ck": 7}

    subjects: dict[str, Any] = {n: {"hk1": semester(n), "hk2": semester(n)} for n in scored}
    subjects.update({n: {"hk1": "Đ", "hk2": "Đ"} for n in comment})
    return {
        "grade": 9,
        "subjects": subjects,
        "conduct": {"hk1": "Chưa đạt", "hk2": "Chưa đạt"},
        "absences": 4,
        "summer_conduct": "Đạt",
    }


def test_grade9_conduct_after_summer_training_is_printed(verify_url: str, tmp_path: Path) -> None:
    """Issue #14: the record holds ``conduct.after_summer``; the PDF must print it, not a blank cell."""
    from datetime import date

    from credential_service.transcripts.record import ClassContext, StudentIdentity, build_transcript_record
    from credential_service.transcripts.rules_explain import explain_year

    evaluation = explain_year(_grade9_after_summer_training())
    assert evaluation["conduct"]["after_summer"] == "Đạt"
    assert evaluation["promotion"]["decision"] == "HOAN_THANH_CHUONG_TRINH"
    record = build_transcript_record(
        credential_id="0b6f3c1e-2a4d-4e5f-8a9b-1c2d3e4f5a6b",
        version=1,
        issued_on=date(2026, 7, 20),
        student=StudentIdentity("HP-9A2-007", "Trần Văn Minh", date(2011, 9, 2), "Nam", "Hải Phòng", "Kinh", None),
        context=ClassContext(
            school_code="THCS-DEMO",
            school_name="Trường THCS Demo",
            province="Thành phố Hải Phòng",
            school_year="2025-2026",
            class_name="9A2",
            grade=9,
            homeroom_teacher="Lê Thị Lan",
            principal="Ngô Quang Trưởng",
        ),
        evaluation=evaluation,
        teacher_comment=None,
    )
    assert record["results"]["conduct"]["after_summer"] == "Đạt"
    out = render_transcript(record, verify_url=verify_url, record_json=canonical_json(record))
    path = tmp_path / "g9-summer.pdf"
    path.write_bytes(out.pdf)
    text = _run(require_tool("pdftotext"), "-layout", str(path), "-")
    assert "Hoàn thành chương trình trung học cơ sở" in text
    conduct_row = next(line for line in text.splitlines() if "Kết quả rèn luyện" in line)
    # HK I, HK II, year, then the "after summer training" cell
    cells = [c for c in re.split(r"\s{2,}", conduct_row.strip()) if c]
    assert cells[-4:] == ["Chưa đạt", "Chưa đạt", "Chưa đạt", "Đạt"], conduct_row
