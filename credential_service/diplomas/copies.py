"""Copies and extracts from the register (bản sao từ sổ gốc, Circular 21/2019 Art. 27–31): what was given,
to whom, in what capacity and for what purpose, with the hash of what was given."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select

from credential_service.diplomas.status import get_diploma
from credential_service.diplomas.tables import Diploma, DiplomaCopy
from credential_service.platform.canonical import canonical_json, sha256_hex
from credential_service.platform.clock import Clock
from credential_service.platform.db import Database
from credential_service.platform.errors import InvalidInput, Message

COPY_CAPACITIES = ("holder", "representative", "authorised", "relative_of_deceased")  # Circular 21/2019 Art. 28


class RegisterCopies:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------------------ copies
    def give(
        self, diploma_id: str, *, kind: str, requester_name: str, capacity: str, purpose: str, given_by: str
    ) -> dict[str, Any]:
        """A copy or extract from the register (bản sao từ sổ gốc), logged with who, capacity, purpose,
        time and the hash of what was given. It matches the register exactly (Circular 21/2019 Art. 27–31)."""
        if (
            kind not in ("copy", "extract")
            or capacity not in COPY_CAPACITIES
            or not requester_name.strip()
            or not purpose.strip()
        ):
            raise InvalidInput(
                Message(f"Yêu cầu bản sao không hợp lệ: loại copy|extract, tư cách {', '.join(COPY_CAPACITIES)}, "
                        "cần tên người yêu cầu và mục đích.",
                        f"Invalid copy request: kind copy|extract, capacity {', '.join(COPY_CAPACITIES)}, a requester "
                        "and a purpose are required."),
            )  # fmt: skip
        with self.db.transaction() as session:
            d = get_diploma(session, diploma_id)
            now = self.clock.now()
            copy_id = str(uuid.uuid4())
            content = {
                "schema": "vanbang-copy/1", "copy_id": copy_id, "kind": kind,
                "given_at": now.isoformat(timespec="seconds"),
                "register_entry": json.loads(d.record_json), "status": d.status,
                "assurance": d.assurance, "provenance": self._provenance(d),
            }  # fmt: skip
            body = canonical_json(content)
            session.add(
                DiplomaCopy(id=copy_id, diploma_id=d.id, kind=kind, requester_name=requester_name, capacity=capacity,
                            purpose=purpose, given_by=given_by, content_sha256=sha256_hex(body), created_at=now)
            )  # fmt: skip
            return {"copy_id": copy_id, "content_sha256": sha256_hex(body), "content": content}

    @staticmethod
    def _provenance(d: Diploma) -> dict[str, Any] | None:
        if d.book_id is None:
            return None
        return {"book_id": d.book_id, "page": d.book_page, "line": d.book_line, "scan_ref": d.scan_ref}

    def given(self, diploma_id: str) -> list[dict[str, Any]]:
        with self.db.reader() as session:
            rows = session.execute(
                select(DiplomaCopy).where(DiplomaCopy.diploma_id == diploma_id).order_by(DiplomaCopy.created_at)
            ).scalars()
            return [
                {"copy_id": r.id, "kind": r.kind, "requester_name": r.requester_name, "capacity": r.capacity,
                 "purpose": r.purpose, "given_by": r.given_by, "content_sha256": r.content_sha256,
                 "at": r.created_at.isoformat()}
                for r in rows
            ]  # fmt: skip
