"""Digitising the paper master registers (sổ gốc) kept since 2000: one XLSX/CSV file per register book.

The file has the columns of the paper register (:mod:`credential_service.diplomas.register_book`). It is
read in a worker within limits (:mod:`credential_service.diplomas.register_files`), then every row is
validated and the report names the sheet, row, column, value and what was expected for every problem
(:mod:`credential_service.diplomas.register_validation`). A file with any problem imports nothing;
re-importing an imported file changes nothing. This module stores a valid book (:class:`RegisterImporter`).

Rows that conflict with another book already in the register (the same serial, the same register
number, or the same person with another entry) are not imported but queued for reconciliation
(đối soát); a clerk accepts or rejects each, and the resolution is ledgered as ``imported``.
Imported rows are stored as written (names too, with a normalised matching key), with the
assurance level ``digitized_from_paper``, and each gets an ``imported`` ledger entry.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from credential_service.diplomas import rules
from credential_service.diplomas.record import Graduation, Holder, Issuer, build_diploma_record
from credential_service.diplomas.register_book import BookInfo, LegacyRow
from credential_service.diplomas.register_files import read_register_isolated
from credential_service.diplomas.register_validation import validate_register
from credential_service.diplomas.rules import DiplomaType, Status
from credential_service.diplomas.tables import Diploma, ReconciliationItem, RegisterBook
from credential_service.ledger import storage as ledger
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound
from credential_service.platform.settings import Settings


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
        holder=Holder(r.full_name, r.date_of_birth, r.place_of_birth, r.sex, r.ethnicity, r.personal_id,
                      r.old_id_number),
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
