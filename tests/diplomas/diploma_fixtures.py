"""Diploma test helpers: a graduation decision of three (synthetic) graduates."""

from __future__ import annotations

from datetime import date

from credential_service.services.diplomas import DiplomaService

GRADUATES = [
    {"full_name": "Nguyễn Thị Hoà", "date_of_birth": "02/03/2008", "sex": "Nữ", "place_of_birth": "Hải Phòng",
     "ethnicity": "Kinh", "personal_id": "031308000101"},
    {"full_name": "Trần Văn Minh", "date_of_birth": "2008-11-20", "sex": "Nam", "place_of_birth": "Hải Dương",
     "ethnicity": "Kinh", "personal_id": None},
    {"full_name": "Lê Thuý Ngân", "date_of_birth": "15/07/2008", "sex": "Nữ", "place_of_birth": "Kiến An",
     "ethnicity": "Tày", "personal_id": "031308000303"},
]  # fmt: skip


def decide(svc: DiplomaService, decision_no: str = "15/QĐ-THPTDEMO", on: date = date(2026, 6, 20)) -> str:
    return svc.record_graduation_decision(
        school_code="THPT-DEMO", decision_no=decision_no, decision_date=on, graduation_year=2026,
        signer_name="Ngô Quang Trưởng", graduates=GRADUATES, exam_session="Kỳ thi tốt nghiệp THPT năm 2026",
    )  # fmt: skip
