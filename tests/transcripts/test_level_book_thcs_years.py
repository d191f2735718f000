"""A THCS pupil's grades 6–9 end to end (issue #14, "Done when"): four school years, one book. Each year's version
carries every earlier year; each earlier version reads superseded by the next; the grade-9 book prints all four
years and the completion of THCS, independent tools accept it, and ``sogoc verify`` lists every year and who
signed it."""

from __future__ import annotations

import io
import subprocess
from contextlib import redirect_stdout
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from level_book_fixture import add_class, add_school, issue_year, issued, pupils, record

from credential_service.app.bootstrap import Container
from credential_service.app.cli import main as sogoc
from credential_service.verification.service import VerificationService
from verifier.cli import main as sogoc_verify

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough
ROOT_CERT = Path(__file__).resolve().parents[2] / "keys" / "dev" / "out" / "root.cert.pem"
YEARS = {6: "2022-2023", 7: "2023-2024", 8: "2024-2025", 9: "2025-2026"}


def test_grades_6_to_9_make_one_book_of_four_years(container: Container, tmp_path: Path) -> None:
    c = container
    school = add_school(c, "THCS-LB", "Trường THCS Lê Bình", ("Đỗ Thị Lan", "Vũ Văn Hải"))
    first = pupils("6A", 6, 1)
    versions = []
    for grade, school_year in YEARS.items():
        class_id = add_class(c, school, f"{grade}A", grade, school_year)
        issue_year(c, school, class_id, pupils(f"{grade}A", grade, 1, like=first), date(int(school_year[-4:]), 5, 29))
        (t,) = issued(c, class_id).values()
        versions.append(t)
    assert [t.version for t in versions] == [1, 2, 3, 4]
    book = record(versions[-1])
    assert [y["school_year"] for y in book["earlier_years"]] == list(YEARS.values())[:3]
    assert [y["credential_id"] for y in book["earlier_years"]] == [t.id for t in versions[:3]]
    for k, t in enumerate(versions[:3]):  # each year as its own version signed it, carried on unchanged
        assert book["earlier_years"][k]["results"] == record(t)["results"]
        assert book["earlier_years"][k]["record_sha256"] == t.record_sha256
        assert book["earlier_years"][: k + 1] == record(versions[k + 1])["earlier_years"]
    assert book["results"]["completion"]["label_vi"] == "Hoàn thành chương trình trung học cơ sở"

    verifier = VerificationService.from_settings(c.db, c.settings)
    for older, newer in pairwise(versions):
        assert verifier.credential_status(older.id).superseded_by == newer.id
    assert verifier.credential_status(versions[-1].id).status == "valid"

    path = tmp_path / "hocba-thcs.pdf"
    path.write_bytes(versions[-1].pdf)
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
                    .stdout.split())  # fmt: skip
    for grade, school_year in YEARS.items():
        assert f"NĂM HỌC {school_year} · LỚP {grade}A" in text
    assert "Hoàn thành chương trình trung học cơ sở" in text
    sigs = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert sigs.count("Signature Validation: Signature is Valid.") == 3, sigs
    attached = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert "hocba-record.json" in attached

    printed = io.StringIO()
    with redirect_stdout(printed):
        rc = sogoc(["--database-url", c.settings.database_url, "verify", str(path), "--trust-root", str(ROOT_CERT),
                    "--offline"])  # fmt: skip
    out = printed.getvalue()
    assert rc == 0, out
    for school_year in YEARS.values():
        assert f"Năm học / school year {school_year}" in out, out
    assert out.count("Đỗ Thị Lan (gvcn, sê-ri / serial") == 3, out  # the earlier years' signers, with serials

    # the standalone verifier (no register, no service) lists the same years from the embedded record
    standalone = io.StringIO()
    with redirect_stdout(standalone):
        rc = sogoc_verify([str(path), "--trust-root", str(ROOT_CERT), "--offline"])
    alone = standalone.getvalue()
    assert rc == 2 and "NO_TRUST_LIST" in alone, alone  # no trust list given: the ledger is not checked
    assert "Các năm học trong học bạ / the book's school years:" in alone, alone
    for school_year in YEARS.values():
        assert f"Năm học / school year {school_year}" in alone, alone
    assert alone.count("Đỗ Thị Lan (gvcn, sê-ri / serial") == 3, alone
