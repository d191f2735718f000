"""A primary class (grade 3, Circular 27) goes through import, render, sign and verify like grades 6–12, and
independent tools accept the PDF (issue #14, "Done when")."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from primary_fixture import example
from sqlalchemy import select

from credential_service.app.bootstrap import Container
from credential_service.app.demo import seed_demo, staff_id
from credential_service.platform.errors import InvalidInput
from credential_service.staff.tables import RoleAssignment, School
from credential_service.transcripts import imports
from credential_service.transcripts.tables import SchoolClass, Transcript
from credential_service.transcripts.workflow import Step
from credential_service.verification.service import VerificationService

pytestmark = pytest.mark.parametrize("empty_db_url", ["sqlite"], indirect=True)  # signing: one backend is enough
PRIMARY = str(uuid.uuid5(uuid.NAMESPACE_URL, "test/primary-school"))
CLASS_3A = str(uuid.uuid5(uuid.NAMESPACE_URL, "test/primary-school/3A"))
ROOT_CERT = Path(__file__).resolve().parents[2] / "keys" / "dev" / "out" / "root.cert.pem"


def _primary_class(c: Container) -> None:
    """A primary school with class 3A; the demo signers' keys hold its roles (GVCN, principal, seal)."""
    seed_demo(c.transcripts, import_results=False)
    with c.db.transaction() as s:
        s.add(School(id=PRIMARY, code="TH-DEMO", name="Trường Tiểu học Demo Hải Phòng",
                     province="Thành phố Hải Phòng", commune="Phường Lê Chân"))  # fmt: skip
        s.flush()
        s.add(SchoolClass(id=CLASS_3A, school_id=PRIMARY, school_year="2025-2026", name="3A", grade=3, status="draft"))
        s.flush()
        for label, role, klass in (("gvcn-10a1", "gvcn", CLASS_3A), ("principal", "principal", None),
                                   ("seal-thpt-demo", "seal", None)):  # fmt: skip
            s.add(RoleAssignment(id=str(uuid.uuid4()), staff_id=staff_id(label), role=role, school_id=PRIMARY,
                                 class_id=klass, valid_from=date(2025, 8, 1), valid_to=None))  # fmt: skip


def _student(code: str, name: str, pin: str, year: dict[str, Any]) -> dict[str, Any]:
    year = {k: v for k, v in year.items() if k != "grade"}
    return {"student_code": code, "full_name": name, "date_of_birth": "2017-05-04", "sex": "Nữ",
            "place_of_birth": "Lê Chân, Hải Phòng", "ethnicity": "Kinh", "personal_id": pin, "year": year}  # fmt: skip


def test_a_grade_3_class_is_imported_rendered_signed_and_verified(container: Container, tmp_path: Path) -> None:
    c = container
    _primary_class(c)
    excellent = example()
    excellent["qualities"]["Chăm chỉ"] = "Tốt"  # every quality and competence Tốt, every test ≥ 9
    good = example()  # one quality Đạt: Hoàn thành, not "tốt" (TT27 Art. 9)
    report = imports.import_json(c.transcripts, CLASS_3A, {"students": [
        _student("TH3A01", "Lê Minh Anh", "031317000101", excellent),
        _student("TH3A02", "Phạm Thu Hà", "031317000102", good),
    ]})  # fmt: skip
    assert (report.students, report.created) == (2, 2)
    c.transcripts.lock_class(CLASS_3A)
    c.transcripts.sign_class(CLASS_3A, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    c.transcripts.sign_class(CLASS_3A, Step.PRINCIPAL, staff_id=staff_id("principal"))
    assert c.transcripts.sign_class(CLASS_3A, Step.SEAL, staff_id=staff_id("seal-thpt-demo")).status == "issued"
    with c.db.reader() as s:
        issued = list(s.execute(select(Transcript).where(Transcript.class_id == CLASS_3A)).scalars())
    by_code = {json.loads(t.record_json)["student"]["student_code"]: t for t in issued}
    first = json.loads(by_code["TH3A01"].record_json)
    assert first["level"] == "primary" and first["class"]["grade"] == 3
    assert first["results"]["overall"]["label_vi"] == "Hoàn thành xuất sắc"
    assert first["results"]["award"]["label_vi"] == "Học sinh Xuất sắc"
    assert first["results"]["subjects"][0] == {"name": "Tiếng Việt", "hk1": {"level": "T", "test": 9},
                                               "year": {"level": "T", "test": 10}}  # fmt: skip
    second = json.loads(by_code["TH3A02"].record_json)
    assert second["results"]["overall"]["label_vi"] == "Hoàn thành" and second["results"]["award"] is None

    verifier = VerificationService.from_settings(c.db, c.settings)
    for t in issued:
        result = verifier.verify_pdf(t.pdf)
        assert result.indication == "PASSED", [(k.name, k.sub_indication, k.detail) for k in result.checks]
    path = tmp_path / "hocba-3A.pdf"
    path.write_bytes(by_code["TH3A01"].pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    for printed in ("MÔN HỌC VÀ HOẠT ĐỘNG GIÁO DỤC", "Tiếng Việt", "T (10)", "PHẨM CHẤT VÀ NĂNG LỰC",
                    "Hoàn thành xuất sắc", "Học sinh Xuất sắc", "Trường Tiểu học Demo Hải Phòng"):  # fmt: skip
        assert printed in flat, printed
    sigs = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert sigs.count("Signature Validation: Signature is Valid.") == 3, sigs
    pyhanko = subprocess.run(
        [str(Path(sys.executable).with_name("pyhanko")), "sign", "validate", "--pretty-print", "--trust",
         str(ROOT_CERT), "--trust-replace", str(path)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pyhanko.returncode == 0 and pyhanko.stdout.count("The signature is judged VALID.") == 3, pyhanko.stdout
    attached = subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert "hocba-record.json" in attached
    qr = subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
                        capture_output=True, check=True)  # fmt: skip
    assert qr.returncode == 0
    codes = subprocess.run(["zbarimg", "-q", str(next(tmp_path.glob("p*.png")))], capture_output=True, text=True,
                           check=False).stdout  # fmt: skip
    assert by_code["TH3A01"].id in codes


def test_a_primary_import_with_a_decimal_test_or_a_bad_level_names_the_field(container: Container) -> None:
    c = container
    _primary_class(c)
    bad = example()
    bad["subjects"]["Tiếng Việt"]["year"] = {"level": "X", "test": 9.5}
    with pytest.raises(InvalidInput) as err:
        imports.import_json(c.transcripts, CLASS_3A, {"students": [_student("TH3A09", "Đỗ Văn Bình", "", bad)]})
    fields = [p.location.get("field") for p in err.value.problems]
    assert any("Tiếng Việt" in str(f) for f in fields), fields


def test_a_primary_class_imports_from_its_spreadsheet(container: Container) -> None:
    import io

    from openpyxl import Workbook

    from credential_service.transcripts.import_primary import PRIMARY_RESULTS_REQUIRED, PRIMARY_ROSTER_REQUIRED

    c = container
    _primary_class(c)
    wb = Workbook()
    roster = wb.active
    roster.title = "HocSinh"
    roster.append([*PRIMARY_ROSTER_REQUIRED, "Số định danh"])
    roster.append(["TH3A01", "Lê Minh Anh", "04/05/2017", "Nữ", "Lê Chân, Hải Phòng", "Kinh",
                   *["Tốt"] * 8, "031317000101"])  # fmt: skip
    results = wb.create_sheet("Diem")
    results.append(list(PRIMARY_RESULTS_REQUIRED))
    results.append(["TH3A01", "Tiếng Việt", "T", 9, "T", 10])
    results.append(["TH3A01", "Đạo đức", "H", None, "T", None])
    out = io.BytesIO()
    wb.save(out)
    report = imports.import_xlsx(c.transcripts, CLASS_3A, out.getvalue(), "3A.xlsx")
    assert (report.students, report.created) == (1, 1)
    overview = c.transcripts.class_overview(CLASS_3A)
    (student,) = overview["students"]
    assert student["student_code"] == "TH3A01"
