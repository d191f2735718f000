"""Import a class's year results from XLSX, CSV or JSON: validate everything, then store all or nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from credential_service.adapters import importers
from credential_service.core.errors import InvalidInput, Message
from credential_service.core.importing import validate_class_import, validate_json_import
from credential_service.services.transcripts import ImportReport, TranscriptService


def _grade(service: TranscriptService, class_id: str) -> int:
    with service.db.reader() as session:
        return service.get_class(session, class_id).grade


def import_xlsx(service: TranscriptService, class_id: str, data: bytes, filename: str) -> ImportReport:
    roster, results = importers.read_xlsx(data)
    students = validate_class_import(roster, results, grade=_grade(service, class_id))
    return service.import_results(
        class_id, students, source_name=filename, source_sha256=hashlib.sha256(data).hexdigest()
    )


def import_csv(
    service: TranscriptService, class_id: str, roster_csv: bytes, results_csv: bytes, *, names: tuple[str, str]
) -> ImportReport:
    roster, results = importers.read_csv(roster_csv, results_csv, names=names)
    students = validate_class_import(roster, results, grade=_grade(service, class_id))
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
    students = validate_json_import(payload["students"], grade=_grade(service, class_id))
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return service.import_results(
        class_id, students, source_name="api.json", source_sha256=hashlib.sha256(canonical).hexdigest()
    )
