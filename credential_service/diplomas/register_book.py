"""A paper master register book (sổ gốc) as it is digitised: the columns of its template (Circular 21/2019
appendix, domain brief §2.3, plus where each entry is on paper), the book's details the clerk gives, and
one row once it is validated (:mod:`credential_service.diplomas.register_validation`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from credential_service.diplomas.rules import DiplomaType, IssuerRole

REQUIRED = ("Họ và tên", "Ngày sinh", "Giới tính", "Học sinh trường", "Năm tốt nghiệp", "Số hiệu văn bằng",
            "Số vào sổ", "Trang", "Dòng")  # fmt: skip
OPTIONAL = ("STT", "Nơi sinh", "Dân tộc", "Xếp loại tốt nghiệp", "Số quyết định", "Ngày quyết định", "Số định danh",
            "Ảnh quét", "Ghi chú")  # fmt: skip
COLUMNS = ("STT", "Họ và tên", "Ngày sinh", "Nơi sinh", "Giới tính", "Dân tộc", "Học sinh trường", "Năm tốt nghiệp",
           "Xếp loại tốt nghiệp", "Số hiệu văn bằng", "Số vào sổ", "Số quyết định", "Ngày quyết định",
           "Số định danh", "Trang", "Dòng", "Ảnh quét", "Ghi chú")  # fmt: skip


@dataclass(frozen=True)
class BookInfo:
    book_code: str
    issuer_key: str  # e.g. SO-GDDT-HP, SO-GDDT-HD (former Hải Dương), PGD-LECHAN
    issuer_name: str
    diploma_type: DiplomaType
    issuer_role: IssuerRole = IssuerRole.SO_DIRECTOR
    signer_name: str = ""


@dataclass
class LegacyRow:
    row: int
    full_name: str
    date_of_birth: date
    place_of_birth: str | None
    sex: str
    ethnicity: str | None
    school: str
    graduation_year: int
    classification: str | None
    serial_no: str
    register_no: str
    register_seq: int
    register_year: int
    decision_no: str | None
    decision_date: date | None
    personal_id: str | None
    page: int
    line: int
    scan_ref: str | None
    note: str | None
    name_key: str = field(default="")
    old_id_number: str | None = None  # an old 9-digit CMND (the holder's identifier history keeps it)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for k in ("date_of_birth", "decision_date"):
            out[k] = out[k].isoformat() if out[k] else None
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LegacyRow:
        values = dict(data)
        values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
        values["decision_date"] = date.fromisoformat(values["decision_date"]) if values.get("decision_date") else None
        return cls(**values)
