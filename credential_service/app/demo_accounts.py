"""Synthetic demo accounts, one per role, each with a password and a TOTP secret (DEMO ONLY).

``sogoc serve --demo`` prints them. The TOTP secrets are derived from the label so the README tour and
the tests can compute codes; a real account gets a random secret at enrolment.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from credential_service.platform.db import Database
from credential_service.staff.roles import LABELS, Role
from credential_service.staff.service import HASHER
from credential_service.staff.tables import RoleAssignment, Staff, StaffAccount

DEMO_COMMUNE = "Phường Lê Chân"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: Role
    place: str  # so | commune | school | class:<name>

    @property
    def password(self) -> str:
        return f"demo-{self.username}-2026"

    @property
    def totp_secret(self) -> str:
        return base64.b32encode(hashlib.sha256(f"sogoc-demo/totp/{self.username}".encode()).digest()[:20]).decode()


# Existing signers (app/demo.py) get accounts under their label; the others are people added here.
DEMO_ACCOUNTS = [
    DemoAccount("so-admin", "Phạm Thị Quản Trị", Role.SO_ADMIN, "so"),
    DemoAccount("so-admin-2", "Lê Văn Kiểm Soát", Role.SO_ADMIN, "so"),
    DemoAccount("so-clerk", "Đỗ Thị Văn Bằng", Role.SO_CLERK, "so"),
    DemoAccount("so-clerk-2", "Hoàng Văn Sổ Gốc", Role.SO_CLERK, "so"),
    DemoAccount("inspector", "Vũ Minh Thanh Tra", Role.INSPECTOR, "so"),
    DemoAccount("so-admissions", "Trịnh Thị Tuyển Sinh", Role.SO_ADMISSIONS, "so"),
    DemoAccount("commune-officer", "Bùi Thị Phường", Role.COMMUNE_OFFICER, "commune"),
    DemoAccount("principal", "Ngô Quang Trưởng", Role.PRINCIPAL, "school"),
    DemoAccount("gvcn-10a1", "Nguyễn Thị Hương", Role.GVCN, "class:10A1"),
    DemoAccount("gvcn-10a2", "Trần Văn Minh", Role.GVCN, "class:10A2"),
    DemoAccount("subject-teacher", "Lý Thị Bộ Môn", Role.SUBJECT_TEACHER, "school"),
    DemoAccount("school-clerk", "Đinh Văn Giáo Vụ", Role.SCHOOL_CLERK, "school"),
    DemoAccount("seal-operator", "Mai Thị Văn Thư", Role.SEAL_OPERATOR, "school"),
]
SIGNER_LABELS = {"principal", "gvcn-10a1", "gvcn-10a2"}  # already in the signer registry with their keys


def account(username: str) -> DemoAccount:
    return next(a for a in DEMO_ACCOUNTS if a.username == username)


def seed_accounts(
    db: Database, *, staff_id_of: dict[str, str], school_id: str, class_ids: dict[str, str], assigned_from: date
) -> None:
    """Create the demo people, their roles and their accounts (idempotent per username)."""
    with db.transaction() as session:
        for a in DEMO_ACCOUNTS:
            if session.execute(select(StaffAccount.id).where(StaffAccount.username == a.username)).first():
                continue
            staff_id = staff_id_of.get(a.username) or str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"sogoc-demo/staff/{a.username}")
            )
            if a.username not in SIGNER_LABELS:
                session.add(Staff(id=staff_id, full_name=a.full_name, kind="person", key_label=a.username))
                session.flush()
                session.add(
                    RoleAssignment(
                        id=str(uuid.uuid4()),
                        staff_id=staff_id,
                        role=a.role.value,
                        school_id=school_id if a.place in ("school",) or a.place.startswith("class:") else None,
                        class_id=class_ids[a.place[6:]] if a.place.startswith("class:") else None,
                        commune=DEMO_COMMUNE if a.place == "commune" else None,
                        valid_from=assigned_from,
                        valid_to=None,
                    )
                )
            session.add(
                StaffAccount(
                    id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"sogoc-demo/account/{a.username}")),
                    staff_id=staff_id,
                    username=a.username,
                    password_hash=HASHER.hash(a.password),
                    totp_secret=a.totp_secret,
                    status="active",
                    created_at=datetime.combine(assigned_from, datetime.min.time(), tzinfo=UTC),
                )
            )


def accounts_text(base_url: str) -> str:
    """What ``sogoc serve --demo`` prints: one account per role (DEMO ONLY)."""
    lines = [
        f"Đăng nhập cán bộ / staff sign-in: {base_url.rstrip('/')}/dang-nhap  (DEMO ONLY — tài khoản giả lập)",
        "  mã TOTP / TOTP code: thêm bí mật vào ứng dụng xác thực, hoặc / add the secret to an authenticator, or:",
        "    .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
    ]
    for a in DEMO_ACCOUNTS:
        label = LABELS[a.role]
        lines.append(f"  {a.username:<16} {a.password:<28} TOTP {a.totp_secret}  {label.vi} / {label.en} ({a.place})")
    return "\n".join(lines)
