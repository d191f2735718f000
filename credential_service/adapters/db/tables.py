"""The relational schema (SQLAlchemy 2 declarative).

Alembic migrations in ``migrations/`` are the only way this schema is created; these classes
describe it for the ORM and must stay in step with the migrations (a test compares them).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class School(Base):
    __tablename__ = "schools"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(100))


class Staff(Base):
    """A staff member or an organisation seal that can sign (issue 5 grows this into a registry)."""

    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # person | seal
    key_label: Mapped[str] = mapped_column(String(64))  # which key/certificate the signer uses


class RoleAssignment(Base):
    __tablename__ = "role_assignments"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    role: Mapped[str] = mapped_column(String(16))  # gvcn | principal | seal
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    class_id: Mapped[str | None] = mapped_column(ForeignKey("classes.id"), nullable=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)


class SchoolClass(Base):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("school_id", "school_year", "name"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    school_year: Mapped[str] = mapped_column(String(9))  # "2025-2026"
    name: Mapped[str] = mapped_column(String(32))
    grade: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), default="draft")


class Student(Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("school_id", "student_code"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))
    student_code: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    place_of_birth: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ethnicity: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_id: Mapped[str | None] = mapped_column(String(12), nullable=True)


class YearResult(Base):
    __tablename__ = "year_results"
    __table_args__ = (UniqueConstraint("student_id", "class_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"))
    data: Mapped[dict] = mapped_column(JSON)  # canonical YearInput JSON
    evaluation: Mapped[dict] = mapped_column(JSON)  # explain_year output (results + trace)


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("class_id", "source_sha256"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"))
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    student_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Transcript(Base):
    __tablename__ = "transcripts"
    __table_args__ = (UniqueConstraint("student_id", "class_id", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the credential id printed in the QR
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(24))
    record_json: Mapped[str] = mapped_column(Text)  # RFC 8785 canonical JSON
    record_sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))  # private; opens the ledger commitment
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SigningEvent(Base):
    __tablename__ = "signing_events"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcripts.id"))
    step: Mapped[str] = mapped_column(String(16))  # gvcn | principal | seal
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    certificate_serial: Mapped[str] = mapped_column(String(64))
    certificate_subject: Mapped[str] = mapped_column(String(400))
    checks: Mapped[dict] = mapped_column(JSON)
    pdf_sha256_before: Mapped[str] = mapped_column(String(64))
    pdf_sha256_after: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerEntry(Base):
    """Append-only: UPDATE and DELETE are refused by database triggers (see migrations)."""

    __tablename__ = "ledger_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    credential_id: Mapped[str] = mapped_column(String(36), index=True)
    leaf: Mapped[bytes] = mapped_column(LargeBinary)  # versioned canonical leaf encoding
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)  # RFC 6962 leaf hash
    amends_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerNode(Base):
    """Hash of the complete subtree of ``2**level`` ledger leaves starting at leaf ``idx * 2**level``.

    Level 0 is the leaf hash itself. Written in the transaction that appends the leaves that complete
    the subtree; append-only (database triggers). Proofs read O(log n) of these rows.
    """

    __tablename__ = "ledger_nodes"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    """A signed C2SP tlog-checkpoint of the ledger at ``size`` (append-only, one per size)."""

    __tablename__ = "ledger_checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note_text: Mapped[str] = mapped_column(Text)  # the signed note exactly as published
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LedgerCosignature(Base):
    """A witness's C2SP tlog-cosignature line on a checkpoint (append-only, one per witness key)."""

    __tablename__ = "ledger_cosignatures"
    checkpoint_size: Mapped[int] = mapped_column(
        ForeignKey("ledger_checkpoints.size"), primary_key=True, autoincrement=False
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    key_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timestamp: Mapped[int] = mapped_column(BigInteger)
    signature_line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------------------------------
# Diplomas (văn bằng) and the master register (sổ gốc) — migration 0003


class GraduationDecision(Base):
    """A graduation-recognition decision (quyết định công nhận tốt nghiệp) and its list of graduates."""

    __tablename__ = "graduation_decisions"
    __table_args__ = (UniqueConstraint("issuer_key", "decision_no"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer_key: Mapped[str] = mapped_column(String(64))  # the school code (or the Sở) that numbers the register
    school_id: Mapped[str | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    decision_no: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    diploma_type: Mapped[str] = mapped_column(String(8))
    graduation_year: Mapped[int] = mapped_column(Integer)
    exam_session: Mapped[str | None] = mapped_column(String(64), nullable=True)
    training_mode: Mapped[str | None] = mapped_column(String(32), nullable=True)
    signer_name: Mapped[str] = mapped_column(String(200))
    graduates: Mapped[list] = mapped_column(JSON)  # [{full_name, date_of_birth, sex, ...}] as decided
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegisterCounter(Base):
    """Last register number used per issuer, diploma type and calendar year (gap-free numbering)."""

    __tablename__ = "register_counters"
    issuer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    diploma_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)


class RegisterBook(Base):
    """One digitised paper register book (one imported file)."""

    __tablename__ = "register_books"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    book_code: Mapped[str] = mapped_column(String(64), unique=True)
    issuer_key: Mapped[str] = mapped_column(String(64))
    issuer_name: Mapped[str] = mapped_column(String(200))
    diploma_type: Mapped[str] = mapped_column(String(8))
    source_name: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    row_count: Mapped[int] = mapped_column(Integer)
    imported_count: Mapped[int] = mapped_column(Integer)
    queued_count: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Diploma(Base):
    """One version of a diploma in the register; versions link through ``replaces_id``/``replaced_by_id``."""

    __tablename__ = "diplomas"
    __table_args__ = (
        UniqueConstraint("issuer_key", "register_no", "version"),
        UniqueConstraint("graduation_decision_id", "graduate_index", "version"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the credential id
    diploma_type: Mapped[str] = mapped_column(String(8))
    form: Mapped[str] = mapped_column(String(8))  # digital | paper
    origin: Mapped[str] = mapped_column(String(16))  # issued | legacy
    assurance: Mapped[str] = mapped_column(String(32))  # digital_original | digitized_from_paper
    issuer_key: Mapped[str] = mapped_column(String(64), index=True)
    issuer_role: Mapped[str] = mapped_column(String(16))
    issuer_name: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(200))
    school_id: Mapped[str | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    school_name: Mapped[str] = mapped_column(String(200))
    graduation_decision_id: Mapped[str | None] = mapped_column(ForeignKey("graduation_decisions.id"), nullable=True)
    graduate_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decision_no: Mapped[str | None] = mapped_column(String(64), nullable=True)
    graduation_year: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))  # as written
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # core.diplomas.name_key
    date_of_birth: Mapped[date] = mapped_column(Date)
    place_of_birth: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sex: Mapped[str] = mapped_column(String(8))
    ethnicity: Mapped[str | None] = mapped_column(String(64), nullable=True)
    personal_id: Mapped[str | None] = mapped_column(String(12), nullable=True)
    classification: Mapped[str | None] = mapped_column(String(32), nullable=True)
    serial_no: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    register_no: Mapped[str] = mapped_column(String(64), index=True)
    register_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    register_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # issued | corrected | reissued | revoked | cancelled
    replaces_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    replaced_by_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    record_json: Mapped[str] = mapped_column(Text)
    record_sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    book_id: Mapped[str | None] = mapped_column(ForeignKey("register_books.id"), nullable=True)
    book_page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    book_line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scan_ref: Mapped[str | None] = mapped_column(String(255), nullable=True)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DiplomaDecision(Base):
    """A correction, revocation, cancellation or reissue decision on a diploma (append-only in use)."""

    __tablename__ = "diploma_decisions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # correction | revocation | cancellation | reissue
    diploma_id: Mapped[str] = mapped_column(ForeignKey("diplomas.id"), index=True)
    new_diploma_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    decision_no: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    signer: Mapped[str] = mapped_column(String(200))
    ground: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(32), nullable=True)
    old_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    new_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    evidence: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    return_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    ledger_seq: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DiplomaCopy(Base):
    """A copy or extract given from the register (bản sao từ sổ gốc): who, in what capacity, why, what."""

    __tablename__ = "diploma_copies"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    diploma_id: Mapped[str] = mapped_column(ForeignKey("diplomas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # copy | extract
    requester_name: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[str] = mapped_column(String(32))  # holder | representative | relative | authorised
    purpose: Mapped[str] = mapped_column(String(255))
    given_by: Mapped[str] = mapped_column(String(100))
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReconciliationItem(Base):
    """A row of a paper register that conflicts with another book (đối soát), waiting for a clerk."""

    __tablename__ = "reconciliation_items"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    book_id: Mapped[str] = mapped_column(ForeignKey("register_books.id"), index=True)
    row_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))  # duplicate_serial | duplicate_register_no | same_person
    row: Mapped[dict] = mapped_column(JSON)
    conflicting_diploma_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # open | accepted | rejected
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    diploma_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublicCheckLog(Base):
    """One public paper-diploma check: a keyed hash of the client, what kind of query, the outcome."""

    __tablename__ = "public_check_log"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client: Mapped[str] = mapped_column(String(64))
    query_kind: Mapped[str] = mapped_column(String(16))  # serial | register_no
    outcome: Mapped[str] = mapped_column(String(16))  # match | no_match | limited
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --------------------------------------------------------------------------------------------------
# Holders, consent and employers (issue 8) — migration 0004


class Person(Base):
    """A natural person: an internal id; identifiers (which change) live in ``person_identifiers``."""

    __tablename__ = "persons"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    moet_id: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)  # mã định danh CSDL ngành
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PersonIdentifier(Base):
    """One identifier a person has had: a 12-digit PIN, an old 9-digit CMND or a passport."""

    __tablename__ = "person_identifiers"
    __table_args__ = (UniqueConstraint("person_id", "kind", "value"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # pin | cmnd9 | passport
    value: Mapped[str] = mapped_column(String(20), index=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StudentPerson(Base):
    """Links a student record (one school's) to the person."""

    __tablename__ = "student_persons"
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))  # school_record | registry_match | manual
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DiplomaPerson(Base):
    """Links a diploma (any version) to its holder."""

    __tablename__ = "diploma_persons"
    diploma_id: Mapped[str] = mapped_column(ForeignKey("diplomas.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RegistryCitizen(Base):
    """DEV ONLY: the synthetic population registry the dev adapter answers from."""

    __tablename__ = "registry_citizens"
    pin: Mapped[str] = mapped_column(String(12), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(8))
    alive: Mapped[int] = mapped_column(Integer, default=1)


class HolderAccount(Base):
    """A holder's sign-in: a local account (argon2 password) or, later, an OIDC subject (VNeID)."""

    __tablename__ = "holder_accounts"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)  # argon2id; None until activated
    status: Mapped[str] = mapped_column(String(16))  # pending | active | disabled
    activation_code_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)  # argon2id, one-time
    activation_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    activation_issued_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    oidc_issuer: Mapped[str | None] = mapped_column(String(255), nullable=True)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), nullable=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class HolderSession(Base):
    """A signed-in browser session; only the SHA-256 of the cookie's token is stored."""

    __tablename__ = "holder_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("holder_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Organisation(Base):
    """A third party (employer, school) that verifies credentials shared with it."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tax_code: Mapped[str] = mapped_column(String(20), unique=True)  # mã số thuế
    contact_email: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # active | suspended
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiKey(Base):
    """An organisation's API key: ``<prefix>.<secret>``; only the SHA-256 of the whole key is stored."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(24), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list] = mapped_column(JSON)  # ["verify", "verify:batch"]
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    rotated_from_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ConsentGrant(Base):
    """A holder's consent to share credentials (PDPL 91/2025 Art. 9): scope, recipient, purpose, expiry,
    uses; the share code is stored as its SHA-256 only. For a minor, a guardian's confirmation."""

    __tablename__ = "consent_grants"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("holder_accounts.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hint: Mapped[str] = mapped_column(String(8))  # last characters, to recognise it in a list
    scope: Mapped[str] = mapped_column(String(24))  # status | diploma_fields | full_transcript
    recipient_org_id: Mapped[str | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    minor: Mapped[int] = mapped_column(Integer, default=0)
    guardian_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    guardian_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    guardian_relation: Mapped[str | None] = mapped_column(String(32), nullable=True)
    guardian_confirmed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    consent_text: Mapped[str] = mapped_column(Text)  # the printable consent as shown to the holder
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsentGrantCredential(Base):
    __tablename__ = "consent_grant_credentials"
    grant_id: Mapped[str] = mapped_column(ForeignKey("consent_grants.id"), primary_key=True)
    credential_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    credential_kind: Mapped[str] = mapped_column(String(16))  # transcript | diploma


class AccessLogEntry(Base):
    """Append-only (database triggers): who saw which credential, for what, which fields, the result."""

    __tablename__ = "access_log"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    grant_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    credential_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    event: Mapped[str] = mapped_column(String(24))  # verify | share_code_use | copy | extract | download | ...
    actor_kind: Mapped[str] = mapped_column(String(16))  # employer | holder | guardian | staff | public
    organisation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    api_key_prefix: Mapped[str | None] = mapped_column(String(24), nullable=True)
    purpose: Mapped[str | None] = mapped_column(String(255), nullable=True)
    fields: Mapped[list] = mapped_column(JSON)
    result: Mapped[str] = mapped_column(String(24))
    client_hash: Mapped[str | None] = mapped_column(String(32), nullable=True)
    receipt_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


# --------------------------------------------------------------------------------------------------
# Signer registry, signing audit trail, any-document signing, service keys, compromises — migration 0005


class SignerCertificate(Base):
    """A certificate registered for a staff member or seal (imported from a CA, or issued by the dev CA)."""

    __tablename__ = "signer_certificates"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    key_label: Mapped[str] = mapped_column(String(128))  # file label, pkcs11:<token>/<label> or devca:<label>
    backend: Mapped[str] = mapped_column(String(16))  # file | pkcs11 | devca
    source: Mapped[str] = mapped_column(String(16))  # imported | dev-ca
    serial_hex: Mapped[str] = mapped_column(String(64), index=True)
    issuer: Mapped[str] = mapped_column(String(400))
    subject: Mapped[str] = mapped_column(String(400))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # active | superseded | revoked
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    compromised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    replaced_by_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SigningAudit(Base):
    """One row per document per signing attempt: who, what, which certificate and backend, outcome."""

    __tablename__ = "signing_audit"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    operation: Mapped[str] = mapped_column(String(24))  # transcript-step | document | reseal
    staff_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    actor: Mapped[str | None] = mapped_column(String(100), nullable=True)
    client: Mapped[str | None] = mapped_column(String(200), nullable=True)
    document_kind: Mapped[str] = mapped_column(String(24))  # transcript | grade-book | decision | report | other
    document_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step: Mapped[str | None] = mapped_column(String(16), nullable=True)
    certificate_serial: Mapped[str | None] = mapped_column(String(64), nullable=True)
    certificate_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    backend: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # signed | refused | failed
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    checks: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class SignedDocument(Base):
    """One revision of an uploaded document (grade book, decision, report) signed by a registered signer."""

    __tablename__ = "signed_documents"
    __table_args__ = (UniqueConstraint("document_id", "revision"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    document_id: Mapped[str] = mapped_column(String(36), index=True)  # the id in the ledger
    revision: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(255))
    school_id: Mapped[str | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    original_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    original_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    field_name: Mapped[str] = mapped_column(String(64))
    record_json: Mapped[str] = mapped_column(Text)
    record_sha256: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(64))
    certificate_serial: Mapped[str] = mapped_column(String(64))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # valid | superseded
    ledger_seq: Mapped[int] = mapped_column(Integer)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ServiceKey(Base):
    """A service key (QR payload key, ledger log key) with its validity; rotations are ledgered."""

    __tablename__ = "service_keys"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "<purpose>:<kid>"
    purpose: Mapped[str] = mapped_column(String(8))  # qr | log
    kid: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(Text)  # qr: base64 SPKI; log: C2SP vkey
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # active | retired | revoked
    record_json: Mapped[str] = mapped_column(Text)  # the rotation record the ledger entry commits to
    salt: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class KeyCompromise(Base):
    """A signing key declared compromised as of a time, and what was re-sealed because of it."""

    __tablename__ = "key_compromises"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    certificate_sha256: Mapped[str] = mapped_column(String(64), index=True)
    certificate_serial: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(400))
    compromised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    declared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    declared_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    affected: Mapped[list] = mapped_column(JSON)  # [{kind, document_id, revision, signed_at}]
    resealed: Mapped[list] = mapped_column(JSON)  # [{kind, document_id, revision, ledger_seq}]


# --------------------------------------------------------------------------------------------------
# External (interrupted) signing: a key on a USB token at the signer's computer — migration 0006


class ExternalSigningRequest(Base):
    """One document's pending external signature: the state kept between prepare and complete.

    Rows of one prepare call share ``batch_id`` (one class, one step). The unique ``request_id`` and
    ``consumed_at`` (set once, in the transaction that writes the signed PDF) are the replay guard.
    """

    __tablename__ = "external_signing_requests"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(36), unique=True)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id"), index=True)
    transcript_id: Mapped[str] = mapped_column(ForeignKey("transcripts.id"))
    step: Mapped[str] = mapped_column(String(16))  # gvcn | principal
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    revision_sha256: Mapped[str] = mapped_column(String(64))  # the PDF revision the signature is added to
    pending_json: Mapped[str] = mapped_column(Text)  # signing.external.PendingSignature.to_json(); "" once consumed
    checks: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # certificate check at prepare time
    client: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
