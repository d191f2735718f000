"""Evaluating and explaining one student's year."""

from __future__ import annotations

from typing import Any

import pytest
from primary_fixture import ISSUE_EXAMPLE, example

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.assessment_counts import allowed_tx_counts
from credential_service.transcripts.grading import Level, PromotionDecision
from credential_service.transcripts.rules_explain import evaluate_year, explain_year
from credential_service.transcripts.year_input import parse_year_input

SCORED = ["Ngữ văn", "Toán", "Ngoại ngữ 1", "Lịch sử", "Vật lí", "Hóa học", "Sinh học", "Tin học"]
COMMENT = ["Giáo dục thể chất", "Hoạt động trải nghiệm, hướng nghiệp", "Nội dung giáo dục của địa phương"]


def semester(score: float, n_tx: int = 3) -> dict[str, Any]:
    return {"tx": [score] * n_tx, "gk": score, "ck": score}


def _n_tx(name: str) -> int:
    allowed = allowed_tx_counts(name, 10)  # TT22 Art. 7.1: by the subject's periods a year
    assert allowed is not None
    return allowed.start


def year(scores: dict[str, float], **extra: Any) -> dict[str, Any]:
    subjects: dict[str, Any] = {
        n: {"hk1": semester(scores.get(n, 7.0), _n_tx(n)), "hk2": semester(scores.get(n, 7.0), _n_tx(n))}
        for n in SCORED
    }
    subjects.update({n: {"hk1": "Đ", "hk2": "Đ"} for n in COMMENT})
    data = {"grade": 10, "subjects": subjects, "conduct": {"hk1": "Tốt", "hk2": "Tốt"}, "absences": 2}
    data.update(extra)
    return data


def test_explanation_has_the_documented_keys() -> None:
    out = explain_year(year({}))
    assert set(out) >= {"subjects", "learning_result", "conduct", "promotion", "award", "trace"}
    assert out["subjects"]["Toán"] == {"mode": "SCORE", "hk1": "7.0", "hk2": "7.0", "year": "7.0"}
    assert out["subjects"]["Giáo dục thể chất"]["year"] == "Đạt"
    assert out["learning_result"]["year"] == "Khá"
    assert out["conduct"] == {"hk1": "Tốt", "hk2": "Tốt", "year": "Tốt", "after_summer": None}
    assert out["promotion"]["decision"] == "LEN_LOP" and out["promotion"]["label_vi"] == "Được lên lớp"
    assert out["award"] is None
    assert all(set(step) == {"rule", "vi", "en"} for step in out["trace"])


def test_year_average_example_in_explanation() -> None:
    data = year({})
    data["subjects"]["Toán"] = {"hk1": semester(7.2, 4), "hk2": semester(7.3, 4)}
    assert explain_year(data)["subjects"]["Toán"]["year"] == "7.3"


def test_excellent_student_gets_the_award() -> None:
    out = explain_year(year({n: 9.0 for n in SCORED[:6]} | {n: 8.0 for n in SCORED[6:]}))
    assert out["learning_result"]["year"] == "Tốt"
    assert out["award"] == {
        "code": "HOC_SINH_XUAT_SAC",
        "label_vi": "Học sinh Xuất sắc",
        "label_en": "Excellent student",
    }


def test_failing_student_is_listed_for_reassessment_then_recomputed() -> None:
    weak = {"Toán": 3.0, "Vật lí": 4.0}
    ev = evaluate_year(parse_year_input(year(weak)))
    assert ev.learning_year is Level.CHUA_DAT
    assert ev.promotion.decision is PromotionDecision.CAN_DANH_GIA_LAI
    assert ev.promotion.reassess_subjects == ("Toán", "Vật lí")
    out = explain_year(year(weak, reassessment={"Toán": 6, "Vật lí": "5.5"}))
    assert out["learning_result"]["after_reassessment"] == "Khá"  # all ≥ 5.0 and six ≥ 6.5 after replacing
    assert out["subjects"]["Toán"]["reassessed"] == "6.0"
    assert out["promotion"]["decision"] == "LEN_LOP" and out["promotion"]["after_reassessment"]


def test_grade_12_completes_the_programme() -> None:
    out = explain_year(year({}, grade=12))
    assert out["promotion"]["decision"] == "HOAN_THANH_CHUONG_TRINH"


def test_46_absences_are_retention() -> None:
    assert explain_year(year({}, absences=46))["promotion"]["decision"] == "O_LAI_LOP"
    assert explain_year(year({}, absences=45))["promotion"]["decision"] == "LEN_LOP"


def test_trace_contains_every_rule_family() -> None:
    rules = {step["rule"].split(".")[0] for step in explain_year(year({}))["trace"]}
    assert {"TT22/Điều 9", "TT22/Điều 8", "TT22/Điều 12", "TT22/Điều 15"} <= rules


def test_malformed_input_raises_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        explain_year({"grade": 10})


def test_a_primary_year_is_explained_under_circular_27() -> None:
    """Issue #14's input (grade 3): the same entry point as the API and `sogoc rules explain`."""
    out = explain_year(ISSUE_EXAMPLE)
    assert out["overall"] == "Hoàn thành"
    assert out["subjects"]["Tiếng Việt"]["year"] == {"level": "T", "test": 10}
    assert out["award"] is None and out["trace"][0]["rule"] == "TT27/Điều 9.1.a"


def test_a_primary_year_with_a_decimal_test_is_refused_naming_the_field() -> None:
    data = example()
    data["subjects"]["Tiếng Việt"]["year"]["test"] = "9.5"
    with pytest.raises(InvalidInput) as err:
        explain_year(data)
    assert [p.location["field"] for p in err.value.problems] == ["subjects.Tiếng Việt.year.test"]


def test_a_secondary_grade_still_gets_the_circular_22_rules() -> None:
    with pytest.raises(InvalidInput) as err:
        explain_year(year({}) | {"grade": 13})
    assert [p.location["field"] for p in err.value.problems] == ["grade"]


def test_a_student_retained_for_46_absences_keeps_the_art_15_title_and_the_trace_says_why() -> None:
    # Decided: TT22 Art. 15.1 names conduct and learning only; retention for absences (Art. 12.1.c) is separate.
    out = explain_year(year({n: 8.5 for n in SCORED}, absences=46))
    assert out["promotion"]["decision"] == "O_LAI_LOP"
    assert out["award"]["label_vi"] == "Học sinh Giỏi"
    rules = [step["rule"] for step in out["trace"]]
    assert "TT22/Điều 15.1, Điều 12.1.c" in rules
    promoted = explain_year(year({n: 8.5 for n in SCORED}))
    assert "TT22/Điều 15.1, Điều 12.1.c" not in [step["rule"] for step in promoted["trace"]]
