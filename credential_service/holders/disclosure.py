"""What a share code releases: one declarative definition per credential kind and scope.

The same table is read for three things, so they cannot disagree:

* the consent text the holder agrees to (the labels, Vietnamese and English);
* the ``data`` the employer receives (each field's reader applied to the record);
* the fields written to the access log that the holder reads as "who checked me" (the keys).

Scopes are cumulative (``status`` ⊂ ``diploma_fields`` ⊂ ``full_transcript``); a field names the
narrowest scope that releases it. A field with no reader (``status``) is the credential's live status
(valid, superseded, revoked, with the decision and the ledger inclusion); the employer receives it
beside ``data``, not inside it. The envelope ``credential_id`` and ``kind`` identify the credential
and are always present.

Minimum by default (PDPL 91/2025 Art. 3: data minimisation): never the ID number, ethnicity, place
of birth, priority groups or teachers' comments (domain notes §5.3.3); sex is not released either
(not needed to tie a credential to the candidate; Labour Code 2019 Art. 8 forbids gender
discrimination in hiring). Pure: no framework.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, Protocol

from credential_service.diplomas.rules import TYPE_LABELS, DiplomaType
from credential_service.platform.errors import Message

SCOPES = ("status", "diploma_fields", "full_transcript")
KINDS = ("transcript", "diploma")
SCOPE_LABELS = {
    "status": Message("Chỉ trạng thái (còn hiệu lực hay không)", "Status only (valid or not)"),
    "diploma_fields": Message("Thông tin văn bằng / kết quả năm học", "Diploma fields / the year's summary"),
    "full_transcript": Message("Toàn bộ kết quả học bạ", "Full transcript results"),
}
KIND_LABELS = {
    "transcript": Message("Học bạ số", "Digital transcript"),
    "diploma": Message("Văn bằng", "Diploma"),
}


@dataclass(frozen=True)
class Field:
    """One released field: its key in the answer and the log, its label, the narrowest scope that releases
    it, and how it is read from the record (None: the live status, given beside ``data``)."""

    key: str
    label: Message
    scope: str
    read: Callable[[Any], Any] | None


class DiplomaLike(Protocol):
    """The attributes of a diploma row the definition reads (``diplomas.tables.Diploma``)."""

    diploma_type: str
    full_name: str
    issuer_name: str
    graduation_year: int
    date_of_birth: date
    school_name: str
    classification: str | None
    serial_no: str | None
    register_no: str
    issued_on: date
    decision_no: str | None
    version: int


def _at(*path: str) -> Callable[[Any], Any]:
    def read(record: Any) -> Any:
        value: Any = record
        for part in path:
            value = value.get(part) if isinstance(value, Mapping) else None
        return value

    return read


def _attr(name: str) -> Callable[[Any], Any]:
    def read(row: Any) -> Any:
        value = getattr(row, name)
        return value.isoformat() if isinstance(value, date) else value

    return read


def _const(label: Message) -> Callable[[Any], Any]:
    return lambda _: {"vi": label.vi, "en": label.en}


def _promotion(record: Any) -> Any:
    promo = _at("results", "promotion")(record)
    if not isinstance(promo, Mapping):
        return None
    return {k: promo[k] for k in ("decision", "label_vi", "label_en") if promo.get(k) is not None}


def _subjects(record: Any) -> Any:
    subjects = _at("results", "subjects")(record)
    if not isinstance(subjects, list):
        return None
    return [{k: v for k, v in s.items() if k != "comment"} for s in subjects if isinstance(s, Mapping)]


def diploma_type_label(diploma_type: str) -> Message:
    try:
        return TYPE_LABELS[DiplomaType(diploma_type)]
    except (ValueError, KeyError):
        return Message(diploma_type, diploma_type)


def _diploma_type(row: Any) -> Any:
    label = diploma_type_label(row.diploma_type)
    return {"vi": label.vi, "en": label.en}


NAME = Message("Họ và tên", "Full name")
TYPE = Message("Loại học bạ, văn bằng", "Credential type")
STATUS = Message(
    "Tình trạng hiệu lực hiện tại, kèm quyết định chỉnh sửa hoặc thu hồi nếu có",
    "Current status, with any correction or revocation decision",
)
DOB = Message("Ngày sinh", "Date of birth")
ISSUER = Message("Trường hoặc cơ quan cấp", "Issuing school or authority")

TRANSCRIPT: tuple[Field, ...] = (
    Field("holder_name", NAME, "status", _at("student", "full_name")),
    Field("type", TYPE, "status", _const(KIND_LABELS["transcript"])),
    Field("issuer", ISSUER, "status", _at("school", "name")),
    Field("school_year", Message("Năm học", "School year"), "status", _at("school_year")),
    Field("status", STATUS, "status", None),
    Field("date_of_birth", DOB, "diploma_fields", _at("student", "date_of_birth")),
    Field("class", Message("Lớp", "Class"), "diploma_fields", _at("class", "name")),
    Field("learning_result", Message("Kết quả học tập", "Learning result"), "diploma_fields",
          _at("results", "learning_result")),
    Field("conduct", Message("Kết quả rèn luyện", "Conduct"), "diploma_fields", _at("results", "conduct")),
    Field("promotion", Message("Lên lớp / ở lại lớp", "Promotion decision"), "diploma_fields", _promotion),
    Field("completion", Message("Hoàn thành chương trình", "Programme completion"), "diploma_fields",
          _at("results", "completion")),
    Field("subjects", Message("Kết quả từng môn học (không kèm nhận xét)", "Subject results (without comments)"),
          "full_transcript", _subjects),
    Field("absences", Message("Số buổi nghỉ học", "Absences"), "full_transcript", _at("results", "absences")),
    Field("award", Message("Danh hiệu khen thưởng", "Award"), "full_transcript", _at("results", "award")),
)  # fmt: skip

DIPLOMA: tuple[Field, ...] = (
    Field("holder_name", NAME, "status", _attr("full_name")),
    Field("type", TYPE, "status", _diploma_type),
    Field("issuer", ISSUER, "status", _attr("issuer_name")),
    Field("graduation_year", Message("Năm tốt nghiệp", "Graduation year"), "status", _attr("graduation_year")),
    Field("status", STATUS, "status", None),
    Field("date_of_birth", DOB, "diploma_fields", _attr("date_of_birth")),
    Field("school", Message("Trường học", "School attended"), "diploma_fields", _attr("school_name")),
    Field("classification", Message("Xếp loại tốt nghiệp", "Classification"), "diploma_fields",
          _attr("classification")),
    Field("serial_no", Message("Số hiệu văn bằng", "Serial number"), "diploma_fields", _attr("serial_no")),
    Field("register_no", Message("Số vào sổ gốc", "Register number"), "diploma_fields", _attr("register_no")),
    Field("issued_on", Message("Ngày cấp", "Date of issue"), "diploma_fields", _attr("issued_on")),
    Field("decision_no", Message("Số quyết định công nhận tốt nghiệp", "Graduation decision number"),
          "diploma_fields", _attr("decision_no")),
)  # fmt: skip

DEFINITION: dict[str, tuple[Field, ...]] = {"transcript": TRANSCRIPT, "diploma": DIPLOMA}

# Keys written to the access log by other events (downloads, copies from the register) or by older
# versions of the service; labelled so the holder never reads a raw key.
OTHER_LABELS = {
    "pdf": Message("Tệp PDF", "PDF file"),
    "register_entry": Message("Bản sao từ sổ gốc", "Copy from the register"),
    "year": Message("Năm", "Year"),
    "sex": Message("Giới tính", "Sex"),
    "grade": Message("Khối lớp", "Grade"),
}


@lru_cache(maxsize=32)
def fields_for(kind: str, scope: str) -> tuple[Field, ...]:
    """The fields a scope releases for a kind of credential, in the definition's order."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    rank = SCOPES.index(scope)
    return tuple(f for f in DEFINITION[kind] if SCOPES.index(f.scope) <= rank)


def released(kind: str, scope: str) -> list[str]:
    """The keys a scope releases for a kind: what the access log records."""
    return [f.key for f in fields_for(kind, scope)]


def released_for(kinds: Iterable[str], scope: str) -> list[str]:
    """The keys released for several kinds at once (a grant over a transcript and a diploma), in order."""
    wanted = set(kinds)
    return list(dict.fromkeys(k for kind in KINDS if kind in wanted for k in released(kind, scope)))


def project(kind: str, scope: str, source: Any) -> dict[str, Any]:
    """The ``data`` an employer receives: every released field read from the record (``None`` kept, so the
    keys are exactly the released fields but the live status)."""
    return {f.key: f.read(source) for f in fields_for(kind, scope) if f.read is not None}


def project_transcript(record: Mapping[str, Any], scope: str) -> dict[str, Any]:
    return project("transcript", scope, record)


def project_diploma(d: DiplomaLike, scope: str) -> dict[str, Any]:
    return project("diploma", scope, d)


def live_keys(kind: str, scope: str) -> list[str]:
    """Released fields given beside ``data`` (the live status)."""
    return [f.key for f in fields_for(kind, scope) if f.read is None]


def label_of(key: str) -> Message:
    """A key's label (one label per key, whatever the kind), for the access log."""
    for fields in DEFINITION.values():
        for f in fields:
            if f.key == key:
                return f.label
    return OTHER_LABELS.get(key, Message(key, key))


def field_labels(keys: Sequence[str]) -> list[dict[str, str]]:
    return [{"key": k, "vi": label_of(k).vi, "en": label_of(k).en} for k in keys]


def consent_lines(kinds: Iterable[str], scope: str) -> list[str]:
    """The consent text's list of what is shared, one line per kind of credential in the grant."""
    wanted = set(kinds)
    lines = []
    for kind in KINDS:
        if kind in wanted:
            names = "; ".join(f"{f.label.vi} ({f.label.en})" for f in fields_for(kind, scope))
            lines.append(f"  – {KIND_LABELS[kind].vi} / {KIND_LABELS[kind].en}: {names}")
    return lines


def transcript_title(record: Mapping[str, Any]) -> Message:
    klass, year, school = _at("class", "name")(record), record.get("school_year"), _at("school", "name")(record)
    version = record.get("version") or 1
    vi = f"Học bạ số lớp {klass}, năm học {year} — {school}"
    en = f"Digital transcript, class {klass}, school year {year} — {school}"
    if version > 1:
        vi, en = f"{vi} (bản {version})", f"{en} (version {version})"
    return Message(vi, en)


def diploma_title(d: DiplomaLike) -> Message:
    label = diploma_type_label(d.diploma_type)
    vi = f"{label.vi} năm {d.graduation_year} — {d.school_name}, số vào sổ {d.register_no}"
    en = f"{label.en} {d.graduation_year} — {d.school_name}, register no. {d.register_no}"
    if d.version > 1:
        vi, en = f"{vi} (bản {d.version})", f"{en} (version {d.version})"
    return Message(vi, en)
