"""Documents sealed by the Sở itself (its organisation certificate, ``Role.SEAL`` held with no school).

``AnyDocumentService.sign_upload`` signs for a school when given one, and otherwise accepts anyone with an
assignment anywhere: enough for a person's own upload, not for a document that speaks for the Sở. This is
the small extension: the signer is looked up, not chosen — the Sở's seal in force on the day, never a
school's seal or a person — and the document is then signed, ledgered and audited by ``sign_upload``
exactly like any other (school: none, so the stored row says it is the Sở's).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from credential_service.documents.service import AnyDocumentService
from credential_service.platform.clock import vn_date
from credential_service.platform.errors import Message, NotFound
from credential_service.staff.authz import in_force
from credential_service.staff.tables import RoleAssignment, Staff


def so_seal_in_force(svc: AnyDocumentService, on: date) -> tuple[str, str]:
    """The Sở's organisation seal assigned on ``on``: (staff id, name); the latest assignment wins."""
    with svc.db.reader() as session:
        row = session.execute(
            select(Staff.id, Staff.full_name)
            .join(RoleAssignment, RoleAssignment.staff_id == Staff.id)
            .where(
                RoleAssignment.role == "seal",
                RoleAssignment.school_id.is_(None),
                RoleAssignment.commune.is_(None),
                Staff.kind == "seal",
                in_force(on),
            )
            .order_by(RoleAssignment.valid_from.desc())
        ).first()
    if row is None:
        raise NotFound(
            Message(
                f"Sở chưa có dấu (chứng thư tổ chức) nào được phân công vào ngày {on:%d/%m/%Y}; "
                "hãy phân công vai trò «seal» cho chứng thư của Sở (không gắn với trường nào).",
                f"The Sở has no organisation seal assigned on {on.isoformat()}; assign the role «seal», "
                "held at no school, to the Sở's certificate.",
            )
        )
    return str(row[0]), str(row[1])


def sign_as_so(
    svc: AnyDocumentService,
    data: bytes,
    *,
    title: str,
    kind: str,
    filename: str,
    client: str | None,
    actor: str | None,
) -> dict[str, Any]:
    """Seal ``data`` with the Sở's seal (PAdES B-LT, ledger ``issued`` entry, audit row): ``sign_upload``'s
    view plus the seal's name. ``actor`` is the person who asked for it (in the audit trail)."""
    at = svc.clock.now()
    seal_id, seal_name = so_seal_in_force(svc, vn_date(at))
    view = svc.sign_upload(
        data, title=title, kind=kind, staff_id=seal_id, school_code=None, filename=filename,
        client=client, actor=actor, at=at,
    )  # fmt: skip
    return {**view, "signer": seal_name}
