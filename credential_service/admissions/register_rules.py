"""What grade-10 admissions takes from the register for one applicant (issue #15 item 1), and the port that reads it.

From the register come, by the applicant's personal ID: the grade 6–9 yearly learning and conduct results (each
from a sealed học bạ, the latest version) and THCS completion (the principal's confirmation in the grade-9 học bạ,
or a legacy THCS diploma). Each figure keeps its source: the credential id and version and how it verified.

Minimum fields (PDPL 91/2025): the two levels per year, the grade and school year, and completion. Never the
ethnicity, the policy group, disability, scores or comments; the record is read, these are taken, the rest is
dropped where it was read (``register_reader``). The legal basis is the Sở's admissions duty (Circular
30/2024/TT-BGDĐT), so no consent is asked; each read goes to the holder's access log (the service does that).

Pure: no framework (the port is a :class:`typing.Protocol`; ``register_reader`` is the adapter over the services).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from credential_service.admissions.applicants import THCS_YEARS, YearResult
from credential_service.holders.identity_rules import check_personal_id
from credential_service.platform.errors import Message
from credential_service.transcripts.grading_types import Level
from credential_service.transcripts.record import CONDUCT_AFTER_SUMMER, LEARNING_AFTER_REASSESSMENT
from credential_service.transcripts.value_parsers import FieldError, parse_level

# The access log's purpose: what was read and on which legal basis (no consent: the Sở's duty).
REGISTER_PURPOSE = (
    "admissions.register — căn cứ: nhiệm vụ tuyển sinh lớp 10 của Sở GDĐT (TT 30/2024/TT-BGDĐT), không cần sự "
    "đồng ý / legal basis: the Sở's grade-10 admissions duty, no consent needed"
)
LEGAL_BASIS = Message(
    "Nhiệm vụ tổ chức tuyển sinh lớp 10 của Sở GDĐT (Thông tư 30/2024/TT-BGDĐT); không cần sự đồng ý của người học. "
    "Mỗi lần đọc được ghi vào nhật ký truy cập của người học.",
    "The Sở's duty to run grade-10 admissions (Circular 30/2024/TT-BGDĐT); no consent of the holder is needed. "
    "Each read is written to the holder's access log.",
)
NOT_IN_REGISTER = Message(
    "Không tìm thấy học bạ lớp 6–9 hay bằng THCS nào của số định danh này trong sổ gốc", "not found in register"
)
THCS_GRADES = (6, 7, 8, 9)
COMPLETION_LABELS = {
    "principal_confirmation": Message(
        "Hiệu trưởng xác nhận hoàn thành chương trình THCS trong học bạ lớp 9",
        "The principal's confirmation of THCS completion in the grade-9 học bạ",
    ),
    "legacy_diploma": Message("Bằng tốt nghiệp THCS (trước 2026)", "Legacy THCS diploma (before 2026)"),
}


@dataclass(frozen=True)
class Source:
    """Where one figure comes from, and how it verified."""

    kind: str  # transcript | diploma
    credential_id: str
    version: int
    status: str  # valid | continued (the book's next year superseded it) | superseded | revoked | not_issued | unknown
    ledger_included: bool  # the record's entry is in the latest signed checkpoint and commits to its hash
    record_intact: bool  # the record read hashes to the register's hash, the one the ledger commits to

    @property
    def verified(self) -> bool:
        return self.status in ("valid", "continued") and self.ledger_included and self.record_intact

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "credential_id": self.credential_id, "version": self.version, "status": self.status,
            "ledger_included": self.ledger_included, "record_intact": self.record_intact, "verified": self.verified,
        }  # fmt: skip


@dataclass(frozen=True)
class YearFigure:
    """One THCS year's final learning and conduct levels (after re-assessment / summer training, if any)."""

    grade: int
    school_year: str
    learning: Level | None
    conduct: Level | None
    source: Source

    def to_data(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "school_year": self.school_year,
            "learning": None if self.learning is None else self.learning.value,
            "conduct": None if self.conduct is None else self.conduct.value,
            "source": self.source.to_data(),
        }


@dataclass(frozen=True)
class Completion:
    how: str  # principal_confirmation | legacy_diploma
    source: Source

    def to_data(self) -> dict[str, Any]:
        return {"how": self.how, "label": COMPLETION_LABELS[self.how].__dict__, "source": self.source.to_data()}


@dataclass(frozen=True)
class RegisterFacts:
    """What the register says about one personal ID (``found`` False: nothing at all)."""

    personal_id: str
    years: tuple[YearFigure, ...] = ()
    completions: tuple[Completion, ...] = field(default=())

    def __repr__(self) -> str:  # personal data: never in a log line
        return f"RegisterFacts(***, years={len(self.years)}, completions={len(self.completions)})"

    @property
    def found(self) -> bool:
        return bool(self.years or self.completions)

    def used_years(self) -> dict[int, YearFigure]:
        """Per grade 6–9, the verified figure of the latest school year (a repeated year: the one that counts)."""
        out: dict[int, YearFigure] = {}
        for y in sorted(self.years, key=lambda y: (y.grade, y.school_year)):
            if y.source.verified and y.grade in THCS_GRADES:
                out[y.grade] = y
        return out

    def grades_6_9(self) -> tuple[YearResult, ...] | None:
        """The four years as the allocation reads them, or None when any year is missing, unverified or lacks a
        level (the allocation then skips a wish that requires levels, saying the results are not known)."""
        used = self.used_years()
        out = []
        for grade in THCS_GRADES:
            y = used.get(grade)
            if y is None or y.learning is None or y.conduct is None:
                return None
            out.append(YearResult(y.learning, y.conduct))
        return tuple(out) if len(out) == THCS_YEARS else None

    def completion(self) -> Completion | None:
        """The verified completion: the principal's confirmation first, else a legacy THCS diploma."""
        verified = [c for c in self.completions if c.source.verified]
        verified.sort(key=lambda c: (c.how != "principal_confirmation", -c.source.version))
        return verified[0] if verified else None

    def to_data(self) -> dict[str, Any]:
        done = self.completion()
        return {
            "found": self.found,
            "message": None if self.found else NOT_IN_REGISTER.__dict__,
            "grades_6_9": [y.to_data() for y in sorted(self.years, key=lambda y: (y.grade, y.school_year))],
            "grades_6_9_complete": self.grades_6_9() is not None,
            "thcs_completion": None if done is None else done.to_data(),
            "thcs_completion_candidates": [c.to_data() for c in self.completions],
        }


class LearningRegister(Protocol):
    """The port: the register's facts for each personal ID asked (an unknown ID answers ``found`` False)."""

    def read(self, personal_ids: Sequence[str]) -> Mapping[str, RegisterFacts]: ...


# -- reading one hocba/1 record (the caller drops the record afterwards) ------------------------------------


def _level(value: object) -> Level | None:
    try:
        return parse_level(value)
    except FieldError:
        return None


def final_levels(record: Mapping[str, Any]) -> tuple[Level | None, Level | None]:
    """The year's learning and conduct levels as finally decided: after re-assessment and after summer training
    when the record has them (TT22 Art. 13-14), else the year-end levels."""
    results = record.get("results") or {}
    learning = results.get("learning_result") or {}
    conduct = results.get("conduct") or {}
    return (
        _level(learning.get(LEARNING_AFTER_REASSESSMENT) or learning.get("year")),
        _level(conduct.get(CONDUCT_AFTER_SUMMER) or conduct.get("year")),
    )


def completion_confirmed(record: Mapping[str, Any]) -> bool:
    """The grade-9 record carries the principal's confirmation of THCS completion (``results.completion``)."""
    grade = (record.get("class") or {}).get("grade")
    return grade == 9 and bool((record.get("results") or {}).get("completion"))


def record_intact(record_json: str, record_sha256: str) -> bool:
    return hashlib.sha256(record_json.encode("utf-8")).hexdigest() == record_sha256


def stated_pin_agrees(record: Mapping[str, Any], pin: str, today: date) -> bool:
    """A record found by the personal ID it states is that person's only when the number agrees with the record's
    sex and date of birth (the rule ``holders/person_links.py:person_for`` links by)."""
    student = record.get("student") or {}
    if student.get("personal_id") != pin:
        return False
    try:
        dob = date.fromisoformat(str(student.get("date_of_birth")))
    except ValueError:
        return False
    return check_personal_id(pin, sex=str(student.get("sex") or ""), date_of_birth=dob, today=today).ok
