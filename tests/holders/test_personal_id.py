"""One test per rule of the 12-digit personal ID number (core.identity), plus the identifier history."""

from __future__ import annotations

from datetime import date

import pytest

from credential_service.holders.identity_rules import (
    IdentifierEntry,
    IdentifierHistory,
    IdentifierKind,
    Rule,
    Severity,
    century_digit,
    check_personal_id,
    decode_pin,
    mask,
    rule_birth_year,
    rule_century,
    rule_cmnd9,
    rule_digits,
    rule_not_future,
    rule_province,
    rule_sex,
    validate_personal_id,
)
from credential_service.platform.errors import InvalidInput

DOB = date(2008, 3, 14)
GOOD_F = "031308123456"  # Hải Phòng, female born 2000s, 2008
TODAY = date(2026, 6, 1)


def test_a_well_formed_number_passes_every_rule_and_decodes() -> None:
    result = check_personal_id(GOOD_F, sex="Nữ", date_of_birth=DOB, today=TODAY)
    assert result.ok and not result.findings
    d = decode_pin(GOOD_F)
    assert (d.region_name, d.century_start, d.sex, d.birth_year, d.born_abroad) == (
        "Hải Phòng",
        2000,
        "Nữ",
        2008,
        False,
    )
    assert century_digit(2008, "Nữ") == 3 and century_digit(1975, "Nam") == 0


@pytest.mark.parametrize("value", ["03130812345", "0313081234567", "03130812345a", "031 308123456", "０31308123456"])
def test_rule_digits_only_exactly_twelve(value: str) -> None:
    f = rule_digits(value)
    assert f is not None and f.rule is Rule.DIGITS and f.severity is Severity.ERROR
    assert "12" in f.message.vi and "12" in f.message.en
    result = check_personal_id(value, sex="Nữ", date_of_birth=DOB, today=TODAY)
    assert [x.rule for x in result.findings] == [Rule.DIGITS]


def test_rule_province_unknown_code_is_a_warning_country_codes_accepted() -> None:
    assert rule_province("031308123456") is None
    assert rule_province("175308123456") is None  # born abroad (Hoa Kỳ)
    assert decode_pin("175308123456").born_abroad
    f = rule_province("003308123456")
    assert f is not None and f.rule is Rule.PROVINCE and f.severity is Severity.WARNING
    assert "003" in f.message.vi
    assert rule_province("999308123456") is not None
    result = check_personal_id("003308123456", sex="Nữ", date_of_birth=DOB, today=TODAY)
    assert result.ok and result.needs_manual_check


def test_rule_century_must_match_the_date_of_birth() -> None:
    f = rule_century("031108123456", DOB)  # G=1: female born 1900s
    assert f is not None and f.rule is Rule.CENTURY and f.severity is Severity.ERROR
    assert "2008" in f.message.vi and "1900" in f.message.en
    assert rule_century(GOOD_F, DOB) is None


def test_rule_sex_mismatch_is_a_warning_for_manual_check() -> None:
    f = rule_sex("031208123456", "Nữ")  # G=2: male
    assert f is not None and f.rule is Rule.SEX and f.severity is Severity.WARNING
    assert "Thông tư 59/2021" in f.message.vi
    assert rule_sex(GOOD_F, "Nữ") is None and rule_sex(GOOD_F, "female") is None


def test_rule_birth_year_digits_match() -> None:
    f = rule_birth_year("031309123456", DOB)
    assert f is not None and f.rule is Rule.BIRTH_YEAR and f.severity is Severity.ERROR
    assert "09" in f.message.vi and "2008" in f.message.en


def test_rule_not_future_year() -> None:
    f = rule_not_future("031330123456", TODAY)  # 2030
    assert f is not None and f.rule is Rule.FUTURE


def test_validate_raises_one_problem_per_failed_rule_without_echoing_the_number() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_personal_id("031109123456", sex="Nam", date_of_birth=DOB, today=TODAY)
    rules = [p.location["rule"] for p in exc.value.problems]
    assert rules == ["pin_century", "pin_birth_year", "pin_sex"]
    assert all(p.value is None for p in exc.value.problems)
    assert "031109123456" not in str(exc.value)


def test_cmnd9_and_masking() -> None:
    assert rule_cmnd9("031234567") is None
    assert rule_cmnd9("03123456") is not None
    assert mask(GOOD_F) == "*********456"


def test_identifier_history_a_new_pin_closes_the_old_one_cmnd_kept() -> None:
    h = IdentifierHistory.of([IdentifierEntry(IdentifierKind.CMND9, "031234567", date(2020, 1, 1))])
    assert h.current() is None  # no PIN yet: older records may have none
    assert h.add(IdentifierEntry(IdentifierKind.PIN, "031208123456", date(2022, 1, 1)), today=TODAY) == []
    closed = h.add(IdentifierEntry(IdentifierKind.PIN, GOOD_F, date(2025, 5, 1), source="re-established"), today=TODAY)
    assert [c.value for c in closed] == ["031208123456"] and closed[0].valid_to == date(2025, 5, 1)
    assert h.current() is not None and h.current().value == GOOD_F  # type: ignore[union-attr]
    assert h.knows(IdentifierKind.CMND9, "031234567")
    assert h.add(IdentifierEntry(IdentifierKind.PIN, GOOD_F), today=TODAY) == []
    with pytest.raises(InvalidInput):
        h.add(IdentifierEntry(IdentifierKind.PIN, "12345"), today=TODAY)
