"""A small year of rules (one ordinary school, one specialised school requiring Khá) and an applicant maker."""

from __future__ import annotations

from decimal import Decimal

from credential_service.admissions.import_rules import ApplicantRecord

YEAR = "2026-2027"
RULES = """
year = "2026-2027"

[rules]
subjects = { "Toán" = 1, "Ngữ văn" = 1, "Ngoại ngữ" = 1 }
priority_points = { "1" = 2.0, "2" = 1.5, "3" = 1.0 }
disqualify_at_or_below = 1.0
wish_offsets = [0.0, 1.0, 2.0]
tie_break = ["Toán+Ngữ văn", "Toán"]

[[schools]]
code = "THPT-A"
name = "THPT A"
quota = 10

[[schools]]
code = "CHUYEN-TOAN"
name = "THPT chuyên — lớp chuyên Toán"
quota = 10
specialised_subject = "Toán chuyên"
specialised_coefficient = 2
requires_grades_6_9_at_least = "Khá"
"""


def applicant(registration_no: str, pin: str, wishes: tuple[str, ...] = ("CHUYEN-TOAN", "THPT-A")) -> ApplicantRecord:
    scores = {"Toán": Decimal("8.5"), "Ngữ văn": Decimal("8"), "Ngoại ngữ": Decimal("9"), "Toán chuyên": Decimal("7")}
    return ApplicantRecord(registration_no, pin, scores, False, wishes)
