"""Employer organisations and their API keys: registration, the Sở's approval, keys, authentication.

* An organisation registers with a name, a tax code (normalised: :mod:`.tax_codes`, so two spellings
  of one MST are one organisation) and a contact; it gets its first API key at once.
* Where approval is required (every environment but the demo: ``require_approval``), the organisation
  starts ``pending`` and its keys are refused until the Sở approves it
  (:meth:`Organisations.approve_organisation`, recording when and by whom). In the demo it is
  approved at registration (``approved_by`` records that).
* API keys are ``sgk_<8 chars>.<secret>``: the prefix identifies the key, only the SHA-256 of the
  whole key is stored; a key is shown once, can be rotated (the old one stops at once) and carries
  scopes (``verify``, ``verify:batch``) and a rate (codes per minute).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from credential_service.employers.tables import ApiKey, Organisation
from credential_service.employers.tax_codes import normalise_tax_code, tax_code_problem
from credential_service.holders.service import NotAuthenticated, new_id, sha256_hex
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, InvalidInput, Message, NotAuthorised, NotFound, Problem

log = logging.getLogger(__name__)

KEY_PREFIX = "sgk_"
SCOPES = ("verify", "verify:batch")
DEFAULT_RATE = 6000  # codes per minute per key
AUTH_CACHE_SECONDS = 5.0
AUTO_APPROVED_BY = "tự động (môi trường demo) / automatic (demo environment)"


class OrganisationNotApproved(NotAuthorised):
    """The key is right but its organisation may not verify yet (awaiting approval) or any more (suspended)."""

    code = "organisation-not-approved"
    title = Message("Tổ chức chưa được phê duyệt", "Organisation not approved")


NOT_APPROVED = Message(
    "Tổ chức của bạn đã đăng ký nhưng chưa được Sở GDĐT Hải Phòng phê duyệt; khóa API chỉ dùng được sau khi "
    "được phê duyệt. Vui lòng liên hệ Sở để được xác minh.",
    "Your organisation is registered but not yet approved by the Hải Phòng Department of Education; its API "
    "keys work once it is approved. Please contact the Department to be verified.",
)
SUSPENDED = Message(
    "Tổ chức của bạn đang bị tạm ngừng sử dụng dịch vụ xác minh.",
    "Your organisation is suspended from the verification service.",
)


@dataclass(frozen=True)
class ApiPrincipal:
    key_id: str
    prefix: str
    organisation_id: str
    organisation_name: str
    tax_code: str
    scopes: tuple[str, ...]
    rate_per_minute: int


def _new_key() -> tuple[str, str]:
    prefix = KEY_PREFIX + secrets.token_hex(4)
    return prefix, f"{prefix}.{secrets.token_urlsafe(32)}"


def may_verify(org: Organisation, require_approval: bool) -> Message | None:
    """Why this organisation's keys are refused, or None when they work."""
    if org.status == "suspended":
        return SUSPENDED
    if org.status != "active" or (require_approval and org.approved_at is None):
        return NOT_APPROVED
    return None


class Organisations:
    """Organisations, keys and authentication; the base of :class:`~.service.EmployerService`."""

    def __init__(self, db: Database, *, require_approval: bool, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.require_approval = require_approval
        self._auth_cache: dict[str, tuple[ApiPrincipal, float]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ organisations
    def register(
        self,
        *,
        name: str,
        tax_code: str,
        contact_email: str,
        scopes: Sequence[str] = SCOPES,
        rate_per_minute: int = DEFAULT_RATE,
    ) -> tuple[dict[str, Any], str]:
        """Register an organisation and its first API key; returns (organisation, key shown once)."""
        name, contact_email = " ".join(name.split()), contact_email.strip()
        problems = []
        if not (2 <= len(name) <= 200):
            problems.append(
                Problem(Message("Cần tên tổ chức.", "The organisation's name is needed."), {"field": "name"})
            )
        if (bad := tax_code_problem(tax_code)) is not None:
            problems.append(bad)
        if "@" not in contact_email or len(contact_email) > 200:
            problems.append(
                Problem(Message("Email liên hệ không hợp lệ.", "Invalid contact email."), {"field": "contact_email"})
            )
        if any(s not in SCOPES for s in scopes):
            problems.append(Problem(Message("Phạm vi khóa không hợp lệ.", "Invalid key scope."), {"field": "scopes"}))
        if problems:
            raise InvalidInput(
                Message("Chưa đăng ký được tổ chức.", "The organisation was not registered."), problems=problems
            )
        tax_code = normalise_tax_code(tax_code)
        t = self.clock.now()
        with self.db.transaction() as session:
            if session.execute(select(Organisation.id).where(Organisation.tax_code == tax_code)).first():
                raise Conflict(
                    Message(
                        f"Mã số thuế {tax_code} đã được đăng ký.", f"The tax code {tax_code} is already registered."
                    )
                )
            org = Organisation(
                id=new_id(),
                name=name,
                tax_code=tax_code,
                contact_email=contact_email,
                status="pending" if self.require_approval else "active",
                created_at=t,
                approved_at=None if self.require_approval else t,
                approved_by=None if self.require_approval else AUTO_APPROVED_BY,
            )
            session.add(org)
            session.flush()
            key, view = self._add_key(session, org.id, list(scopes), rate_per_minute, "first key", None)
        log.info("organisation registered id=%s key=%s status=%s", org.id, view["prefix"], org.status)
        return self._org_view(org) | {"api_key": view}, key

    @staticmethod
    def _org_view(org: Organisation) -> dict[str, Any]:
        return {
            "id": org.id,
            "name": org.name,
            "tax_code": org.tax_code,
            "status": org.status,
            "contact_email": org.contact_email,
            "created_at": org.created_at.isoformat(),
            "approved_at": org.approved_at.isoformat() if org.approved_at else None,
            "approved_by": org.approved_by,
        }

    def approve_organisation(self, org_id: str, *, approved_by: str) -> dict[str, Any]:
        """The Sở approves a pending organisation: its keys work from now on (in every worker within
        ``AUTH_CACHE_SECONDS``). Approving an approved organisation changes nothing; a suspended one
        is not reinstated by approval."""
        who = " ".join(approved_by.split())
        if not (1 <= len(who) <= 100):
            raise InvalidInput(
                Message("Cần ghi người phê duyệt (tối đa 100 ký tự).", "Name who approves (up to 100 characters)."),
                problems=[Problem(Message("bắt buộc", "required"), {"field": "approved_by"})],
            )
        with self.db.transaction() as session:
            org = session.get(Organisation, org_id)
            if org is None:
                raise NotFound(Message("Không có tổ chức này.", "No such organisation."))
            if org.status == "suspended":
                raise Conflict(
                    Message(
                        "Tổ chức đang bị tạm ngừng; phê duyệt không khôi phục tổ chức.",
                        "The organisation is suspended; approval does not reinstate it.",
                    )
                )
            if org.approved_at is None or org.status != "active":
                org.status = "active"
                org.approved_at = self.clock.now()
                org.approved_by = who
                log.info("organisation approved id=%s by=%s", org.id, who)
            view = self._org_view(org)
        with self._lock:
            self._auth_cache.clear()
        return view

    def approve(self, tax_code: str, *, approved_by: str = "sogoc employer approve") -> dict[str, Any]:
        """Approve by tax code (any spelling); the CLI's ``sogoc employer approve``."""
        with self.db.reader() as session:
            org_id = session.execute(
                select(Organisation.id).where(Organisation.tax_code == normalise_tax_code(tax_code))
            ).scalar_one_or_none()
        if org_id is None:
            raise NotFound(Message("Không có tổ chức với mã số thuế này.", "No organisation with this tax code."))
        return self.approve_organisation(org_id, approved_by=approved_by)

    def list_pending(self) -> list[dict[str, Any]]:
        """Organisations awaiting the Sở's approval, oldest first."""
        with self.db.reader() as session:
            rows = session.execute(
                select(Organisation)
                .where(Organisation.approved_at.is_(None), Organisation.status == "pending")
                .order_by(Organisation.created_at, Organisation.id)
            ).scalars()
            return [self._org_view(o) for o in rows]

    # ------------------------------------------------------------------ keys
    def _add_key(
        self, session: Any, org_id: str, scopes: list[str], rate: int, label: str, rotated_from: str | None
    ) -> tuple[str, dict[str, Any]]:
        prefix, key = _new_key()
        row = ApiKey(
            id=new_id(),
            organisation_id=org_id,
            prefix=prefix,
            key_hash=sha256_hex(key),
            scopes=scopes,
            rate_per_minute=rate,
            label=label,
            rotated_from_id=rotated_from,
            created_at=self.clock.now(),
        )
        session.add(row)
        return key, self._key_view(row)

    @staticmethod
    def _key_view(k: ApiKey) -> dict[str, Any]:
        return {
            "id": k.id,
            "prefix": k.prefix,
            "scopes": list(k.scopes),
            "rate_per_minute": k.rate_per_minute,
            "label": k.label,
            "created_at": k.created_at.isoformat(),
            "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            "rotated_from_id": k.rotated_from_id,
        }

    def keys(self, principal: ApiPrincipal) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            rows = session.execute(
                select(ApiKey).where(ApiKey.organisation_id == principal.organisation_id).order_by(ApiKey.created_at)
            ).scalars()
            return [self._key_view(k) for k in rows]

    def rotate(self, principal: ApiPrincipal) -> tuple[dict[str, Any], str]:
        """A new key with the same scopes and rate; the calling key stops working at once."""
        with self.db.transaction() as session:
            old = session.get(ApiKey, principal.key_id)
            if old is None or old.revoked_at is not None:
                raise NotAuthenticated(Message("Khóa API không hợp lệ.", "Invalid API key."))
            old.revoked_at = self.clock.now()
            key, view = self._add_key(
                session, old.organisation_id, list(old.scopes), old.rate_per_minute, f"rotated {old.prefix}", old.id
            )
        with self._lock:
            self._auth_cache.clear()
        return view, key

    def authenticate(self, key: str | None, scope: str) -> ApiPrincipal:
        """The key's principal; NotAuthenticated for a wrong key, OrganisationNotApproved while its
        organisation awaits approval (or is suspended), NotAuthorised for a missing scope."""
        bad = NotAuthenticated(
            Message(
                "Thiếu hoặc sai khóa API (Authorization: Bearer …).",
                "Missing or invalid API key (Authorization: Bearer …).",
            )
        )
        if not key or not key.startswith(KEY_PREFIX) or "." not in key or len(key) > 200:
            raise bad
        digest = sha256_hex(key)
        t = time.monotonic()
        with self._lock:
            hit = self._auth_cache.get(digest)
        if hit is not None and hit[1] > t:
            principal = hit[0]
        else:
            prefix = key.split(".", 1)[0]
            with self.db.reader() as session:
                row = session.execute(
                    select(ApiKey, Organisation)
                    .join(Organisation, Organisation.id == ApiKey.organisation_id)
                    .where(ApiKey.prefix == prefix)
                ).first()
            if row is None or not hmac.compare_digest(row[0].key_hash, digest) or row[0].revoked_at is not None:
                raise bad
            k, org = row
            refused = may_verify(org, self.require_approval)
            if refused is not None:
                raise OrganisationNotApproved(refused, organisation_status=org.status)
            principal = ApiPrincipal(k.id, k.prefix, org.id, org.name, org.tax_code, tuple(k.scopes), k.rate_per_minute)
            with self._lock:
                if len(self._auth_cache) > 10_000:
                    self._auth_cache.clear()
                self._auth_cache[digest] = (principal, t + AUTH_CACHE_SECONDS)
        if scope not in principal.scopes:
            raise NotAuthorised(Message(f"Khóa API không có quyền {scope}.", f"The API key lacks the {scope} scope."))
        return principal
