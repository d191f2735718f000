"""Staff sign-in: local accounts (argon2id + TOTP), OIDC subjects, sessions with idle and absolute
limits, scoped service tokens, and the signer's fresh confirmation for one signing batch."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from credential_service.platform.clock import Clock, SystemClock, as_utc
from credential_service.platform.db import Database, rows_changed
from credential_service.platform.errors import (
    Conflict,
    CsrfRefused,
    InvalidInput,
    Message,
    NotAuthenticated,
    NotAuthorised,
    NotFound,
)
from credential_service.platform.ratelimit import Backoff, RateLimiter, limiter_from_settings, sign_in_policy
from credential_service.platform.settings import Settings
from credential_service.staff.authz import seal_in_force, signer_for_step
from credential_service.staff.policy import Actor
from credential_service.staff.roles import Grant, Role
from credential_service.staff.tables import (
    RoleAssignment,
    ServiceToken,
    SigningConfirmation,
    Staff,
    StaffAccount,
    StaffSession,
)
from credential_service.transcripts.tables import SchoolClass

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = HASHER.hash("not-a-real-password")
MIN_PASSWORD = 12
MAX_TOKEN_DAYS = 90
TOTP_ISSUER = "Sổ Gốc Số"
# Guessing is slowed, never locked (platform/ratelimit.py); a confirmation code only the signed-in person can fail.
SIGN_IN = sign_in_policy("staff-sign-in")
CONFIRM = Backoff("staff-confirm/account", free=5, forget_on_success=True)

BAD_SIGN_IN = Message(
    "Tên đăng nhập, mật khẩu hoặc mã xác thực (TOTP) không đúng.",
    "Wrong username, password or authentication code (TOTP).",
)
SIGN_IN_FIRST = Message("Bạn cần đăng nhập bằng tài khoản cán bộ.", "Please sign in with a staff account.")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def staff_secret(settings: Settings) -> bytes:
    """The key for CSRF tokens: the holder secret setting, or derived from the receipt signing key."""
    if settings.holder_secret:
        return hashlib.sha256(b"sogoc-staff-secret/1\0" + settings.holder_secret.encode()).digest()
    assert settings.receipt_key_path is not None
    return hashlib.sha256(b"sogoc-staff-secret/1\0" + settings.receipt_key_path.read_bytes()).digest()


@dataclass(frozen=True)
class NewAccount:
    account_id: str
    username: str
    totp_secret: str
    provisioning_uri: str
    staff_id: str = ""


def grants_of(session: Session, staff_id: str) -> tuple[Grant, ...]:
    """Every role assignment of a person (in force or not; ``Grant.in_force`` tells)."""
    rows = session.execute(select(RoleAssignment).where(RoleAssignment.staff_id == staff_id)).scalars()
    return tuple(
        Grant(Role(r.role), r.school_id, r.class_id, r.commune, r.valid_from, r.valid_to)
        for r in rows
        if r.role in Role.__members__.values()
    )


class StaffAuthService:
    def __init__(
        self, db: Database, settings: Settings, *, clock: Clock | None = None, limiter: RateLimiter | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.secret = staff_secret(settings)
        self.limiter = limiter or limiter_from_settings(db, settings, self.clock)

    # ------------------------------------------------------------------ accounts
    def create_account(
        self,
        *,
        staff_id: str,
        username: str,
        password: str | None,
        totp_secret: str | None = None,
        new_person: str | None = None,
    ) -> NewAccount:
        """A local account for a person in the signer registry; returns the TOTP secret to enrol once."""
        username = username.strip().lower()
        if password is not None and len(password) < MIN_PASSWORD:
            raise InvalidInput(
                Message(
                    f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
                    f"The password needs at least {MIN_PASSWORD} characters.",
                )
            )
        secret = totp_secret or pyotp.random_base32()
        with self.db.transaction() as session:
            if new_person is not None:  # the person and the account together, or neither
                session.add(
                    Staff(id=staff_id, full_name=new_person.strip(), kind="person", key_label=f"none:{staff_id}")
                )
                session.flush()
            staff = session.get(Staff, staff_id)
            if staff is None or staff.kind != "person":
                raise NotFound(Message(f"Không có cán bộ mã {staff_id}.", f"No staff member {staff_id}."))
            taken = session.execute(
                select(StaffAccount.id).where(or_(StaffAccount.username == username, StaffAccount.staff_id == staff_id))
            ).first()
            if taken is not None:
                raise Conflict(
                    Message(
                        f"Tên đăng nhập «{username}» hoặc cán bộ này đã có tài khoản.",
                        f"The username «{username}» or this staff member already has an account.",
                    )
                )
            account = StaffAccount(
                id=str(uuid.uuid4()),
                staff_id=staff_id,
                username=username,
                password_hash=HASHER.hash(password) if password else None,
                totp_secret=secret,
                status="active",
                created_at=self.clock.now(),
            )
            session.add(account)
        uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)
        return NewAccount(account.id, username, secret, uri, staff_id)

    def create_person_account(
        self, *, full_name: str, username: str, password: str, staff_id: str | None = None
    ) -> NewAccount:
        """A new person in the registry (or an existing signer) with a local account and no role."""
        if staff_id is None:
            staff_id = str(uuid.uuid4())
            with self.db.transaction() as session:
                session.add(
                    Staff(id=staff_id, full_name=full_name.strip(), kind="person", key_label=f"none:{staff_id}")
                )
        return self.create_account(staff_id=staff_id, username=username, password=password)

    def bind_oidc(self, username: str, *, issuer: str, subject: str) -> None:
        with self.db.transaction() as session:
            account = self._account_by_username(session, username)
            account.oidc_issuer, account.oidc_subject = issuer, subject

    # ------------------------------------------------------------------ sign-in
    def sign_in(self, username: str, password: str, totp_code: str, *, client: str | None = None) -> tuple[str, Actor]:
        """Password and TOTP; one answer for an unknown user or a wrong password or code; failures back off."""
        now = self.clock.now()
        username = username.strip().lower()
        attempt = self.limiter.credential_attempt(SIGN_IN, username, client)
        with self.db.transaction() as session:
            account = session.execute(
                select(StaffAccount).where(StaffAccount.username == username)
            ).scalar_one_or_none()
            if account is None or account.password_hash is None:
                _verify(_DUMMY_HASH, password)
                raise NotAuthenticated(BAD_SIGN_IN)
            password_ok = _verify(account.password_hash, password)
            code_ok = self._check_totp(account, totp_code, now)
            if not (password_ok and code_ok) or account.status != "active":
                raise NotAuthenticated(BAD_SIGN_IN)
            token = self._open_session(session, account, now, method="password+totp")
            actor = self._actor(session, account, via="session", session_hash=sha256_hex(token))
        attempt.succeeded()
        return token, actor

    def sign_in_oidc(self, *, issuer: str, subject: str) -> tuple[str, Actor]:
        """The city SSO said who this is; the subject must be bound to an account first (by the Sở admin)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            account = session.execute(
                select(StaffAccount).where(StaffAccount.oidc_issuer == issuer, StaffAccount.oidc_subject == subject)
            ).scalar_one_or_none()
            if account is None or account.status != "active":
                raise NotAuthenticated(
                    Message(
                        "Tài khoản đăng nhập một lần này chưa được gắn với cán bộ nào; liên hệ quản trị Sở.",
                        "This single sign-on account is not bound to a staff member; ask the Sở administrator.",
                    )
                )
            token = self._open_session(session, account, now, method="oidc")
            return token, self._actor(session, account, via="session", session_hash=sha256_hex(token))

    def _open_session(self, session: Session, account: StaffAccount, now: datetime, *, method: str) -> str:
        token = secrets.token_urlsafe(32)
        session.add(
            StaffSession(
                token_hash=sha256_hex(token),
                account_id=account.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + timedelta(hours=self.settings.staff_session_hours),
                method=method,
            )
        )
        return token

    def actor_for_session(self, token: str | None) -> Actor:
        """The person behind a session cookie; the session's idle clock restarts."""
        if not token or len(token) > 200:
            raise NotAuthenticated(SIGN_IN_FIRST)
        now = self.clock.now()
        token_hash = sha256_hex(token)
        with self.db.transaction() as session:
            row = session.get(StaffSession, token_hash)
            if row is None or row.revoked_at is not None:
                raise NotAuthenticated(SIGN_IN_FIRST)
            idle_limit = as_utc(row.last_seen_at) + timedelta(minutes=self.settings.staff_idle_minutes)
            if now >= as_utc(row.expires_at) or now >= idle_limit:
                raise NotAuthenticated(
                    Message("Phiên đăng nhập đã hết hạn; hãy đăng nhập lại.", "The session has expired; sign in again.")
                )
            account = session.get(StaffAccount, row.account_id)
            if account is None or account.status != "active":
                raise NotAuthenticated(SIGN_IN_FIRST)
            row.last_seen_at = now
            return self._actor(session, account, via="session", session_hash=token_hash)

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        with self.db.transaction() as session:
            row = session.get(StaffSession, sha256_hex(token))
            if row is not None and row.revoked_at is None:
                row.revoked_at = self.clock.now()

    def sign_out_everywhere(self, account_id: str) -> int:
        """End every session and service token of the account (a lost laptop, a stolen password)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            ended = rows_changed(
                session.execute(
                    update(StaffSession)
                    .where(StaffSession.account_id == account_id, StaffSession.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
            )
            session.execute(
                update(ServiceToken)
                .where(ServiceToken.account_id == account_id, ServiceToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return ended

    # ------------------------------------------------------------------ service tokens
    def issue_service_token(self, actor: Actor, *, name: str, scopes: list[str], days: int) -> tuple[str, datetime]:
        """A bearer token for a script, limited to the named policies and to ``days`` (≤ 90)."""
        if actor.via != "session":
            raise NotAuthorised(
                Message("Chỉ phiên đăng nhập mới cấp được khóa dịch vụ.", "Only a signed-in session can issue a token.")
            )
        if not 1 <= days <= MAX_TOKEN_DAYS or not scopes:
            raise InvalidInput(
                Message(
                    f"Khóa dịch vụ cần ít nhất một quyền và thời hạn 1–{MAX_TOKEN_DAYS} ngày.",
                    f"A service token needs at least one scope and 1–{MAX_TOKEN_DAYS} days.",
                )
            )
        token = "sgt_" + secrets.token_urlsafe(32)
        now = self.clock.now()
        expires = now + timedelta(days=days)
        with self.db.transaction() as session:
            session.add(
                ServiceToken(
                    id=str(uuid.uuid4()),
                    token_hash=sha256_hex(token),
                    account_id=actor.account_id,
                    name=name[:100],
                    scopes=sorted(set(scopes)),
                    created_at=now,
                    expires_at=expires,
                )
            )
        return token, expires

    def actor_for_service_token(self, token: str) -> Actor:
        if len(token) > 200:
            raise NotAuthenticated(SIGN_IN_FIRST)
        now = self.clock.now()
        with self.db.reader() as session:
            row = session.execute(
                select(ServiceToken).where(ServiceToken.token_hash == sha256_hex(token))
            ).scalar_one_or_none()
            if row is None or row.revoked_at is not None or now >= as_utc(row.expires_at):
                raise NotAuthenticated(
                    Message("Khóa dịch vụ không hợp lệ hoặc đã hết hạn.", "Invalid or expired service token.")
                )
            account = session.get(StaffAccount, row.account_id)
            if account is None or account.status != "active":
                raise NotAuthenticated(SIGN_IN_FIRST)
            return self._actor(session, account, via="token", scopes=frozenset(row.scopes))

    # ------------------------------------------------------------------ the signer's confirmation
    def confirm(self, actor: Actor, *, totp_code: str, purpose: str) -> tuple[str, datetime]:
        """The signer confirms one batch with their own second factor; returns a single-use confirmation."""
        if actor.via != "session":
            raise NotAuthorised(
                Message(
                    "Khóa dịch vụ không xác nhận ký được; người ký phải tự xác nhận.",
                    "A service token cannot confirm signing; the signer must confirm in person.",
                )
            )
        now = self.clock.now()
        attempt = self.limiter.attempt([(CONFIRM, (actor.account_id,))])
        with self.db.transaction() as session:
            account = session.get(StaffAccount, actor.account_id)
            step = self._totp_step(account, totp_code, now) if account is not None else None
            reused = (
                step is not None
                and session.execute(
                    select(SigningConfirmation.id).where(
                        SigningConfirmation.account_id == actor.account_id,
                        SigningConfirmation.purpose == purpose,
                        SigningConfirmation.totp_step == step,
                    )
                ).first()
            )
            if step is None or reused:
                raise NotAuthenticated(
                    Message(
                        "Mã xác thực (TOTP) không đúng hoặc đã dùng; chưa ký.",
                        "Wrong or already used authentication code (TOTP); nothing signed.",
                    )
                )
            expires = now + timedelta(minutes=self.settings.signing_confirmation_minutes)
            confirmation = SigningConfirmation(
                id=str(uuid.uuid4()),
                account_id=actor.account_id,
                purpose=purpose,
                totp_step=step,
                created_at=now,
                expires_at=expires,
            )
            session.add(confirmation)
        attempt.succeeded()
        return confirmation.id, expires

    def consume_confirmation(self, actor: Actor, confirmation_id: str | None, purpose: str) -> None:
        """Use the confirmation once, before the batch signs; refuse a missing, stale or foreign one."""
        now = self.clock.now()
        with self.db.transaction() as session:
            self._consume(session, actor, confirmation_id, purpose, now)

    def _consume(
        self, session: Session, actor: Actor, confirmation_id: str | None, purpose: str, now: datetime
    ) -> None:
        row = session.get(SigningConfirmation, confirmation_id) if confirmation_id else None
        if (
            row is None
            or row.account_id != actor.account_id
            or row.purpose != purpose
            or row.used_at is not None
            or now >= as_utc(row.expires_at)
        ):
            raise NotAuthorised(
                Message(
                    "Người ký chưa tự xác nhận lần ký này (hoặc xác nhận đã dùng/hết hạn): nhập mã xác thực của mình "
                    "rồi ký lại.",
                    "The signer has not confirmed this signing (or the confirmation was used or expired): enter "
                    "your own authentication code, then sign again.",
                ),
                reason="confirmation_required",
                purpose=purpose,
            )
        row.used_at = now

    def signer_for_class_step(self, actor: Actor, *, class_id: str, step: str) -> str:
        """The staff id whose key signs ``step`` of the class when ``actor`` asks (see authz.signer_for_step)."""
        with self.db.reader() as session:
            klass = session.get(SchoolClass, class_id)
            if klass is None:
                raise NotFound(Message(f"Không có lớp {class_id}.", f"No class {class_id}."))
            return signer_for_step(session, actor, step=step, klass=klass, on=self.clock.today())

    def seal_for_school(self, school_id: str | None) -> str:
        """The staff id of the school's organisation seal in force today."""
        if school_id is None:
            raise NotFound(Message("Không xác định được trường.", "The school is not known."))
        with self.db.reader() as session:
            return seal_in_force(session, school_id=school_id, on=self.clock.today()).id

    # ------------------------------------------------------------------ signed state (SSO round trip)
    def seal_state(self, data: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
        mac = hmac.new(self.secret, b"state\0" + body.encode(), hashlib.sha256).hexdigest()
        return f"{body}.{mac}"

    def open_state(self, token: str | None) -> dict[str, Any] | None:
        if not token or len(token) > 4000 or "." not in token:
            return None
        body, _, mac = token.rpartition(".")
        good = hmac.new(self.secret, b"state\0" + body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(good, mac):
            return None
        data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body.encode()))
        return data

    # ------------------------------------------------------------------ CSRF
    def csrf_token(self, session_hash: str) -> str:
        return hmac.new(self.secret, b"staff-csrf\0" + session_hash.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, session_hash: str, token: str | None) -> None:
        if not token or not hmac.compare_digest(self.csrf_token(session_hash), token):
            raise CsrfRefused(
                Message(
                    "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF); hãy tải lại trang.",
                    "Missing or wrong CSRF token; reload the page.",
                )
            )

    # ------------------------------------------------------------------ helpers
    def _account_by_username(self, session: Session, username: str) -> StaffAccount:
        account = session.execute(
            select(StaffAccount).where(StaffAccount.username == username.strip().lower())
        ).scalar_one_or_none()
        if account is None:
            raise NotFound(Message(f"Không có tài khoản «{username}».", f"No account «{username}»."))
        return account

    def _check_totp(self, account: StaffAccount, code: str, now: datetime) -> bool:
        """Sign-in: a TOTP code of the current or an adjacent 30-s step, each step accepted once (no replay)."""
        step = self._totp_step(account, code, now)
        if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
            return False
        account.totp_last_step = step
        return True

    @staticmethod
    def _totp_step(account: StaffAccount, code: str, now: datetime) -> int | None:
        """The 30-s step (current or adjacent, RFC 6238 §5.2) whose code this is, or None."""
        if not account.totp_secret or not code or len(code) > 10:
            return None
        totp = pyotp.TOTP(account.totp_secret)
        current = totp.timecode(now)
        for step in (current, current - 1, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code.strip()):
                return step
        return None

    def _actor(
        self,
        session: Session,
        account: StaffAccount,
        *,
        via: str,
        session_hash: str | None = None,
        scopes: frozenset[str] | None = None,
    ) -> Actor:
        staff = session.get(Staff, account.staff_id)
        assert staff is not None
        grants = grants_of(session, staff.id)
        today = self.clock.today()
        return Actor(
            account_id=account.id,
            username=account.username,
            staff_id=staff.id,
            full_name=staff.full_name,
            grants=grants,
            via=via,
            scopes=scopes,
            session_hash=session_hash,
            roles_today=frozenset(g.role for g in grants if g.in_force(today)),
        )


def _verify(hashed: str, secret: str) -> bool:
    try:
        return HASHER.verify(hashed, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
