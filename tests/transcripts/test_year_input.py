"""Parsing one student's year (JSON) and its canonical form."""

from __future__ import annotations

import json
from decimal import Decimal as D
from typing import Any

import pytest

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.grading import Level, Verdict
from credential_service.transcripts.year_input import ScoredSemester, parse_year_input, year_input_to_json


def sample(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "grade": 10,
        "subjects": {
            "Toán": {
                "hk1": {"tx": [8, 7.5, "9", 8], "gk": 7, "ck": "8.5"},
                "hk2": {"tx": [8, 8, 8, 8], "gk": 7, "ck": 8},
            },
            "Giáo dục thể chất": {"hk1": "Đ", "hk2": "Đạt"},
        },
        "conduct": {"hk1": "Tốt", "hk2": "Khá"},
        "absences": 12,
    }
    data.update(overrides)
    return data


def fields(err: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [p.location["field"] for p in err.value.problems]


def test_parses_scores_from_int_float_and_string_to_decimal() -> None:
    year = parse_year_input(sample())
    toan = year.subject("Toán").hk1
    assert isinstance(toan, ScoredSemester)
    assert toan.tx == (D("8"), D("7.5"), D("9"), D("8")) and toan.ck == D("8.5")
    assert all(isinstance(v, D) for v in toan.tx)
    assert year.subject("Giáo dục thể chất").hk2 is Verdict.DAT
    assert year.conduct_hk1 is Level.TOT and year.absences == 12


def test_comma_decimal_is_refused_with_a_hint_to_use_a_dot() -> None:
    data = sample()
    data["subjects"]["Toán"]["hk1"]["gk"] = "8,5"
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    assert fields(err) == ["subjects.Toán.hk1.gk"]
    assert "dấu chấm" in err.value.problems[0].message.vi and "dot" in err.value.problems[0].message.en


def test_one_problem_per_bad_field() -> None:
    data = sample(absences=-1, conduct={"hk1": "Giỏi", "hk2": "Khá"})
    data["subjects"]["Toán"]["hk1"]["tx"][1] = 10.5
    data["subjects"]["Toán"]["hk2"]["ck"] = "abc"
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    assert set(fields(err)) == {
        "subjects.Toán.hk1.tx[1]", "subjects.Toán.hk2.ck", "conduct.hk1", "absences",
    }  # fmt: skip


VERDICTS = [("Đ", Verdict.DAT), ("đạt", Verdict.DAT), ("CĐ", Verdict.CHUA_DAT),
            ("chưa đạt", Verdict.CHUA_DAT),
            ("CHƯA ĐẠT", Verdict.CHUA_DAT)]  # fmt: skip


@pytest.mark.parametrize(("raw", "verdict"), VERDICTS)
def test_verdict_spellings(raw: str, verdict: Verdict) -> None:
    data = sample()
    data["subjects"]["Giáo dục thể chất"]["hk2"] = raw
    assert parse_year_input(data).subject("Giáo dục thể chất").hk2 is verdict


def test_unknown_subject_and_missing_keys() -> None:
    data = sample(subjects={"Thiên văn": {"hk1": "Đ", "hk2": "Đ"}})
    del data["absences"]
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    assert set(fields(err)) == {"subjects.Thiên văn", "absences"}


def test_scores_for_a_comment_subject_are_refused() -> None:
    data = sample()
    data["subjects"]["Giáo dục thể chất"]["hk1"] = {"tx": [8], "gk": 8, "ck": 8}
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    assert fields(err) == ["subjects.Giáo dục thể chất.hk1"]


def test_same_subject_twice_under_an_alias_is_refused() -> None:
    data = sample()
    data["subjects"]["Tiếng Anh"] = data["subjects"]["Toán"]
    data["subjects"]["Ngoại ngữ 1"] = data["subjects"]["Toán"]
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    assert fields(err) == ["subjects.Ngoại ngữ 1"]


def test_subject_not_taught_in_the_grade() -> None:
    data = sample(grade=7)
    data["subjects"]["Vật lí"] = data["subjects"]["Toán"]
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    assert fields(err) == ["subjects.Vật lí"]


def test_unknown_top_level_key_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_year_input(sample(hanh_kiem="Tốt"))
    assert fields(err) == ["hanh_kiem"]


def test_optional_parts_are_normalised() -> None:
    year = parse_year_input(
        sample(reassessment={"toán": "5.5"}, comments={"Toán": "Tiến bộ"}, teacher_comment=" Chăm ngoan ")
    )
    assert year.reassessment == {"Toán": D("5.5")}
    assert year.comments == {"Toán": "Tiến bộ"}
    assert year.teacher_comment == "Chăm ngoan"


def test_canonical_json_round_trips() -> None:
    year = parse_year_input(sample(reassessment={"Toán": 5}, summer_conduct="Đ", comments={"Toán": "Tốt"}))
    canonical = year_input_to_json(year)
    assert canonical["subjects"]["Toán"]["hk1"] == {"tx": ["8.0", "7.5", "9.0", "8.0"], "gk": "7.0", "ck": "8.5"}
    assert canonical["subjects"]["Giáo dục thể chất"] == {"hk1": "Đạt", "hk2": "Đạt"}
    assert canonical["reassessment"] == {"Toán": "5.0"} and canonical["summer_conduct"] == "Đạt"
    again = parse_year_input(json.loads(json.dumps(canonical)))
    assert again == year
    assert year_input_to_json(again) == canonical


@pytest.mark.parametrize(
    ("grade", "subject", "counts"),
    [
        (10, "Toán", (4, 5)),  # 105 periods a year: 4, one more with learning topics
        (10, "Giáo dục quốc phòng và an ninh", (2,)),  # 35 periods
        (10, "Vật lí", (3, 4)),  # 70 periods
        (7, "Công nghệ", (2,)),  # 35 periods
        (8, "Công nghệ", (3,)),  # 52.5 periods
        (6, "Khoa học tự nhiên", (4,)),  # 140 periods
    ],
)
def test_a_semester_has_as_many_regular_scores_as_the_subjects_periods_a_year(
    grade: int, subject: str, counts: tuple[int, ...]
) -> None:
    # TT22 Art. 7.1: <= 35 periods a year -> 2, > 35 to 70 -> 3, > 70 -> 4.
    from credential_service.transcripts.assessment_counts import allowed_tx_counts, tx_count_for_subject_problem

    assert tuple(allowed_tx_counts(subject, grade) or ()) == counts
    for n in range(1, 7):
        problem = tx_count_for_subject_problem(subject, grade, n)
        assert (problem is None) == (n in counts), n
    one = tx_count_for_subject_problem(subject, grade, 1)
    assert one is not None and "Điều 7" in one.vi and "Art. 7" in one.en


def test_one_regular_score_for_maths_is_refused_with_the_field_and_the_rule() -> None:
    data = sample()
    data["subjects"]["Toán"]["hk2"]["tx"] = [8]
    with pytest.raises(InvalidInput) as err:
        parse_year_input(data)
    (problem,) = err.value.problems
    assert problem.location == {"field": "subjects.Toán.hk2.tx"}
    assert "4 hoặc 5" in problem.message.vi
