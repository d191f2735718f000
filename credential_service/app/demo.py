"""Synthetic demo data: one school, its signers and two classes with imported results.

Everything here is made up (names, ID numbers, results). The keys are the dev PKI's.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from credential_service.app.demo_accounts import DEMO_COMMUNE, seed_accounts
from credential_service.staff.tables import RoleAssignment, School, Staff
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.service import TranscriptService
from credential_service.transcripts.tables import SchoolClass

DEMO_SCHOOL_CODE = "THPT-DEMO"
DEMO_YEAR = "2025-2026"
ASSIGNED_FROM = date(2025, 8, 1)

# (uuid seed, name, kind, key label, role, class or None)
_STAFF = [
    ("gvcn-10a1", "Nguyễn Thị Hương", "person", "gvcn", "10A1"),
    ("gvcn-10a2", "Trần Văn Minh", "person", "gvcn", "10A2"),
    ("principal", "Ngô Quang Trưởng", "person", "principal", None),
    ("seal-thpt-demo", "Trường THPT Demo Hải Phòng", "seal", "seal", None),
]
CLASSES = [("10A1", 10, 45, 1), ("10A2", 10, 42, 2)]


def staff_id(label: str) -> str:
    """Stable ids for the demo signers, so scripts and tests can name them."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sogoc-demo/staff/{label}"))


def class_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sogoc-demo/class/{DEMO_YEAR}/{name}"))


def seed_demo(service: TranscriptService, *, import_results: bool = True) -> bool:
    """Create the demo school, signers and classes; import demo results. False if already there."""
    school_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "sogoc-demo/school"))
    with service.db.transaction() as session:
        already = session.execute(select(School).where(School.code == DEMO_SCHOOL_CODE)).first() is not None
    if already:
        _seed_accounts(service, school_id)  # a database seeded before the accounts existed gets them
        return False
    with service.db.transaction() as session:
        session.add(
            School(
                id=school_id,
                code=DEMO_SCHOOL_CODE,
                name="Trường THPT Demo Hải Phòng",
                province="Thành phố Hải Phòng",
                commune=DEMO_COMMUNE,
            )
        )
        for name, grade, _n, _seed in CLASSES:
            session.add(
                SchoolClass(
                    id=class_id(name),
                    school_id=school_id,
                    school_year=DEMO_YEAR,
                    name=name,
                    grade=grade,
                    status="draft",
                )
            )
        session.flush()
        for label, full_name, kind, role, klass in _STAFF:
            session.add(Staff(id=staff_id(label), full_name=full_name, kind=kind, key_label=label))
            session.flush()
            session.add(
                RoleAssignment(
                    id=str(uuid.uuid4()),
                    staff_id=staff_id(label),
                    role=role,
                    school_id=school_id,
                    class_id=class_id(klass) if klass else None,
                    valid_from=ASSIGNED_FROM,
                    valid_to=None,
                )
            )
    _seed_accounts(service, school_id)
    if import_results:
        for name, grade, n, seed in CLASSES:
            students = importers.demo_class(name, grade, n=n, seed=seed)
            data = importers.write_sample_xlsx(students)
            imports.import_xlsx(service, class_id(name), data, f"demo-{name}.xlsx")
    return True


def _seed_accounts(service: TranscriptService, school_id: str) -> None:
    seed_accounts(
        service.db,
        staff_id_of={label: staff_id(label) for label, *_ in _STAFF},
        school_id=school_id,
        class_ids={name: class_id(name) for name, *_ in CLASSES},
        assigned_from=ASSIGNED_FROM,
    )
