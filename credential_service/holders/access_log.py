"""The access log: appending events (every verification, share code use, copy, extract, download) and
the holder's view of it, "who checked my credentials".

The log (``access_log``, append-only in the database) records who (organisation, API key prefix),
purpose, which fields (the keys of :mod:`credential_service.holders.disclosure`), the result, when,
and a keyed hash of the client address. The holder reads it with each field's label and each
credential's title; the Sở audits it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from credential_service.diplomas.tables import Diploma, DiplomaCopy
from credential_service.holders import disclosure
from credential_service.holders.labels import EVENT_LABELS, RESULT_LABELS, label
from credential_service.holders.service import new_id
from credential_service.holders.tables import AccessLogEntry, DiplomaPerson
from credential_service.platform.clock import SystemClock
from credential_service.platform.errors import Message
from credential_service.transcripts.tables import Transcript


@dataclass(frozen=True)
class LogEvent:
    event: str
    actor_kind: str
    actor_name: str
    result: str
    person_id: str | None = None
    grant_id: str | None = None
    credential_id: str | None = None
    organisation_id: str | None = None
    api_key_prefix: str | None = None
    purpose: str | None = None
    fields: Sequence[str] = ()
    client_hash: str | None = None
    receipt_id: str | None = None


def append_log(session: Session, events: Iterable[LogEvent], at: datetime | None = None) -> int:
    """Append events to the access log in the caller's transaction (one INSERT for many), at ``at``
    (the caller's clock's now; services always pass it)."""
    t = at or SystemClock().now()
    rows = [
        {
            "id": new_id(),
            "at": t,
            "person_id": e.person_id,
            "grant_id": e.grant_id,
            "credential_id": e.credential_id,
            "event": e.event,
            "actor_kind": e.actor_kind,
            "organisation_id": e.organisation_id,
            "actor_name": e.actor_name[:200],
            "api_key_prefix": e.api_key_prefix,
            "purpose": e.purpose,
            "fields": list(e.fields),
            "result": e.result,
            "client_hash": e.client_hash,
            "receipt_id": e.receipt_id,
        }
        for e in events
    ]
    if rows:
        session.execute(insert(cast(Table, AccessLogEntry.__table__)), rows)  # Core: no ORM bookkeeping
    return len(rows)


def credential_titles(session: Session, creds: Iterable[tuple[str, str]]) -> dict[str, Message]:
    """{credential id: its human title (kind, class and school year or diploma type and year, school)}."""
    pairs = list(creds)
    tids = sorted({c for c, k in pairs if k == "transcript"})
    dids = sorted({c for c, k in pairs if k == "diploma"})
    out: dict[str, Message] = {}
    if tids:
        for tid, raw in session.execute(select(Transcript.id, Transcript.record_json).where(Transcript.id.in_(tids))):
            out[tid] = disclosure.transcript_title(json.loads(raw))
    if dids:
        for d in session.execute(select(Diploma).where(Diploma.id.in_(dids))).scalars():
            out[d.id] = disclosure.diploma_title(d)
    return out


def holder_entries(session: Session, person_id: str, limit: int = 500) -> list[dict[str, Any]]:
    """A person's access log, newest first, with the copies given from the register of their diplomas."""
    rows = list(
        session.execute(
            select(AccessLogEntry)
            .where(AccessLogEntry.person_id == person_id)
            .order_by(AccessLogEntry.at.desc())
            .limit(limit)
        ).scalars()
    )
    copies = list(
        session.execute(
            select(DiplomaCopy)
            .join(DiplomaPerson, DiplomaPerson.diploma_id == DiplomaCopy.diploma_id)
            .where(DiplomaPerson.person_id == person_id)
            .limit(limit)
        ).scalars()
    )
    ids = {r.credential_id for r in rows if r.credential_id} | {c.diploma_id for c in copies}
    titles = credential_titles(session, [(i, k) for i in ids for k in disclosure.KINDS])
    out: list[dict[str, Any]] = [
        _entry(r.at, r.event, r.actor_kind, r.actor_name, r.purpose, list(r.fields or []), r.result, r.credential_id)
        | {"organisation_id": r.organisation_id, "grant_id": r.grant_id, "receipt_id": r.receipt_id}
        for r in rows
    ]
    out += [
        _entry(
            c.created_at,
            c.kind,
            "staff",
            f"{c.requester_name} ({c.capacity}) — cấp bởi/given by {c.given_by}",
            c.purpose,
            ["register_entry"],
            "ok",
            c.diploma_id,
        )
        | {"organisation_id": None, "grant_id": None, "receipt_id": None}
        for c in copies
    ]
    for e in out:
        title = titles.get(e["credential_id"] or "")
        e["credential_title"] = title.__dict__ if title else None
    out.sort(key=lambda e: str(e["at"]), reverse=True)
    return out[:limit]


def _entry(
    at: datetime,
    event: str,
    actor_kind: str,
    who: str,
    purpose: str | None,
    fields: list[str],
    result: str,
    credential_id: str | None,
) -> dict[str, Any]:
    return {
        "at": at.isoformat(),
        "event": event,
        "event_label": label(EVENT_LABELS, event),
        "actor_kind": actor_kind,
        "who": who,
        "purpose": purpose,
        "fields": fields,
        "field_labels": disclosure.field_labels(fields),
        "result": result,
        "result_label": label(RESULT_LABELS, result),
        "credential_id": credential_id,
    }
