"""One học bạ per level (issue #14): a THCS pupil issued grade 6, then grade 7 at the same school, holds one book.
Its new version carries grade 6 exactly as it was signed (results, the version it came from, who signed it with
which certificate) and grade 7; the grade-6 version reads superseded by it; the ledger links the two entries; the
PDF validates and prints both years; the verifier lists every year and who signed it."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from level_book_fixture import add_class, add_school, issue_year, issued, pupils, record
from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.app.factory import create_app
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.view_keys import view_key
from credential_service.transcripts.tables import SigningEvent
from credential_service.verification.service import VerificationService
from verifier.book_years import book_year_lines

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough
ROOT_CERT = Path(__file__).resolve().parents[2] / "keys" / "dev" / "out" / "root.cert.pem"


def test_grade_7_is_a_new_version_of_the_grade_6_book_that_carries_grade_6_as_signed(
    container: Container, tmp_path: Path
) -> None:
    c = container
    school = add_school(c, "THCS-LB", "Trường THCS Lê Bình", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    six = pupils("6A", 6, 2)
    six_id = add_class(c, school, "6A", 6, "2024-2025")
    issue_year(c, school, six_id, six, date(2025, 5, 30))
    seven_id = add_class(c, school, "7A", 7, "2025-2026")
    issue_year(c, school, seven_id, pupils("7A", 7, 2, like=six), date(2026, 5, 29))

    pin = six[0].personal_id
    assert pin is not None
    old = issued(c, six_id)[pin]
    new = issued(c, seven_id)[pin]
    old_record, new_record = record(old), record(new)
    assert (old.version, new.version) == (1, 2)
    assert new_record["continues"] == {"credential_id": old.id, "version": 1, "school_code": "THCS-LB"}
    (grade6,) = new_record["earlier_years"]
    assert grade6["results"] == old_record["results"]  # exactly as signed
    assert (grade6["credential_id"], grade6["version"], grade6["record_sha256"]) == (old.id, 1, old.record_sha256)
    assert (grade6["school_year"], grade6["class"], grade6["school"]) == (
        "2024-2025", {"name": "6A", "grade": 6}, old_record["school"],
    )  # fmt: skip
    with c.db.reader() as s:
        events = s.execute(select(SigningEvent).where(SigningEvent.transcript_id == old.id)).scalars().all()
        entries = {e.credential_id: e for e in s.execute(select(LedgerEntry)).scalars()}
    assert [(x["step"], x["full_name"]) for x in grade6["signed_by"]] == [
        ("gvcn", "Đỗ Thị Lan"), ("principal", "Vũ Văn Hải"), ("seal", "Trường THCS Lê Bình"),
    ]  # fmt: skip
    assert {x["certificate_serial"] for x in grade6["signed_by"]} == {e.certificate_serial for e in events}
    assert new_record["results"]["subjects"] != old_record["results"]["subjects"]  # grade 7's own year

    # the ledger links the book's new version to the version it continues
    assert (entries[new.id].kind, entries[new.id].amends_seq) == ("continued", entries[old.id].seq)
    assert entries[old.id].kind == "issued"

    verifier = VerificationService.from_settings(c.db, c.settings)
    result = verifier.verify_pdf(new.pdf)
    assert result.indication == "PASSED", [(k.name, k.sub_indication, k.detail) for k in result.checks]
    years = result.to_dict()["years"]
    assert [(y["school_year"], y["class"], y["version"]) for y in years] == [("2024-2025", "6A", 1),
                                                                              ("2025-2026", "7A", 2)]  # fmt: skip
    assert [x["full_name"] for x in years[0]["signed_by"]] == ["Đỗ Thị Lan", "Vũ Văn Hải", "Trường THCS Lê Bình"]
    assert [x["step"] for x in years[1]["signed_by"]] == ["GVCN", "HieuTruong", "DauTruong"]
    assert "2024-2025" in book_year_lines(years)[0] and "Đỗ Thị Lan" in book_year_lines(years)[0]
    before = verifier.verify_pdf(old.pdf)  # the grade-6 version still verifies, and reads superseded
    assert (before.indication, before.sub_indication) == ("FAILED", "SUPERSEDED")
    assert before.pdf.indication == "PASSED"
    status = verifier.credential_status(old.id)
    assert (status.status, status.superseded_by, status.continued_in) == ("superseded", new.id, "2025-2026")

    path = tmp_path / "hocba-6-7.pdf"
    path.write_bytes(new.pdf)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
                    .stdout.split())  # fmt: skip
    for printed in ("QUÁ TRÌNH HỌC TẬP", "NĂM HỌC 2024-2025 · LỚP 6A", "NĂM HỌC 2025-2026 · LỚP 7A",
                    "Năm học này đã được ký số bởi", "Đỗ Thị Lan", old.id, new.id):  # fmt: skip
        assert printed in text, printed
    for subject in old_record["results"]["subjects"]:  # grade 6's subjects and year results are printed
        assert subject["name"] in text
    pyhanko = subprocess.run(
        [str(Path(sys.executable).with_name("pyhanko")), "sign", "validate", "--pretty-print", "--trust",
         str(ROOT_CERT), "--trust-replace", str(path)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pyhanko.returncode == 0 and pyhanko.stdout.count("The signature is judged VALID.") == 3, pyhanko.stdout


def test_the_verify_page_lists_every_year_and_the_old_year_points_to_the_book(container: Container) -> None:
    c = container
    school = add_school(c, "THCS-LB", "Trường THCS Lê Bình", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    six = pupils("6A", 6, 1)
    six_id = add_class(c, school, "6A", 6, "2024-2025")
    issue_year(c, school, six_id, six, date(2025, 5, 30))
    seven_id = add_class(c, school, "7A", 7, "2025-2026")
    issue_year(c, school, seven_id, pupils("7A", 7, 1, like=six), date(2026, 5, 29))
    (old,) = issued(c, six_id).values()
    (new,) = issued(c, seven_id).values()
    secret = c.verification.settings.view_secret
    with TestClient(create_app(c)) as client:
        page = client.get(f"/v/{new.id}", params={"k": view_key(secret, new.id)})
        assert page.status_code == 200
        assert 'id="years"' in page.text and 'data-school-year="2024-2025"' in page.text
        assert "Đỗ Thị Lan" in page.text and "Các năm học trong học bạ" in page.text
        page = client.get(f"/v/{old.id}")
        assert 'data-status="superseded"' in page.text and "tiếp nối ở năm học 2025-2026" in page.text
        assert f'href="/v/{new.id}"' in page.text
        assert client.get(f"/api/v1/credentials/{old.id}/status").json()["superseded_by"] == new.id
        page = client.post("/v/check", files={"file": ("hocba.pdf", new.pdf, "application/pdf")})
        assert page.status_code == 200 and 'data-indication="PASSED"' in page.text, page.text[:2000]
        assert 'data-school-year="2024-2025"' in page.text and 'data-school-year="2025-2026"' in page.text
