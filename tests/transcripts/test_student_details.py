"""The paper học bạ's other fields (issue #14): parents or guardians, permanent residence, policy group, số đăng
bộ and the ministry student code go from the import into the record and onto the printed page, and the policy
group is never exported (it is printed where the form prints it, nothing more)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo
from credential_service.holders import disclosure
from credential_service.platform.errors import InvalidInput
from credential_service.platform.settings import Settings
from credential_service.transcripts import imports
from credential_service.transcripts.spreadsheets import demo_class
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.year_input import year_input_to_json

A1 = class_id("10A1")
DETAILS = {
    "guardians": "Cha: Nguyễn Văn Bình; Mẹ: Trần Thị Cúc",
    "permanent_residence": "Số 12 Lạch Tray, phường Lê Chân, Hải Phòng",
    "policy_group": "Con thương binh",
    "enrolment_no": "ĐB-2025-0412",
    "moet_code": "3112345678",
}


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    yield c
    c.db.dispose()


def _payload(details: Any) -> dict[str, Any]:
    students = []
    for s in demo_class("10A1", 10, n=2, seed=4):
        year = year_input_to_json(s.year)
        year.pop("grade")
        students.append({
            "student_code": s.code, "full_name": s.full_name, "date_of_birth": s.date_of_birth.isoformat(),
            "sex": s.sex.value, "place_of_birth": s.place_of_birth, "ethnicity": s.ethnicity,
            "personal_id": s.personal_id, "year": year,
        })  # fmt: skip
    students[0]["details"] = details
    return {"students": students}


def test_the_forms_other_fields_reach_the_record_and_the_printed_page_and_the_policy_group_is_not_exported(
    container: Container,
) -> None:
    imports.import_json(container.transcripts, A1, _payload(DETAILS))
    container.transcripts.lock_class(A1)
    with container.db.reader() as s:
        transcripts = list(s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars())
    records = [json.loads(t.record_json) for t in transcripts]
    (with_details,) = [(t, r) for t, r in zip(transcripts, records, strict=True) if "guardians" in r["student"]]
    t, record = with_details
    assert {k: record["student"][k] for k in DETAILS} == DETAILS
    (other,) = [r for r in records if r is not record]
    assert not set(DETAILS) & set(other["student"])  # absent keys stay absent: the record's bytes are as before
    text = subprocess.run(["pdftotext", "-", "-"], input=t.pdf, capture_output=True, check=True).stdout.decode()
    flat = " ".join(text.split())
    for value in DETAILS.values():
        assert value in flat, value
    for scope in disclosure.SCOPES:
        released = json.dumps(disclosure.project_transcript(record, scope), ensure_ascii=False)
        assert "Con thương binh" not in released and "policy_group" not in released


def test_unknown_or_overlong_details_are_refused_with_the_field() -> None:
    with pytest.raises(InvalidInput) as err:
        imports.validate_json_import(_payload({"religion": "x", "guardians": "x" * 301})["students"], grade=10)
    fields = sorted(p.location["field"] for p in err.value.problems)
    assert fields == ["students[0].details.guardians", "students[0].details.religion"]
