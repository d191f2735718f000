"""Reading the tree: inclusion and consistency proofs (RFC 6962), and the entries page by page.

Each function runs in the caller's read session; a proof's ``checkpoint`` is the signed note (with its
cosignatures) at that size when one was published.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.ledger import storage as ledger
from credential_service.ledger.checkpoints import checkpoint_view, integrity_error, latest_checkpoint_row
from credential_service.ledger.tables import LedgerCheckpoint, LedgerEntry
from credential_service.platform.errors import InvalidInput, Message, NotFound

MAX_PAGE = 1000


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _entry_dict(e: LedgerEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "kind": e.kind,
        "credential_id": e.credential_id,
        "amends_seq": e.amends_seq,
        "leaf": _b64(bytes(e.leaf)),
        "leaf_hash": bytes(e.leaf_hash).hex(),
        "created_at": e.created_at.isoformat(),
    }


def resolve_size(session: Session, size: int | None) -> tuple[int, LedgerCheckpoint | None]:
    """The tree size asked for (default: the latest checkpoint's) and its checkpoint row, if published."""
    if size is None:
        row = latest_checkpoint_row(session)
        if row is None:
            raise NotFound(
                Message("Sổ cái chưa công bố checkpoint nào.", "The ledger has not published a checkpoint yet."),
            )
        return row.size, row
    n = ledger.tree_size(session)
    if size < 0 or size > n:
        raise InvalidInput(
            Message(
                f"Cỡ cây {size} không hợp lệ (sổ cái có {n} mục).",
                f"Tree size {size} is invalid (the ledger has {n} entries).",
            ),
            size=size,
        )
    return size, session.get(LedgerCheckpoint, size)


def inclusion_proof(session: Session, origin: str, seq: int, size: int | None) -> dict[str, Any]:
    """Inclusion proof of entry ``seq`` in the tree of ``size`` (default: the latest checkpoint)."""
    tree_size, cp_row = resolve_size(session, size)
    if seq < 0 or seq >= tree_size:
        raise NotFound(
            Message(
                f"Mục {seq} không nằm trong cây cỡ {tree_size}"
                + (" (chưa có trong checkpoint mới nhất; hãy chờ lần công bố sau)." if size is None else "."),
                f"Entry {seq} is not in the tree of size {tree_size}"
                + (" (not in the latest checkpoint yet; wait for the next one)." if size is None else "."),
            ),
            seq=seq,
            size=tree_size,
        )
    entry = session.get(LedgerEntry, seq)
    if entry is None:
        raise integrity_error(f"entry {seq}")
    try:
        proof = ledger.inclusion_proof(session, seq, tree_size)
        root = bytes(cp_row.root_hash) if cp_row is not None else ledger.root_hash(session, tree_size)
    except ledger.MissingNode as e:
        raise integrity_error(str(e)) from e
    return {
        "type": "inclusion",
        "origin": origin,
        "index": seq,
        "size": tree_size,
        "kind": entry.kind,
        "credential_id": entry.credential_id,
        "leaf": _b64(bytes(entry.leaf)),
        "leaf_hash": bytes(entry.leaf_hash).hex(),
        "proof": [h.hex() for h in proof],
        "root_hash": root.hex(),
        "checkpoint": checkpoint_view(session, origin, cp_row).note if cp_row is not None else None,
    }


def credential_inclusion_proof(session: Session, origin: str, credential_id: str, size: int | None) -> dict[str, Any]:
    """Inclusion proof of the latest entry for ``credential_id`` within the tree of ``size``."""
    tree_size, _ = resolve_size(session, size)
    seqs = list(
        session.execute(
            select(LedgerEntry.seq)
            .where(LedgerEntry.credential_id == credential_id, LedgerEntry.seq < tree_size)
            .order_by(LedgerEntry.seq)
        ).scalars()
    )
    if not seqs:
        raise NotFound(
            Message(
                f"Văn bằng/học bạ {credential_id} chưa có mục nào trong sổ cái đã công bố.",
                f"Credential {credential_id} has no entry in the published ledger.",
            ),
            credential_id=credential_id,
        )
    out = inclusion_proof(session, origin, seqs[-1], tree_size if size is not None else None)
    out["credential_entries"] = seqs
    return out


def consistency_proof(session: Session, origin: str, old_size: int, new_size: int | None) -> dict[str, Any]:
    """Consistency proof from the tree of ``old_size`` to that of ``new_size`` (default: the latest checkpoint)."""
    new, new_row = resolve_size(session, new_size)
    if old_size < 0 or old_size > new:
        raise InvalidInput(
            Message(
                f"Cỡ cũ {old_size} phải nằm trong 0..{new}.",
                f"The old size {old_size} must be within 0..{new}.",
            ),
            old_size=old_size,
            new_size=new,
        )
    old_row = session.get(LedgerCheckpoint, old_size)
    try:
        proof = ledger.consistency_proof(session, old_size, new)
        old_root = ledger.root_hash(session, old_size)
        new_root = ledger.root_hash(session, new)
    except ledger.MissingNode as e:
        raise integrity_error(str(e)) from e
    return {
        "type": "consistency",
        "origin": origin,
        "old_size": old_size,
        "new_size": new,
        "proof": [h.hex() for h in proof],
        "old_root_hash": old_root.hex(),
        "new_root_hash": new_root.hex(),
        "old_checkpoint": checkpoint_view(session, origin, old_row).note if old_row is not None else None,
        "checkpoint": checkpoint_view(session, origin, new_row).note if new_row is not None else None,
    }


def check_page(start: int, limit: int) -> None:
    """A page starts at 0 or later and holds 1..MAX_PAGE entries."""
    if start < 0 or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            Message(
                f"start phải ≥ 0 và limit trong 1..{MAX_PAGE}.",
                f"start must be ≥ 0 and limit within 1..{MAX_PAGE}.",
            )
        )


def entries_page(session: Session, start: int, limit: int) -> dict[str, Any]:
    """Up to ``limit`` entries from ``start`` (checked by :func:`check_page`), and where the next page starts."""
    n = ledger.tree_size(session)
    rows = session.execute(
        select(LedgerEntry).where(LedgerEntry.seq >= start).order_by(LedgerEntry.seq).limit(limit)
    ).scalars()
    items = [_entry_dict(e) for e in rows]
    end = start + len(items)
    return {"start": start, "size": n, "entries": items, "next": end if end < n else None}
