"""The public side of the register: the paper (or digital) diploma check, public disclosure per school
and year, and the public list of revocations.

The check is rate-limited per client address (an IPv6 client per /64) in the store every worker shares,
and every check is logged with a keyed hash of the client, the query kind and the outcome — no query data.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, insert, or_, select

from credential_service.diplomas import rules
from credential_service.diplomas.rules import REVOCATION_GROUND_LABELS, STATUS_LABELS, Status
from credential_service.diplomas.tables import Diploma, DiplomaDecision, PublicCheckLog
from credential_service.platform.client_address import address_bucket
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.platform.errors import RateLimited as TooManyRequests
from credential_service.platform.ratelimit import RateLimiter, RateLimitItem, parse
from credential_service.staff.tables import School
from credential_service.transcripts.import_rules import FieldError, parse_date

log = logging.getLogger(__name__)

# The public check, per client address (an IPv6 client per /64), in the store every worker shares.
CHECK_LIMITS = (parse("10/minute"), parse("200/day"))


class RateLimited(TooManyRequests):
    """Too many public checks from one client (HTTP 429, ``retry_after`` in seconds)."""


class PublicRegister:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        limiter: RateLimiter,
        client_key: bytes,
        register_format: str = rules.DEFAULT_REGISTER_FORMAT,
    ) -> None:
        self.db = db
        self.register_format = register_format
        self.clock = clock
        self.limiter = limiter
        self.check_limits: Sequence[RateLimitItem] = CHECK_LIMITS
        self._client_key = client_key  # logs keep a keyed hash, never the address

    def client_hash(self, client: str) -> str:
        return hmac.new(self._client_key, client.encode(), hashlib.sha256).hexdigest()[:32]

    def check(self, *, number: str, full_name: str, date_of_birth: str, client: str) -> dict[str, Any]:
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
        # A register number is compared normalised on both sides (case, zero padding as printed): by its
        # parts when it parses, else as written, upper-cased.
        parsed = rules.parse_register_no(number, self.register_format) or rules.parse_register_no(number)
        by_number = [Diploma.serial_no == number, func.upper(Diploma.register_no) == number.upper()]
        if parsed is not None:
            by_parts = [Diploma.register_seq == parsed.seq]
            if parsed.year is not None:
                by_parts.append(Diploma.register_year == parsed.year)
            by_number.append(and_(*by_parts))
        with self.db.reader() as session:
            candidates = session.execute(
                select(Diploma)
                .where(or_(*by_number))
                .where(Diploma.name_key == key, Diploma.date_of_birth == dob)
                .order_by(Diploma.version)
            ).scalars()
            rows = [
                d
                for d in candidates
                if d.serial_no == number or rules.same_register_no(number, d.register_no, self.register_format)
            ]
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
            session.execute(insert(PublicCheckLog).values(id=str(uuid.uuid4()), client=who, query_kind=kind,
                                                          outcome=outcome, created_at=self.clock.now()))  # fmt: skip

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
