"""Diplomas (văn bằng): the service — records graduation decisions and issues from them, and hands the
other changes and reads to the module that does each: correcting and reissuing (``versions``), revoking and
cancelling (``revocation``), copies from the register (``copies``), the status and the Sở's deadline view
(``status``), the public paper-diploma check, disclosure and revocation list (``public``).

Register numbers (số vào sổ gốc) are consecutive per issuer, diploma type and calendar year
(Circular 21/2019 Art. 13). Issuing, correcting and reissuing sign *outside* any transaction and then
record in one short transaction that re-checks what the signing assumed (the register counter still
where the PDFs were numbered from, the decision or the diploma unchanged) and takes the numbers there:
a failed signature, a crash or a change meanwhile (409) records nothing and loses no number — no gap,
no duplicate, and the database's write lock is never held while signing (see ``issuance``).

Each change of a diploma is a ledger entry: ``issued`` (with the register number), ``corrected``
(the new version, ``amends_seq`` = the old version's entry), ``reissued`` (likewise), ``revoked``
(revocation or cancellation, on the diploma's own id, ``amends_seq`` = its entry), ``imported``
(digitised paper rows and reconciliation resolutions). :func:`DiplomaService.diploma_status` is the
status lookup the verification service can call.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from credential_service.diplomas import rules, status
from credential_service.diplomas.copies import RegisterCopies
from credential_service.diplomas.issuance import (
    IssuePlan,
    Prepared,
    holder_of_graduate,
    issued_row,
    plan_issue,
    register_counter_value,
    register_lock,
    require_same_work,
    take_register_numbers,
)
from credential_service.diplomas.pdf_signing import DiplomaPdfs
from credential_service.diplomas.public import PublicRegister
from credential_service.diplomas.record import Graduation, Issuer, build_diploma_record
from credential_service.diplomas.revocation import Revocations
from credential_service.diplomas.rules import CorrectionRequest, DiplomaType, Form
from credential_service.diplomas.tables import (
    Diploma,
    GraduationDecision,
    PublicCheckLog,
    ReconciliationItem,
    RegisterBook,
)
from credential_service.diplomas.versions import DiplomaVersions
from credential_service.documents.factory import DocumentFactory
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotFound, Problem
from credential_service.platform.ratelimit import RateLimiter, database_limiter
from credential_service.staff.tables import School
from credential_service.transcripts.import_rules import FieldError, parse_date, parse_personal_id, parse_sex


@dataclass(frozen=True)
class IssueReport:
    decision_id: str
    issued: list[dict[str, Any]]
    skipped: int  # graduates who already hold a diploma from this decision

    def to_dict(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "issued": self.issued, "skipped": self.skipped}


class DiplomaService:
    def __init__(
        self,
        db: Database,
        documents: DocumentFactory,
        *,
        register_format: str = rules.DEFAULT_REGISTER_FORMAT,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        client_key: bytes | None = None,
    ) -> None:
        self.db = db
        self.documents = documents
        self.register_format = register_format
        self.clock = clock or SystemClock()
        self.pdfs = DiplomaPdfs(documents)
        self.versions = DiplomaVersions(db, self.pdfs, self.clock, documents.settings, register_format)
        self.revocation = Revocations(db, self.clock, documents.settings)
        self.register_copies = RegisterCopies(db, self.clock)
        self.public = PublicRegister(
            db,
            self.clock,
            limiter or database_limiter(db, self.clock),
            client_key or secrets.token_bytes(32),  # logs keep a keyed hash, never the address
            register_format,
        )

    # ------------------------------------------------------------------------------ decisions
    def record_graduation_decision(
        self,
        *,
        school_code: str,
        decision_no: str,
        decision_date: date,
        graduation_year: int,
        signer_name: str,
        graduates: Sequence[dict[str, Any]],
        diploma_type: str = DiplomaType.THPT.value,
        exam_session: str | None = None,
        training_mode: str | None = "Chính quy",
    ) -> str:
        """Store a graduation-recognition decision with its graduates; returns its id."""
        kind = DiplomaType(diploma_type)
        rules.issuer_role(kind, decision_date)  # refuses new THCS diplomas
        problems: list[Problem] = []
        cleaned: list[dict[str, Any]] = []
        for i, g in enumerate(graduates, start=1):
            loc = {"graduate": i}
            name = rules.display_name(str(g.get("full_name") or ""))
            try:
                dob = parse_date(g.get("date_of_birth"))
                sex = parse_sex(g.get("sex"))
                pin = parse_personal_id(g.get("personal_id"), dob)
            except FieldError as err:
                problems.append(Problem(err.message, loc, None, err.expected))
                continue
            if not name:
                problems.append(Problem(Message("Thiếu họ và tên", "Missing full name"), loc))
                continue
            cleaned.append(
                {
                    "full_name": name,
                    "date_of_birth": dob.isoformat(),
                    "sex": sex.value,
                    "place_of_birth": g.get("place_of_birth") or None,
                    "ethnicity": g.get("ethnicity") or None,
                    "personal_id": pin,
                }
            )
        if problems or not cleaned:
            raise InvalidInput(
                Message("Danh sách tốt nghiệp không hợp lệ.", "The list of graduates is not valid."), problems=problems
            )
        with self.db.transaction() as session:
            school = session.execute(select(School).where(School.code == school_code)).scalar_one_or_none()
            if school is None:
                raise NotFound(Message(f"Không có trường mã {school_code}.", f"No school {school_code}."))
            existing = session.execute(
                select(GraduationDecision.id).where(
                    GraduationDecision.issuer_key == school.code, GraduationDecision.decision_no == decision_no
                )
            ).scalar_one_or_none()
            if existing is not None:
                raise Conflict(
                    Message(
                        f"Quyết định số {decision_no} của trường {school_code} đã được ghi (mã {existing}).",
                        f"Decision {decision_no} of school {school_code} is already recorded (id {existing}).",
                    ),
                    hint=Message(
                        "Dùng quyết định đã ghi để cấp văn bằng; một quyết định khác cần số khác.",
                        "Issue from the recorded decision; a different decision needs its own number.",
                    ),
                    decision_id=existing,
                )
            decision_id = str(uuid.uuid4())
            session.add(
                GraduationDecision(
                    id=decision_id,
                    issuer_key=school.code,
                    school_id=school.id,
                    decision_no=decision_no,
                    decision_date=decision_date,
                    diploma_type=kind.value,
                    graduation_year=graduation_year,
                    exam_session=exam_session,
                    training_mode=training_mode,
                    signer_name=signer_name,
                    graduates=cleaned,
                    created_at=self.clock.now(),
                )
            )
            return decision_id

    def issue_from_decision(
        self,
        decision_id: str,
        *,
        issuer_staff_id: str,
        seal_staff_id: str,
        at: datetime | None = None,
        only: frozenset[int] | None = None,
    ) -> IssueReport:
        """Issue a signed digital diploma to every graduate of the decision who has none yet (all or nothing);
        with ``only``, to those of these graduate indexes (one item of an issuing job, ``issue_jobs``).

        Plan, sign outside any transaction, then record in one short transaction that takes the register
        numbers and re-checks the plan; a change meanwhile is a 409 with nothing recorded (``issuance``)."""
        at = at or self.clock.now()
        on = vn_date(at)
        with self.db.reader() as session:
            plan = plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on, only)
        if not plan.todo:
            return IssueReport(decision_id, [], len(plan.done))
        with register_lock(self.db, plan.issuer_key, plan.kind.value, on.year):
            with self.db.reader() as session:
                require_same_work(plan, plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on, only))
                last = register_counter_value(session, plan.issuer_key, plan.kind.value, on.year)
            prepared = [self._prepare(plan, index, g, last + n, on) for n, (index, g) in enumerate(plan.todo, 1)]
            signed = self.pdfs.sign([p.pdf for p in prepared], plan.issuer.key_label, plan.seal.key_label, at)
            with self.db.transaction() as session:  # short: numbers, re-check, rows, ledger, checkpoint
                take_register_numbers(
                    session, plan.issuer_key, plan.kind.value, on.year, len(prepared), expected_last=last
                )
                require_same_work(plan, plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on, only))
                now = self.clock.now()
                rows = [
                    issued_row(plan, p, pdf, secrets.token_hex(32), on, now)
                    for p, pdf in zip(prepared, signed, strict=True)
                ]
                session.add_all(rows)
                session.flush()
                events = [
                    ledger.LeafEvent("issued", d.id, d.record_sha256, d.salt, d.pdf_sha256, d.register_no, None, now)
                    for d in rows
                ]
                for d, entry in zip(rows, ledger.append_many(session, events), strict=True):
                    d.ledger_seq = entry.seq
                publish_in_transaction(session, self.documents.settings, at=self.clock.now())
        issued = [{"credential_id": d.id, "register_no": d.register_no, "full_name": d.full_name} for d in rows]
        return IssueReport(decision_id, issued, len(plan.done))

    def _prepare(self, plan: IssuePlan, index: int, graduate: dict[str, Any], seq: int, on: date) -> Prepared:
        """Number, build and render one graduate's diploma (no database, no signature)."""
        decision, school, kind = plan.decision, plan.school, plan.kind
        register_no = rules.format_register_no(seq, kind.value, on.year, self.register_format)
        holder = holder_of_graduate(graduate)
        record = build_diploma_record(
            credential_id=str(uuid.uuid4()), version=1, issued_on=on, diploma_type=kind, form=Form.DIGITAL.value,
            holder=holder,
            graduation=Graduation(
                decision.decision_no, decision.decision_date, decision.graduation_year,
                school.code if school else None, school.name if school else "",
                school.province if school else "Thành phố Hải Phòng", decision.exam_session,
                decision.training_mode,
            ),
            issuer=Issuer(plan.role, plan.organisation, plan.issuer.full_name), serial_no=None,
            register_no=register_no,
        )  # fmt: skip
        return Prepared(index, seq, register_no, holder, record, self.pdfs.render(record))

    # ------------------------------------------------------------------------------ reading
    def get(self, session: Session, diploma_id: str) -> Diploma:
        return status.get_diploma(session, diploma_id)

    def diploma(self, diploma_id: str) -> Diploma:
        with self.db.reader() as session:
            return status.get_diploma(session, diploma_id)

    def diploma_status(self, credential_id: str) -> dict[str, Any]:
        """Current status of one diploma version, for the verification service and the public pages."""
        with self.db.reader() as session:
            return status.diploma_status(session, credential_id)

    def deadline_view(self, today: date | None = None) -> list[dict[str, Any]]:
        """Per graduation decision: how many diplomas are issued on time / late, and how many are due / late."""
        today = today or self.clock.today()
        with self.db.reader() as session:
            return status.deadline_view(session, today)

    # ------------------------------------------------------------------------------ changes (see versions, revocation)
    def correct(
        self,
        diploma_id: str,
        request: CorrectionRequest,
        *,
        actor: str,
        issuer_staff_id: str | None = None,
        seal_staff_id: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Correct a printed civil-status field by decision, on one of the four legal grounds only."""
        return self.versions.correct(
            diploma_id, request, actor=actor, issuer_staff_id=issuer_staff_id, seal_staff_id=seal_staff_id, at=at
        )

    def check_correction(self, diploma_id: str, request: CorrectionRequest) -> None:
        """Validate a correction against the law and the register now, before anyone approves it."""
        self.versions.check_correction(diploma_id, request)

    def reissue(
        self,
        diploma_id: str,
        *,
        decision_no: str,
        decision_date: date,
        signer: str,
        reason: str,
        changes: dict[str, str],
        evidence: Sequence[str],
        actor: str,
        issuer_staff_id: str | None = None,
        seal_staff_id: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Reissue (cấp lại) with a new register number when the issuer wrote the diploma wrongly."""
        return self.versions.reissue(
            diploma_id, decision_no=decision_no, decision_date=decision_date, signer=signer, reason=reason,
            changes=changes, evidence=evidence, actor=actor, issuer_staff_id=issuer_staff_id,
            seal_staff_id=seal_staff_id, at=at,
        )  # fmt: skip

    def revoke(
        self,
        diploma_id: str,
        *,
        kind: str,
        ground: str,
        decision_no: str,
        decision_date: date,
        signer: str,
        reason: str,
        actor: str,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Revoke (thu hồi) or cancel (hủy bỏ) by decision on one of the six grounds; ledgered as ``revoked``."""
        return self.revocation.revoke(
            diploma_id, kind=kind, ground=ground, decision_no=decision_no, decision_date=decision_date,
            signer=signer, reason=reason, actor=actor, at=at,
        )  # fmt: skip

    # ------------------------------------------------------------------------------ copies (see copies)
    def copy_from_register(
        self, diploma_id: str, *, kind: str, requester_name: str, capacity: str, purpose: str, given_by: str
    ) -> dict[str, Any]:
        """A copy or extract from the register (bản sao từ sổ gốc), logged."""
        return self.register_copies.give(
            diploma_id, kind=kind, requester_name=requester_name, capacity=capacity, purpose=purpose,
            given_by=given_by,
        )  # fmt: skip

    def copies(self, diploma_id: str) -> list[dict[str, Any]]:
        return self.register_copies.given(diploma_id)

    # ------------------------------------------------------------------------------ public (see public)
    def client_hash(self, client: str) -> str:
        return self.public.client_hash(client)

    def public_check_outcomes(self, since: datetime) -> list[tuple[datetime, str]]:
        """(moment, outcome) of each public paper-diploma check from ``since``; not the client nor the query
        (the progress counts verification traffic per day)."""
        q = select(PublicCheckLog.created_at, PublicCheckLog.outcome).where(PublicCheckLog.created_at >= since)
        with self.db.reader() as s:
            return [(at, outcome) for at, outcome in s.execute(q)]

    def digitisation_counts(self) -> dict[str, Any]:
        """Counts only, no row of the register: the digitised paper entries per register year (rows, books,
        rows in the ledger, rows with a signed PDF), the books imported, and the reconciliation queue's
        items (status, when queued). For the progress (``reporting/digitisation_rules.py``)."""
        d = Diploma
        per_year = (
            select(
                d.register_year,
                func.count(),
                func.count(func.distinct(d.book_id)),
                func.count(d.ledger_seq),
                func.count(d.pdf_sha256),
            )
            .where(d.origin == "legacy")
            .group_by(d.register_year)
        )
        books = select(func.count(), func.coalesce(func.sum(RegisterBook.row_count), 0))
        queue = select(ReconciliationItem.status, ReconciliationItem.created_at)
        with self.db.reader() as s:
            return {
                "years": [
                    {"year": y, "rows": n, "books": b, "in_ledger": led, "signed_pdf": pdf}
                    for y, n, b, led, pdf in s.execute(per_year)
                ],
                "books": dict(zip(("books", "book_rows"), s.execute(books).one(), strict=True)),
                "queue": [(status, at) for status, at in s.execute(queue)],
            }

    def public_check(self, *, number: str, full_name: str, date_of_birth: str, client: str) -> dict[str, Any]:
        """Paper (or digital) diploma check: serial or register number + full name + date of birth."""
        return self.public.check(number=number, full_name=full_name, date_of_birth=date_of_birth, client=client)

    def disclosure(self, school_code: str, year: int) -> list[dict[str, Any]]:
        """Public disclosure (công khai) of the diplomas of a school and graduation year."""
        return self.public.disclosure(school_code, year)

    def revocations(self) -> list[dict[str, Any]]:
        """Public list of revocation and cancellation decisions (published on the portal, Art. 25)."""
        return self.public.revocations()

    def register_ids(self) -> list[str]:
        """Every diploma in the register (issued here, or imported from a paper register), whatever its status:
        each has a ledger entry (the Sở's reconciliation of the register with the ledger)."""
        with self.db.reader() as session:
            return list(session.execute(select(Diploma.id)).scalars())

    # ------------------------------------------------------------------------------ admissions (issue #15)
    def legacy_thcs_diplomas(self, personal_ids: Sequence[str], diploma_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The THCS diplomas (legacy: none is issued from 1/1/2026) stating one of ``personal_ids`` or among
        ``diploma_ids`` (those linked to the person by the holders service), every version the register holds:
        id, version, register status, the personal ID stated, graduation year, the record and its hash (for the
        caller to check against the ledger). Nothing else leaves the register here."""
        if not personal_ids and not diploma_ids:
            return []
        with self.db.reader() as session:
            rows = session.execute(
                select(
                    Diploma.id, Diploma.version, Diploma.status, Diploma.personal_id, Diploma.graduation_year,
                    Diploma.record_json, Diploma.record_sha256,
                ).where(
                    Diploma.diploma_type == DiplomaType.THCS.value,
                    or_(Diploma.personal_id.in_(list(personal_ids)), Diploma.id.in_(list(diploma_ids))),
                )
            ).all()  # fmt: skip
        keys = ("credential_id", "version", "status", "personal_id", "graduation_year", "record_json", "record_sha256")
        return [dict(zip(keys, r, strict=True)) for r in rows]
