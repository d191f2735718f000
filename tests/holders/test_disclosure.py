"""What a share code releases is defined once: for every kind and scope, the consent text, the employer's data
and the access-log fields are generated from that definition and agree exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from credential_service.holders import disclosure
from credential_service.holders.consent import consent_text
from credential_service.holders.disclosure import KINDS, SCOPES
from credential_service.platform.errors import Message

NEVER = {"personal_id", "ethnicity", "place_of_birth", "sex", "comment", "teacher_comment", "student_code", "salt"}

RECORD: dict[str, Any] = {
    "schema": "hocba/1",
    "credential_id": "t-1",
    "version": 1,
    "student": {
        "student_code": "HS001",
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "2010-01-02",
        "sex": "Nam",
        "place_of_birth": "Hải Phòng",
        "ethnicity": "Kinh",
        "personal_id": "031210000001",
    },
    "school": {"code": "THPT-DEMO", "name": "Trường THPT Demo Hải Phòng", "province": "Hải Phòng"},
    "school_year": "2025-2026",
    "class": {"name": "10A1", "grade": 10},
    "results": {
        "subjects": [{"name": "Toán", "mode": "score", "hk1": 8.0, "hk2": 9.0, "year": 8.7, "comment": "Chăm"}],
        "learning_result": {"year": "Tốt"},
        "conduct": {"year": "Tốt"},
        "absences": 2,
        "promotion": {"decision": "LEN_LOP", "label_vi": "Được lên lớp", "label_en": "Promoted"},
        "award": {"label_vi": "Học sinh Xuất sắc"},
        "teacher_comment": "Ngoan",
        "completion": None,
    },
}
DIPLOMA = SimpleNamespace(
    diploma_type="THPT",
    full_name="Nguyễn Thị Hoà",
    issuer_name="Trường THPT Demo Hải Phòng",
    graduation_year=2026,
    date_of_birth=date(2008, 3, 2),
    sex="Nữ",
    personal_id="031308000101",
    ethnicity="Kinh",
    place_of_birth="Hải Phòng",
    school_name="Trường THPT Demo Hải Phòng",
    classification="Giỏi",
    serial_no="A123",
    register_no="1/THPT/2026",
    issued_on=date(2026, 6, 25),
    decision_no="15/QĐ-THPTDEMO",
    form="digital",
    assurance="digital_original",
    version=1,
)
SOURCES = {"transcript": RECORD, "diploma": DIPLOMA}
GRID = [(k, s) for k in KINDS for s in SCOPES]


def _shown(kind: str, scope: str) -> set[str]:
    """The keys whose labels the consent text lists for this kind (parsed back through the definition)."""
    line = disclosure.consent_lines([kind], scope)[0]
    listed = line.split(": ", 1)[1].split("; ")
    by_text = {f"{f.label.vi} ({f.label.en})": f.key for f in disclosure.DEFINITION[kind]}
    return {by_text[text] for text in listed}


@pytest.mark.parametrize(("kind", "scope"), GRID)
def test_consent_text_data_and_log_agree_for_every_kind_and_scope(kind: str, scope: str) -> None:
    logged = disclosure.released(kind, scope)  # what the access log records
    data = disclosure.project(kind, scope, SOURCES[kind])  # what the employer receives
    given = set(data) | set(disclosure.live_keys(kind, scope))
    assert len(logged) == len(set(logged))
    assert given == set(logged) == _shown(kind, scope)
    assert [f["key"] for f in disclosure.field_labels(logged)] == logged
    assert not NEVER & given


@pytest.mark.parametrize(("kind", "scope"), GRID)
def test_the_printed_consent_names_exactly_the_released_labels(kind: str, scope: str) -> None:
    text = consent_text(
        "Nguyễn Văn An", [Message("Học bạ", "Transcript")], scope, [kind], None, "Tuyển dụng",
        datetime(2027, 1, 1, 3, 0, tzinfo=UTC), 5, False,
    )  # fmt: skip
    released = set(disclosure.released(kind, scope))
    for f in disclosure.DEFINITION[kind]:
        assert (f"{f.label.vi} ({f.label.en})" in text) is (f.key in released), f.key
    assert "2027-01-01 10:00 (giờ Việt Nam, UTC+7" in text  # 03:00 UTC is 10:00 in Vietnam


def test_scopes_are_cumulative_and_the_status_is_always_released() -> None:
    for kind in KINDS:
        previous: set[str] = set()
        for scope in SCOPES:
            now = set(disclosure.released(kind, scope))
            assert previous <= now and "status" in now and "holder_name" in now
            previous = now


def test_the_minimum_per_scope() -> None:
    assert disclosure.released("transcript", "status") == ["holder_name", "type", "issuer", "school_year", "status"]
    assert disclosure.released("transcript", "diploma_fields")[5:] == [
        "date_of_birth", "class", "learning_result", "conduct", "promotion", "completion",
    ]  # fmt: skip
    assert disclosure.released("transcript", "full_transcript")[11:] == ["subjects", "absences", "award"]
    assert disclosure.released("diploma", "diploma_fields")[5:] == [
        "date_of_birth", "school", "classification", "serial_no", "register_no", "issued_on", "decision_no",
    ]  # fmt: skip
    assert disclosure.released("diploma", "full_transcript") == disclosure.released("diploma", "diploma_fields")
    for unlisted in ("grade", "form", "assurance", "version", "sex"):
        assert all(unlisted not in disclosure.released(k, s) for k, s in GRID)


def test_projection_reads_the_record_without_comments_and_keeps_absent_values_as_null() -> None:
    full = disclosure.project("transcript", "full_transcript", RECORD)
    assert full["subjects"] == [{"name": "Toán", "mode": "score", "hk1": 8.0, "hk2": 9.0, "year": 8.7}]
    assert full["promotion"] == {"decision": "LEN_LOP", "label_vi": "Được lên lớp", "label_en": "Promoted"}
    assert full["completion"] is None and "completion" in full
    assert full["type"] == {"vi": "Học bạ số", "en": "Digital transcript"}
    d = disclosure.project("diploma", "diploma_fields", DIPLOMA)
    assert d["date_of_birth"] == "2008-03-02" and d["issued_on"] == "2026-06-25"
    assert d["type"] == {"vi": "Bằng tốt nghiệp trung học phổ thông", "en": "Upper-secondary diploma"}


def test_one_label_per_key_across_kinds_and_no_raw_keys_for_the_holder() -> None:
    labels: dict[str, Message] = {}
    for kind in KINDS:
        for f in disclosure.DEFINITION[kind]:
            assert labels.setdefault(f.key, f.label) == f.label, f.key
            assert f.label.vi and f.label.en and f.label.vi != f.key
            assert "; " not in f.label.vi + f.label.en  # the consent text separates labels with "; "
    for key in ("pdf", "register_entry", "year"):
        assert disclosure.label_of(key).vi != key
    assert disclosure.label_of("unknown_key") == Message("unknown_key", "unknown_key")


def test_titles_name_kind_year_class_and_school() -> None:
    t = disclosure.transcript_title(RECORD)
    assert t.vi == "Học bạ số lớp 10A1, năm học 2025-2026 — Trường THPT Demo Hải Phòng"
    assert "school year 2025-2026" in t.en
    assert "(bản 2)" in disclosure.transcript_title(RECORD | {"version": 2}).vi
    d = disclosure.diploma_title(DIPLOMA)  # type: ignore[arg-type]
    assert d.vi.startswith("Bằng tốt nghiệp trung học phổ thông năm 2026 — Trường THPT Demo") and "1/THPT/2026" in d.vi


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="scope"):
        disclosure.released("transcript", "everything")
