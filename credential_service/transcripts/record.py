"""The canonical transcript record (``hocba/1``): what is signed, ledgered and embedded.

The record is a JSON document canonicalised with RFC 8785 (JSON Canonicalization Scheme) and
hashed with SHA-256. Field order and number formatting therefore never change its hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

TRANSCRIPT_SCHEMA = "hocba/1"

# The keys of ``results.conduct`` and ``results.learning_result``: written by ``rules_explain``, read by
# the PDF layout. One definition, so the printed "after summer training / re-assessment" column and the
# record cannot disagree (issue #14: the PDF once read "after_summer_training" and printed a blank).
PERIOD_KEYS = ("hk1", "hk2", "year")
CONDUCT_AFTER_SUMMER = "after_summer"  # kết quả rèn luyện sau rèn luyện hè (TT22 Art. 13)
LEARNING_AFTER_REASSESSMENT = "after_reassessment"  # kết quả học tập sau kiểm tra lại (TT22 Art. 14)


# The paper học bạ's other identity fields (Circular 22/2021 annex, the học bạ form; issue #14), as the
# roster's optional columns name them. Only those given go into the record, so a record without them keeps
# its exact bytes. The policy group is printed where the form prints it and is never exported elsewhere.
STUDENT_DETAIL_COLUMNS: dict[str, str] = {
    "Cha, mẹ hoặc người giám hộ": "guardians",
    "Nơi thường trú": "permanent_residence",
    "Đối tượng chính sách": "policy_group",
    "Số đăng bộ": "enrolment_no",
    "Mã học sinh Bộ GDĐT": "moet_code",
}
STUDENT_DETAIL_KEYS = tuple(STUDENT_DETAIL_COLUMNS.values())


@dataclass(frozen=True)
class StudentIdentity:
    student_code: str
    full_name: str
    date_of_birth: date
    sex: str
    place_of_birth: str | None
    ethnicity: str | None
    personal_id: str | None
    details: Mapping[str, str] | None = None  # STUDENT_DETAIL_KEYS -> text, only those given


@dataclass(frozen=True)
class ClassContext:
    school_code: str
    school_name: str
    province: str
    school_year: str
    class_name: str
    grade: int
    homeroom_teacher: str
    principal: str
    programme: str = "GDPT"  # GDTX: continuing education at THPT level (Circular 12/2022)


def build_transcript_record(
    *,
    credential_id: str,
    version: int,
    issued_on: date,
    student: StudentIdentity,
    context: ClassContext,
    evaluation: Mapping[str, Any],
    teacher_comment: str | None,
) -> dict[str, Any]:
    """Build the ``hocba/1`` record from one student's evaluated year (``explain_year`` output)."""
    if "overall" in evaluation:  # a primary year (Circular 27): its own results block
        return _with_identity(
            credential_id, version, issued_on, student, context,
            {"level": "primary"}, primary_results(evaluation, teacher_comment),
        )  # fmt: skip
    subjects = [
        {
            "name": name,
            "mode": s["mode"],
            "hk1": s.get("hk1"),
            "hk2": s.get("hk2"),
            "year": s.get("year"),
            "reassessed": s.get("reassessed"),
            "comment": s.get("comment"),
        }
        for name, s in evaluation["subjects"].items()
    ]
    completion = None
    promotion = evaluation["promotion"]
    if promotion.get("decision") == "HOAN_THANH_CHUONG_TRINH" and context.grade == 9:
        completion = {
            "label_vi": "Hoàn thành chương trình trung học cơ sở",
            "label_en": "Completed the lower-secondary programme",
        }
    results = {
        "subjects": subjects,
        "learning_result": _levels(evaluation["learning_result"], LEARNING_AFTER_REASSESSMENT),
        "conduct": _levels(evaluation["conduct"], CONDUCT_AFTER_SUMMER),
        "absences": evaluation.get("absences"),
        "promotion": {k: promotion[k] for k in ("decision", "label_vi", "label_en") if k in promotion},
        "award": evaluation.get("award"),
        "teacher_comment": teacher_comment,
        "completion": completion,
    }
    return _with_identity(credential_id, version, issued_on, student, context, {}, results)


def _with_identity(
    credential_id: str,
    version: int,
    issued_on: date,
    student: StudentIdentity,
    context: ClassContext,
    extra: Mapping[str, Any],
    results: dict[str, Any],
) -> dict[str, Any]:
    return {
        "schema": TRANSCRIPT_SCHEMA,
        **extra,
        "credential_id": credential_id,
        "version": version,
        "issued_at": issued_on.isoformat(),
        "student": {
            "student_code": student.student_code,
            "full_name": student.full_name,
            "date_of_birth": student.date_of_birth.isoformat(),
            "sex": student.sex,
            "place_of_birth": student.place_of_birth,
            "ethnicity": student.ethnicity,
            "personal_id": student.personal_id,
            **{k: v for k, v in (student.details or {}).items() if k in STUDENT_DETAIL_KEYS and v},
        },
        "school": {"code": context.school_code, "name": context.school_name, "province": context.province},
        "school_year": context.school_year,
        "class": {
            "name": context.class_name,
            "grade": context.grade,
            # general education stays implicit, so earlier records keep their bytes
            **({"programme": context.programme} if context.programme != "GDPT" else {}),
        },
        "homeroom_teacher": {"full_name": context.homeroom_teacher},
        "principal": {"full_name": context.principal},
        "results": results,
    }


def primary_results(evaluation: Mapping[str, Any], teacher_comment: str | None) -> dict[str, Any]:
    """A primary year's results (Circular 27, ``explain_primary_year`` output): each subject's level (and test)
    at semester I and the year end, the qualities and competences, the overall result (Art. 9), the title, and
    completion of primary in grade 5. ``learning_result.year`` repeats the overall result: the QR and the verify
    page print it as the year's result; a primary year has no conduct level (the qualities replace it)."""
    completion = evaluation.get("completion") or {}
    return {
        "subjects": [
            {"name": name, "hk1": s.get("hk1"), "year": s.get("year")} for name, s in evaluation["subjects"].items()
        ],
        "qualities": dict(evaluation.get("qualities") or {}),
        "competences": dict(evaluation.get("competences") or {}),
        "overall": {"label_vi": evaluation["overall"], "label_en": evaluation.get("overall_en")},
        "learning_result": {"year": evaluation["overall"]},
        "conduct": None,
        "award": evaluation.get("award"),
        "teacher_comment": teacher_comment or evaluation.get("teacher_comment"),
        "completion": (
            {"label_vi": completion.get("label_vi"), "label_en": completion.get("label_en")}
            if completion.get("principal_confirms")
            else None
        ),
    }


def _levels(levels: Mapping[str, Any], after_key: str) -> dict[str, Any]:
    """The semester, year and "after summer / re-assessment" levels, under the record's own keys."""
    return {**{k: levels.get(k) for k in PERIOD_KEYS}, after_key: levels.get(after_key)}


# -- one học bạ per level (issue #14): the book's earlier years --------------------------------------------------
# The paper học bạ is one book per level; each school year the book's new version carries every earlier year of
# the level exactly as it was signed (``earlier_years``) and names the version it continues (``continues``).
LEVELS: dict[str, tuple[int, ...]] = {"primary": (1, 2, 3, 4, 5), "thcs": (6, 7, 8, 9), "thpt": (10, 11, 12)}
LEVEL_LABELS: dict[str, tuple[str, str]] = {
    "primary": ("Tiểu học", "Primary school"),
    "thcs": ("Trung học cơ sở", "Lower-secondary school"),
    "thpt": ("Trung học phổ thông", "Upper-secondary school"),
}
EARLIER_YEAR_KEYS = ("school", "school_year", "class", "homeroom_teacher", "principal", "issued_at", "results")


def level_of_grade(grade: int) -> str | None:
    """The level (book) a grade belongs to: ``primary`` 1–5, ``thcs`` 6–9, ``thpt`` 10–12."""
    return next((level for level, grades in LEVELS.items() if grade in grades), None)


@dataclass(frozen=True)
class YearSigner:
    """Who signed a year's version: the step, the person (or the school's seal), the certificate, when."""

    step: str
    full_name: str
    certificate_serial: str
    certificate_subject: str
    signed_at: str  # ISO 8601, UTC, seconds


def earlier_years_of(
    head: Mapping[str, Any], *, credential_id: str, version: int, record_sha256: str, signers: list[YearSigner]
) -> list[dict[str, Any]]:
    """The earlier years of a book continued from ``head`` (the book's latest issued version): the years ``head``
    already carries, unchanged, then ``head``'s own year, with the version it came from and who signed it."""
    own: dict[str, Any] = {
        "credential_id": credential_id,
        "version": version,
        "record_sha256": record_sha256,
        **{k: head.get(k) for k in EARLIER_YEAR_KEYS},
        "signed_by": [
            {
                "step": s.step,
                "full_name": s.full_name,
                "certificate_serial": s.certificate_serial,
                "certificate_subject": s.certificate_subject,
                "signed_at": s.signed_at,
            }
            for s in signers
        ],
    }
    if head.get("level"):
        own["level"] = head["level"]
    if head.get("amends"):
        own["amends"] = head["amends"]
    return [*(head.get("earlier_years") or []), own]


def with_earlier_years(
    record: dict[str, Any], *, continues: Mapping[str, Any], earlier_years: list[dict[str, Any]]
) -> dict[str, Any]:
    """``record`` as the book's new version: the version it continues and the earlier years."""
    return {**record, "continues": dict(continues), "earlier_years": list(earlier_years)}
