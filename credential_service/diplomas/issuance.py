"""Issuing from a graduation decision without holding the database's write lock while signing.

Signing and timestamping 300 diplomas takes about half a minute. Done inside the writing transaction,
it held SQLite's write lock (every writing transaction begins IMMEDIATE) for that long, and every other
writer of the service failed with "database is locked". So issuing goes in three phases:

1. **plan** (read-only): the decision, the signers' roles, which graduates still need a diploma, and
   the register counter's current value ``last``. The diplomas are numbered ``last + 1 …`` — the number
   is printed in the PDF, so it must be known before signing;
2. **sign** (no transaction): render, sign and seal every PDF;
3. **record** (one short writing transaction): :func:`take_register_numbers` advances the counter from
   ``last`` — and refuses (409, nothing recorded) if it no longer stands at ``last`` — then the plan is
   re-checked under the lock (nobody issued from this decision meanwhile, the roles still hold), and the
   diplomas, their ledger entries and the signed checkpoint are written.

Why the register stays gap-free and duplicate-free: a number exists only once the transaction that
records its diploma commits, because the counter moves in that same transaction (a crash or a refusal
anywhere before the commit leaves the counter where it was: no gap); and the counter moves only from
the value the PDFs were numbered from, checked under the counter row's lock (``FOR UPDATE`` on
PostgreSQL, the write lock on SQLite): two batches numbered from the same value cannot both commit
(no duplicate). The unique constraints on the diplomas table back this up.

Two batches on the same counter (two decisions of one school, a reissue) would both sign and the
second be refused; :func:`register_lock` (a named lock outside the database) makes the second wait for
the first instead, a bounded time. It is a courtesy: the check in phase 3 is the guarantee.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from credential_service.diplomas import rules
from credential_service.diplomas.record import Holder
from credential_service.diplomas.rules import DiplomaType, Form, IssuerRole, Status
from credential_service.diplomas.tables import Diploma, GraduationDecision, RegisterCounter
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.db import Database
from credential_service.platform.errors import Conflict, Message, NotAuthorised, NotFound
from credential_service.platform.named_locks import named_lock
from credential_service.staff.authz import in_force, staff_member
from credential_service.staff.tables import RoleAssignment, School, Staff

SO_ISSUER_KEY = "SO-GDDT-HP"
SO_NAME = "Sở Giáo dục và Đào tạo Hải Phòng"
REGISTER_LOCK_WAIT = 120.0  # seconds a batch waits for another batch on the same register


class ChangedWhileSigning(Conflict):
    """The register or the decision changed while this batch was signing: nothing was recorded (409)."""

    code = "changed-while-signing"
    title = Message("Dữ liệu thay đổi trong lúc ký", "Changed while signing")


# --------------------------------------------------------------------------------------------------
# register numbers


def reserve_register_numbers(session: Session, issuer_key: str, diploma_type: str, year: int, count: int) -> list[int]:
    """Take the next ``count`` register numbers in the caller's transaction (locks the counter row)."""
    pg = session.get_bind().dialect.name == "postgresql"
    if pg:
        session.execute(
            text(
                "INSERT INTO register_counters (issuer_key, diploma_type, year, last_seq) "
                "VALUES (:k, :t, :y, 0) ON CONFLICT DO NOTHING"
            ),
            {"k": issuer_key, "t": diploma_type, "y": year},
        )
    query = select(RegisterCounter).where(
        RegisterCounter.issuer_key == issuer_key,
        RegisterCounter.diploma_type == diploma_type,
        RegisterCounter.year == year,
    )
    if pg:
        query = query.with_for_update()
    counter = session.execute(query).scalar_one_or_none()
    if counter is None:  # SQLite: the write lock is already held (BEGIN IMMEDIATE)
        counter = RegisterCounter(issuer_key=issuer_key, diploma_type=diploma_type, year=year, last_seq=0)
        session.add(counter)
    first = counter.last_seq + 1
    counter.last_seq += count
    session.flush()
    return list(range(first, first + count))


def register_counter_value(session: Session, issuer_key: str, diploma_type: str, year: int) -> int:
    """The last register number taken (0 when none yet), read without locking."""
    last = session.execute(
        select(RegisterCounter.last_seq).where(
            RegisterCounter.issuer_key == issuer_key,
            RegisterCounter.diploma_type == diploma_type,
            RegisterCounter.year == year,
        )
    ).scalar_one_or_none()
    return int(last or 0)


def take_register_numbers(
    session: Session, issuer_key: str, diploma_type: str, year: int, count: int, *, expected_last: int
) -> list[int]:
    """Advance the counter by ``count`` in the recording transaction, only from ``expected_last`` (the value
    the signed PDFs were numbered from); otherwise refuse and record nothing."""
    seqs = reserve_register_numbers(session, issuer_key, diploma_type, year, count)
    if seqs[0] != expected_last + 1:
        raise ChangedWhileSigning(
            Message(
                f"Trong lúc ký, sổ gốc {diploma_type}/{year} của {issuer_key} đã được cấp thêm số vào sổ (số cuối "
                f"là {seqs[0] - 1}, không phải {expected_last}). Chưa ghi gì, không mất số nào; vui lòng thử lại.",
                f"While signing, the register {diploma_type}/{year} of {issuer_key} took more numbers (the last is "
                f"{seqs[0] - 1}, not {expected_last}). Nothing was recorded and no number was lost; try again.",
            ),
            retry_after=5,
        )
    return seqs


@contextmanager
def register_lock(db: Database, issuer_key: str, diploma_type: str, year: int) -> Iterator[None]:
    """Wait (bounded) for any other batch numbering the same register, outside the database's locks."""
    what = Message(
        f"Việc cấp số vào sổ gốc {diploma_type}/{year} của {issuer_key}",
        f"Numbering the register {diploma_type}/{year} of {issuer_key}",
    )
    with named_lock(db, f"register:{issuer_key}:{diploma_type}:{year}", what=what, wait=REGISTER_LOCK_WAIT):
        yield


# --------------------------------------------------------------------------------------------------
# the plan


def require_role(session: Session, staff_id: str, role: str, school_id: str | None, on: date) -> Staff:
    staff = staff_member(session, staff_id)
    query = select(RoleAssignment.id).where(
        RoleAssignment.staff_id == staff_id,
        RoleAssignment.role == role,
        in_force(on),
    )
    # a school's diploma: the role at that school; a Sở-issued one: the role held at the Sở (or, for a Phòng
    # head, where the legacy books are kept), never a school's (a school seal does not seal a Sở diploma)
    query = query.where(
        RoleAssignment.school_id == school_id if school_id is not None else RoleAssignment.school_id.is_(None)
    )
    if session.execute(query).first() is None:
        raise NotAuthorised(
            Message(
                f"{staff.full_name} không được phân công vai trò «{role}» vào ngày {on:%d/%m/%Y}; "
                "không cấp văn bằng được.",
                f"{staff.full_name} is not assigned the role «{role}» on {on.isoformat()}; cannot issue the diploma.",
            ),
            staff_id=staff_id,
            role=role,
        )
    return staff


@dataclass(frozen=True)
class IssuePlan:
    """What issuing from a decision would do now (read in one session; the ORM rows are detached after)."""

    decision: GraduationDecision
    kind: DiplomaType
    role: IssuerRole
    school: School | None
    issuer: Staff
    seal: Staff
    issuer_key: str
    organisation: str
    done: frozenset[int]
    todo: tuple[tuple[int, dict[str, Any]], ...]


def plan_issue(
    session: Session,
    decision_id: str,
    issuer_staff_id: str,
    seal_staff_id: str,
    on: date,
    only: frozenset[int] | None = None,
) -> IssuePlan:
    """What issuing would do now: every graduate without a diploma yet (with ``only``, those of these indexes)."""
    decision = session.get(GraduationDecision, decision_id)
    if decision is None:
        raise NotFound(Message(f"Không có quyết định mã {decision_id}.", f"No decision {decision_id}."))
    kind = DiplomaType(decision.diploma_type)
    role = rules.issuer_role(kind, on)
    school = session.get(School, decision.school_id) if decision.school_id else None
    issuer = require_role(session, issuer_staff_id, role.value, decision.school_id, on)
    seal = require_role(session, seal_staff_id, "seal", decision.school_id, on)
    indexes = session.execute(select(Diploma.graduate_index).where(Diploma.graduation_decision_id == decision_id))
    done = frozenset(i for i in indexes.scalars() if i is not None)
    todo = tuple((i, g) for i, g in enumerate(decision.graduates) if i not in done and (only is None or i in only))
    principal = role is IssuerRole.PRINCIPAL
    return IssuePlan(
        decision=decision,
        kind=kind,
        role=role,
        school=school,
        issuer=issuer,
        seal=seal,
        issuer_key=decision.issuer_key if principal else SO_ISSUER_KEY,
        organisation=school.name if (school and principal) else SO_NAME,
        done=done,
        todo=todo,
    )


def require_same_work(planned: IssuePlan, now: IssuePlan) -> None:
    """Refuse when somebody issued from the decision after this batch was planned (nothing is recorded)."""
    if [i for i, _ in planned.todo] != [i for i, _ in now.todo]:
        raise ChangedWhileSigning(
            Message(
                f"Quyết định {planned.decision.decision_no} vừa được cấp văn bằng bởi một yêu cầu khác "
                f"({len(now.done)} người đã có văn bằng). Yêu cầu này không ghi gì thêm, không có văn bằng trùng; "
                "tải lại để xem các văn bằng đã cấp.",
                f"Decision {planned.decision.decision_no} was just issued by another request ({len(now.done)} "
                "graduates now hold a diploma). This request recorded nothing and no diploma is doubled; reload "
                "to see what was issued.",
            ),
            decision_id=planned.decision.id,
        )


# --------------------------------------------------------------------------------------------------
# the rows


@dataclass(frozen=True)
class Prepared:
    """One graduate's diploma, numbered and rendered, before signing."""

    index: int
    seq: int
    register_no: str
    holder: Holder
    record: dict[str, Any]
    pdf: bytes


def holder_of_graduate(g: dict[str, Any]) -> Holder:
    return Holder(
        rules.display_name(g["full_name"]), date.fromisoformat(g["date_of_birth"]), g.get("place_of_birth"),
        g["sex"], g.get("ethnicity"), g.get("personal_id"),
    )  # fmt: skip


def issued_row(plan: IssuePlan, p: Prepared, pdf: bytes, salt: str, on: date, now: datetime) -> Diploma:
    """The register row of one newly issued digital diploma (``ledger_seq`` is set once ledgered)."""
    decision, school, holder = plan.decision, plan.school, p.holder
    record_bytes = canonical_json(p.record)
    return Diploma(
        id=p.record["credential_id"], diploma_type=plan.kind.value, form=Form.DIGITAL.value, origin="issued",
        assurance="digital_original", issuer_key=plan.issuer_key, issuer_role=plan.role.value,
        issuer_name=plan.organisation, signer_name=plan.issuer.full_name, school_id=decision.school_id,
        school_name=school.name if school else "", graduation_decision_id=decision.id,
        graduate_index=p.index, decision_no=decision.decision_no,
        graduation_year=decision.graduation_year, full_name=holder.full_name,
        name_key=rules.name_key(holder.full_name), date_of_birth=holder.date_of_birth,
        place_of_birth=holder.place_of_birth, sex=holder.sex, ethnicity=holder.ethnicity,
        personal_id=holder.personal_id, classification=None, serial_no=None, register_no=p.register_no,
        register_seq=p.seq, register_year=on.year, version=1, status=Status.ISSUED.value,
        replaces_id=None, replaced_by_id=None, record_json=record_bytes.decode(),
        record_sha256=sha256_hex(record_bytes), salt=salt, pdf=pdf,
        pdf_sha256=sha256_hex(pdf), ledger_seq=None, issued_on=on, created_at=now,
    )  # fmt: skip
