"""A year's rules are configuration, checked when loaded: every problem located and bilingual, nothing half-loaded."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files

import pytest
from admissions_cases import CHUYEN_TOAN, config

from credential_service.admissions.year_rules import config_to_data, parse_config, parse_toml_config
from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.grading_types import Level


def test_the_demo_year_file_in_the_package_loads() -> None:
    text = files("credential_service.admissions").joinpath("demo_2026.toml").read_text(encoding="utf-8")
    c = parse_toml_config(text)
    assert c.year == "2026-2027"
    assert dict(c.rules.subjects) == {"Toán": 1, "Ngữ văn": 1, "Ngoại ngữ": 1}
    assert c.rules.points_of("1") == Decimal("2.0") and c.rules.points_of(None) == 0
    assert c.rules.max_wishes == 3
    tran_phu = c.school("CHUYEN-TP-TOAN")
    assert tran_phu is not None and tran_phu.specialised_coefficient == 2
    assert tran_phu.requires_grades_6_9_at_least is Level.KHA


def test_numbers_are_read_as_exact_decimals_never_binary_floats() -> None:
    c = parse_toml_config(
        '[rules]\nsubjects = {"Toán" = 1.1}\ndisqualify_at_or_below = 1.0\nwish_offsets = [0]\n'
        '[[schools]]\ncode = "A"\nquota = 1\n'
    )
    assert dict(c.rules.subjects)["Toán"] == Decimal("1.1")


def test_the_configuration_round_trips_through_plain_data() -> None:
    c = config([{"code": "THPT-A", "quota": 2}, CHUYEN_TOAN])
    assert parse_config(config_to_data(c)) == c


def test_every_problem_is_reported_at_once_with_its_key_in_both_languages() -> None:
    bad = {
        "rules": {
            "subjects": {"Toán": 0, "Ngữ văn": "1,5"},
            "priority_points": {"1": 11},
            "disqualify_at_or_below": "x",
            "wish_offsets": [1, 1],
            "tie_break": ["Toán+Hóa"],
            "colour": "blue",
        },
        "schools": [
            {"code": "a b", "quota": -1},
            {"code": "B", "quota": 3, "specialised_coefficient": 2},
            {"code": "C", "quota": 1, "specialised_subject": "Lý chuyên", "requires_grades_6_9_at_least": "Giỏi"},
        ],
    }
    with pytest.raises(InvalidInput, match="nothing was loaded") as caught:
        parse_config(bad, source="2026.toml")
    keys = {p.location["key"] for p in caught.value.problems}
    assert keys >= {
        "rules.subjects.Toán",
        "rules.subjects.Ngữ văn",
        "rules.priority_points.1",
        "rules.disqualify_at_or_below",
        "rules.wish_offsets[0]",
        "rules.tie_break[0]",
        "rules.colour",
        "schools[0].code",
        "schools[0].quota",
        "schools[1].specialised_coefficient",
        "schools[2].specialised_coefficient",
        "schools[2].requires_grades_6_9_at_least",
    }
    for p in caught.value.problems:
        assert p.message.vi and p.message.en and p.location["file"] == "2026.toml"


def test_a_comma_decimal_is_refused_with_the_fix() -> None:
    with pytest.raises(InvalidInput) as caught:
        config(disqualify_at_or_below="1,0")
    assert "dấu chấm" in caught.value.problems[0].message.vi


def test_duplicate_school_codes_and_a_specialised_subject_among_the_common_ones_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        config(
            [
                {"code": "A", "quota": 1},
                {"code": "A", "quota": 2},
                {"code": "C", "quota": 1, "specialised_subject": "Toán", "specialised_coefficient": 2},
            ]
        )
    messages = " ".join(p.message.en for p in caught.value.problems)
    assert "Duplicate school code: A" in messages and "its own test" in messages


def test_more_than_two_decimals_or_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="problem"):
        config(disqualify_at_or_below="1.005")
    with pytest.raises(InvalidInput, match="problem"):
        config(wish_offsets=[0, -1])


def test_invalid_toml_is_a_located_problem() -> None:
    with pytest.raises(InvalidInput, match="TOML") as caught:
        parse_toml_config("[rules\n", source="x.toml")
    assert caught.value.problems[0].location == {"file": "x.toml"}
