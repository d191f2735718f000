"""A personal ID the register does not know answers "not found in register" — on the page's data, and in the
allocation, where a specialised wish that requires grade 6–9 levels is skipped as "not known" — never a crash."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from register_fixtures import with_register, world
from register_rules_fixtures import RULES, YEAR, applicant

from credential_service.admissions.explanations import GRADES_UNKNOWN


def test_an_unknown_person_is_not_found_in_the_register(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    assert service.register is not None
    facts = service.register.read(["031211000999"])["031211000999"]
    assert not facts.found and facts.grades_6_9() is None and facts.completion() is None
    service.load_rules(YEAR, RULES, actor="tuyen-sinh")
    service.replace_applicants(YEAR, [applicant("TS01", "031211000999")], actor="tuyen-sinh", file_sha256="0" * 64)
    page = service.applicant_register(YEAR, "TS01", actor="tuyen-sinh")
    assert page["found"] is False and page["message"]["en"] == "not found in register"
    assert page["grades_6_9"] == [] and page["thcs_completion"] is None
    assert page["personal_id"] == "*********999"  # masked on the page


def test_the_allocation_skips_the_specialised_wish_of_an_unknown_person(tmp_path: Path) -> None:
    c = world(tmp_path)
    service = with_register(c)
    service.load_rules(YEAR, RULES, actor="tuyen-sinh")
    service.replace_applicants(YEAR, [applicant("TS01", "031211000999")], actor="tuyen-sinh", file_sha256="0" * 64)
    run = service.allocate(YEAR, actor="tuyen-sinh")
    result = json.loads(service.run_output(run["run_id"]), parse_float=Decimal)["assignments"]["TS01"]
    assert result["school"] == "THPT-A" and result["wish"] == 2
    assert GRADES_UNKNOWN.vi in json.dumps(result, ensure_ascii=False, default=str)
