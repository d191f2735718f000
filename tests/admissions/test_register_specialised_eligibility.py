"""The allocation applies ``requires_grades_6_9_at_least`` from the register: a specialised wish is skipped when
the register says conduct below Khá in a year, and taken when every year is at least Khá."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from register_fixtures import Pupil, all_levels, four_years, school, with_register, world
from register_rules_fixtures import RULES, YEAR, applicant

AN = Pupil("031211000123", "Nguyễn Văn An", date(2011, 5, 1), "Nam")
BINH = Pupil("031311000456", "Trần Thị Bình", date(2011, 7, 2), "Nữ")


def test_a_specialised_wish_is_skipped_when_conduct_is_below_kha(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    school_id, classes = school(c)
    four_years(c, school_id, classes, AN, all_levels("Tốt", "Khá"))
    four_years(c, school_id, classes, BINH, {**all_levels("Tốt", "Tốt"), 7: ("Tốt", "Đạt")})
    service.load_rules(YEAR, RULES, actor="tuyen-sinh")
    records = [applicant("TS01", AN.pin or ""), applicant("TS02", BINH.pin or "")]
    service.replace_applicants(YEAR, records, actor="tuyen-sinh", file_sha256="0" * 64)
    run = service.allocate(YEAR, actor="tuyen-sinh")
    out = json.loads(service.run_output(run["run_id"]), parse_float=Decimal)["assignments"]
    assert (out["TS01"]["school"], out["TS01"]["wish"]) == ("CHUYEN-TOAN", 1)
    assert (out["TS02"]["school"], out["TS02"]["wish"]) == ("THPT-A", 2)
    skipped = out["TS02"]["explanation"][0]
    assert skipped["outcome"] == "ineligible" and skipped["school"] == "CHUYEN-TOAN"
    assert "rèn luyện lớp 7 là Đạt, thấp hơn mức Khá" in skipped["vi"]
    assert "grade 7 conduct is Pass" in skipped["en"]
