"""`sogoc diplomas …`: a messy register prints the located report and imports nothing; fixed, it imports;
the public check then matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from credential_service.app.cli import main
from credential_service.diplomas.register_demo import demo_register_rows


def test_cli_import_register_report_then_import_then_check(
    sqlite_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", sqlite_db_url]
    messy = tmp_path / "messy.xlsx"
    assert main([*db, "diplomas", "import-register", str(messy), "--book", "B1", "--demo-messy"]) == 1
    out = capsys.readouterr().out
    assert "6 lỗi ở 6 dòng" in out and "[dòng/row 5, cột/column Ngày sinh]" in out
    clean = tmp_path / "clean.xlsx"
    assert main([*db, "diplomas", "import-register", str(clean), "--book", "B1", "--demo-clean"]) == 0
    assert '"imported": 30' in capsys.readouterr().out
    row = demo_register_rows(30)[4]
    assert main([*db, "diplomas", "check", row[9], "--name", row[1].lower(), "--dob", row[2]]) == 0
    assert '"match": true' in capsys.readouterr().out
    assert main([*db, "diplomas", "check", row[9], "--name", row[1], "--dob", "01/01/1990"]) == 1
