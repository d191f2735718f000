"""Test data for the rendering tests: a grade-10 học bạ record, its canonical JSON, tool lookup.

A uniquely named module (not ``conftest``) so test modules can import it without clashing with
other directories' ``conftest.py`` files.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

VERIFY_URL = "https://verify.sogoc.haiphong.edu.vn/v/8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11"

_SUBJECTS: list[tuple[str, str, str, str, str, str | None]] = [
    # name, mode, hk1, hk2, year, comment
    ("Ngữ văn", "score", "7.2", "7.8", "7.6", "Diễn đạt mạch lạc"),
    ("Toán", "score", "7.9", "8.1", "8.0", "Tiến bộ rõ"),
    ("Ngoại ngữ 1", "score", "8.5", "8.8", "8.7", None),
    ("Lịch sử", "score", "8.0", "8.4", "8.3", None),
    ("Giáo dục thể chất", "comment", "Đạt", "Đạt", "Đạt", None),
    ("Giáo dục quốc phòng và an ninh", "score", "8.6", "9.0", "8.9", None),
    ("Hoạt động trải nghiệm, hướng nghiệp", "comment", "Đạt", "Đạt", "Đạt", None),
    ("Nội dung giáo dục của địa phương", "comment", "Đạt", "Đạt", "Đạt", None),
    ("Vật lí", "score", "6.8", "7.5", "7.3", "Cần chú ý phần điện học"),
    ("Hóa học", "score", "7.0", "7.4", "7.3", None),
    ("Sinh học", "score", "8.2", "8.0", "8.1", None),
    ("Tin học", "score", "9.0", "9.2", "9.1", "Có năng khiếu lập trình"),
    ("Địa lí", "score", "7.7", "8.0", "7.9", None),
    ("Giáo dục kinh tế và pháp luật", "score", "8.3", "8.5", "8.4", None),
    ("Công nghệ", "score", "7.5", "7.9", "7.8", None),
]

RECORD: dict[str, Any] = {
    "schema": "hocba/1",
    "credential_id": "8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11",
    "version": 1,
    "issued_at": "2026-05-30",
    "student": {
        "student_code": "HP-10A1-001",
        "full_name": "Nguyễn Thị Hương",
        "date_of_birth": "2010-03-14",
        "sex": "Nữ",
        "place_of_birth": "Hải Phòng",
        "ethnicity": "Kinh",
        "personal_id": "031310001234",
    },
    "school": {"code": "THPT-DEMO", "name": "Trường THPT Demo Hải Phòng", "province": "Thành phố Hải Phòng"},
    "school_year": "2025-2026",
    "class": {"name": "10A1", "grade": 10},
    "homeroom_teacher": {"full_name": "Nguyễn Thị Hương"},
    "principal": {"full_name": "Ngô Quang Trưởng"},
    "results": {
        "subjects": [
            {"name": n, "mode": m, "hk1": a, "hk2": b, "year": y, "reassessed": None, "comment": c}
            for n, m, a, b, y, c in _SUBJECTS
        ],
        "learning_result": {"hk1": "Khá", "hk2": "Tốt", "year": "Tốt", "after_reassessment": None},
        "conduct": {"hk1": "Tốt", "hk2": "Tốt", "year": "Tốt", "after_summer": None},
        "absences": 3,
        "promotion": {"decision": "LEN_LOP", "label_vi": "Được lên lớp", "label_en": "Promoted"},
        "award": {"code": "HS_GIOI", "label_vi": "Học sinh Giỏi", "label_en": "Good student"},
        "teacher_comment": "Chăm ngoan, có ý thức tự học.",
        "completion": None,
    },
}


def canonical_json(record: dict[str, Any]) -> bytes:
    """RFC 8785 canonical bytes (the caller's job in production; done here for the fixture)."""
    import rfc8785

    return rfc8785.dumps(record)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils zbar-tools)")
    return path
