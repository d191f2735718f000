"""The progress model's pure rules: suppression, data quality, scope, sums, the schools behind, the backlog."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

import pytest

from credential_service.reporting import quality, rules
from credential_service.reporting.rules import ClassFacts, DiplomaFacts, Filters, Level, SchoolFacts
from credential_service.reporting.suppression import MARK, cell_text, is_small, suppress
from credential_service.reporting.tables_csv import to_csv
from credential_service.staff.roles import Grant, Role

TODAY = date(2026, 5, 20)


# -------------------------------------------------------------------------------------- suppression


@pytest.mark.parametrize(("n", "small"), [(None, False), (0, False), (1, True), (4, True), (5, False), (900, False)])
def test_only_counts_of_one_to_four_students_are_small(n: int | None, small: bool) -> None:
    assert is_small(n) is small


def test_a_small_count_is_null_and_flagged_and_its_share_goes_with_it() -> None:
    row = {"students": 3, "sealed": 0, "no_personal_id": 2, "share_signed": 0.0, "label": "6A1"}
    out = suppress(row, ("students", "sealed", "no_personal_id"), {"share_signed": "students"})
    assert out["students"] is None and out["no_personal_id"] is None and out["share_signed"] is None
    assert out["sealed"] == 0  # a zero names nobody
    assert out["suppressed"] == ["no_personal_id", "share_signed", "students"]
    assert row["students"] == 3  # the input is not changed


def test_a_large_count_and_its_share_are_shown() -> None:
    out = suppress({"students": 45, "share_signed": 0.5}, ("students",), {"share_signed": "students"})
    assert out == {"students": 45, "share_signed": 0.5, "suppressed": []}


def test_a_suppressed_cell_is_shown_as_less_than_five_in_csv() -> None:
    rows = [suppress({"code": "A", "students": 2, "levels": ["thcs"]}, ("students",))]
    text = to_csv(rows)
    assert text.splitlines() == ["code,students,levels", f"A,{MARK},thcs"]
    assert cell_text(rows[0], "students") == "<5"


# -------------------------------------------------------------------------------------- data quality


def _issues(pin: str | None, sex: str = "Nam", born: date = date(2010, 3, 1), place: str | None = None) -> set[str]:
    return set(quality.pin_issues(pin, sex=sex, date_of_birth=born, place_of_birth=place, today=TODAY))


def test_a_missing_personal_id_is_counted() -> None:
    assert _issues(None) == {quality.NO_PIN}
    assert _issues("  ") == {quality.NO_PIN}


def test_a_personal_id_that_agrees_with_the_record_has_no_issue() -> None:
    assert _issues("031210123456", "Nam", date(2010, 3, 1), "Lê Chân, Hải Phòng") == set()


def test_sex_birth_year_and_province_digits_that_disagree_are_counted() -> None:
    assert _issues("031310123456", "Nam") == {quality.SEX}  # 3: a woman born in the 2000s
    assert _issues("031211123456", "Nam") == {quality.BIRTH_YEAR}  # born 2011, recorded 2010
    assert _issues("031010123456", "Nam") == {quality.BIRTH_YEAR}  # century digit 0: the 1900s
    assert _issues("001210123456", "Nam", place="Lê Chân, Hải Phòng") == {quality.PROVINCE}  # Hà Nội's code
    assert _issues("099210123456", "Nam") == {quality.PROVINCE}  # no such province code
    assert _issues("12345") == {quality.MALFORMED}


def test_the_quick_path_gives_what_the_full_check_gives() -> None:
    rng = random.Random(16)
    places = [None, "Lê Chân, Hải Phòng", "Hà Nội", "Quận 1, TP. Hồ Chí Minh", "nước ngoài"]
    for _ in range(3000):
        born = date(rng.choice([1899, 1999, 2008, 2010, 2027]), rng.randint(1, 12), 1)
        sex = rng.choice(["Nam", "Nữ"])
        code = rng.choice(["031", "001", "079", "099", "150", "03a"])
        year = rng.choice([born.year % 100, (born.year + 1) % 100])
        pin = f"{code}{rng.randrange(10)}{year:02d}{rng.randrange(10**6):06d}"[: rng.choice([12, 12, 12, 11])]
        place = rng.choice(places)
        full = quality.classify(pin, sex=sex, date_of_birth=born, place_of_birth=place, today=TODAY)
        assert quality.pin_issues(pin, sex=sex, date_of_birth=born, place_of_birth=place, today=TODAY) == full


# -------------------------------------------------------------------------------------- scope


def test_a_so_role_sees_the_city_and_a_commune_officer_their_commune() -> None:
    assert rules.visible_communes([Grant(Role.INSPECTOR)], TODAY) is None
    officer = [Grant(Role.COMMUNE_OFFICER, commune="Phường Lê Chân")]
    assert rules.visible_communes(officer, TODAY) == frozenset({"Phường Lê Chân"})
    expired = [Grant(Role.SO_ADMIN, valid_to=date(2026, 1, 1)), *officer]
    assert rules.visible_communes(expired, TODAY) == frozenset({"Phường Lê Chân"})
    assert rules.visible_communes([Grant(Role.PRINCIPAL, school_id="s")], TODAY) == frozenset()


# -------------------------------------------------------------------------------------- the model

A = SchoolFacts("a", "THPT-A", "THPT A", "Phường 1")
B = SchoolFacts("b", "THCS-B", "THCS B", "Xã 2")
AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def _class(cid: str, school: SchoolFacts, grade: int, status: str, students: int, **by: int) -> ClassFacts:
    return ClassFacts(cid, school.school_id, cid, grade, "2025-2026", status, students, by, AT, {"no_personal_id": 1})


CLASSES = [
    _class("10A1", A, 10, "issued", 40, issued=40),
    _class("10A2", A, 10, "signed_gvcn", 30, signed_gvcn=30),
    _class("6A1", B, 6, "draft", 20),
    _class("6A2", B, 6, "locked", 10, locked=10),
]
DIPLOMAS = [DiplomaFacts("THPT-A", date(2026, 6, 1), 40, {"on_time": 30, "issued_late": 2, "due": 5, "late": 3})]


def test_classes_sum_to_schools_communes_levels_and_the_city() -> None:
    m = rules.build_model([A, B], CLASSES, DIPLOMAS, Filters(school_year="2025-2026"))
    city = m.city
    assert (city.students, city.drafted, city.locked, city.signed_gvcn, city.signed_principal, city.sealed) == (
        100, 20, 80, 70, 40, 40,
    )  # fmt: skip
    assert city.share_signed == 0.4
    assert (city.diplomas_issued, city.diplomas_issued_late, city.diplomas_due, city.diplomas_late) == (32, 2, 5, 3)
    assert city.no_personal_id == 4
    assert m.communes["Phường 1"].students == 70 and m.communes["Xã 2"].students == 30
    assert m.levels[Level.UPPER].diplomas_issued == 32 and m.levels[Level.LOWER].diplomas_issued == 0


def test_the_level_and_commune_filters_keep_only_their_classes() -> None:
    lower = rules.build_model([A, B], CLASSES, DIPLOMAS, Filters(level=Level.LOWER))
    assert lower.city.students == 30 and lower.city.diplomas_issued == 0
    assert [s.code for s, _, _ in lower.schools.values()] == ["THCS-B"]
    commune = rules.build_model([A, B], CLASSES, DIPLOMAS, Filters(commune="Phường 1"))
    assert commune.city.students == 70 and commune.city.diplomas_issued == 32


def test_the_schools_behind_come_lowest_share_first() -> None:
    tables = rules.tables(rules.build_model([A, B], CLASSES, DIPLOMAS, Filters()))
    assert [(r["rank"], r["code"], r["gap"]) for r in tables["behind"]] == [(1, "THCS-B", 30), (2, "THPT-A", 30)]


def test_the_backlog_names_the_role_waiting_the_documents_and_since_when() -> None:
    backlog = rules.backlog(CLASSES)
    assert [(b["step"], b["classes"], b["documents"]) for b in backlog] == [
        ("lock", 1, 20), ("gvcn", 1, 10), ("principal", 1, 30),
    ]  # fmt: skip
    assert backlog[1]["role"] == "GVCN ký" and backlog[1]["since"] == AT.isoformat()


def test_the_school_year_runs_from_august() -> None:
    assert rules.school_year_of(date(2026, 5, 10)) == "2025-2026"
    assert rules.school_year_of(date(2026, 8, 1)) == "2026-2027"
