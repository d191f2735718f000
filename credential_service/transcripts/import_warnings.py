"""What an import accepts but the person importing should check: personal ID numbers whose province code or
sex digit disagrees with the record (pure rules).

Circular 59/2021/TT-BCA and Decree 137/2015 Art. 13 give the digits' meaning; the province and sex rules are
warnings, not errors (holders/identity_rules.py says why), so the row is imported and the clerk is told which
student to check against the population registry. The number itself is never echoed back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from credential_service.holders.identity_rules import check_personal_id
from credential_service.transcripts.import_rules import StudentYear


@dataclass(frozen=True)
class ImportWarning:
    student_code: str
    full_name: str
    column: str
    rule: str
    message_vi: str
    message_en: str

    def to_json(self) -> dict[str, str]:
        return dict(self.__dict__)

    def line(self) -> str:
        return f"{self.student_code} {self.full_name} — {self.column}: {self.message_vi} / {self.message_en}"


def id_number_warnings(students: Sequence[StudentYear], today: date) -> tuple[ImportWarning, ...]:
    """The warnings of every student's personal ID number, in the file's order."""
    out: list[ImportWarning] = []
    for sy in students:
        if not sy.personal_id:
            continue
        check = check_personal_id(sy.personal_id, sex=sy.sex.value, date_of_birth=sy.date_of_birth, today=today)
        for finding in check.warnings:
            out.append(
                ImportWarning(
                    sy.code, sy.full_name, "Số định danh", finding.rule.value, finding.message.vi, finding.message.en
                )
            )
    return tuple(out)
