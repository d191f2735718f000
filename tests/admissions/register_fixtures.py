"""A THCS school's sealed grade 6–9 học bạ, made cheaply for the admissions register tests.

Sealing real PDFs (three PAdES signatures per transcript, four years per pupil) costs seconds each; what the
admissions reader checks is the register row, its record hash and its ledger entry (status, RFC 9162 inclusion in a
signed checkpoint, the salted commitment). So the rows are written as the seal step writes them — a canonical
``hocba/1`` record built by ``transcripts/record.py``, status ``issued`` — with a real ``issued`` (or ``amended``)
ledger entry and a checkpoint signed by the dev log key; only the PDF bytes are a placeholder.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from credential_service.admissions.register_reader import RegisterReader
from credential_service.admissions.service import AdmissionsService
from credential_service.app.bootstrap import Container, build
from credential_service.holders.staff_reads import log_staff_reads_of_people
from credential_service.holders.tables import AccessLogEntry, Person, PersonIdentifier, StudentPerson
from credential_service.ledger import storage as ledger
from credential_service.ledger.service import publish_in_transaction
from credential_service.ledger.tables import LedgerEntry
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.db import migrate
from credential_service.platform.settings import Settings
from credential_service.staff.tables import School
from credential_service.transcripts.record import ClassContext, StudentIdentity, build_transcript_record
from credential_service.transcripts.tables import SchoolClass, Student, Transcript

YEARS = {6: "2022-2023", 7: "2023-2024", 8: "2024-2025", 9: "2025-2026"}
# Sensitive fields the record carries and admissions must never pass on (minimum fields).
ETHNICITY, POLICY_GROUP = "Tày", "Con thương binh"


@dataclass(frozen=True)
class Pupil:
    pin: str | None  # the personal ID the school recorded (None: the record carries none)
    full_name: str
    date_of_birth: date
    sex: str


def world(tmp: Path) -> Container:
    url = f"sqlite:///{tmp}/register.db"
    migrate(url)
    return build(Settings(env="test", database_url=url))


def with_register(c: Container) -> AdmissionsService:
    """The admissions service with the register port wired to the real services (as the app wires it)."""

    def log_reads(actor: str, purpose: str, pins: Sequence[str]) -> int:
        return log_staff_reads_of_people(c.db, c.clock, actor=actor, purpose=purpose, personal_ids=pins)

    reader = RegisterReader(c.transcripts, c.holders, c.diplomas, c.verification.credential_status, clock=c.clock)
    c.admissions = AdmissionsService(c.db, clock=c.clock, log_reads=log_reads, register=reader)
    return c.admissions


def school(c: Container, code: str = "THCS-DEMO") -> tuple[str, dict[int, str]]:
    """A THCS school with one class per grade 6–9 (9A's year is 2025-2026); returns its id and the class ids."""
    school_id = str(uuid.uuid4())
    classes = {g: str(uuid.uuid4()) for g in YEARS}
    with c.db.transaction() as s:
        s.add(School(id=school_id, code=code, name=f"Trường {code}", province="Thành phố Hải Phòng", commune="X"))
        s.flush()
        for grade, year in YEARS.items():
            s.add(SchoolClass(id=classes[grade], school_id=school_id, school_year=year, name=f"{grade}A",
                              grade=grade, status="issued"))  # fmt: skip
    return school_id, classes


def student(c: Container, school_id: str, pupil: Pupil) -> str:
    sid = str(uuid.uuid4())
    with c.db.transaction() as s:
        s.add(Student(id=sid, school_id=school_id, student_code=sid[:8], full_name=pupil.full_name,
                      date_of_birth=pupil.date_of_birth, sex=pupil.sex, ethnicity=ETHNICITY,
                      personal_id=pupil.pin, details={"policy_group": POLICY_GROUP}))  # fmt: skip
    return sid


def link_person(c: Container, student_id: str, pin: str, pupil: Pupil) -> str:
    """The holders' link: a person holding ``pin`` and the student record linked to them."""
    pid = str(uuid.uuid4())
    now = c.clock.now()
    with c.db.transaction() as s:
        s.add(Person(id=pid, full_name=pupil.full_name, date_of_birth=pupil.date_of_birth, sex=pupil.sex,
                     created_at=now))  # fmt: skip
        s.flush()
        s.add(PersonIdentifier(id=str(uuid.uuid4()), person_id=pid, kind="pin", value=pin, valid_from=None,
                               valid_to=None, source="test", created_at=now))  # fmt: skip
        s.add(StudentPerson(student_id=student_id, person_id=pid, method="manual", linked_by="test", linked_at=now))
    return pid


def seal(
    c: Container,
    student_id: str,
    class_id: str,
    grade: int,
    pupil: Pupil,
    *,
    learning: str = "Tốt",
    conduct: str = "Tốt",
    after_summer: str | None = None,
    version: int = 1,
    amends: str | None = None,
) -> str:
    """A sealed học bạ (version ``version``; ``amends``: the credential id of the version it replaces, ledgered
    ``amended``); returns its credential id."""
    cid = str(uuid.uuid4())
    final = "HOAN_THANH_CHUONG_TRINH" if grade == 9 else "LEN_LOP"
    evaluation = {
        "subjects": {},
        "learning_result": {"hk1": learning, "hk2": learning, "year": learning},
        "conduct": {"hk1": conduct, "hk2": conduct, "year": conduct, "after_summer": after_summer},
        "promotion": {"decision": final, "label_vi": final, "label_en": final},
    }
    record = build_transcript_record(
        credential_id=cid, version=version, issued_on=c.clock.today(),
        student=StudentIdentity(cid[:8], pupil.full_name, pupil.date_of_birth, pupil.sex, None, ETHNICITY,
                                pupil.pin, {"policy_group": POLICY_GROUP}),
        context=ClassContext("THCS-DEMO", "Trường THCS Demo", "Thành phố Hải Phòng", YEARS[grade], f"{grade}A",
                             grade, "GVCN", "Hiệu trưởng"),
        evaluation=evaluation, teacher_comment=None,
    )  # fmt: skip
    data = canonical_json(record)
    salt, digest, now = secrets.token_hex(32), sha256_hex(data), c.clock.now()
    with c.db.transaction() as s:
        amends_seq = None
        if amends is not None:
            amends_seq = s.query(LedgerEntry.seq).filter(LedgerEntry.credential_id == amends).scalar()
        s.add(Transcript(id=cid, student_id=student_id, class_id=class_id, version=version, status="issued",
                         record_json=data.decode(), record_sha256=digest, salt=salt, pdf=b"%PDF-test",
                         pdf_sha256=sha256_hex(b"%PDF-test"), created_at=now, issued_at=now))  # fmt: skip
        s.flush()
        kind = "issued" if amends is None else "amended"
        ledger.append_many(s, [ledger.LeafEvent(kind, cid, digest, salt, None, None, amends_seq, now)])
        publish_in_transaction(s, c.settings, at=now)
    return cid


def four_years(
    c: Container, school_id: str, classes: dict[int, str], pupil: Pupil, levels: dict[int, tuple[str, str]]
) -> tuple[str, dict[int, str]]:
    """A pupil's sealed grade 6–9 (grade → (learning, conduct)); returns the student id and the credential ids."""
    sid = student(c, school_id, pupil)
    ids = {g: seal(c, sid, classes[g], g, pupil, learning=lv[0], conduct=lv[1]) for g, lv in levels.items()}
    return sid, ids


def all_levels(learning: str = "Tốt", conduct: str = "Tốt") -> dict[int, tuple[str, str]]:
    return dict.fromkeys(YEARS, (learning, conduct))


def log_entries(c: Container, purpose_prefix: str = "admissions.register") -> Iterator[AccessLogEntry]:
    with c.db.reader() as s:
        yield from s.query(AccessLogEntry).filter(AccessLogEntry.purpose.startswith(purpose_prefix)).all()


def legacy_thcs_diploma(c: Container, pupil: Pupil, *, status: str = "issued") -> str:
    """A digitised paper THCS diploma (before 2026) as the register import stores it, ledgered ``imported``."""
    from credential_service.diplomas.tables import Diploma

    cid, now = str(uuid.uuid4()), c.clock.now()
    data = canonical_json({"schema": "vanbang/1", "credential_id": cid, "holder": {"personal_id": pupil.pin}})
    salt, digest = secrets.token_hex(32), sha256_hex(data)
    with c.db.transaction() as s:
        [entry] = ledger.append_many(s, [ledger.LeafEvent("imported", cid, digest, salt, None, "A 1/2025", None, now)])
        s.add(Diploma(id=cid, diploma_type="THCS", form="paper", origin="legacy", assurance="digitized_from_paper",
                      issuer_key="PGD-LC", issuer_role="phong_head", issuer_name="Phòng GDĐT", signer_name="X",
                      school_id=None, school_name="THCS Demo", graduation_year=2025, full_name=pupil.full_name,
                      name_key=pupil.full_name.lower(), date_of_birth=pupil.date_of_birth, sex=pupil.sex,
                      ethnicity=ETHNICITY, personal_id=pupil.pin, register_no="A 1/2025", register_year=2025,
                      version=1, status=status, record_json=data.decode(), record_sha256=digest, salt=salt,
                      ledger_seq=entry.seq, issued_on=date(2025, 6, 30), created_at=now))  # fmt: skip
        publish_in_transaction(s, c.settings, at=now)
    return cid
