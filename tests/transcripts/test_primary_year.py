"""A primary student's year as JSON (issue #14's input): parsing, bilingual errors naming the field, and the
explanation with Article 9's overall result, the title and completion."""

from __future__ import annotations

from typing import Any

import pytest
from primary_fixture import ISSUE_EXAMPLE, example

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.primary_catalogue import GENERAL_COMPETENCES, QUALITIES, primary_subjects_for_grade
from credential_service.transcripts.primary_year import explain_primary_year, parse_primary_year


def grade5_all_best(test: int = 10) -> dict[str, Any]:
    subjects = {
        s.name: {"hk1": {"level": "T", "test": test}, "year": {"level": "T", "test": test}}
        if s.tested_in(5)
        else {"hk1": {"level": "T"}, "year": {"level": "T"}}
        for s in primary_subjects_for_grade(5)
        if not s.optional
    }
    return {
        "grade": 5,
        "subjects": subjects,
        "qualities": dict.fromkeys(QUALITIES, "T"),
        "competences": dict.fromkeys(GENERAL_COMPETENCES, "Tốt"),
    }


def fields(err: pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [p.location["field"] for p in err.value.problems]


def test_issue_example_is_explained_with_the_documented_keys() -> None:
    out = explain_primary_year(ISSUE_EXAMPLE)
    assert set(out) >= {"subjects", "overall", "award", "trace"}
    assert out["subjects"]["Tiếng Việt"]["year"] == {"level": "T", "test": 10}
    assert out["subjects"]["Đạo đức"] == {"hk1": {"level": "H"}, "year": {"level": "T"}}
    assert out["overall"] == "Hoàn thành" and out["overall_en"] == "Completed"
    assert out["award"] is None
    assert out["completion"]["label_vi"] == "Hoàn thành chương trình lớp 3"
    assert out["qualities"]["Chăm chỉ"] == "Đạt"
    assert all(set(step) == {"rule", "vi", "en"} for step in out["trace"])
    assert out["trace"][0]["rule"] == "TT27/Điều 9.1.a"


def test_grade_5_with_every_test_10_is_xuat_sac_and_completes_primary() -> None:
    out = explain_primary_year(grade5_all_best())
    assert out["overall"] == "Hoàn thành xuất sắc"
    assert out["award"]["label_vi"] == "Học sinh Xuất sắc" and out["award"]["teacher_proposal"] is False
    assert out["completion"] == {
        "decision": "HOAN_THANH_CHUONG_TRINH_TIEU_HOC",
        "label_vi": "Hoàn thành chương trình tiểu học",
        "label_en": "Completed the primary programme",
        "principal_confirms": True,
    }
    assert list(out["subjects"])[:3] == ["Tiếng Việt", "Toán", "Ngoại ngữ 1"]  # programme order


def test_tieu_bieu_proposal_is_carried_as_given() -> None:
    data = grade5_all_best(test=8) | {"award_proposal": "Giải nhất Hội khỏe Phù Đổng"}
    out = explain_primary_year(data)
    assert out["overall"] == "Hoàn thành tốt"
    assert out["award"]["code"] == "HOC_SINH_TIEU_BIEU" and out["award"]["teacher_proposal"] is True
    assert out["award"]["reason"] == "Giải nhất Hội khỏe Phù Đổng"


def test_names_and_levels_are_read_tolerantly() -> None:
    data = example(
        qualities={"yêu nước": "T", "NHÂN ÁI": "t", "Chăm chỉ": "Đ", "Trung thực": "tốt", "Trách nhiệm": "T"}
    )
    data["subjects"] = {"TV": {"hk1": {"level": "hoàn thành tốt", "test": "9"}, "year": {"level": "t", "test": 10}}}
    year = parse_primary_year(data)
    assert [s.name for s in year.subjects] == ["Tiếng Việt"]
    assert year.subjects[0].hk1.test == 9
    assert set(year.qualities) == set(QUALITIES)


def test_a_decimal_test_score_is_refused_naming_the_field() -> None:
    data = example()
    data["subjects"]["Tiếng Việt"]["year"]["test"] = 9.5
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(data)
    assert fields(err) == ["subjects.Tiếng Việt.year.test"]
    message = err.value.problems[0].message
    assert "không cho điểm thập phân" in message.vi and "no decimals" in message.en


def test_a_level_other_than_t_h_c_is_refused() -> None:
    data = example()
    data["subjects"]["Đạo đức"]["year"]["level"] = "A"
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(data)
    assert fields(err) == ["subjects.Đạo đức.year.level"]
    assert err.value.problems[0].message.en == "Invalid subject level: 'A'"


def test_a_subject_not_taught_in_the_grade_is_refused() -> None:
    data = example()
    data["subjects"]["Khoa học"] = {"hk1": {"level": "T", "test": 9}, "year": {"level": "T", "test": 9}}
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(data)
    assert fields(err) == ["subjects.Khoa học"]
    assert err.value.problems[0].message.vi == "Môn Khoa học không có ở lớp 3"


def test_a_missing_quality_is_refused() -> None:
    data = example()
    del data["qualities"]["Trung thực"]
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(data)
    assert fields(err) == ["qualities.Trung thực"]
    assert err.value.problems[0].message.vi == "Thiếu đánh giá phẩm chất Trung thực"


def test_a_missing_semester_test_on_a_tested_subject_is_refused() -> None:
    data = example()
    del data["subjects"]["Tiếng Việt"]["hk1"]["test"]
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(data)
    assert fields(err) == ["subjects.Tiếng Việt.hk1.test"]


def test_a_secondary_grade_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(example(grade=7))
    assert fields(err) == ["grade"]
    assert err.value.problems[0].message.en == "A primary grade is 1–5, not 7"


def test_every_problem_is_reported_at_once() -> None:
    data = example(extra=1)
    data["subjects"]["Tiếng Việt"]["year"]["test"] = "8,5"
    data["subjects"]["Đạo đức"]["year"]["level"] = "X"
    del data["qualities"]["Yêu nước"]
    data["competences"]["Bơi lội"] = "Tốt"
    with pytest.raises(InvalidInput) as err:
        parse_primary_year(data)
    assert sorted(fields(err)) == sorted(
        [
            "extra",
            "subjects.Tiếng Việt.year.test",
            "subjects.Đạo đức.year.level",
            "competences.Bơi lội",
            "qualities.Yêu nước",
        ]
    )
