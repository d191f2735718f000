"""Diplomas (văn bằng): issue from a graduation decision, correct, revoke/cancel, reissue, copy from
the register, the Sở's deadline view, the public paper-diploma check and public disclosure.

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

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from credential_service.diplomas import rules
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
from credential_service.diplomas.issuance import require_role as _require_role
from credential_service.diplomas.issuance import reserve_register_numbers as reserve_register_numbers
from credential_service.diplomas.record import Graduation, Holder, Issuer, build_diploma_record
from credential_service.diplomas.render import render_diploma
from credential_service.diplomas.rules import (
    CORRECTION_GROUND_LABELS,
    REVOCATION_GROUND_LABELS,
    STATUS_LABELS,
    CorrectionGround,
    CorrectionRequest,
    DiplomaType,
    Form,
    IssuerRole,
    RevocationKind,
    Status,
)
from credential_service.diplomas.tables import (
    Diploma,
    DiplomaCopy,
    DiplomaDecision,
    GraduationDecision,
    PublicCheckLog,
)
from credential_service.documents.factory import DocumentFactory
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.client_address import address_bucket
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import (
    Conflict,
    InvalidInput,
    Message,
    NotFound,
    Problem,
)
from credential_service.platform.errors import RateLimited as TooManyRequests
from credential_service.platform.ratelimit import RateLimiter, RateLimitItem, database_limiter, parse
from credential_service.staff.tables import School, Staff
from credential_service.transcripts.import_rules import FieldError, parse_date, parse_personal_id, parse_sex
from credential_service.transcripts.workflow import Step
from signing.fields import FieldSpec, prepare_signature_fields

log = logging.getLogger(__name__)

COPY_CAPACITIES = ("holder", "representative", "authorised", "relative_of_deceased")  # Circular 21/2019 Art. 28
# The public check, per client address (an IPv6 client per /64), in the store every worker shares.
CHECK_LIMITS = (parse("10/minute"), parse("200/day"))


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class IssueReport:
    decision_id: str
    issued: list[dict[str, Any]]
    skipped: int  # graduates who already hold a diploma from this decision

    def to_dict(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "issued": self.issued, "skipped": self.skipped}


class RateLimited(TooManyRequests):
    """Too many public checks from one client (HTTP 429, ``retry_after`` in seconds)."""


# --------------------------------------------------------------------------------------------------
# helpers


def _holder_of(d: Diploma) -> Holder:
    return Holder(d.full_name, d.date_of_birth, d.place_of_birth, d.sex, d.ethnicity, d.personal_id)


def _printed(d: Diploma) -> dict[str, str | None]:
    return {
        "full_name": d.full_name,
        "date_of_birth": d.date_of_birth.isoformat(),
        "place_of_birth": d.place_of_birth,
        "sex": d.sex,
        "ethnicity": d.ethnicity,
    }


def _with_field(holder: Holder, field: str, value: str) -> Holder:
    values = dict(holder.__dict__)
    values[field] = date.fromisoformat(value) if field == "date_of_birth" else value
    if field == "full_name":
        values[field] = rules.display_name(value)
    return Holder(**values)


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
        self.limiter = limiter or database_limiter(db, self.clock)
        self.check_limits: Sequence[RateLimitItem] = CHECK_LIMITS
        self._client_key = client_key or secrets.token_bytes(32)  # logs keep a keyed hash, never the address

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
            decision_id = _new_id()
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

    # ------------------------------------------------------------------------------ issue
    def _sign(self, pdfs: list[bytes], issuer_label: str, seal_label: str, at: datetime) -> list[bytes]:
        approved = self.documents.sign_many(Step.PRINCIPAL, issuer_label, pdfs, at=at)
        sealed = self.documents.sign_many(
            Step.SEAL, seal_label, [r.pdf for r in approved], at=at, earlier_key_labels=[issuer_label]
        )
        return [r.pdf for r in sealed]

    def _render(self, record: dict[str, Any]) -> bytes:
        record_json = canonical_json(record)
        verify_url = self.documents.settings.verify_url(str(record["credential_id"]))
        rendered = render_diploma(record, verify_url=verify_url, record_json=record_json)
        fields = [
            FieldSpec(name=n, page=p, box=(x1, y1, x2, y2))
            for n, (p, x1, y1, x2, y2) in rendered.signature_boxes.items()
        ]
        return prepare_signature_fields(rendered.pdf, fields)

    def issue_from_decision(
        self, decision_id: str, *, issuer_staff_id: str, seal_staff_id: str, at: datetime | None = None
    ) -> IssueReport:
        """Issue a signed digital diploma to every graduate of the decision who has none yet (all or nothing).

        Plan, sign outside any transaction, then record in one short transaction that takes the register
        numbers and re-checks the plan; a change meanwhile is a 409 with nothing recorded (``issuance``)."""
        at = at or self.clock.now()
        on = vn_date(at)
        with self.db.reader() as session:
            plan = plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on)
        if not plan.todo:
            return IssueReport(decision_id, [], len(plan.done))
        with register_lock(self.db, plan.issuer_key, plan.kind.value, on.year):
            with self.db.reader() as session:
                require_same_work(plan, plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on))
                last = register_counter_value(session, plan.issuer_key, plan.kind.value, on.year)
            prepared = [self._prepare(plan, index, g, last + n, on) for n, (index, g) in enumerate(plan.todo, 1)]
            signed = self._sign([p.pdf for p in prepared], plan.issuer.key_label, plan.seal.key_label, at)
            with self.db.transaction() as session:  # short: numbers, re-check, rows, ledger, checkpoint
                take_register_numbers(
                    session, plan.issuer_key, plan.kind.value, on.year, len(prepared), expected_last=last
                )
                require_same_work(plan, plan_issue(session, decision_id, issuer_staff_id, seal_staff_id, on))
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
            credential_id=_new_id(), version=1, issued_on=on, diploma_type=kind, form=Form.DIGITAL.value,
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
        return Prepared(index, seq, register_no, holder, record, self._render(record))

    # ------------------------------------------------------------------------------ reading
    def get(self, session: Session, diploma_id: str) -> Diploma:
        d = session.get(Diploma, diploma_id)
        if d is None:
            raise NotFound(Message(f"Không có văn bằng mã {diploma_id}.", f"No diploma {diploma_id}."))
        return d

    def diploma(self, diploma_id: str) -> Diploma:
        with self.db.reader() as session:
            return self.get(session, diploma_id)

    def _current(self, session: Session, diploma_id: str) -> Diploma:
        d = self.get(session, diploma_id)
        if d.status != Status.ISSUED.value:
            label = STATUS_LABELS[Status(d.status)]
            raise Conflict(
                Message(
                    f"Văn bằng {d.register_no} (phiên bản {d.version}) đang ở trạng thái «{label.vi}»; chỉ thao tác "
                    "được trên phiên bản hiện hành còn hiệu lực.",
                    f"Diploma {d.register_no} (version {d.version}) is «{label.en}»; only the current valid version "
                    "can be acted on.",
                ),
                status=d.status,
                replaced_by=d.replaced_by_id,
            )
        return d

    # ------------------------------------------------------------------------------ correction
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
        """Correct a printed civil-status field by decision, on one of the four legal grounds only.

        The original version stays in the register (status ``corrected``, linked to the new one); the new
        version is issued (signed again when the original was digital) and ledgered as ``corrected``."""
        at = at or self.clock.now()
        with self.db.reader() as session:  # plan and sign outside the writing transaction
            old = self._current(session, diploma_id)
            ground = rules.validate_correction(request, _printed(old), today=vn_date(at))
            holder = _with_field(_holder_of(old), request.field, request.new_value)
            decision_doc = {
                "kind": "correction", "label_vi": "Chỉnh sửa văn bằng", "decision_no": request.decision_no,
                "decision_date": request.decision_date.isoformat(), "signer": request.signer, "ground": ground.value,
                "ground_vi": CORRECTION_GROUND_LABELS[ground].vi, "field": request.field,
                "old_value": request.old_value, "new_value": request.new_value, "evidence": list(request.evidence),
            }  # fmt: skip
            new = self._new_version(session, old, holder, decision_doc, at)
            signers = None
            if old.form == Form.DIGITAL.value:
                signers = self._signers(session, old, issuer_staff_id, seal_staff_id, vn_date(at))
        pdf = self._sign_version(new, signers, at)
        with self.db.transaction() as session:
            current = self._unchanged(session, old)
            return self._commit_version(
                session, current, new, pdf, "corrected", Status.CORRECTED, decision_doc, actor, at,
                ground=ground.value, field=request.field, old_value=request.old_value, new_value=request.new_value,
                evidence=list(request.evidence),
            )  # fmt: skip

    def check_correction(self, diploma_id: str, request: CorrectionRequest) -> None:
        """Validate a correction against the law and the register now, before anyone approves it."""
        with self.db.reader() as session:
            rules.validate_correction(request, _printed(self._current(session, diploma_id)), today=self.clock.today())

    def _sign_version(self, new: Diploma, signers: tuple[Staff, Staff] | None, at: datetime) -> bytes | None:
        if signers is None:
            return None
        issuer, seal = signers
        return self._sign([self._render(json.loads(new.record_json))], issuer.key_label, seal.key_label, at)[0]

    def _unchanged(self, session: Session, old: Diploma) -> Diploma:
        """Under the write lock: the version the new one was signed against is still the current one."""
        session.get(Diploma, old.id, with_for_update=True)  # PostgreSQL: wait for a concurrent change of the row
        current = self._current(session, old.id)  # 409 when it was corrected, reissued or revoked meanwhile
        if current.record_sha256 != old.record_sha256 or current.replaced_by_id is not None:
            raise Conflict(
                Message(
                    f"Văn bằng {old.register_no} vừa được thay đổi trong lúc ký; chưa ghi gì, vui lòng tải lại.",
                    f"Diploma {old.register_no} changed while signing; nothing was recorded, reload and try again.",
                )
            )
        return current

    def _signers(
        self, session: Session, d: Diploma, issuer_staff_id: str | None, seal_staff_id: str | None, on: date
    ) -> tuple[Staff, Staff]:
        if not issuer_staff_id or not seal_staff_id:
            raise InvalidInput(
                Message("Văn bằng số cần người ký và dấu để phát hành phiên bản mới.",
                        "A digital diploma needs the issuer and the seal to sign the new version."),
            )  # fmt: skip
        role = IssuerRole.PRINCIPAL if d.issuer_role == IssuerRole.PRINCIPAL.value else IssuerRole(d.issuer_role)
        return (
            _require_role(session, issuer_staff_id, role.value, d.school_id, on),
            _require_role(session, seal_staff_id, "seal", d.school_id, on),
        )

    def _new_version(
        self,
        session: Session,
        old: Diploma,
        holder: Holder,
        decision_doc: dict[str, Any],
        at: datetime,
        *,
        register: tuple[str, int | None, int] | None = None,
    ) -> Diploma:
        old_record = json.loads(old.record_json)
        cid = _new_id()
        register_no, register_seq, register_year = register or (old.register_no, old.register_seq, old.register_year)
        grad = old_record["graduation"]
        record = build_diploma_record(
            credential_id=cid, version=old.version + 1, issued_on=vn_date(at),
            diploma_type=DiplomaType(old.diploma_type),
            form=old.form, holder=holder,
            graduation=Graduation(
                grad["decision_no"] or "", date.fromisoformat(grad["decision_date"]) if grad.get("decision_date")
                else old.issued_on, grad["year"], old_record["school"].get("code"), old_record["school"]["name"],
                old_record["school"].get("province") or "Thành phố Hải Phòng", grad.get("exam_session"),
                grad.get("training_mode"), grad.get("classification"),
            ),
            issuer=Issuer(IssuerRole(old.issuer_role), old.issuer_name, old.signer_name), serial_no=old.serial_no,
            register_no=register_no,
            replaces={"credential_id": old.id, "version": old.version, "register_no": old.register_no},
            decision=decision_doc,
        )  # fmt: skip
        record_bytes = canonical_json(record)
        values = {c.key: getattr(old, c.key) for c in Diploma.__table__.columns}
        values.update(
            id=cid, version=old.version + 1, status=Status.ISSUED.value, replaces_id=old.id, replaced_by_id=None,
            full_name=holder.full_name, name_key=rules.name_key(holder.full_name), date_of_birth=holder.date_of_birth,
            place_of_birth=holder.place_of_birth, sex=holder.sex, ethnicity=holder.ethnicity,
            register_no=register_no, register_seq=register_seq, register_year=register_year,
            record_json=record_bytes.decode(), record_sha256=sha256_hex(record_bytes), salt=secrets.token_hex(32),
            pdf=None, pdf_sha256=None, ledger_seq=None, issued_on=vn_date(at), created_at=self.clock.now(),
            graduate_index=old.graduate_index,
        )  # fmt: skip
        return Diploma(**values)

    def _commit_version(
        self,
        session: Session,
        old: Diploma,
        new: Diploma,
        pdf: bytes | None,
        entry_kind: str,
        old_status: Status,
        decision_doc: dict[str, Any],
        actor: str,
        at: datetime,
        **decision_fields: Any,
    ) -> dict[str, Any]:
        if pdf is not None:
            new.pdf, new.pdf_sha256 = pdf, sha256_hex(pdf)
        now = self.clock.now()
        session.add(new)
        old.status = old_status.value
        old.replaced_by_id = new.id
        session.flush()
        entry = ledger.append(
            session,
            ledger.LeafEvent(entry_kind, new.id, new.record_sha256, new.salt, new.pdf_sha256, new.register_no,
                             old.ledger_seq, now),
        )  # fmt: skip
        new.ledger_seq = entry.seq
        fields: dict[str, Any] = {"ground": "issuer_error", "evidence": [], **decision_fields}
        session.add(
            DiplomaDecision(
                id=_new_id(), kind=decision_doc["kind"], diploma_id=old.id, new_diploma_id=new.id,
                decision_no=decision_doc["decision_no"],
                decision_date=date.fromisoformat(decision_doc["decision_date"]),
                signer=decision_doc["signer"], reason=decision_doc.get("reason"), ledger_seq=entry.seq,
                created_by=actor, created_at=now, **fields,
            )
        )  # fmt: skip
        publish_in_transaction(session, self.documents.settings, at=now)
        return {"old": old.id, "new": new.id, "version": new.version, "register_no": new.register_no,
                "ledger_seq": entry.seq, "amends_seq": old.ledger_seq}  # fmt: skip

    # ------------------------------------------------------------------------------ revocation
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
        at = at or self.clock.now()
        legal = rules.parse_revocation_ground(ground)
        try:
            action = RevocationKind(kind)
        except ValueError:
            raise InvalidInput(Message(f"Loại quyết định «{kind}» không hợp lệ (revoke | cancel).",
                                       f"Unknown decision kind «{kind}» (revoke | cancel).")) from None  # fmt: skip
        problems = []
        if not decision_no.strip():
            problems.append(
                Problem(Message("Thiếu số quyết định", "Missing decision number"), {"field": "decision_no"})
            )
        if not reason.strip():
            problems.append(Problem(Message("Quyết định phải nêu lý do", "The decision must state the reason"),
                                    {"field": "reason"}))  # fmt: skip
        if not signer.strip():
            problems.append(Problem(Message("Thiếu người ký", "Missing signer"), {"field": "signer"}))
        if decision_date > vn_date(at):
            problems.append(Problem(Message("Ngày quyết định ở tương lai", "Decision date in the future"),
                                    {"field": "decision_date"}, decision_date.isoformat()))  # fmt: skip
        if problems:
            raise InvalidInput(Message("Quyết định thu hồi/hủy bỏ không hợp lệ.", "Invalid revocation decision."),
                               problems=problems)  # fmt: skip
        with self.db.transaction() as session:
            d = self._current(session, diploma_id)
            doc = {
                "schema": "vanbang-decision/1",
                "kind": "revocation" if action is RevocationKind.REVOKE else "cancellation",
                "credential_id": d.id, "register_no": d.register_no, "decision_no": decision_no,
                "decision_date": decision_date.isoformat(), "signer": signer, "ground": legal.value,
                "ground_vi": REVOCATION_GROUND_LABELS[legal].vi, "reason": reason, "source": rules.REVOCATION_SOURCE,
            }  # fmt: skip
            doc_bytes = canonical_json(doc)
            now = self.clock.now()
            entry = ledger.append(
                session,
                ledger.LeafEvent("revoked", d.id, sha256_hex(doc_bytes), secrets.token_hex(32), d.pdf_sha256,
                                 d.register_no, d.ledger_seq, now),
            )  # fmt: skip
            d.status = (Status.REVOKED if action is RevocationKind.REVOKE else Status.CANCELLED).value
            session.add(
                DiplomaDecision(
                    id=_new_id(), kind=doc["kind"], diploma_id=d.id, new_diploma_id=None, decision_no=decision_no,
                    decision_date=decision_date, signer=signer, ground=legal.value, field=None, old_value=None,
                    new_value=None, evidence=[], reason=reason,
                    return_by=decision_date + timedelta(days=rules.HOLDER_RETURN_DAYS), ledger_seq=entry.seq,
                    created_by=actor, created_at=now,
                )
            )  # fmt: skip
            publish_in_transaction(session, self.documents.settings, at=now)
            return {"credential_id": d.id, "status": d.status, "ledger_seq": entry.seq, "amends_seq": d.ledger_seq}

    # ------------------------------------------------------------------------------ reissue
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
        """Reissue (cấp lại) when the issuer wrote the diploma wrongly (Circular 21/2019 Art. 18): a new
        diploma with a new register number replaces the wrong one; ledgered as ``reissued``."""
        at = at or self.clock.now()
        bad = [f for f in changes if f not in rules.CORRECTABLE_FIELDS]
        if bad or not changes or not decision_no.strip() or not reason.strip():
            raise InvalidInput(
                Message("Cấp lại chỉ khi cơ quan cấp ghi sai: cần số quyết định, lý do và các trường ghi sai "
                        f"({', '.join(rules.CORRECTABLE_FIELDS)}).",
                        "Reissue only when the issuer wrote it wrongly: a decision number, a reason and the "
                        f"mis-written fields ({', '.join(rules.CORRECTABLE_FIELDS)}) are needed."),
                fields=bad,
            )  # fmt: skip
        with self.db.reader() as session:
            first = self._current(session, diploma_id)
        kind, issuer_key = DiplomaType(first.diploma_type), first.issuer_key
        with register_lock(self.db, issuer_key, kind.value, at.year):  # plan and sign, then record briefly
            with self.db.reader() as session:
                old = self._current(session, diploma_id)
                holder = _holder_of(old)
                for field, value in changes.items():
                    holder = _with_field(holder, field, value)
                last = register_counter_value(session, old.issuer_key, kind.value, at.year)
                register_no = rules.format_register_no(last + 1, kind.value, at.year, self.register_format)
                doc = {
                    "kind": "reissue", "label_vi": "Cấp lại văn bằng", "decision_no": decision_no,
                    "decision_date": decision_date.isoformat(), "signer": signer, "ground": "issuer_error",
                    "reason": reason, "changes": changes,
                }  # fmt: skip
                new = self._new_version(session, old, holder, doc, at, register=(register_no, last + 1, at.year))
                new.form = Form.DIGITAL.value if issuer_staff_id else old.form
                signers = None
                if new.form == Form.DIGITAL.value:
                    signers = self._signers(session, old, issuer_staff_id, seal_staff_id, vn_date(at))
            pdf = self._sign_version(new, signers, at)
            with self.db.transaction() as session:
                take_register_numbers(session, old.issuer_key, kind.value, at.year, 1, expected_last=last)
                return self._commit_version(session, self._unchanged(session, old), new, pdf, "reissued",
                                            Status.REISSUED, doc, actor, at, evidence=list(evidence))  # fmt: skip

    # ------------------------------------------------------------------------------ copies
    def copy_from_register(
        self, diploma_id: str, *, kind: str, requester_name: str, capacity: str, purpose: str, given_by: str
    ) -> dict[str, Any]:
        """A copy or extract from the register (bản sao từ sổ gốc), logged with who, capacity, purpose,
        time and the hash of what was given. It matches the register exactly (Circular 21/2019 Art. 27–31)."""
        if (
            kind not in ("copy", "extract")
            or capacity not in COPY_CAPACITIES
            or not requester_name.strip()
            or not purpose.strip()
        ):
            raise InvalidInput(
                Message(f"Yêu cầu bản sao không hợp lệ: loại copy|extract, tư cách {', '.join(COPY_CAPACITIES)}, "
                        "cần tên người yêu cầu và mục đích.",
                        f"Invalid copy request: kind copy|extract, capacity {', '.join(COPY_CAPACITIES)}, a requester "
                        "and a purpose are required."),
            )  # fmt: skip
        with self.db.transaction() as session:
            d = self.get(session, diploma_id)
            now = self.clock.now()
            copy_id = _new_id()
            content = {
                "schema": "vanbang-copy/1", "copy_id": copy_id, "kind": kind,
                "given_at": now.isoformat(timespec="seconds"),
                "register_entry": json.loads(d.record_json), "status": d.status,
                "assurance": d.assurance, "provenance": self._provenance(d),
            }  # fmt: skip
            body = canonical_json(content)
            session.add(
                DiplomaCopy(id=copy_id, diploma_id=d.id, kind=kind, requester_name=requester_name, capacity=capacity,
                            purpose=purpose, given_by=given_by, content_sha256=sha256_hex(body), created_at=now)
            )  # fmt: skip
            return {"copy_id": copy_id, "content_sha256": sha256_hex(body), "content": content}

    @staticmethod
    def _provenance(d: Diploma) -> dict[str, Any] | None:
        if d.book_id is None:
            return None
        return {"book_id": d.book_id, "page": d.book_page, "line": d.book_line, "scan_ref": d.scan_ref}

    def copies(self, diploma_id: str) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            rows = session.execute(
                select(DiplomaCopy).where(DiplomaCopy.diploma_id == diploma_id).order_by(DiplomaCopy.created_at)
            ).scalars()
            return [
                {"copy_id": r.id, "kind": r.kind, "requester_name": r.requester_name, "capacity": r.capacity,
                 "purpose": r.purpose, "given_by": r.given_by, "content_sha256": r.content_sha256,
                 "at": r.created_at.isoformat()}
                for r in rows
            ]  # fmt: skip

    # ------------------------------------------------------------------------------ status (for verification)
    def diploma_status(self, credential_id: str) -> dict[str, Any]:
        """Current status of one diploma version, for the verification service and the public pages."""
        with self.db.reader() as session:
            d = self.get(session, credential_id)
            decisions = list(
                session.execute(
                    select(DiplomaDecision)
                    .where(DiplomaDecision.diploma_id == credential_id)
                    .order_by(DiplomaDecision.ledger_seq)
                ).scalars()
            )
            current = d
            while current.replaced_by_id:
                nxt = session.get(Diploma, current.replaced_by_id)
                if nxt is None:
                    break
                current = nxt
        status = Status(d.status)
        last = decisions[-1] if decisions else None
        decision = None
        if last is not None and status is not Status.ISSUED:
            labels = REVOCATION_GROUND_LABELS if last.kind in ("revocation", "cancellation") else None
            ground_vi = None
            if labels is not None:
                ground_vi = labels[rules.RevocationGround(last.ground)].vi
            elif last.ground in CorrectionGround.__members__.values():
                ground_vi = CORRECTION_GROUND_LABELS[CorrectionGround(last.ground)].vi
            decision = {
                "kind": last.kind, "decision_no": last.decision_no, "decision_date": last.decision_date.isoformat(),
                "signer": last.signer, "ground": last.ground, "ground_vi": ground_vi, "reason": last.reason,
                "field": last.field, "ledger_seq": last.ledger_seq,
                "return_by": last.return_by.isoformat() if last.return_by else None,
            }  # fmt: skip
        label = STATUS_LABELS[status]
        return {
            "credential_id": d.id,
            "kind": "diploma",
            "schema": "vanbang/1",
            "status": status.value,
            "status_vi": label.vi,
            "status_en": label.en,
            "valid": status is Status.ISSUED,
            "version": d.version,
            "type": d.diploma_type,
            "form": d.form,
            "assurance": d.assurance,
            "register_no": d.register_no,
            "serial_no": d.serial_no,
            "issuer": d.issuer_name,
            "issuer_role": d.issuer_role,
            "graduation_year": d.graduation_year,
            "issued_on": d.issued_on.isoformat(),
            "record_sha256": d.record_sha256,
            "pdf_sha256": d.pdf_sha256,
            "ledger_seq": d.ledger_seq,
            "replaces": d.replaces_id,
            "replaced_by": d.replaced_by_id,
            "current_version": current.id,
            "decision": decision,
        }

    # ------------------------------------------------------------------------------ Sở's view
    def deadline_view(self, today: date | None = None) -> list[dict[str, Any]]:
        """Per graduation decision: how many diplomas are issued on time / late, and how many are due / late."""
        today = today or self.clock.today()
        out = []
        with self.db.reader() as session:
            decisions = list(
                session.execute(select(GraduationDecision).order_by(GraduationDecision.decision_date)).scalars()
            )
            issued = {
                (gid, idx): on
                for gid, idx, on in session.execute(
                    select(Diploma.graduation_decision_id, Diploma.graduate_index, func.min(Diploma.issued_on))
                    .where(Diploma.graduation_decision_id.is_not(None))
                    .group_by(Diploma.graduation_decision_id, Diploma.graduate_index)
                )
            }
            schools = {s.id: s for s in session.execute(select(School)).scalars()}
        for g in decisions:
            counts = {state.value: 0 for state in rules.DeadlineState}
            for i in range(len(g.graduates)):
                state = rules.deadline_status(g.decision_date, today=today, issued_on=issued.get((g.id, i)))
                counts[state.state.value] += 1
            due = rules.issue_deadline(g.decision_date, Form.DIGITAL)
            school = schools.get(g.school_id or "")
            out.append({
                "decision_id": g.id, "decision_no": g.decision_no, "decision_date": g.decision_date.isoformat(),
                "school": school.name if school else g.issuer_key, "school_code": school.code if school else None,
                "graduates": len(g.graduates), "due_on": due.isoformat(), "days_left": (due - today).days,
                "counts": counts, "late": counts["late"] > 0,
            })  # fmt: skip
        return out

    # ------------------------------------------------------------------------------ public
    def client_hash(self, client: str) -> str:
        return hmac.new(self._client_key, client.encode(), hashlib.sha256).hexdigest()[:32]

    def public_check(self, *, number: str, full_name: str, date_of_birth: str, client: str) -> dict[str, Any]:
        """Paper (or digital) diploma check: serial or register number + full name + date of birth.

        Answers match / no match, and on a match only the status, issuer, type and year. Rate-limited
        per client address (``check_limits``, shared by every worker); every check is logged (keyed hash of
        the client, query kind, outcome; no query data)."""
        number = "".join(str(number).split())
        kind = "register_no" if "/" in number or "-" in number else "serial"
        who = self.client_hash(client)
        try:
            for limit in self.check_limits:
                self.limiter.hit(limit, "diploma-check", address_bucket(client))
        except TooManyRequests as e:
            self._log_check(who, kind, "limited")
            wait = int(e.extra.get("retry_after") or 60)
            raise RateLimited(
                Message(f"Bạn đã tra cứu quá nhiều lần; vui lòng thử lại sau {wait} giây.",
                        f"Too many checks from this client; try again in {wait} s."),
                retry_after=wait,
            ) from e  # fmt: skip
        problems = []
        try:
            dob = parse_date(date_of_birth)
        except FieldError as err:
            problems.append(Problem(err.message, {"field": "date_of_birth"}, date_of_birth, err.expected))
        if not number or len(number) > 64:
            problems.append(Problem(Message("Cần số hiệu hoặc số vào sổ", "A serial or register number is needed"),
                                    {"field": "number"}))  # fmt: skip
        if not rules.name_key(full_name):
            problems.append(Problem(Message("Cần họ và tên đầy đủ", "The full name is needed"), {"field": "full_name"}))
        if problems:
            self._log_check(who, kind, "invalid")
            raise InvalidInput(Message("Thông tin tra cứu chưa đủ.", "The check needs all three fields."),
                               problems=problems)  # fmt: skip
        key = rules.name_key(full_name)
        with self.db.reader() as session:
            rows = list(
                session.execute(
                    select(Diploma)
                    .where(or_(Diploma.serial_no == number, Diploma.register_no == number))
                    .where(Diploma.name_key == key, Diploma.date_of_birth == dob)
                    .order_by(Diploma.version)
                ).scalars()
            )
        # the version that carries this number first (the paper in the holder's hands), as it stands now
        row = rows[0] if rows else None
        self._log_check(who, kind, "match" if row else "no_match")
        if row is None:
            return {"match": False}
        status = Status(row.status)
        return {
            "match": True,
            "status": status.value,
            "status_vi": STATUS_LABELS[status].vi,
            "status_en": STATUS_LABELS[status].en,
            "issuer": row.issuer_name,
            "type": row.diploma_type,
            "year": row.graduation_year,
        }

    def _log_check(self, who: str, kind: str, outcome: str) -> None:
        log.info("public diploma check client=%s kind=%s outcome=%s", who, kind, outcome)
        with self.db.transaction() as session:
            session.execute(insert(PublicCheckLog).values(id=_new_id(), client=who, query_kind=kind, outcome=outcome,
                                                          created_at=self.clock.now()))  # fmt: skip

    def disclosure(self, school_code: str, year: int) -> list[dict[str, Any]]:
        """Public disclosure (công khai) of the diplomas of a school and graduation year: only publishable
        fields — no ID numbers, no full dates of birth (birth year only)."""
        with self.db.reader() as session:
            rows = session.execute(
                select(Diploma)
                .outerjoin(School, School.id == Diploma.school_id)
                .where(or_(School.code == school_code, Diploma.issuer_key == school_code))
                .where(Diploma.graduation_year == year)
                .order_by(Diploma.register_year, Diploma.register_seq, Diploma.register_no, Diploma.version)
            ).scalars()
            return [
                {"full_name": d.full_name, "birth_year": rules.masked_birth(d.date_of_birth), "sex": d.sex,
                 "school": d.school_name, "graduation_year": d.graduation_year, "type": d.diploma_type,
                 "register_no": d.register_no, "serial_no": d.serial_no, "issued_on": d.issued_on.isoformat(),
                 "status": d.status, "version": d.version}
                for d in rows
            ]  # fmt: skip

    def revocations(self) -> list[dict[str, Any]]:
        """Public list of revocation and cancellation decisions (published on the portal, Art. 25)."""
        with self.db.reader() as session:
            rows = session.execute(
                select(DiplomaDecision, Diploma)
                .join(Diploma, Diploma.id == DiplomaDecision.diploma_id)
                .where(DiplomaDecision.kind.in_(("revocation", "cancellation")))
                .order_by(DiplomaDecision.decision_date.desc())
            ).all()
            return [
                {"kind": dec.kind, "decision_no": dec.decision_no, "decision_date": dec.decision_date.isoformat(),
                 "ground": dec.ground, "ground_vi": REVOCATION_GROUND_LABELS[rules.RevocationGround(dec.ground)].vi,
                 "reason": dec.reason, "full_name": d.full_name, "register_no": d.register_no,
                 "serial_no": d.serial_no, "issuer": d.issuer_name, "credential_id": d.id}
                for dec, d in rows
            ]  # fmt: skip
