"""New versions of a diploma: correction (chỉnh sửa, on a legal ground) and reissue (cấp lại, when the
issuer wrote it wrongly, with a new register number).

The new version is planned and signed outside any transaction, then recorded in one short transaction
that re-checks the old version is still the current one: the old version stays in the register (status
``corrected`` or ``reissued``, linked to the new one) and the new one is ledgered with ``amends_seq`` =
the old version's entry.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from credential_service.diplomas import rules
from credential_service.diplomas.issuance import (
    register_counter_value,
    register_lock,
    require_role,
    take_register_numbers,
)
from credential_service.diplomas.pdf_signing import DiplomaPdfs
from credential_service.diplomas.record import Graduation, Holder, Issuer, build_diploma_record
from credential_service.diplomas.rules import (
    CORRECTION_GROUND_LABELS,
    CorrectionRequest,
    DiplomaType,
    Form,
    IssuerRole,
    Status,
)
from credential_service.diplomas.status import current_diploma
from credential_service.diplomas.tables import Diploma, DiplomaDecision
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message
from credential_service.platform.settings import Settings
from credential_service.staff.tables import Staff


def _holder_of(d: Diploma) -> Holder:
    """The holder as the row stands; an old CMND carried by the record goes on into new versions."""
    old_id = (json.loads(d.record_json).get("holder") or {}).get("old_id_number") if d.record_json else None
    return Holder(d.full_name, d.date_of_birth, d.place_of_birth, d.sex, d.ethnicity, d.personal_id, old_id)


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


class DiplomaVersions:
    def __init__(self, db: Database, pdfs: DiplomaPdfs, clock: Clock, settings: Settings, register_format: str) -> None:
        self.db = db
        self.pdfs = pdfs
        self.clock = clock
        self.settings = settings
        self.register_format = register_format

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
            old = current_diploma(session, diploma_id)
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
            rules.validate_correction(request, _printed(current_diploma(session, diploma_id)), today=self.clock.today())

    def _sign_version(self, new: Diploma, signers: tuple[Staff, Staff] | None, at: datetime) -> bytes | None:
        if signers is None:
            return None
        issuer, seal = signers
        return self.pdfs.sign([self.pdfs.render(json.loads(new.record_json))], issuer.key_label, seal.key_label, at)[0]

    def _unchanged(self, session: Session, old: Diploma) -> Diploma:
        """Under the write lock: the version the new one was signed against is still the current one."""
        session.get(Diploma, old.id, with_for_update=True)  # PostgreSQL: wait for a concurrent change of the row
        current = current_diploma(session, old.id)  # 409 when it was corrected, reissued or revoked meanwhile
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
            require_role(session, issuer_staff_id, role.value, d.school_id, on),
            require_role(session, seal_staff_id, "seal", d.school_id, on),
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
        cid = str(uuid.uuid4())
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
                id=str(uuid.uuid4()), kind=decision_doc["kind"], diploma_id=old.id, new_diploma_id=new.id,
                decision_no=decision_doc["decision_no"],
                decision_date=date.fromisoformat(decision_doc["decision_date"]),
                signer=decision_doc["signer"], reason=decision_doc.get("reason"), ledger_seq=entry.seq,
                created_by=actor, created_at=now, **fields,
            )
        )  # fmt: skip
        publish_in_transaction(session, self.settings, at=now)
        return {"old": old.id, "new": new.id, "version": new.version, "register_no": new.register_no,
                "ledger_seq": entry.seq, "amends_seq": old.ledger_seq}  # fmt: skip

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
            first = current_diploma(session, diploma_id)
        kind, issuer_key = DiplomaType(first.diploma_type), first.issuer_key
        with register_lock(self.db, issuer_key, kind.value, at.year):  # plan and sign, then record briefly
            with self.db.reader() as session:
                old = current_diploma(session, diploma_id)
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
