"""The CT GDPT 2018 subject catalogue and tolerant subject lookup."""

from __future__ import annotations

import unicodedata

import pytest

from credential_service.platform.errors import InvalidInput
from credential_service.transcripts.subjects import SUBJECTS, AssessmentMode, lookup_subject, subjects_for_grade


def test_names_are_nfc() -> None:
    assert all(unicodedata.is_normalized("NFC", s.name) for s in SUBJECTS)


@pytest.mark.parametrize(
    "name",
    ["Giáo dục thể chất", "Âm nhạc", "Mĩ thuật", "Nghệ thuật", "Hoạt động trải nghiệm, hướng nghiệp",
     "Nội dung giáo dục của địa phương"],
)  # fmt: skip
def test_comment_only_subjects_per_article_5(name: str) -> None:
    assert lookup_subject(name).mode is AssessmentMode.COMMENT


@pytest.mark.parametrize(
    "name",
    ["Toán", "Ngữ văn", "Ngoại ngữ 1", "Lịch sử", "Giáo dục quốc phòng và an ninh", "Khoa học tự nhiên"],
)
def test_scored_subjects(name: str) -> None:
    assert lookup_subject(name).mode is AssessmentMode.SCORE


def test_thpt_only_and_thcs_only_subjects() -> None:
    thcs = {s.name for s in subjects_for_grade(7)}
    thpt = {s.name for s in subjects_for_grade(11)}
    assert {"Giáo dục công dân", "Lịch sử và Địa lí", "Khoa học tự nhiên", "Nghệ thuật"} <= thcs - thpt
    assert {"Lịch sử", "Địa lí", "Vật lí", "Hóa học", "Giáo dục kinh tế và pháp luật",
            "Giáo dục quốc phòng và an ninh"} <= thpt - thcs  # fmt: skip
    assert {"Tiếng dân tộc thiểu số", "Ngoại ngữ 2"} <= thcs & thpt


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("Tiếng Anh", "Ngoại ngữ 1"),
        ("GDQP-AN", "Giáo dục quốc phòng và an ninh"),
        ("  toán  ", "Toán"),
        ("NGỮ   VĂN", "Ngữ văn"),
        (unicodedata.normalize("NFD", "Địa lí"), "Địa lí"),
        ("Hoá học", "Hóa học"),
        ("Vật lý", "Vật lí"),
        ("Mỹ thuật", "Mĩ thuật"),
        ("Hoạt động trải nghiệm hướng nghiệp", "Hoạt động trải nghiệm, hướng nghiệp"),
        ("GDTC", "Giáo dục thể chất"),
        ("KHTN", "Khoa học tự nhiên"),
    ],
)
def test_lookup_tolerates_case_space_nfd_and_aliases(written: str, canonical: str) -> None:
    assert lookup_subject(written).name == canonical


def test_unknown_subject_gives_clear_error() -> None:
    with pytest.raises(InvalidInput) as err:
        lookup_subject("Thiên văn học")
    assert "Thiên văn học" in err.value.message.vi and "Not a subject" in err.value.message.en


def test_subject_not_taught_in_grade_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="grade 7"):
        lookup_subject("Vật lí", grade=7)
