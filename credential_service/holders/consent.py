"""Consent grants (share codes) and the access log.

A grant is the holder's consent (Personal Data Protection Law 91/2025 Art. 9; Decree 356/2025):
explicit and specific — which credentials, which scope of fields, for whom (a named organisation,
or whoever holds the code), for what purpose, until when, how many uses — kept in a printable form
(``consent_text``), and withdrawable at any time (revoke). For a holder under 18, a parent or
guardian must confirm before the grant can be used (PDPL Art. 24: disclosure of a child's data
needs the child's and the legal representative's consent); the confirmation is checked against the
population registry (the guardian's PIN, name and date of birth must match) and who confirmed is
recorded (name, relation, masked number) — never the full number.

The share code (``XXXXX-XXXXX``, 31-letter alphabet, ~49 bits) is shown once; only its SHA-256 is
stored. Scopes, and what each returns (never ethnicity, place of birth, the ID number, priority
groups or teachers' comments — domain notes §5.3.3):

* ``status``          — holder's name, credential type, issuer, year, current status;
* ``diploma_fields``  — plus date of birth, sex and the diploma's register fields (or, for a
                        transcript, the year's summary: learning result, conduct, promotion);
* ``full_transcript`` — plus the subject results of a transcript.

The access log (``access_log``, append-only in the database) records every verification, share
code use, copy, extract and download: who (organisation, API key prefix), purpose, which fields,
the result, when, a keyed hash of the client address. The holder reads it as "who checked my
credentials"; the Sở audits it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from credential_service.diplomas.tables import Diploma, DiplomaCopy
from credential_service.employers.tables import Organisation
from credential_service.holders.identity_rules import mask, rule_digits
from credential_service.holders.population_registry import PopulationRegistry, RegistryQuery
from credential_service.holders.service import (
    ADULT_AGE,
    HolderService,
    Principal,
    age_on,
    new_id,
    random_code,
    sha256_hex,
)
from credential_service.holders.tables import (
    AccessLogEntry,
    ConsentGrant,
    ConsentGrantCredential,
    DiplomaPerson,
    Person,
)
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import InvalidInput, Message, NotFound, Problem
from credential_service.platform.settings import Settings

SCOPES = ("status", "diploma_fields", "full_transcript")
SCOPE_LABELS = {
    "status": Message("Chỉ trạng thái (còn hiệu lực hay không)", "Status only (valid or not)"),
    "diploma_fields": Message("Thông tin văn bằng / kết quả năm học", "Diploma fields / the year's summary"),
    "full_transcript": Message("Toàn bộ kết quả học bạ", "Full transcript results"),
}
RELATIONS = ("cha", "me", "giam_ho")  # father, mother, legal guardian
MAX_DAYS = 365
MAX_USES = 1000
MAX_CREDENTIALS = 20

EVENT_LABELS = {
    "verify": Message("Xác minh qua API", "Verified through the API"),
    "share_code_use": Message("Mở liên kết chia sẻ", "Opened the share link"),
    "copy": Message("Cấp bản sao từ sổ gốc", "Copy from the register"),
    "extract": Message("Trích lục", "Extract"),
    "download": Message("Tải về", "Downloaded"),
    "grant_created": Message("Tạo mã chia sẻ", "Share code created"),
    "grant_revoked": Message("Thu hồi mã chia sẻ", "Share code revoked"),
    "guardian_confirmed": Message("Cha mẹ/người giám hộ xác nhận", "Parent/guardian confirmed"),
}
RESULT_LABELS = {
    "ok": Message("Thành công", "Succeeded"),
    "expired": Message("Từ chối: mã đã hết hạn", "Refused: code expired"),
    "revoked": Message("Từ chối: mã đã bị thu hồi", "Refused: code revoked"),
    "used_up": Message("Từ chối: mã đã hết lượt", "Refused: no uses left"),
    "pending_guardian": Message("Từ chối: chờ cha mẹ xác nhận", "Refused: awaiting a parent's confirmation"),
    "wrong_recipient": Message("Từ chối: không phải tổ chức được chia sẻ", "Refused: not the organisation shared with"),
}


def normalise_code(code: str) -> str:
    """Upper case, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())


def code_hash(code: str) -> str:
    return sha256_hex("sogoc-share/1\0" + normalise_code(code))


def grant_state(g: ConsentGrant, at: datetime) -> str:
    if g.revoked_at is not None:
        return "revoked"
    if g.expires_at <= at:
        return "expired"
    if g.uses >= g.max_uses:
        return "used_up"
    if g.minor and g.guardian_confirmed_at is None:
        return "pending_guardian"
    return "active"


@dataclass(frozen=True)
class LogEvent:
    event: str
    actor_kind: str
    actor_name: str
    result: str
    person_id: str | None = None
    grant_id: str | None = None
    credential_id: str | None = None
    organisation_id: str | None = None
    api_key_prefix: str | None = None
    purpose: str | None = None
    fields: Sequence[str] = ()
    client_hash: str | None = None
    receipt_id: str | None = None


def append_log(session: Session, events: Iterable[LogEvent], at: datetime | None = None) -> int:
    """Append events to the access log in the caller's transaction (one INSERT for many), at ``at``
    (the caller's clock's now; services always pass it)."""
    t = at or SystemClock().now()
    rows = [
        {
            "id": new_id(),
            "at": t,
            "person_id": e.person_id,
            "grant_id": e.grant_id,
            "credential_id": e.credential_id,
            "event": e.event,
            "actor_kind": e.actor_kind,
            "organisation_id": e.organisation_id,
            "actor_name": e.actor_name[:200],
            "api_key_prefix": e.api_key_prefix,
            "purpose": e.purpose,
            "fields": list(e.fields),
            "result": e.result,
            "client_hash": e.client_hash,
            "receipt_id": e.receipt_id,
        }
        for e in events
    ]
    if rows:
        session.execute(insert(cast(Table, AccessLogEntry.__table__)), rows)  # Core: no ORM bookkeeping
    return len(rows)


# --------------------------------------------------------------------------------------------------
# field projection


def _strip_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def project_transcript(record: dict[str, Any], scope: str) -> dict[str, Any]:
    st, school, results = record.get("student", {}), record.get("school", {}), record.get("results", {})
    out: dict[str, Any] = {
        "holder_name": st.get("full_name"),
        "type_vi": "Học bạ số",
        "type_en": "Digital transcript",
        "issuer": school.get("name"),
        "school_year": record.get("school_year"),
    }
    if scope in ("diploma_fields", "full_transcript"):
        promo = results.get("promotion") or {}
        out.update(
            {
                "date_of_birth": st.get("date_of_birth"),
                "sex": st.get("sex"),
                "class": (record.get("class") or {}).get("name"),
                "grade": (record.get("class") or {}).get("grade"),
                "learning_result": results.get("learning_result"),
                "conduct": results.get("conduct"),
                "promotion": _strip_none({k: promo.get(k) for k in ("decision", "label_vi", "label_en")}),
                "completion": results.get("completion"),
                "award": results.get("award"),
            }
        )
    if scope == "full_transcript":
        out["subjects"] = [
            {k: v for k, v in s.items() if k != "comment"} for s in results.get("subjects") or [] if isinstance(s, dict)
        ]
        out["absences"] = results.get("absences")
    return _strip_none(out)


def project_diploma(d: Diploma, scope: str) -> dict[str, Any]:
    from credential_service.diplomas.rules import TYPE_LABELS, DiplomaType

    try:
        label = TYPE_LABELS[DiplomaType(d.diploma_type)]
        type_vi, type_en = label.vi, label.en
    except (ValueError, KeyError):
        type_vi = type_en = d.diploma_type
    out: dict[str, Any] = {
        "holder_name": d.full_name,
        "type_vi": type_vi,
        "type_en": type_en,
        "issuer": d.issuer_name,
        "graduation_year": d.graduation_year,
    }
    if scope in ("diploma_fields", "full_transcript"):
        out.update(
            {
                "date_of_birth": d.date_of_birth.isoformat(),
                "sex": d.sex,
                "school": d.school_name,
                "classification": d.classification,
                "serial_no": d.serial_no,
                "register_no": d.register_no,
                "issued_on": d.issued_on.isoformat(),
                "decision_no": d.decision_no,
                "form": d.form,
                "assurance": d.assurance,
                "version": d.version,
            }
        )
    return _strip_none(out)


def scope_fields(kind: str, scope: str) -> list[str]:
    """The field names a scope releases (for the access log and the consent text)."""
    base = ["holder_name", "type", "issuer", "year", "status"]
    if scope == "status":
        return base
    extra = ["date_of_birth", "sex"]
    if kind == "diploma":
        extra += ["school", "classification", "serial_no", "register_no", "issued_on", "decision_no"]
    else:
        extra += ["class", "learning_result", "conduct", "promotion", "completion"]
        if scope == "full_transcript":
            extra += ["subjects", "absences"]
    return base + extra


# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedGrant:
    grant: dict[str, Any]
    code: str
    link: str
    qr_png_base64: str


class ConsentService:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        holders: HolderService,
        registry: PopulationRegistry,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.holders = holders
        self.registry = registry
        self.clock = clock or SystemClock()

    def share_link(self, code: str) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/s/{code}"

    def _view(self, g: ConsentGrant, creds: list[tuple[str, str]], org: Organisation | None) -> dict[str, Any]:
        state = grant_state(g, self.clock.now())
        return {
            "id": g.id,
            "code_hint": g.code_hint,
            "scope": g.scope,
            "scope_label": SCOPE_LABELS[g.scope].__dict__,
            "recipient": {"organisation_id": org.id, "name": org.name, "tax_code": org.tax_code} if org else None,
            "purpose": g.purpose,
            "expires_at": g.expires_at.isoformat(),
            "max_uses": g.max_uses,
            "uses": g.uses,
            "uses_left": max(0, g.max_uses - g.uses),
            "state": state,
            "minor": bool(g.minor),
            "guardian": (
                {
                    "name": g.guardian_name,
                    "relation": g.guardian_relation,
                    "confirmed_by": g.guardian_confirmed_by,
                    "confirmed_at": g.guardian_confirmed_at.isoformat(),
                }
                if g.guardian_confirmed_at
                else None
            ),
            "credentials": [{"credential_id": c, "kind": k} for c, k in creds],
            "created_at": g.created_at.isoformat(),
            "revoked_at": g.revoked_at.isoformat() if g.revoked_at else None,
            "consent_text": g.consent_text,
        }

    def create_grant(
        self,
        principal: Principal,
        *,
        credential_ids: Sequence[str],
        scope: str,
        purpose: str,
        recipient_tax_code: str | None = None,
        expires_in_days: int = 30,
        max_uses: int = 5,
        client: str | None = None,
    ) -> CreatedGrant:
        problems: list[Problem] = []
        ids = list(dict.fromkeys(credential_ids))
        if not ids or len(ids) > MAX_CREDENTIALS:
            problems.append(
                Problem(
                    Message(
                        f"Chọn từ 1 đến {MAX_CREDENTIALS} văn bằng/học bạ.",
                        f"Choose 1 to {MAX_CREDENTIALS} credentials.",
                    ),
                    {"field": "credential_ids"},
                )
            )
        if scope not in SCOPES:
            problems.append(
                Problem(
                    Message("Phạm vi không hợp lệ.", "Invalid scope."),
                    {"field": "scope"},
                    expected=Message(", ".join(SCOPES), ", ".join(SCOPES)),
                )
            )
        purpose = " ".join(purpose.split())
        if not (3 <= len(purpose) <= 255):
            problems.append(
                Problem(
                    Message(
                        "Cần nêu mục đích (3–255 ký tự), ví dụ: tuyển dụng.",
                        "State the purpose (3–255 characters), e.g. recruitment.",
                    ),
                    {"field": "purpose"},
                )
            )
        if not (1 <= expires_in_days <= MAX_DAYS):
            problems.append(
                Problem(
                    Message(f"Thời hạn 1–{MAX_DAYS} ngày.", f"Expiry 1–{MAX_DAYS} days."), {"field": "expires_in_days"}
                )
            )
        if not (1 <= max_uses <= MAX_USES):
            problems.append(Problem(Message(f"Số lượt 1–{MAX_USES}.", f"Uses 1–{MAX_USES}."), {"field": "max_uses"}))
        if problems:
            raise InvalidInput(
                Message("Chưa tạo được mã chia sẻ.", "The share code was not created."), problems=problems
            )
        code = random_code()
        t = self.clock.now()
        with self.db.transaction() as session:
            own = self.holders.credential_ids(session, principal.person_id)
            for cid in ids:
                if cid not in own:
                    raise NotFound(
                        Message(
                            "Không có văn bằng, học bạ nào với mã này trong tài khoản của bạn.",
                            "No credential with this id in your account.",
                        )
                    )
            org = None
            if recipient_tax_code:
                org = session.execute(
                    select(Organisation).where(Organisation.tax_code == recipient_tax_code.strip())
                ).scalar_one_or_none()
                if org is None:
                    raise NotFound(
                        Message("Không có tổ chức với mã số thuế này.", "No organisation with this tax code.")
                    )
            person = session.get(Person, principal.person_id)
            assert person is not None
            minor = age_on(person.date_of_birth, vn_date(t)) < ADULT_AGE
            kinds = sorted({own[c] for c in ids})
            fields = sorted({f for k in kinds for f in scope_fields(k, scope)})
            text = consent_text(
                person.full_name, ids, scope, fields, org, purpose, t + timedelta(days=expires_in_days), max_uses, minor
            )
            g = ConsentGrant(
                id=new_id(),
                person_id=principal.person_id,
                account_id=principal.account_id,
                code_hash=code_hash(code),
                code_hint=normalise_code(code)[-3:],
                scope=scope,
                recipient_org_id=org.id if org else None,
                purpose=purpose,
                expires_at=t + timedelta(days=expires_in_days),
                max_uses=max_uses,
                uses=0,
                minor=int(minor),
                consent_text=text,
                created_at=t,
            )
            session.add(g)
            session.flush()
            for cid in ids:
                session.add(ConsentGrantCredential(grant_id=g.id, credential_id=cid, credential_kind=own[cid]))
            append_log(
                session,
                [
                    LogEvent(
                        "grant_created",
                        "holder",
                        principal.username,
                        "ok",
                        principal.person_id,
                        g.id,
                        purpose=purpose,
                        fields=fields,
                        client_hash=self.holders.client_hash(client),
                    )
                ],
                t,
            )
            view = self._view(g, [(c, own[c]) for c in ids], org)
        link = self.share_link(code)
        from credential_service.platform.qr_code import make_qr

        png = make_qr(link).to_png(scale=6)
        return CreatedGrant(view, code, link, base64.b64encode(png).decode("ascii"))

    def _own_grant(self, session: Session, principal: Principal, grant_id: str) -> ConsentGrant:
        g = session.get(ConsentGrant, grant_id)
        if g is None or g.person_id != principal.person_id:
            raise NotFound(Message("Không có mã chia sẻ này.", "No such share code."))
        return g

    def grants(self, principal: Principal) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            rows = list(
                session.execute(
                    select(ConsentGrant)
                    .where(ConsentGrant.person_id == principal.person_id)
                    .order_by(ConsentGrant.created_at.desc())
                ).scalars()
            )
            ids = [g.id for g in rows]
            creds: dict[str, list[tuple[str, str]]] = {}
            for c in session.execute(
                select(ConsentGrantCredential).where(ConsentGrantCredential.grant_id.in_(ids))
            ).scalars():
                creds.setdefault(c.grant_id, []).append((c.credential_id, c.credential_kind))
            org_ids = {g.recipient_org_id for g in rows if g.recipient_org_id}
            orgs = {
                o.id: o for o in session.execute(select(Organisation).where(Organisation.id.in_(org_ids))).scalars()
            }
            return [self._view(g, creds.get(g.id, []), orgs.get(g.recipient_org_id or "")) for g in rows]

    def revoke(self, principal: Principal, grant_id: str, *, client: str | None = None) -> dict[str, Any]:
        with self.db.transaction() as session:
            g = self._own_grant(session, principal, grant_id)
            if g.revoked_at is None:
                g.revoked_at = self.clock.now()
                append_log(
                    session,
                    [
                        LogEvent(
                            "grant_revoked",
                            "holder",
                            principal.username,
                            "ok",
                            g.person_id,
                            g.id,
                            purpose=g.purpose,
                            client_hash=self.holders.client_hash(client),
                        )
                    ],
                    g.revoked_at,
                )
        return next(v for v in self.grants(principal) if v["id"] == grant_id)

    def confirm_guardian(
        self,
        principal: Principal,
        grant_id: str,
        *,
        guardian_name: str,
        guardian_pin: str,
        guardian_date_of_birth: date,
        guardian_sex: str,
        relation: str,
        client: str | None = None,
    ) -> dict[str, Any]:
        """A parent or guardian confirms a minor's grant (PDPL 91/2025 Art. 24). The guardian's identity is
        checked against the population registry (match on every field); who confirmed is recorded with a
        masked number only. The registry being down is a 503 (nothing recorded)."""
        if relation not in RELATIONS:
            raise InvalidInput(
                Message("Quan hệ: cha, mẹ hoặc người giám hộ.", "Relation: father, mother or guardian."),
                problems=[
                    Problem(
                        Message("không hợp lệ", "invalid"),
                        {"field": "relation"},
                        expected=Message(", ".join(RELATIONS), ", ".join(RELATIONS)),
                    )
                ],
            )
        if rule_digits(guardian_pin) is not None:
            raise InvalidInput(rule_digits(guardian_pin).message)  # type: ignore[union-attr]
        with self.db.reader() as session:
            g = self._own_grant(session, principal, grant_id)
            if not g.minor:
                raise InvalidInput(
                    Message("Mã này không cần cha mẹ xác nhận.", "This code needs no parent's confirmation.")
                )
            if g.guardian_confirmed_at is not None:
                return next(v for v in self.grants(principal) if v["id"] == grant_id)
        if age_on(guardian_date_of_birth, self.clock.today()) < ADULT_AGE:
            raise InvalidInput(Message("Người xác nhận phải đủ 18 tuổi.", "The guardian must be an adult."))
        answer = self.registry.verify(RegistryQuery(guardian_pin, guardian_name, guardian_date_of_birth, guardian_sex))
        if not answer.matches:
            raise InvalidInput(
                Message(
                    "Thông tin cha mẹ/người giám hộ không khớp CSDL quốc gia về dân cư.",
                    "The parent's or guardian's details do not match the national population database.",
                ),
                problems=[
                    Problem(Message(f"{f}: {v}", f"{f}: {v}"), {"field": f})
                    for f, v in answer.fields.items()
                    if v != "match"
                ]
                or [Problem(Message("không tìm thấy số định danh", "ID number not found"), {"field": "guardian_pin"})],
            )
        with self.db.transaction() as session:
            g = self._own_grant(session, principal, grant_id)
            g.guardian_confirmed_at = self.clock.now()
            g.guardian_name = " ".join(guardian_name.split())[:200]
            g.guardian_relation = relation
            g.guardian_confirmed_by = f"registry-verified {mask(guardian_pin)}"
            append_log(
                session,
                [
                    LogEvent(
                        "guardian_confirmed",
                        "guardian",
                        g.guardian_name,
                        "ok",
                        g.person_id,
                        g.id,
                        purpose=g.purpose,
                        client_hash=self.holders.client_hash(client),
                    )
                ],
                g.guardian_confirmed_at,
            )
        return next(v for v in self.grants(principal) if v["id"] == grant_id)

    # ------------------------------------------------------------------ access log (holder's view)
    def access_log(self, principal: Principal, limit: int = 500) -> list[dict[str, Any]]:
        """Who checked my credentials: the access log plus copies given from the register of my diplomas."""
        with self.db.reader() as session:
            rows = list(
                session.execute(
                    select(AccessLogEntry)
                    .where(AccessLogEntry.person_id == principal.person_id)
                    .order_by(AccessLogEntry.at.desc())
                    .limit(limit)
                ).scalars()
            )
            copies = list(
                session.execute(
                    select(DiplomaCopy)
                    .join(DiplomaPerson, DiplomaPerson.diploma_id == DiplomaCopy.diploma_id)
                    .where(DiplomaPerson.person_id == principal.person_id)
                    .limit(limit)
                ).scalars()
            )
        out: list[dict[str, Any]] = [
            {
                "at": r.at.isoformat(),
                "event": r.event,
                "event_label": EVENT_LABELS.get(r.event, Message(r.event, r.event)).__dict__,
                "actor_kind": r.actor_kind,
                "who": r.actor_name,
                "organisation_id": r.organisation_id,
                "purpose": r.purpose,
                "fields": r.fields,
                "result": r.result,
                "result_label": RESULT_LABELS.get(r.result, Message(r.result, r.result)).__dict__,
                "credential_id": r.credential_id,
                "grant_id": r.grant_id,
                "receipt_id": r.receipt_id,
            }
            for r in rows
        ]
        out += [
            {
                "at": c.created_at.isoformat(),
                "event": c.kind,
                "event_label": EVENT_LABELS[c.kind].__dict__
                if c.kind in EVENT_LABELS
                else {"vi": c.kind, "en": c.kind},
                "actor_kind": "staff",
                "who": f"{c.requester_name} ({c.capacity}) — cấp bởi/given by {c.given_by}",
                "organisation_id": None,
                "purpose": c.purpose,
                "fields": ["register_entry"],
                "result": "ok",
                "result_label": RESULT_LABELS["ok"].__dict__,
                "credential_id": c.diploma_id,
                "grant_id": None,
                "receipt_id": None,
            }
            for c in copies
        ]
        out.sort(key=lambda e: str(e["at"]), reverse=True)
        return out[:limit]


def consent_text(
    holder: str,
    credential_ids: Sequence[str],
    scope: str,
    fields: Sequence[str],
    org: Organisation | None,
    purpose: str,
    expires: datetime,
    max_uses: int,
    minor: bool,
) -> str:
    """The consent as the holder agreed to it, printable (PDPL 91/2025 Art. 9)."""
    who = f"{org.name} (MST {org.tax_code})" if org else "người giữ mã / whoever holds the code"
    lines = [
        "ĐỒNG Ý CHIA SẺ THÔNG TIN VĂN BẰNG, HỌC BẠ / CONSENT TO SHARE CREDENTIALS",
        f"Người học / Holder: {holder}",
        f"Văn bằng, học bạ / Credentials: {', '.join(credential_ids)}",
        f"Phạm vi / Scope: {SCOPE_LABELS[scope].vi} / {SCOPE_LABELS[scope].en}",
        f"Trường thông tin / Fields: {', '.join(fields)}",
        f"Bên nhận / Recipient: {who}",
        f"Mục đích / Purpose: {purpose}",
        f"Hiệu lực đến / Valid until: {expires.isoformat(timespec='minutes')}; số lượt / uses: {max_uses}",
        "Bên kiểm soát dữ liệu / Controller: Sở GDĐT Hải Phòng. Có thể rút lại bất cứ lúc nào / "
        "Can be withdrawn at any time (Luật 91/2025/QH15 Điều 9).",
        "Bên nhận chỉ dùng cho mục đích trên và xóa dữ liệu nếu không tuyển dụng (Điều 25) / The recipient uses "
        "it only for this purpose and deletes it if the candidate is not hired (Art. 25).",
    ]
    if minor:
        lines.append(
            "Người học chưa đủ 18 tuổi: cần cha mẹ/người giám hộ xác nhận (Điều 24) / "
            "Holder under 18: a parent or guardian must confirm (Art. 24)."
        )
    return "\n".join(lines)
