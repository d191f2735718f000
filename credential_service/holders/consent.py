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
stored. What each scope releases is defined once, in :mod:`credential_service.holders.disclosure`,
and read from there for the consent text, the employer's answer and the access log:

* ``status``          — holder's name, credential type, issuer, year, current status;
* ``diploma_fields``  — plus date of birth and the diploma's register fields (or, for a
                        transcript, the class and the year's summary: learning result, conduct,
                        promotion, completion);
* ``full_transcript`` — plus a transcript's subject results (without comments), absences, award.

The access log (``access_log``, append-only in the database; :mod:`.access_log`) records every
verification, share code use, copy, extract and download: who (organisation, API key prefix),
purpose, which fields, the result, when, a keyed hash of the client address. The holder reads it as
"who checked my credentials"; the Sở audits it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.employers.tables import Organisation
from credential_service.employers.tax_codes import normalise_tax_code, tax_code_problem
from credential_service.holders import disclosure
from credential_service.holders.access_log import LogEvent, append_log, credential_titles, holder_entries
from credential_service.holders.disclosure import SCOPE_LABELS, SCOPES
from credential_service.holders.identity_rules import mask, rule_digits
from credential_service.holders.labels import (
    EVENT_LABELS,
    GRANT_STATE_LABELS,
    RELATION_LABELS,
    RESULT_LABELS,
    label,
    vn_time,
)
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
    ConsentGrant,
    ConsentGrantCredential,
    Person,
)
from credential_service.platform.clock import Clock, SystemClock, vn_date
from credential_service.platform.db import Database
from credential_service.platform.errors import InvalidInput, Message, NotFound, Problem
from credential_service.platform.settings import Settings

__all__ = ["EVENT_LABELS", "RESULT_LABELS", "SCOPES", "SCOPE_LABELS", "ConsentService", "LogEvent", "append_log"]

RELATIONS = ("cha", "me", "giam_ho")  # father, mother, legal guardian
MAX_DAYS = 365
MAX_USES = 1000
MAX_CREDENTIALS = 20


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

    def _view(
        self,
        g: ConsentGrant,
        creds: list[tuple[str, str]],
        org: Organisation | None,
        titles: dict[str, Message] | None = None,
    ) -> dict[str, Any]:
        state = grant_state(g, self.clock.now())
        titles = titles or {}
        return {
            "id": g.id,
            "code_hint": g.code_hint,
            "scope": g.scope,
            "scope_label": SCOPE_LABELS[g.scope].__dict__,
            "fields": disclosure.field_labels(disclosure.released_for([k for _, k in creds], g.scope)),
            "recipient": {"organisation_id": org.id, "name": org.name, "tax_code": org.tax_code} if org else None,
            "purpose": g.purpose,
            "expires_at": g.expires_at.isoformat(),
            "max_uses": g.max_uses,
            "uses": g.uses,
            "uses_left": max(0, g.max_uses - g.uses),
            "state": state,
            "state_label": label(GRANT_STATE_LABELS, state),
            "minor": bool(g.minor),
            "guardian": (
                {
                    "name": g.guardian_name,
                    "relation": g.guardian_relation,
                    "relation_label": label(RELATION_LABELS, g.guardian_relation or ""),
                    "confirmed_by": g.guardian_confirmed_by,
                    "confirmed_at": g.guardian_confirmed_at.isoformat(),
                }
                if g.guardian_confirmed_at
                else None
            ),
            "credentials": [
                {"credential_id": c, "kind": k} | ({"title": titles[c].__dict__} if c in titles else {})
                for c, k in creds
            ],
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
        tax_code = (recipient_tax_code or "").strip() or None
        if tax_code is not None and (bad := tax_code_problem(tax_code, "recipient_tax_code")) is not None:
            problems.append(bad)
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
            if tax_code is not None:
                org = session.execute(
                    select(Organisation).where(Organisation.tax_code == normalise_tax_code(tax_code))
                ).scalar_one_or_none()
                if org is None:
                    raise NotFound(
                        Message("Không có tổ chức với mã số thuế này.", "No organisation with this tax code.")
                    )
            person = session.get(Person, principal.person_id)
            assert person is not None
            minor = age_on(person.date_of_birth, vn_date(t)) < ADULT_AGE
            kinds = [own[c] for c in ids]
            fields = disclosure.released_for(kinds, scope)
            titles = credential_titles(session, [(c, own[c]) for c in ids])
            text = consent_text(
                person.full_name,
                [titles.get(c, Message(c, c)) for c in ids],
                scope,
                kinds,
                org,
                purpose,
                t + timedelta(days=expires_in_days),
                max_uses,
                minor,
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
            view = self._view(g, [(c, own[c]) for c in ids], org, titles)
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
            titles = credential_titles(session, {c for cs in creds.values() for c in cs})
            return [self._view(g, creds.get(g.id, []), orgs.get(g.recipient_org_id or ""), titles) for g in rows]

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
            return holder_entries(session, principal.person_id, limit)


def consent_text(
    holder: str,
    titles: Sequence[Message],
    scope: str,
    kinds: Iterable[str],
    org: Organisation | None,
    purpose: str,
    expires: datetime,
    max_uses: int,
    minor: bool,
) -> str:
    """The consent as the holder agreed to it, printable (PDPL 91/2025 Art. 9): the credentials by their
    titles, the fields by their labels (from :mod:`~credential_service.holders.disclosure`), Vietnam time."""
    who = f"{org.name} (MST {org.tax_code})" if org else "người giữ mã / whoever holds the code"
    lines = [
        "ĐỒNG Ý CHIA SẺ THÔNG TIN VĂN BẰNG, HỌC BẠ / CONSENT TO SHARE CREDENTIALS",
        f"Người học / Holder: {holder}",
        "Văn bằng, học bạ / Credentials:",
        *(f"  – {t.vi} / {t.en}" for t in titles),
        f"Phạm vi / Scope: {SCOPE_LABELS[scope].vi} / {SCOPE_LABELS[scope].en}",
        "Thông tin được chia sẻ / Information shared:",
        *disclosure.consent_lines(kinds, scope),
        f"Bên nhận / Recipient: {who}",
        f"Mục đích / Purpose: {purpose}",
        f"Hiệu lực đến / Valid until: {vn_time(expires)}; số lượt / uses: {max_uses}",
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
