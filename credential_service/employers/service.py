"""Employers: verification by share code, signed receipts (organisations and keys: :mod:`.organisations`).

* Verification is only ever by share code (no lookup by ID number or name). A code granted to
  another organisation answers exactly like a code that does not exist; expired, revoked, used-up
  and awaiting-guardian grants are refused. A use is taken atomically (``uses < max_uses`` in the
  UPDATE), so concurrent requests never exceed the grant. An organisation's keys only work once the
  Sở has approved it (outside the demo).
* Rate: codes per minute per organisation, at its key's rate (so rotating the key does not reset it), in
  a store every worker shares (platform/ratelimit.py: the database, or Redis).
* What the employer gets is defined once, in :mod:`credential_service.holders.disclosure`: for each
  credential, the scope's fields (``data``) and its current status (transcripts via
  :meth:`VerificationService.credential_status`, including its ledger inclusion; diplomas from the
  register and their last decision), plus a signed receipt (:mod:`verifier.receipt`, JWS EdDSA).
* Every attempt is appended to the access log, which the holder reads; the fields logged for each
  credential are exactly the ones released for it.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, func, select, update

from credential_service.diplomas.tables import Diploma, DiplomaDecision
from credential_service.employers.organisations import (
    AUTH_CACHE_SECONDS,
    DEFAULT_RATE,
    KEY_PREFIX,
    SCOPES,
    ApiPrincipal,
    OrganisationNotApproved,
    Organisations,
)
from credential_service.holders import disclosure
from credential_service.holders.access_log import LogEvent, append_log
from credential_service.holders.consent import code_hash, grant_state
from credential_service.holders.service import new_id
from credential_service.holders.tables import ConsentGrant, ConsentGrantCredential
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import ErrorCategory, InvalidInput, Message, Problem, SogocError
from credential_service.platform.errors import RateLimited as TooManyRequests
from credential_service.platform.ratelimit import RateLimiter, RateLimitItemPerMinute, limiter_from_settings
from credential_service.platform.settings import Settings
from credential_service.transcripts.tables import Transcript
from verifier.receipt import RECEIPT_FORMAT, ReceiptKeys, data_digest, sign_receipt

__all__ = [
    "AUTH_CACHE_SECONDS",
    "DEFAULT_RATE",
    "KEY_PREFIX",
    "MAX_BATCH",
    "SCOPES",
    "ApiPrincipal",
    "EmployerService",
    "OrganisationNotApproved",
    "refusal_error",
]

log = logging.getLogger(__name__)

MAX_BATCH = 1000
ISSUER = "Sở GDĐT Hải Phòng — Sổ Gốc Số"


class RateLimited(TooManyRequests):
    """Over the organisation's codes per minute (HTTP 429, ``retry_after`` in seconds)."""


class ShareCodeNotFound(SogocError):
    code = "share-code-not-found"
    category = ErrorCategory.NOT_FOUND
    title = Message("Không tìm thấy mã chia sẻ", "Share code not found")


class GrantRefused(SogocError):
    category = ErrorCategory.GONE
    title = Message("Mã chia sẻ không còn dùng được", "Share code no longer usable")


class GrantExpired(GrantRefused):
    code = "grant-expired"


class GrantRevoked(GrantRefused):
    code = "grant-revoked"


class GrantUsedUp(GrantRefused):
    code = "grant-used-up"


class GrantPendingGuardian(SogocError):
    code = "grant-pending-guardian"
    category = ErrorCategory.CONFLICT
    title = Message("Chờ cha mẹ/người giám hộ xác nhận", "Awaiting a parent's or guardian's confirmation")


REFUSALS: dict[str, tuple[type[SogocError], Message]] = {
    "not_found": (
        ShareCodeNotFound,
        Message(
            "Mã chia sẻ không tồn tại hoặc không dành cho tổ chức của bạn.",
            "The share code does not exist or was not shared with your organisation.",
        ),
    ),
    "expired": (GrantExpired, Message("Mã chia sẻ đã hết hạn.", "The share code has expired.")),
    "revoked": (GrantRevoked, Message("Người học đã thu hồi mã chia sẻ này.", "The holder revoked this share code.")),
    "used_up": (GrantUsedUp, Message("Mã chia sẻ đã hết lượt sử dụng.", "The share code has no uses left.")),
    "pending_guardian": (
        GrantPendingGuardian,
        Message(
            "Người học chưa đủ 18 tuổi; mã chỉ dùng được sau khi cha mẹ/người giám hộ xác nhận.",
            "The holder is under 18; the code works once a parent or guardian has confirmed it.",
        ),
    ),
}


def refusal_error(result: str) -> SogocError:
    cls, msg = REFUSALS[result]
    return cls(msg, result=result)


@lru_cache(maxsize=4)
def load_receipt_key(path: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the receipt signing key must be an Ed25519 private key (PKCS#8 PEM)")
    return key


class EmployerService(Organisations):
    def __init__(
        self,
        db: Database,
        settings: Settings,
        status_of: Callable[[str], Any],
        *,
        client_hash: Callable[[str | None], str | None] = lambda c: None,
        limiter: RateLimiter | None = None,
        clock: Clock | None = None,
        require_approval: bool | None = None,
    ) -> None:
        """``status_of(credential_id)`` is :meth:`VerificationService.credential_status` (transcripts).
        ``require_approval``: an organisation's keys work only once the Sở approved it; the composition
        root passes it (every environment but the demo); None falls back to ``not settings.is_dev``."""
        super().__init__(
            db,
            require_approval=(not settings.is_dev) if require_approval is None else require_approval,
            clock=clock or SystemClock(),
        )
        self.settings = settings
        self.status_of = status_of
        self.client_hash = client_hash
        self.limiter = limiter or limiter_from_settings(db, settings, self.clock)
        self._status_cache: OrderedDict[tuple[str, int], dict[str, Any]] = OrderedDict()
        self._projections: dict[str, dict[str, Any]] = {}
        assert settings.receipt_key_path is not None and settings.receipt_key_list_path is not None
        self.receipt_key = load_receipt_key(str(settings.receipt_key_path))
        self.receipt_keys = ReceiptKeys.load(settings.receipt_key_list_path)

    # ------------------------------------------------------------------ verification
    def _take(self, principal: ApiPrincipal, n: int) -> None:
        """Take n codes from the organisation's limit (every key of it, every worker)."""
        rate = max(principal.rate_per_minute, 1)
        try:
            self.limiter.hit(RateLimitItemPerMinute(rate), "employer-verify", principal.organisation_id, cost=n)
        except TooManyRequests as e:
            wait = int(e.extra.get("retry_after") or 60)
            raise RateLimited(
                Message(
                    f"Vượt giới hạn {rate} mã/phút của tổ chức; thử lại sau {wait} giây.",
                    f"Over the organisation's limit of {rate} codes per minute; retry in {wait} s.",
                ),
                retry_after=wait,
            ) from e

    def verify(self, principal: ApiPrincipal, code: str, *, client: str | None = None) -> dict[str, Any]:
        self._take(principal, 1)
        return self._verify_many(principal, [code], client)[0]

    def verify_batch(
        self, principal: ApiPrincipal, codes: Sequence[str], *, client: str | None = None
    ) -> dict[str, Any]:
        if not codes or len(codes) > MAX_BATCH:
            raise InvalidInput(
                Message(f"Một lô gồm 1 đến {MAX_BATCH} mã.", f"A batch holds 1 to {MAX_BATCH} codes."),
                problems=[Problem(Message("số mã", "number of codes"), {"field": "codes"}, len(codes))],
            )
        self._take(principal, len(codes))
        results = self._verify_many(principal, codes, client)
        return {
            "count": len(results),
            "ok": sum(1 for r in results if r["result"] == "ok"),
            "results": [{"index": i, **r} for i, r in enumerate(results)],
        }

    def _cached(self, key: tuple[str, int]) -> dict[str, Any] | None:
        with self._lock:
            hit = self._status_cache.get(key)
            if hit is not None:
                self._status_cache.move_to_end(key)
            return hit

    def _remember(self, key: tuple[str, int], value: dict[str, Any]) -> None:
        with self._lock:
            self._status_cache[key] = value
            while len(self._status_cache) > 20_000:
                self._status_cache.popitem(last=False)

    def _transcript_status(self, credential_id: str, size: int) -> dict[str, Any]:
        hit = self._cached((credential_id, size))
        if hit is not None:
            return hit
        st = self.status_of(credential_id)
        label = st.label
        out = {
            "status": st.status,
            "status_vi": label.vi,
            "status_en": label.en,
            "valid": st.status == "valid",
            "version": st.version,
            "superseded_by": st.superseded_by,
            "decision": st.decision,
            "revoked_at": st.revoked_at,
            "reason": st.reason,
            "ledger": {
                "included": st.ledger.included,
                "index": st.ledger.index,
                "checkpoint_size": st.ledger.checkpoint_size,
            },
        }
        self._remember((credential_id, size), out)
        return out

    @staticmethod
    def _diploma_status(d: Diploma, last: DiplomaDecision | None) -> dict[str, Any]:
        from credential_service.diplomas.rules import STATUS_LABELS, Status

        try:
            label = STATUS_LABELS[Status(d.status)]
            vi, en = label.vi, label.en
        except (ValueError, KeyError):
            vi = en = d.status
        decision = None
        if last is not None and d.status != "issued":
            decision = {
                "kind": last.kind,
                "decision_no": last.decision_no,
                "decision_date": last.decision_date.isoformat(),
                "ground": last.ground,
                "reason": last.reason,
            }
        return {
            "status": d.status,
            "status_vi": vi,
            "status_en": en,
            "valid": d.status == "issued",
            "version": d.version,
            "superseded_by": d.replaced_by_id,
            "decision": decision,
            "ledger": {"included": d.ledger_seq is not None, "index": d.ledger_seq},
        }

    def _verify_many(self, principal: ApiPrincipal, codes: Sequence[str], client: str | None) -> list[dict[str, Any]]:
        t = self.clock.now()
        hashes = [code_hash(c) for c in codes]
        who = self.client_hash(client)
        # 1. read: grants, their credentials, the ledger size, then the data and status (no write lock held)
        grants: dict[str, Any] = {}  # Core rows of consent_grants (attribute access like the ORM class)
        creds: dict[str, list[tuple[str, str]]] = {}
        with self.db.reader() as session:
            for row in session.execute(
                select(
                    cast(Table, ConsentGrant.__table__),
                    ConsentGrantCredential.credential_id,
                    ConsentGrantCredential.credential_kind,
                )
                .join(ConsentGrantCredential, ConsentGrantCredential.grant_id == ConsentGrant.id)
                .where(ConsentGrant.code_hash.in_(set(hashes)))
            ):
                grants[row.code_hash] = row
                creds.setdefault(row.id, []).append((row.credential_id, row.credential_kind))
            size = (
                int(session.execute(select(func.coalesce(func.max(LedgerEntry.seq), -1))).scalar_one()) + 1
                if grants
                else 0
            )
        outcome: dict[str, tuple[str, Any]] = {}
        usable: list[Any] = []
        used: dict[str, int] = {}
        for h in dict.fromkeys(hashes):
            g = grants.get(h)
            if g is None:
                outcome[h] = ("not_found", None)
            elif g.recipient_org_id is not None and g.recipient_org_id != principal.organisation_id:
                outcome[h] = ("wrong_recipient", g)
            else:
                state = grant_state(g, t)
                outcome[h] = ("ok" if state == "active" else state, g)
                if state == "active":
                    usable.append(g)
        data = self._credential_data([c for g in usable for c in creds.get(g.id, [])], size)
        # 2. bodies and signed receipts, before the write transaction (kept short: it holds the write lock)
        receipts: dict[str, tuple[str, str]] = {}
        bodies: dict[str, list[dict[str, Any]]] = {}
        for h, (result, g) in outcome.items():
            if result == "ok" and g is not None:
                body = []
                for cred_id, kind in creds.get(g.id, []):
                    if cred_id in data:
                        item = {k: v for k, v in data[cred_id].items() if not k.startswith("data:")}
                        body.append(
                            item | {"data": data[cred_id][f"data:{g.scope}"], "credential_id": cred_id, "kind": kind}
                        )
                bodies[h] = body
                receipt_id = new_id()
                receipts[h] = (receipt_id, self._receipt(receipt_id, principal, g, body, t))
        # 3. write: take one use of each usable grant atomically, append the log
        events: list[LogEvent] = []
        with self.db.transaction() as session:
            for h, (result, g) in outcome.items():
                if result == "ok" and g is not None:
                    grants_table = ConsentGrant.__table__.c
                    taken = session.execute(  # Core UPDATE: no ORM synchronisation work
                        update(cast(Table, ConsentGrant.__table__))
                        .where(
                            grants_table.id == g.id,
                            grants_table.uses < grants_table.max_uses,
                            grants_table.revoked_at.is_(None),
                        )
                        .values(uses=grants_table.uses + 1)
                    )
                    if taken.rowcount != 1:  # type: ignore[attr-defined]
                        outcome[h] = ("used_up", g)
                        result = "used_up"
                        receipts.pop(h, None)  # never handed out
                    else:
                        used[g.id] = used.get(g.id, g.uses) + 1
                if g is None:
                    events.append(
                        LogEvent(
                            "verify",
                            "employer",
                            principal.organisation_name,
                            result,
                            organisation_id=principal.organisation_id,
                            api_key_prefix=principal.prefix,
                            client_hash=who,
                        )
                    )
                    continue
                pairs: list[tuple[str | None, str | None]] = list(creds.get(g.id, [])) or [(None, None)]
                for cid, cred_kind in pairs:
                    fields = disclosure.released(cred_kind, g.scope) if result == "ok" and cred_kind else []
                    events.append(
                        LogEvent(
                            "verify",
                            "employer",
                            principal.organisation_name,
                            result,
                            g.person_id,
                            g.id,
                            cid,
                            principal.organisation_id,
                            principal.prefix,
                            g.purpose,
                            fields,
                            who,
                            receipts[h][0] if h in receipts else None,
                        )
                    )
            append_log(session, events, t)
        out: list[dict[str, Any]] = []
        for h in hashes:
            result, g = outcome[h]
            if result != "ok" or g is None:
                public = "not_found" if result == "wrong_recipient" else result
                msg = REFUSALS[public][1]
                out.append({"result": public, "detail_vi": msg.vi, "detail_en": msg.en})
                continue
            receipt_id, receipt = receipts[h]
            out.append(
                {
                    "result": "ok",
                    "grant": self._grant_public(g, used.get(g.id, g.uses)),
                    "credentials": bodies[h],
                    "receipt_id": receipt_id,
                    "receipt": receipt,
                }
            )
        return out

    @staticmethod
    def _grant_public(g: Any, uses: int) -> dict[str, Any]:
        return {
            "scope": g.scope,
            "purpose": g.purpose,
            "recipient": "organisation" if g.recipient_org_id else "bearer",
            "expires_at": g.expires_at.isoformat(),
            "uses_left": max(0, g.max_uses - uses),
        }

    def _credential_data(self, creds: list[tuple[str, str]], size: int) -> dict[str, dict[str, Any]]:
        """{credential id: status fields + ``data:<scope>`` for each scope} for the given credentials."""
        out: dict[str, dict[str, Any]] = {}
        tids = sorted({c for c, k in creds if k == "transcript"})
        dids = sorted({c for c, k in creds if k == "diploma"})
        if not tids and not dids:
            return out
        with self._lock:
            projections = {t: self._projections[t] for t in tids if t in self._projections}
        missing = [t for t in tids if t not in projections]
        diplomas: dict[str, Diploma] = {}
        last: dict[str, DiplomaDecision] = {}
        if missing or dids:
            with self.db.reader() as session:
                for tid, raw in session.execute(
                    select(Transcript.id, Transcript.record_json).where(Transcript.id.in_(missing))
                ).all():
                    record = json.loads(raw)  # a transcript version's record never changes: cache its projections
                    projections[tid] = {
                        f"data:{s}": disclosure.project_transcript(record, s) for s in disclosure.SCOPES
                    }
                    with self._lock:
                        if len(self._projections) > 50_000:
                            self._projections.clear()
                        self._projections[tid] = projections[tid]
                if dids:
                    diplomas = {d.id: d for d in session.execute(select(Diploma).where(Diploma.id.in_(dids))).scalars()}
                    for dec in session.execute(
                        select(DiplomaDecision)
                        .where(DiplomaDecision.diploma_id.in_(dids))
                        .order_by(DiplomaDecision.ledger_seq)
                    ).scalars():
                        last[dec.diploma_id] = dec
        for tid in tids:
            if tid in projections:
                out[tid] = dict(self._transcript_status(tid, size)) | projections[tid]
        for did in dids:
            d = diplomas.get(did)
            if d is None:
                continue
            out[did] = self._diploma_status(d, last.get(did)) | {
                f"data:{s}": disclosure.project_diploma(d, s) for s in disclosure.SCOPES
            }
        return out

    def _receipt(self, receipt_id: str, principal: ApiPrincipal, g: Any, body: list[dict[str, Any]], t: Any) -> str:
        claims = {
            "format": RECEIPT_FORMAT,
            "jti": receipt_id,
            "iss": ISSUER,
            "iat": int(t.timestamp()),
            "verifier": {
                "organisation_id": principal.organisation_id,
                "name": principal.organisation_name,
                "tax_code": principal.tax_code,
                "api_key": principal.prefix,
            },
            "grant": {"id": g.id, "scope": g.scope, "purpose": g.purpose},
            "data": body,
            "data_sha256": data_digest(body),
        }
        return sign_receipt(claims, self.receipt_key)

    def receipt_key_list(self) -> dict[str, Any]:
        return self.receipt_keys.to_dict()
