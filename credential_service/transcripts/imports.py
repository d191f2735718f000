"""Import a class's year results from XLSX, CSV or JSON: validate everything, then store all or nothing.

Files are read in a worker process within :data:`spreadsheets.CLASS_IMPORT_LIMITS` (time, memory, size,
sheets, rows, columns, cells): these functions block the calling thread, never call them on the event loop.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.platform.upload_limits import run_limited
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.import_primary import validate_primary_import
from credential_service.transcripts.import_rules import (
    DETAIL_MAX_CHARS,
    StudentYear,
    clean_text,
    parse_date,
    parse_personal_id,
    parse_sex,
    validate_class_import,
)
from credential_service.transcripts.import_sheets import Table
from credential_service.transcripts.primary_catalogue import PRIMARY_GRADES
from credential_service.transcripts.primary_year import PrimaryYearInput, parse_primary_year
from credential_service.transcripts.record import STUDENT_DETAIL_KEYS
from credential_service.transcripts.service import ImportReport, TranscriptService
from credential_service.transcripts.subjects import Programme
from credential_service.transcripts.year_input import FieldError, YearInput, parse_year_input


def _grade(service: TranscriptService, class_id: str) -> tuple[int, Programme]:
    """The class's grade and programme (general or continuing education)."""
    with service.db.reader() as session:
        klass = service.get_class(session, class_id)
        return klass.grade, Programme(klass.programme or Programme.GDPT)


def _validate_sheets(roster: Table, results: Table, class_of: tuple[int, Programme]) -> list[StudentYear]:
    """Grades 1–5 have their own columns (Circular 27, ``import_primary``); grades 6–12 the Circular 22 ones."""
    grade, programme = class_of
    if grade in PRIMARY_GRADES:
        return validate_primary_import(roster, results, grade=grade)
    return validate_class_import(roster, results, grade=grade, programme=programme)


def import_xlsx(service: TranscriptService, class_id: str, data: bytes, filename: str) -> ImportReport:
    limits = importers.CLASS_IMPORT_LIMITS
    roster, results = run_limited(limits, importers.read_xlsx, data, limits)
    students = _validate_sheets(roster, results, _grade(service, class_id))
    return service.import_results(
        class_id, students, source_name=filename, source_sha256=hashlib.sha256(data).hexdigest()
    )


def import_csv(
    service: TranscriptService, class_id: str, roster_csv: bytes, results_csv: bytes, *, names: tuple[str, str]
) -> ImportReport:
    limits = importers.CLASS_IMPORT_LIMITS
    roster, results = run_limited(
        limits, importers.read_csv, roster_csv, results_csv, roster_file=names[0], results_file=names[1], limits=limits
    )
    students = _validate_sheets(roster, results, _grade(service, class_id))
    digest = hashlib.sha256(hashlib.sha256(roster_csv).digest() + hashlib.sha256(results_csv).digest()).hexdigest()
    return service.import_results(class_id, students, source_name=" + ".join(names), source_sha256=digest)


def import_json(service: TranscriptService, class_id: str, payload: Any) -> ImportReport:
    if not isinstance(payload, dict) or not isinstance(payload.get("students"), list):
        raise InvalidInput(
            Message(
                'Dữ liệu JSON phải có dạng {"students": [...]}.',
                'The JSON body must look like {"students": [...]}.',
            )
        )
    grade, programme = _grade(service, class_id)
    students = validate_json_import(payload["students"], grade=grade, programme=programme)
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return service.import_results(
        class_id, students, source_name="api.json", source_sha256=hashlib.sha256(canonical).hexdigest()
    )


def _details(raw: Any, where: str, problems: list[Problem]) -> dict[str, str] | None:
    """The optional ``details`` object: the paper học bạ's other fields (record.STUDENT_DETAIL_KEYS)."""
    if raw is None:
        return None
    known = ", ".join(STUDENT_DETAIL_KEYS)
    if not isinstance(raw, dict):
        problems.append(Problem(Message("Cần một đối tượng JSON.", "Expected a JSON object."), {"field": where}))
        return None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if key not in STUDENT_DETAIL_KEYS:
            unknown = Message(f"Trường không được hỗ trợ: {key!r}", f"Unknown field: {key!r}")
            problems.append(Problem(unknown, {"field": f"{where}.{key}"}, expected=Message(known, known)))
            continue
        if value is None:
            continue
        text = clean_text(value) if isinstance(value, str) else None
        if text is None or len(text) > DETAIL_MAX_CHARS:
            too_long = Message(
                f"Cần văn bản tối đa {DETAIL_MAX_CHARS} ký tự",
                f"Expected text of at most {DETAIL_MAX_CHARS} characters",
            )
            problems.append(Problem(too_long, {"field": f"{where}.{key}"}))
        elif text:
            out[key] = text
    return out or None


def validate_json_import(
    students: list[Any], *, grade: int, programme: Programme = Programme.GDPT
) -> list[StudentYear]:
    """Validate the JSON form of a class import; every problem is reported with its path."""
    problems: list[Problem] = []
    out: list[StudentYear] = []
    seen: set[str] = set()
    for i, item in enumerate(students):
        where = f"students[{i}]"
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    Message("Mỗi học sinh là một đối tượng JSON.", "Each student is a JSON object."),
                    location={"field": where},
                )
            )
            continue
        values: dict[str, Any] = {}
        for key, parse in (
            ("student_code", clean_text),
            ("full_name", clean_text),
            ("date_of_birth", parse_date),
            ("sex", parse_sex),
            ("place_of_birth", clean_text),
            ("ethnicity", clean_text),
        ):
            try:
                values[key] = parse(item.get(key))
                if values[key] == "":
                    raise FieldError(Message(f"Thiếu {key}", f"Missing {key}"))
            except FieldError as e:
                problems.append(
                    Problem(e.message, location={"field": f"{where}.{key}"}, value=item.get(key), expected=e.expected)
                )
        try:
            values["personal_id"] = parse_personal_id(item.get("personal_id"), values.get("date_of_birth"))
        except FieldError as e:
            problems.append(
                Problem(
                    e.message,
                    location={"field": f"{where}.personal_id"},
                    value=item.get("personal_id"),
                    expected=e.expected,
                )
            )
        details = _details(item.get("details"), f"{where}.details", problems)
        code = values.get("student_code")
        if code and code in seen:
            problems.append(
                Problem(
                    Message(f"Mã học sinh {code} bị lặp.", f"Student code {code} is duplicated."),
                    location={"field": f"{where}.student_code"},
                    value=code,
                )
            )
        if code:
            seen.add(code)
        year_data = item.get("year")
        if isinstance(year_data, dict):
            year_data = {"grade": grade, **year_data}
            if programme is not Programme.GDPT:  # the class's programme, as the grade is the class's
                year_data["programme"] = programme.value
        parse_year = parse_primary_year if grade in PRIMARY_GRADES else parse_year_input  # TT27 (1–5) or TT22
        try:
            year: YearInput | PrimaryYearInput = parse_year(year_data if isinstance(year_data, dict) else {})
        except InvalidInput as e:
            for p in e.problems:
                loc = dict(p.location)
                loc["field"] = f"{where}.year.{loc.get('field', '')}".rstrip(".")
                problems.append(Problem(p.message, location=loc, value=p.value, expected=p.expected))
            continue
        if len(values) == 7:
            out.append(
                StudentYear(
                    code=values["student_code"],
                    full_name=values["full_name"],
                    date_of_birth=values["date_of_birth"],
                    sex=values["sex"],
                    place_of_birth=values["place_of_birth"],
                    ethnicity=values["ethnicity"],
                    personal_id=values["personal_id"],
                    year=year,
                    details=details,
                )
            )
    if not students:
        problems.append(
            Problem(Message("Danh sách học sinh trống.", "The student list is empty."), location={"field": "students"})
        )
    if problems:
        raise InvalidInput(
            Message(
                f"Dữ liệu nhập có {len(problems)} lỗi; chưa có gì được lưu.",
                f"The import has {len(problems)} problem(s); nothing was saved.",
            ),
            problems=problems,
        )
    return out
