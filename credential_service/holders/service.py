"""Holders: persons linked to their students and diplomas, local accounts, sessions, own credentials.

Sign-in (dev and today): a local account activated with a one-time code the school hands out on
paper; the code and the password are stored only as argon2id hashes. A session is a random token
in an HttpOnly cookie; only its SHA-256 is stored, so a database leak does not leak sessions.

OpenID Connect (VNeID) seam: :class:`IdentityProvider` is what an OIDC integration (authlib's
``OAuth.register(...)`` + ``authorize_access_token()``) will implement: after the provider's
callback it returns an :class:`ExternalIdentity` (issuer, subject, verified PIN, name, date of
birth); :meth:`HolderService.sign_in_external` then finds the person by that verified identity and
opens the same kind of session. Nothing else in the holder flow changes. No provider is wired yet.

Authorisation rule, everywhere: a holder sees only credentials linked to their own person; any
other id answers exactly like an id that does not exist (404), so ids cannot be probed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.diplomas.tables import Diploma
from credential_service.holders import person_links
from credential_service.holders.person_links import keep_old_id_number, person_for
from credential_service.holders.tables import (
    AccessLogEntry,
    DiplomaPerson,
    HolderAccount,
    HolderSession,
    Person,
    StudentPerson,
)
from credential_service.platform.clock import Clock, SystemClock
from credential_service.platform.db import Database
from credential_service.platform.errors import (
    Conflict,
    CsrfRefused,
    InvalidInput,
    Message,
    NotAuthenticated,
    NotFound,
)
from credential_service.platform.ratelimit import RateLimiter, limiter_from_settings, sign_in_policy
from credential_service.platform.settings import Settings
from credential_service.transcripts.tables import SchoolClass, Student, Transcript

log = logging.getLogger(__name__)

# OWASP password-storage minimum for argon2id: m=19 MiB, t=2, p=1.
COOKIE = "sogoc_holder"  # the holder session cookie
HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = HASHER.hash("not-a-real-password")
ACTIVATION_DAYS = 30
MIN_PASSWORD = 10
# Guessing is slowed, never locked (platform/ratelimit.py): per account and address, per address, per account.
SIGN_IN = sign_in_policy("holder-sign-in")
ACTIVATION = sign_in_policy("holder-activation")
ADULT_AGE = 18
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


def new_id() -> str:
    return str(uuid.uuid4())


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def random_code(groups: int = 2, size: int = 5) -> str:
    return "-".join("".join(secrets.choice(CODE_ALPHABET) for _ in range(size)) for _ in range(groups))


def holder_secret(settings: Settings) -> bytes:
    """The secret for CSRF tokens and keyed client hashes: the setting, or derived from the receipt key."""
    if settings.holder_secret:
        return settings.holder_secret.encode("utf-8")
    assert settings.receipt_key_path is not None
    return hashlib.sha256(b"sogoc-holder-secret/1\0" + settings.receipt_key_path.read_bytes()).digest()


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


BAD_LOGIN = Message(
    "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản chưa kích hoạt.",
    "Wrong username or password, or the account is not activated.",
)


def credential_not_found(credential_id: str) -> NotFound:
    return NotFound(
        Message(
            "Không có văn bằng, học bạ nào với mã này trong tài khoản của bạn.",
            "No credential with this id in your account.",
        ),
    )


@dataclass(frozen=True)
class Principal:
    """A signed-in holder."""

    account_id: str
    person_id: str
    username: str
    session_hash: str


@dataclass(frozen=True)
class ExternalIdentity:
    """What an OIDC provider (VNeID) vouches for after its callback."""

    issuer: str
    subject: str
    pin: str | None
    full_name: str
    date_of_birth: date | None


class IdentityProvider(Protocol):
    """The seam for OpenID Connect (e.g. VNeID through authlib): build the authorisation redirect,
    then turn the callback into a verified :class:`ExternalIdentity`."""

    name: str

    def authorization_url(self, state: str, nonce: str) -> str: ...

    def identity_from_callback(self, params: dict[str, str], state: str, nonce: str) -> ExternalIdentity: ...


class HolderService:
    def __init__(
        self, db: Database, settings: Settings, *, clock: Clock | None = None, limiter: RateLimiter | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.secret = holder_secret(settings)
        self.limiter = limiter or limiter_from_settings(db, settings, self.clock)

    # ------------------------------------------------------------------ persons and links
    def link_student(self, student_id: str, *, linked_by: str) -> str:
        """Link a student record to its person (found by PIN, else a new person); returns the person id."""
        with self.db.transaction() as session:
            existing = session.get(StudentPerson, student_id)
            if existing is not None:
                return existing.person_id
            st = session.get(Student, student_id)
            if st is None:
                raise NotFound(Message("Không có học sinh này.", "No such student."))
            person = person_for(
                session, self.clock, st.full_name, st.date_of_birth, st.sex, st.personal_id, "school_record"
            )
            session.add(
                StudentPerson(
                    student_id=st.id,
                    person_id=person.id,
                    method="school_record",
                    linked_by=linked_by,
                    linked_at=self.clock.now(),
                )
            )
            return person.id

    def link_diploma(self, diploma_id: str, *, linked_by: str, person_id: str | None = None) -> str:
        with self.db.transaction() as session:
            existing = session.get(DiplomaPerson, diploma_id)
            if existing is not None:
                return existing.person_id
            d = session.get(Diploma, diploma_id)
            if d is None:
                raise NotFound(Message("Không có văn bằng này.", "No such diploma."))
            if person_id is None:
                person_id = person_for(
                    session, self.clock, d.full_name, d.date_of_birth, d.sex, d.personal_id, "register"
                ).id
            keep_old_id_number(session, self.clock, person_id, d.record_json)
            session.add(
                DiplomaPerson(
                    diploma_id=d.id,
                    person_id=person_id,
                    method="register",
                    linked_by=linked_by,
                    linked_at=self.clock.now(),
                )
            )
            return person_id

    def records_linked_by_pin(self, pins: Sequence[str]) -> dict[str, tuple[list[str], list[str]]]:
        """{personal ID: (student record ids, diploma ids)} linked to the person who holds that ID (through
        ``person_identifiers``); an ID no person holds is absent (admissions reads the register by it)."""
        with self.db.reader() as session:
            return person_links.records_linked_by_pin(session, pins)

    def personal_ids(self, person_id: str) -> list[str]:
        """Every 12-digit personal ID number the person has had (the holder's own admissions result)."""
        with self.db.reader() as session:
            return person_links.personal_ids_of(session, person_id)

    def person(self, person_id: str) -> Person:
        with self.db.reader() as session:
            p = session.get(Person, person_id)
            if p is None:
                raise NotFound(Message("Không có người này.", "No such person."))
            return p

    def is_minor(self, person_id: str, on: date | None = None) -> bool:
        return age_on(self.person(person_id).date_of_birth, on or self.clock.today()) < ADULT_AGE

    # ------------------------------------------------------------------ accounts
    def issue_activation(self, person_id: str, *, username: str, issued_by: str) -> str:
        """Create (or re-issue) the holder account's one-time activation code; returns the code once."""
        username = username.strip().lower()
        if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
            raise InvalidInput(
                Message(
                    "Tên đăng nhập 3–64 ký tự: chữ, số, . _ -", "Usernames are 3–64 characters: letters, digits, . _ -"
                )
            )
        code = random_code()
        with self.db.transaction() as session:
            if session.get(Person, person_id) is None:
                raise NotFound(Message("Không có người này.", "No such person."))
            acct = session.execute(
                select(HolderAccount).where(HolderAccount.person_id == person_id)
            ).scalar_one_or_none()
            taken = session.execute(select(HolderAccount.id).where(HolderAccount.username == username)).first()
            if taken and (acct is None or taken[0] != acct.id):
                raise Conflict(Message("Tên đăng nhập đã có người dùng.", "That username is taken."))
            if acct is None:
                acct = HolderAccount(
                    id=new_id(),
                    person_id=person_id,
                    username=username,
                    status="pending",
                    created_at=self.clock.now(),
                )
                session.add(acct)
            acct.username = username  # a re-issued code may come with a new username
            acct.activation_code_hash = HASHER.hash(code)
            acct.activation_expires_at = self.clock.now() + timedelta(days=ACTIVATION_DAYS)
            acct.activation_issued_by = issued_by
        self.limiter.forget(ACTIVATION.per_account, username)  # a new code: the old guesses no longer count
        log.info("holder activation code issued account=%s by=%s", username, issued_by)
        return code

    def activate(self, username: str, code: str, password: str, *, client: str | None = None) -> None:
        """Set the password with the one-time code; the code then stops working. Attempts back off per
        account and client address like sign-in (:data:`ACTIVATION`), whether the username exists or not."""
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(
                Message(
                    f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
                    f"The password needs at least {MIN_PASSWORD} characters.",
                )
            )
        bad = InvalidInput(
            Message("Mã kích hoạt không đúng hoặc đã hết hạn.", "The activation code is wrong or has expired.")
        )
        username = username.strip().lower()
        attempt = self.limiter.credential_attempt(ACTIVATION, username, client)
        with self.db.transaction() as session:
            acct = session.execute(select(HolderAccount).where(HolderAccount.username == username)).scalar_one_or_none()
            if acct is None or not acct.activation_code_hash or not acct.activation_expires_at:
                _burn(code)
                raise bad
            if acct.activation_expires_at < self.clock.now() or not _verify(acct.activation_code_hash, code.upper()):
                raise bad
            acct.password_hash = HASHER.hash(password)
            acct.activation_code_hash = None
            acct.activation_expires_at = None
            acct.status = "active"
            acct.activated_at = self.clock.now()
        attempt.succeeded()

    def sign_in(self, username: str, password: str, *, client: str | None = None) -> tuple[str, Principal]:
        """Check the password; returns a new session token (for the cookie) and the principal. One answer (401)
        for an unknown user, a wrong password or an account not activated; failures back off (:data:`SIGN_IN`,
        per username whether it exists or not, so a 429 reveals nothing) and never lock the account."""
        t = self.clock.now()
        username = username.strip().lower()
        attempt = self.limiter.credential_attempt(SIGN_IN, username, client)
        with self.db.transaction() as session:
            acct = session.execute(select(HolderAccount).where(HolderAccount.username == username)).scalar_one_or_none()
            if acct is None or acct.password_hash is None or acct.status != "active":
                _burn(password)
                raise NotAuthenticated(BAD_LOGIN)
            if not _verify(acct.password_hash, password):
                raise NotAuthenticated(BAD_LOGIN)
            if HASHER.check_needs_rehash(acct.password_hash):
                acct.password_hash = HASHER.hash(password)
            token = secrets.token_urlsafe(32)
            token_hash = sha256_hex(token)
            session.add(
                HolderSession(
                    token_hash=token_hash,
                    account_id=acct.id,
                    created_at=t,
                    expires_at=t + timedelta(minutes=self.settings.holder_session_minutes),
                )
            )
            principal = Principal(acct.id, acct.person_id, acct.username, token_hash)
        attempt.succeeded()
        return token, principal

    def sign_in_external(self, identity: ExternalIdentity) -> tuple[str, Principal]:  # pragma: no cover - seam
        """OIDC seam: find the account bound to (issuer, subject); binding it first needs a verified PIN
        that matches the person's current PIN. Not reachable until a provider is configured."""
        raise NotAuthenticated(Message("Chưa cấu hình đăng nhập VNeID.", "VNeID sign-in is not configured."))

    def principal(self, token: str | None) -> Principal:
        if not token or len(token) > 200:
            raise NotAuthenticated(Message("Bạn cần đăng nhập.", "Please sign in."))
        h = sha256_hex(token)
        with self.db.reader() as session:
            row = session.execute(
                select(HolderSession, HolderAccount)
                .join(HolderAccount, HolderAccount.id == HolderSession.account_id)
                .where(HolderSession.token_hash == h)
            ).first()
        if row is None:
            raise NotAuthenticated(
                Message("Phiên đăng nhập không hợp lệ; hãy đăng nhập lại.", "Invalid session; please sign in again.")
            )
        s, acct = row
        if s.revoked_at is not None or s.expires_at < self.clock.now() or acct.status != "active":
            raise NotAuthenticated(
                Message(
                    "Phiên đăng nhập đã hết hạn; hãy đăng nhập lại.", "Your session has expired; please sign in again."
                )
            )
        return Principal(acct.id, acct.person_id, acct.username, h)

    def sign_out(self, principal: Principal) -> None:
        with self.db.transaction() as session:
            s = session.get(HolderSession, principal.session_hash)
            if s is not None:
                s.revoked_at = self.clock.now()

    def csrf_token(self, binding: str) -> str:
        """A CSRF token bound to a session (its hash) or to a pre-session cookie value."""
        return hmac.new(self.secret, b"csrf\0" + binding.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, binding: str, token: str | None) -> None:
        if not token or not hmac.compare_digest(self.csrf_token(binding), token):
            raise CsrfRefused(
                Message(
                    "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF); hãy tải lại trang.",
                    "Missing or wrong CSRF token; reload the page.",
                )
            )

    def access_events(self, since: datetime, events: Sequence[str]) -> list[tuple[datetime, str, str]]:
        """(moment, event, result) of the access log's ``events`` from ``since``: no person, no organisation, no
        client (the progress counts verification traffic per day)."""
        log = AccessLogEntry
        q = select(log.at, log.event, log.result).where(log.at >= since, log.event.in_(list(events)))
        with self.db.reader() as s:
            return [(at, event, result) for at, event, result in s.execute(q)]

    def client_hash(self, client: str | None) -> str | None:
        if not client:
            return None
        return hmac.new(self.secret, b"client\0" + client.encode(), hashlib.sha256).hexdigest()[:32]

    # ------------------------------------------------------------------ own credentials
    def credential_ids(self, session: Session, person_id: str) -> dict[str, str]:
        """{credential id: kind} of everything linked to the person."""
        out: dict[str, str] = {}
        for (tid,) in session.execute(
            select(Transcript.id)
            .join(StudentPerson, StudentPerson.student_id == Transcript.student_id)
            .where(StudentPerson.person_id == person_id)
        ):
            out[tid] = "transcript"
        for (did,) in session.execute(select(DiplomaPerson.diploma_id).where(DiplomaPerson.person_id == person_id)):
            out[did] = "diploma"
        return out

    def credentials(self, person_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.db.reader() as session:
            rows = session.execute(
                select(Transcript, SchoolClass)
                .join(StudentPerson, StudentPerson.student_id == Transcript.student_id)
                .join(SchoolClass, SchoolClass.id == Transcript.class_id)
                .where(StudentPerson.person_id == person_id)
                .order_by(SchoolClass.school_year, Transcript.version)
            ).all()
            for t, k in rows:
                out.append(
                    {
                        "credential_id": t.id,
                        "kind": "transcript",
                        "status": t.status,
                        "version": t.version,
                        "title_vi": f"Học bạ lớp {k.name} năm học {k.school_year}",
                        "title_en": f"Transcript, class {k.name}, school year {k.school_year}",
                        "issued_at": t.issued_at.isoformat() if t.issued_at else None,
                        "has_pdf": t.status == "issued",
                        "verify_url": self.settings.verify_url(t.id),
                    }
                )
            drows = session.execute(
                select(Diploma)
                .join(DiplomaPerson, DiplomaPerson.diploma_id == Diploma.id)
                .where(DiplomaPerson.person_id == person_id)
                .order_by(Diploma.graduation_year, Diploma.version)
            ).scalars()
            for d in drows:
                out.append(
                    {
                        "credential_id": d.id,
                        "kind": "diploma",
                        "status": d.status,
                        "version": d.version,
                        "title_vi": f"Văn bằng {d.diploma_type} năm {d.graduation_year} — số vào sổ {d.register_no}",
                        "title_en": f"{d.diploma_type} diploma {d.graduation_year} — register no. {d.register_no}",
                        "issued_at": d.issued_on.isoformat(),
                        "has_pdf": d.pdf is not None,
                        "verify_url": self.settings.verify_url(d.id),
                    }
                )
        return out

    def own_kind(self, person_id: str, credential_id: str) -> str:
        with self.db.reader() as session:
            kind = self.credential_ids(session, person_id).get(credential_id)
        if kind is None:
            raise credential_not_found(credential_id)
        return kind

    def credential_pdf(self, person_id: str, credential_id: str) -> tuple[bytes, str]:
        kind = self.own_kind(person_id, credential_id)
        with self.db.reader() as session:
            if kind == "transcript":
                t = session.get(Transcript, credential_id)
                if t is None or t.status != "issued":
                    raise credential_not_found(credential_id)
                return t.pdf, f"hocba-{t.id}.pdf"
            d = session.get(Diploma, credential_id)
            if d is None or d.pdf is None:
                raise credential_not_found(credential_id)
            return d.pdf, f"vanbang-{d.id}.pdf"

    def offline_qr_text(self, person_id: str, credential_id: str) -> str:
        """The QR text: the verify link, and for a transcript the signed offline payload (HB1:) in the fragment."""
        kind = self.own_kind(person_id, credential_id)
        url = self.settings.verify_url(credential_id)
        if kind != "transcript":
            return url
        import json

        from signing.qr_payload import load_qr_signing_key, payload_for_record

        with self.db.reader() as session:
            t = session.get(Transcript, credential_id)
            if t is None or t.status != "issued":
                raise credential_not_found(credential_id)
            record, digest = json.loads(t.record_json), t.record_sha256
        assert self.settings.qr_key_path is not None
        return f"{url}#{payload_for_record(record, digest, load_qr_signing_key(self.settings.qr_key_path))}"


def _verify(hashed: str, secret: str) -> bool:
    try:
        return HASHER.verify(hashed, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn(secret: str) -> None:
    """Spend the time a real check would (no account-existence oracle by timing)."""
    _verify(_DUMMY_HASH, secret)
