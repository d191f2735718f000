"""The canonical diploma record (``vanbang/1``): what is signed, ledgered and embedded.

Like ``hocba/1`` (:mod:`credential_service.transcripts.record`) it is RFC 8785 JSON hashed with SHA-256.
It holds the fields printed on the diploma (Circular 21/2019 Art. 7 template, Circular 10/2026
THPT template [B]) plus the register entry (số hiệu, số vào sổ gốc) and, for a corrected or
reissued version, the decision and the version it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from credential_service.diplomas.rules import ISSUER_TITLES, TYPE_LABELS, DiplomaType, IssuerRole

DIPLOMA_SCHEMA = "vanbang/1"


@dataclass(frozen=True)
class Holder:
    full_name: str
    date_of_birth: date
    place_of_birth: str | None
    sex: str
    ethnicity: str | None
    personal_id: str | None
    old_id_number: str | None = None  # an old 9-digit CMND on a paper register: kept, not a personal ID


@dataclass(frozen=True)
class Graduation:
    decision_no: str
    decision_date: date
    graduation_year: int
    school_code: str | None
    school_name: str
    province: str
    exam_session: str | None = None
    training_mode: str | None = None  # chính quy / GDTX
    classification: str | None = None  # legacy only (xếp loại)


@dataclass(frozen=True)
class Issuer:
    role: IssuerRole
    organisation: str  # "Trường THPT …" / "Sở GDĐT Hải Phòng"
    signer_name: str


def build_diploma_record(
    *,
    credential_id: str,
    version: int,
    issued_on: date,
    diploma_type: DiplomaType,
    form: str,
    holder: Holder,
    graduation: Graduation,
    issuer: Issuer,
    serial_no: str | None,
    register_no: str,
    replaces: dict[str, Any] | None = None,
    decision: dict[str, Any] | None = None,
) -> dict[str, Any]:
    title = TYPE_LABELS[diploma_type]
    holder_fields: dict[str, Any] = {
        "full_name": holder.full_name,
        "date_of_birth": holder.date_of_birth.isoformat(),
        "place_of_birth": holder.place_of_birth,
        "sex": holder.sex,
        "ethnicity": holder.ethnicity,
        "personal_id": holder.personal_id,
    }
    if holder.old_id_number:  # only when there is one: records without it keep their exact bytes
        holder_fields["old_id_number"] = holder.old_id_number
    return {
        "schema": DIPLOMA_SCHEMA,
        "credential_id": credential_id,
        "version": version,
        "issued_at": issued_on.isoformat(),
        "type": {"code": diploma_type.value, "title_vi": title.vi, "title_en": title.en},
        "form": form,
        "holder": holder_fields,
        "graduation": {
            "decision_no": graduation.decision_no,
            "decision_date": graduation.decision_date.isoformat(),
            "year": graduation.graduation_year,
            "exam_session": graduation.exam_session,
            "training_mode": graduation.training_mode,
            "classification": graduation.classification,
        },
        "school": {"code": graduation.school_code, "name": graduation.school_name, "province": graduation.province},
        "issuer": {
            "role": issuer.role.value,
            "title_vi": ISSUER_TITLES[issuer.role].vi,
            "organisation": issuer.organisation,
            "signer_name": issuer.signer_name,
        },
        "serial_no": serial_no,
        "register_no": register_no,
        "replaces": replaces,
        "decision": decision,
    }
