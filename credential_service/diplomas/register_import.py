"""Digitising the paper master registers (sổ gốc) kept since 2000: one XLSX/CSV file per register book.

The file has the columns of the paper register (Circular 21/2019 appendix, domain brief §2.3) plus
where each entry is on paper (page, line, scan reference). Every row is validated and the report
names the sheet, row, column, value and what was expected for every problem: impossible dates,
malformed ID numbers, duplicate serials, register numbers out of sequence, missing mandatory fields.
A file with any problem imports nothing; re-importing an imported file changes nothing.

Rows that conflict with another book already in the register (the same serial, the same register
number, or the same person with another entry) are not imported but queued for reconciliation
(đối soát); a clerk accepts or rejects each, and the resolution is ledgered as ``imported``.
Imported rows are stored as written (names too, with a normalised matching key), with the
assurance level ``digitized_from_paper``, and each gets an ``imported`` ledger entry.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from credential_service.diplomas import rules
from credential_service.diplomas.record import Graduation, Holder, Issuer, build_diploma_record
from credential_service.diplomas.register_files import (  # noqa: F401 (read_register and the limits: re-exported)
    REGISTER_LIMITS,
    SHEET,
    read_register,
    read_register_isolated,
)
from credential_service.diplomas.rules import DiplomaType, IssuerRole, Status
from credential_service.diplomas.tables import Diploma, ReconciliationItem, RegisterBook
from credential_service.ledger import storage as ledger
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem
from credential_service.platform.settings import Settings
from credential_service.transcripts.import_rules import (
    FieldError,
    Table,
    clean_text,
    header_key,
    parse_date,
    parse_personal_id,
    parse_sex,
)

REQUIRED = ("Họ và tên", "Ngày sinh", "Giới tính", "Học sinh trường", "Năm tốt nghiệp", "Số hiệu văn bằng",
            "Số vào sổ", "Trang", "Dòng")  # fmt: skip
OPTIONAL = ("STT", "Nơi sinh", "Dân tộc", "Xếp loại tốt nghiệp", "Số quyết định", "Ngày quyết định", "Số định danh",
            "Ảnh quét", "Ghi chú")  # fmt: skip
COLUMNS = ("STT", "Họ và tên", "Ngày sinh", "Nơi sinh", "Giới tính", "Dân tộc", "Học sinh trường", "Năm tốt nghiệp",
           "Xếp loại tốt nghiệp", "Số hiệu văn bằng", "Số vào sổ", "Số quyết định", "Ngày quyết định",
           "Số định danh", "Trang", "Dòng", "Ảnh quét", "Ghi chú")  # fmt: skip
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]{2,31}$")
MIN_AGE, MAX_AGE = 13, 80  # plausible age at graduation [B]


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


@dataclass(frozen=True)
class ImportReport:
    book_code: str
    rows: int
    imported: int
    queued: int
    unchanged: bool
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------------------------- reading


# ------------------------------------------------------------------------------------------- validation


class _Report:
    def __init__(self, sheet: str) -> None:
        self.sheet = sheet
        self.problems: list[Problem] = []

    def add(self, row: int, column: str | None, vi: str, en: str, value: Any = None,
            expected: Message | None = None) -> None:  # fmt: skip
        shown = value if value is None or isinstance(value, str | int | float) else str(value)
        self.problems.append(Problem(Message(vi, en), {"sheet": self.sheet, "row": row, "column": column}, shown,
                                     expected))  # fmt: skip


def _int(value: Any) -> int | None:
    text = clean_text(value)
    return int(text) if text.isdigit() else None


def validate_register(table: Table, book: BookInfo, *, register_format: str, today: date) -> list[LegacyRow]:
    """Every row of a register book, or InvalidInput naming every problem (sheet, row, column, value, expected)."""
    report = _Report(table.name)
    columns: dict[str, int] = {}
    wanted = {header_key(h): h for h in (*REQUIRED, *OPTIONAL)}
    for i, h in enumerate(table.headers):
        name = wanted.get(header_key(h))
        if name and name not in columns:
            columns[name] = i
    missing = [h for h in REQUIRED if h not in columns]
    if missing:
        report.add(table.header_row, None, f"Sổ sai mẫu: thiếu cột {', '.join(missing)}",
                   f"The register does not match the template: missing columns {', '.join(missing)}", None,
                   Message(f"các cột: {', '.join(COLUMNS)}", f"columns: {', '.join(COLUMNS)}"))  # fmt: skip
        _raise(report)
    if not table.rows:
        report.add(table.header_row, None, "Sổ không có dòng nào", "The register has no rows")
        _raise(report)

    def cell(values: Sequence[Any], name: str) -> Any:
        i = columns.get(name)
        if i is None or i >= len(values):
            return None
        v = values[i]
        return None if v is None or (isinstance(v, str) and not v.strip()) else v

    out: list[LegacyRow] = []
    serials: dict[str, int] = {}
    numbers: dict[str, int] = {}
    last_seq: dict[int, tuple[int, int]] = {}  # register year -> (seq, row)
    type_code = book.diploma_type.value
    for n, values in table.rows:
        ok = True
        for name in REQUIRED:
            if cell(values, name) is None:
                report.add(n, name, f"Thiếu {name}", f"Missing mandatory field {name}")
                ok = False
        full_name = rules.display_name(clean_text(cell(values, "Họ và tên")))
        dob: date | None = None
        raw_dob = cell(values, "Ngày sinh")
        if raw_dob is not None:
            try:
                dob = parse_date(raw_dob)
            except FieldError as err:
                report.add(n, "Ngày sinh", f"Ngày sinh không thể có: {err.message.vi}",
                           f"Impossible date of birth: {err.message.en}", raw_dob, err.expected)  # fmt: skip
                ok = False
        year = _int(cell(values, "Năm tốt nghiệp"))
        raw_year = cell(values, "Năm tốt nghiệp")
        if raw_year is not None and (year is None or not rules.FIRST_LEGACY_YEAR <= year <= today.year):
            report.add(n, "Năm tốt nghiệp", "Năm tốt nghiệp không hợp lệ", "Invalid graduation year", raw_year,
                       Message(f"năm từ {rules.FIRST_LEGACY_YEAR} đến {today.year}",
                               f"a year from {rules.FIRST_LEGACY_YEAR} to {today.year}"))  # fmt: skip
            ok, year = False, None
        if dob is not None:
            if dob > today:
                report.add(n, "Ngày sinh", "Ngày sinh ở tương lai", "Date of birth in the future", raw_dob)
                ok = False
            elif year is not None and not MIN_AGE <= year - dob.year <= MAX_AGE:
                report.add(n, "Ngày sinh", f"Ngày sinh không thể có: {year - dob.year} tuổi khi tốt nghiệp năm {year}",
                           f"Impossible date of birth: aged {year - dob.year} at graduation in {year}", raw_dob,
                           Message(f"từ {MIN_AGE} đến {MAX_AGE} tuổi khi tốt nghiệp",
                                   f"aged {MIN_AGE} to {MAX_AGE} at graduation"))  # fmt: skip
                ok = False
        sex = ""
        if cell(values, "Giới tính") is not None:
            try:
                sex = parse_sex(cell(values, "Giới tính")).value
            except FieldError as err:
                report.add(n, "Giới tính", err.message.vi, err.message.en, cell(values, "Giới tính"), err.expected)
                ok = False
        pin: str | None = None
        raw_pin = cell(values, "Số định danh")
        if raw_pin is not None:
            digits = clean_text(raw_pin).replace(" ", "")
            if len(digits) == 9 and digits.isdigit() and digits.isascii():
                pin = None  # an old 9-digit CMND: valid, not a personal ID number; kept in the note [B]
            else:
                try:
                    pin = parse_personal_id(raw_pin, dob)
                except FieldError as err:
                    report.add(n, "Số định danh", f"Số định danh sai dạng: {err.message.vi}",
                               f"Malformed ID number: {err.message.en}", raw_pin,
                               Message("12 chữ số (CCCD) hoặc 9 chữ số (CMND cũ)",
                                       "12 digits (personal ID) or 9 digits (old ID card)"))  # fmt: skip
                    ok = False
        serial = clean_text(cell(values, "Số hiệu văn bằng")).upper().replace(" ", "")
        if serial:
            if not _SERIAL.match(serial):
                report.add(n, "Số hiệu văn bằng", "Số hiệu văn bằng sai dạng", "Malformed diploma serial", serial,
                           Message("3–32 chữ cái/chữ số", "3–32 letters or digits"))  # fmt: skip
                ok = False
            elif serial in serials:
                report.add(n, "Số hiệu văn bằng", f"Trùng số hiệu với dòng {serials[serial]}",
                           f"Duplicate serial: also on row {serials[serial]}", serial)  # fmt: skip
                ok = False
            else:
                serials[serial] = n
        register_no = clean_text(cell(values, "Số vào sổ"))
        parsed = rules.parse_register_no(register_no, register_format) if register_no else None
        seq = reg_year = 0
        if register_no:
            expected_no = Message(
                f"dạng {register_format}, loại {type_code}",
                f"formatted {register_format}, type {type_code}",
            )
            if parsed is None or parsed.type != type_code:
                report.add(n, "Số vào sổ", "Số vào sổ sai dạng", "Malformed register number", register_no, expected_no)
                ok = False
            else:
                register_no = rules.format_register_no(parsed.seq, parsed.type, parsed.year, register_format)
                seq, reg_year = parsed.seq, parsed.year
                if register_no in numbers:
                    report.add(n, "Số vào sổ", f"Trùng số vào sổ với dòng {numbers[register_no]}",
                               f"Duplicate register number: also on row {numbers[register_no]}",
                               register_no)  # fmt: skip
                    ok = False
                else:
                    numbers[register_no] = n
                if year is not None and reg_year < year:
                    report.add(n, "Số vào sổ", f"Năm vào sổ {reg_year} trước năm tốt nghiệp {year}",
                               f"Register year {reg_year} is before the graduation year {year}",
                               register_no)  # fmt: skip
                    ok = False
                previous = last_seq.get(reg_year)
                # Circular 21/2019 Art. 13: consecutive ascending numbers within each calendar year
                if previous is not None and seq != previous[0] + 1:
                    report.add(n, "Số vào sổ", f"Số vào sổ không liên tục: sau {previous[0]} (dòng {previous[1]}) "
                               f"phải là {previous[0] + 1}",
                               f"Register number out of sequence: after {previous[0]} (row {previous[1]}) comes "
                               f"{previous[0] + 1}", register_no,
                               Message(f"{previous[0] + 1}/{type_code}/{reg_year}",
                                       f"{previous[0] + 1}/{type_code}/{reg_year}"))  # fmt: skip
                    ok = False
                last_seq[reg_year] = (seq, n)
        decision_date: date | None = None
        raw_dd = cell(values, "Ngày quyết định")
        if raw_dd is not None:
            try:
                decision_date = parse_date(raw_dd)
                if decision_date > today or (year is not None and decision_date.year not in (year, year + 1)):
                    raise FieldError(Message(f"ngày {decision_date:%d/%m/%Y}", f"date {decision_date.isoformat()}"))
            except FieldError as err:
                report.add(n, "Ngày quyết định", f"Ngày quyết định không thể có: {err.message.vi}",
                           f"Impossible decision date: {err.message.en}", raw_dd,
                           Message("trong năm tốt nghiệp, không ở tương lai",
                                   "in the graduation year, not in the future"))  # fmt: skip
                ok = False
        page, line = _int(cell(values, "Trang")), _int(cell(values, "Dòng"))
        for name, v in (("Trang", page), ("Dòng", line)):
            raw = cell(values, name)
            if raw is not None and (v is None or v < 1):
                report.add(n, name, f"{name} phải là số nguyên dương", f"{name} must be a positive whole number", raw)
                ok = False
        if not ok or dob is None or year is None or page is None or line is None:
            continue
        out.append(
            LegacyRow(
                row=n, full_name=full_name, date_of_birth=dob,
                place_of_birth=clean_text(cell(values, "Nơi sinh")) or None, sex=sex,
                ethnicity=clean_text(cell(values, "Dân tộc")) or None,
                school=clean_text(cell(values, "Học sinh trường")), graduation_year=year,
                classification=clean_text(cell(values, "Xếp loại tốt nghiệp")) or None, serial_no=serial,
                register_no=register_no, register_seq=seq, register_year=reg_year,
                decision_no=clean_text(cell(values, "Số quyết định")) or None, decision_date=decision_date,
                personal_id=pin, page=page, line=line, scan_ref=clean_text(cell(values, "Ảnh quét")) or None,
                note=clean_text(cell(values, "Ghi chú")) or None, name_key=rules.name_key(full_name),
            )
        )  # fmt: skip
    if report.problems:
        _raise(report)
    return out


def _raise(report: _Report) -> None:
    problems = sorted(report.problems, key=lambda p: int(p.location.get("row") or 0))
    rows = len({p.location.get("row") for p in problems})
    raise InvalidInput(
        Message(f"Sổ có {len(problems)} lỗi ở {rows} dòng; chưa có dòng nào được nhập.",
                f"The register has {len(problems)} problem(s) on {rows} row(s); nothing was imported."),
        problems=problems,
        hint=Message("Sửa các ô được nêu (đối chiếu với sổ giấy và ảnh quét) rồi nhập lại cả tệp.",
                     "Fix the cells listed (check the paper book and its scan) and import the whole file again."),
    )  # fmt: skip


def format_report(err: InvalidInput, limit: int = 200) -> str:
    """The validation report as text, one problem per line (what the CLI prints)."""
    lines = [f"{err.message.vi}", f"{err.message.en}"]
    for p in err.problems[:limit]:
        loc = p.location
        where = f"dòng/row {loc.get('row')}, cột/column {loc.get('column') or '-'}"
        value = f" — giá trị/value: {p.value!r}" if p.value is not None else ""
        expected = f" — cần/expected: {p.expected.vi} / {p.expected.en}" if p.expected else ""
        lines.append(f"  [{where}] {p.message.vi} / {p.message.en}{value}{expected}")
    if len(err.problems) > limit:
        lines.append(f"  … {len(err.problems) - limit} lỗi khác / more")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- import


def _chunks(items: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def fast_canonical_json(document: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a record built by :func:`_record`: it holds only str (ASCII keys), int, None and
    dicts — no floats — and for such values the JCS form is exactly sorted keys, no whitespace and
    JSON's minimal string escaping, which ``json.dumps`` produces several times faster than the generic
    implementation. A test compares both on the demo rows, control characters included."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _record(book: BookInfo, r: LegacyRow, cid: str, issued_on: date) -> dict[str, Any]:
    return build_diploma_record(
        credential_id=cid, version=1, issued_on=issued_on, diploma_type=book.diploma_type, form="paper",
        holder=Holder(r.full_name, r.date_of_birth, r.place_of_birth, r.sex, r.ethnicity, r.personal_id),
        graduation=Graduation(r.decision_no or "", r.decision_date or issued_on, r.graduation_year, None, r.school,
                              "Thành phố Hải Phòng", classification=r.classification),
        issuer=Issuer(book.issuer_role, book.issuer_name, book.signer_name),
        serial_no=r.serial_no, register_no=r.register_no,
    )  # fmt: skip


def _insert_many(session: Session, values: list[dict[str, Any]]) -> None:
    """Insert diploma rows with the driver's executemany, converting values with the column types' own
    bind processors (what SQLAlchemy would do, without its per-row bookkeeping: a third of the import)."""
    conn = session.connection()
    dialect = conn.dialect
    table = Diploma.__table__
    columns = [c.name for c in table.columns]
    processors = [(i, p) for i, c in enumerate(table.columns) if (p := c.type.bind_processor(dialect)) is not None]
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {Diploma.__tablename__} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    for part in _chunks(values, 5000):
        batch = []
        for v in part:
            row = [v[c] for c in columns]
            for i, process in processors:
                if row[i] is not None:
                    row[i] = process(row[i])
            batch.append(tuple(row))
        conn.exec_driver_sql(sql, batch)


class RegisterImporter:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        register_format: str = rules.DEFAULT_REGISTER_FORMAT,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.register_format = register_format
        self.clock = clock or SystemClock()

    def check_file(self, data: bytes, file_name: str, book: BookInfo) -> int:
        """Read and validate a book without storing anything (a proposal is refused now, not at approval)."""
        rows = validate_register(read_register_isolated(data, file_name), book, register_format=self.register_format,
                                 today=self.clock.today())  # fmt: skip
        return len(rows)

    def import_file(self, data: bytes, file_name: str, book: BookInfo, *, actor: str,
                    today: date | None = None) -> ImportReport:  # fmt: skip
        import time

        started = time.perf_counter()
        today = today or self.clock.today()
        digest = hashlib.sha256(data).hexdigest()
        with self.db.reader() as session:
            seen = session.execute(
                select(RegisterBook).where(RegisterBook.source_sha256 == digest)
            ).scalar_one_or_none()
            if seen is not None:
                return ImportReport(seen.book_code, seen.row_count, 0, 0, unchanged=True)
        rows = validate_register(read_register_isolated(data, file_name), book, register_format=self.register_format,
                                 today=today)  # fmt: skip
        with self.db.transaction() as session:
            if session.execute(select(RegisterBook).where(RegisterBook.source_sha256 == digest)).first():
                return ImportReport(book.book_code, len(rows), 0, 0, unchanged=True)
            if session.execute(select(RegisterBook.id).where(RegisterBook.book_code == book.book_code)).first():
                raise Conflict(
                    Message(f"Sổ {book.book_code} đã được nhập từ một tệp khác; sửa đổi sau khi nhập phải qua "
                            "quyết định chỉnh sửa hoặc đối soát.",
                            f"Book {book.book_code} was already imported from another file; later changes go "
                            "through a correction decision or reconciliation."),
                )  # fmt: skip
            conflicts = self._conflicts(session, book, rows)
            book_id = str(uuid.uuid4())
            now = self.clock.now()
            clean = [r for r in rows if r.row not in conflicts]
            session.add(RegisterBook(
                id=book_id, book_code=book.book_code, issuer_key=book.issuer_key, issuer_name=book.issuer_name,
                diploma_type=book.diploma_type.value, source_name=file_name[:255], source_sha256=digest,
                row_count=len(rows), imported_count=len(clean), queued_count=len(conflicts), imported_by=actor,
                created_at=now,
            ))  # fmt: skip
            session.flush()
            self._store(session, book, book_id, clean, now)
            if conflicts:
                session.execute(insert(ReconciliationItem), [
                    {"id": str(uuid.uuid4()), "book_id": book_id, "row_no": r.row, "kind": conflicts[r.row][0],
                     "row": r.to_json(), "conflicting_diploma_id": conflicts[r.row][1], "status": "open",
                     "created_at": now}
                    for r in rows if r.row in conflicts
                ])  # fmt: skip
            from credential_service.ledger.service import publish_in_transaction

            publish_in_transaction(session, self.settings, at=now)
        return ImportReport(book.book_code, len(rows), len(clean), len(conflicts), unchanged=False,
                            seconds=time.perf_counter() - started)  # fmt: skip

    def _store(self, session: Session, book: BookInfo, book_id: str | None, rows: Sequence[LegacyRow],
               now: datetime) -> list[str]:  # fmt: skip
        values: list[dict[str, Any]] = []
        events = []
        for r in rows:
            cid = str(uuid.uuid4())
            issued_on = r.decision_date or date(r.register_year, 12, 31)
            record_bytes = fast_canonical_json(_record(book, r, cid, issued_on))
            record_sha = sha256_hex(record_bytes)
            salt = secrets.token_hex(32)
            values.append({
                "id": cid, "diploma_type": book.diploma_type.value, "form": "paper", "origin": "legacy",
                "assurance": "digitized_from_paper", "issuer_key": book.issuer_key,
                "issuer_role": book.issuer_role.value, "issuer_name": book.issuer_name,
                "signer_name": book.signer_name, "school_id": None, "school_name": r.school,
                "graduation_decision_id": None, "graduate_index": None, "decision_no": r.decision_no,
                "graduation_year": r.graduation_year, "full_name": r.full_name, "name_key": r.name_key,
                "date_of_birth": r.date_of_birth, "place_of_birth": r.place_of_birth, "sex": r.sex,
                "ethnicity": r.ethnicity, "personal_id": r.personal_id, "classification": r.classification,
                "serial_no": r.serial_no, "register_no": r.register_no, "register_seq": r.register_seq,
                "register_year": r.register_year, "version": 1, "status": Status.ISSUED.value, "replaces_id": None,
                "replaced_by_id": None, "record_json": record_bytes.decode(), "record_sha256": record_sha,
                "salt": salt, "pdf": None, "pdf_sha256": None, "ledger_seq": None, "book_id": book_id,
                "book_page": r.page, "book_line": r.line, "scan_ref": r.scan_ref, "issued_on": issued_on,
                "created_at": now,
            })  # fmt: skip
            events.append(ledger.LeafEvent("imported", cid, record_sha, salt, None, r.register_no, None, now))
        if not values:
            return []
        entries = ledger.append_many(session, events)
        for v, e in zip(values, entries, strict=True):
            v["ledger_seq"] = e.seq
        _insert_many(session, values)
        return [str(v["id"]) for v in values]

    def _conflicts(self, session: Session, book: BookInfo, rows: Sequence[LegacyRow]) -> dict[int, tuple[str, str]]:
        """Rows that clash with entries already in the register: row -> (kind, conflicting diploma id)."""
        out: dict[int, tuple[str, str]] = {}
        by_serial: dict[str, str] = {}
        by_number: dict[str, str] = {}
        by_person: dict[tuple[str, date], str] = {}
        for part in _chunks(rows):
            serials = [r.serial_no for r in part]
            for sid, serial in session.execute(
                select(Diploma.id, Diploma.serial_no).where(Diploma.serial_no.in_(serials))
            ):
                by_serial[str(serial)] = sid
            numbers = [r.register_no for r in part]
            for sid, number in session.execute(
                select(Diploma.id, Diploma.register_no)
                .where(Diploma.issuer_key == book.issuer_key)
                .where(Diploma.register_no.in_(numbers))
            ):
                by_number[number] = sid
            keys = [r.name_key for r in part]
            for sid, key, dob in session.execute(
                select(Diploma.id, Diploma.name_key, Diploma.date_of_birth)
                .where(Diploma.diploma_type == book.diploma_type.value)
                .where(Diploma.name_key.in_(keys))
            ):
                by_person[(key, dob)] = sid
        for r in rows:
            if r.serial_no in by_serial:
                out[r.row] = ("duplicate_serial", by_serial[r.serial_no])
            elif r.register_no in by_number:
                out[r.row] = ("duplicate_register_no", by_number[r.register_no])
            elif (r.name_key, r.date_of_birth) in by_person:
                out[r.row] = ("same_person", by_person[(r.name_key, r.date_of_birth)])
        return out

    # ------------------------------------------------------------------------------ reconciliation
    def queue(self, status: str | None = "open") -> list[dict[str, Any]]:
        with self.db.reader() as session:
            query = select(ReconciliationItem, RegisterBook.book_code).join(
                RegisterBook, RegisterBook.id == ReconciliationItem.book_id
            )
            if status:
                query = query.where(ReconciliationItem.status == status)
            items = session.execute(query.order_by(ReconciliationItem.created_at, ReconciliationItem.row_no)).all()
            existing = {
                d.id: d
                for d in session.execute(
                    select(Diploma).where(Diploma.id.in_([i.conflicting_diploma_id for i, _ in items]))
                ).scalars()
            }
            out = []
            for item, code in items:
                other = existing.get(item.conflicting_diploma_id or "")
                out.append({
                    "id": item.id, "book": code, "row_no": item.row_no, "kind": item.kind, "status": item.status,
                    "row": item.row, "resolved_by": item.resolved_by, "note": item.note,
                    "conflicts_with": None if other is None else {
                        "credential_id": other.id, "full_name": other.full_name,
                        "date_of_birth": other.date_of_birth.isoformat(), "serial_no": other.serial_no,
                        "register_no": other.register_no, "graduation_year": other.graduation_year,
                        "school": other.school_name, "book_page": other.book_page, "book_line": other.book_line,
                    },
                })  # fmt: skip
            return out

    def resolve(self, item_id: str, *, decision: str, clerk: str, note: str) -> dict[str, Any]:
        """A clerk's resolution: ``accept`` imports the queued row as its own entry, ``reject`` keeps it out.
        Either way the resolution is ledgered (kind ``imported``)."""
        if decision not in ("accept", "reject") or not note.strip() or not clerk.strip():
            raise InvalidInput(Message("Cần quyết định accept|reject, người đối soát và ghi chú lý do.",
                                       "A decision (accept|reject), the clerk and a note are required."))  # fmt: skip
        with self.db.transaction() as session:
            item = session.get(ReconciliationItem, item_id)
            if item is None:
                raise NotFound(Message(f"Không có mục đối soát {item_id}.", f"No reconciliation item {item_id}."))
            if item.status != "open":
                raise Conflict(Message("Mục này đã được đối soát.", "This item is already resolved."))
            book_row = session.get(RegisterBook, item.book_id)
            assert book_row is not None
            book = BookInfo(book_row.book_code, book_row.issuer_key, book_row.issuer_name,
                            DiplomaType(book_row.diploma_type))  # fmt: skip
            row = LegacyRow.from_json(item.row)
            now = self.clock.now()
            diploma_id = None
            if decision == "accept":
                taken = select(Diploma.id).where(
                    Diploma.issuer_key == book.issuer_key, Diploma.register_no == row.register_no
                )
                if session.execute(taken).first():
                    raise Conflict(Message(
                        f"Số vào sổ {row.register_no} đã có trong sổ gốc của {book.issuer_name}; không thể nhận trùng.",
                        f"Register number {row.register_no} is already in {book.issuer_name}'s register; "
                        "it cannot be accepted twice."))  # fmt: skip
                diploma_id = self._store(session, book, item.book_id, [row], now)[0]
            resolution = {
                "schema": "sogoc-reconciliation/1", "item": item.id, "book": book.book_code, "row": item.row_no,
                "kind": item.kind, "decision": decision, "clerk": clerk, "note": note, "diploma_id": diploma_id,
                "conflicts_with": item.conflicting_diploma_id, "at": now.isoformat(timespec="seconds"),
            }  # fmt: skip
            doc = canonical_json(resolution)
            event = ledger.LeafEvent(
                "imported", item.id, sha256_hex(doc), secrets.token_hex(32), None, row.register_no, None, now
            )
            entry = ledger.append(session, event)
            item.status = "accepted" if decision == "accept" else "rejected"
            item.resolved_by, item.note, item.resolved_at = clerk, note, now
            item.diploma_id, item.ledger_seq = diploma_id, entry.seq
            from credential_service.ledger.service import publish_in_transaction

            publish_in_transaction(session, self.settings, at=now)
            return {"item": item.id, "status": item.status, "diploma_id": diploma_id, "ledger_seq": entry.seq}


# ------------------------------------------------------------------------------------------- demo data

_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
_MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Hữu", "Thuỳ"]
_GIVEN = ["Hoà", "Thuý", "Khoẻ", "An", "Bình", "Châu", "Dũng", "Giang", "Hải", "Hương", "Khánh", "Lan", "Long",
          "Mai", "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Trang", "Tuấn", "Việt", "Yến"]  # fmt: skip
_PLACES = ["Hải Phòng", "Kiến An", "Thủy Nguyên", "An Lão", "Tiên Lãng", "Vĩnh Bảo", "Hải Dương", "Cát Hải"]
_SCHOOLS = ["Trường THPT Ngô Quyền", "Trường THPT Trần Nguyên Hãn", "Trường THPT Lê Quý Đôn", "Trường THPT Thái Phiên"]


def demo_register_rows(n: int, *, year: int = 2004, type_code: str = "THPT", seed: int = 1,
                       serial_prefix: str = "A", first_seq: int = 1) -> list[list[Any]]:  # fmt: skip
    """A clean synthetic register book (all made up), as rows in COLUMNS order (all text cells)."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        dob = date(year - 18, rnd.randint(1, 12), rnd.randint(1, 28))
        sex = "Nữ" if rnd.random() < 0.5 else "Nam"
        middle = "Thị" if sex == "Nữ" and rnd.random() < 0.6 else rnd.choice(_MIDDLE)
        name = f"{rnd.choice(_FAMILY)} {middle} {rnd.choice(_GIVEN)}"
        pin = f"031{(2 if sex == 'Nam' else 3) if dob.year >= 2000 else (0 if sex == 'Nam' else 1)}"
        pin += f"{dob.year % 100:02d}{rnd.randint(0, 999_999):06d}"
        rows.append([
            str(i + 1), name, dob.strftime("%d/%m/%Y"), rnd.choice(_PLACES), sex, "Kinh", rnd.choice(_SCHOOLS),
            str(year), rnd.choice(["Khá", "Trung bình", "Giỏi"]), f"{serial_prefix}{seed:02d}{i + 1:07d}",
            f"{first_seq + i}/{type_code}/{year}", f"{seed}/QĐ-SGDĐT", f"15/07/{year}",
            pin if rnd.random() < 0.4 else "", str(i // 25 + 1), str(i % 25 + 1), f"scan/{seed}/p{i // 25 + 1:03d}.jpg",
            "",
        ])  # fmt: skip
    return rows


MESSY_ERRORS = {  # row index (0-based data row) -> (column, what was done)
    3: ("Ngày sinh", "31/02/1986: no such day"),
    7: ("Số định danh", "11 digits"),
    11: ("Số hiệu văn bằng", "same serial as data row 2"),
    15: ("Số vào sổ", "number skipped (out of sequence)"),
    19: ("Họ và tên", "missing"),
    23: ("Ngày sinh", "born after graduating"),
}


def make_messy(rows: list[list[Any]]) -> list[list[Any]]:
    """The typical errors of a hand-typed register, at the rows of :data:`MESSY_ERRORS`."""
    out = [list(r) for r in rows]
    col = {name: i for i, name in enumerate(COLUMNS)}
    out[3][col["Ngày sinh"]] = "31/02/1986"
    out[7][col["Số định danh"]] = "03120400012"
    out[11][col["Số hiệu văn bằng"]] = out[1][col["Số hiệu văn bằng"]]
    parsed = rules.parse_register_no(out[15][col["Số vào sổ"]])
    assert parsed is not None
    for k in range(15, len(out)):  # the clerk skipped a number: every later number is one too high
        p = rules.parse_register_no(out[k][col["Số vào sổ"]])
        assert p is not None
        out[k][col["Số vào sổ"]] = f"{p.seq + 1}/{p.type}/{p.year}"
    out[19][col["Họ và tên"]] = ""
    out[23][col["Ngày sinh"]] = f"01/01/{int(out[23][col['Năm tốt nghiệp']]) + 1}"
    return out


def register_xlsx(rows: Sequence[Sequence[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    text = io.StringIO(newline="")
    w = csv.writer(text, lineterminator="\r\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def report_json(err: InvalidInput) -> str:
    return json.dumps([p.to_dict() for p in err.problems], ensure_ascii=False, indent=1)
