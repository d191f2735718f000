"""Signed checkpoints: publishing one, reading them back with their witnesses' cosignatures, adding one.

A checkpoint is a C2SP tlog-checkpoint signed note over the tree's size and root, signed with the log's
Ed25519 key. Witnesses cosign checkpoints (C2SP tlog-cosignature, Ed25519 type 0x04); their cosignature
lines are stored and served after the log's signature line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.ledger import storage as ledger
from credential_service.ledger.tables import LedgerCheckpoint, LedgerCosignature
from credential_service.platform.clock import Clock
from credential_service.platform.errors import (
    ErrorCategory,
    InvalidInput,
    Message,
    NotAuthorised,
    NotFound,
    SogocError,
)
from verifier.checkpoint import Checkpoint, Ed25519CosignatureVerifier, cosignature_timestamp, sign_checkpoint
from verifier.errors import VerifierError
from verifier.note import Ed25519Signer, NoteSignature, parse_note


class LedgerIntegrityError(SogocError):
    """Stored ledger data needed to answer is missing or inconsistent: run ``sogoc ledger audit``."""

    code = "ledger-integrity"
    category = ErrorCategory.INTERNAL
    title = Message("Sổ cái không toàn vẹn", "Ledger integrity error")


def integrity_error(detail: str) -> LedgerIntegrityError:
    return LedgerIntegrityError(
        Message(
            f"Dữ liệu cây Merkle của sổ cái bị thiếu hoặc hỏng ({detail}).",
            f"The ledger's Merkle tree data is missing or damaged ({detail}).",
        ),
        hint=Message("Chạy `sogoc ledger audit` để tìm vị trí sai.", "Run `sogoc ledger audit` to find the position."),
    )


class CheckpointPublisher:
    """Signs and stores a checkpoint of the current tree inside a caller's transaction."""

    def __init__(self, signer: Ed25519Signer, origin: str) -> None:
        self.signer = signer
        self.origin = origin

    def publish_in(self, session: Session, *, at: datetime) -> LedgerCheckpoint:
        """Checkpoint at the current size (the existing one if the tree has not grown), made at ``at``.

        Takes the append lock first, so the size, root and row are consistent with concurrent appends.
        """
        ledger.lock(session)
        size = ledger.tree_size(session)
        existing = session.get(LedgerCheckpoint, size)
        if existing is not None:
            return existing
        try:
            root = ledger.root_hash(session, size)
        except ledger.MissingNode as e:
            raise integrity_error(str(e)) from e
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
        row = LedgerCheckpoint(size=size, root_hash=root, note_text=note, created_at=at)
        session.add(row)
        session.flush()
        return row


@dataclass(frozen=True)
class CosignatureView:
    name: str
    key_id: int
    timestamp: int
    line: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key_id": f"{self.key_id:08x}", "timestamp": self.timestamp, "line": self.line}


@dataclass(frozen=True)
class CheckpointView:
    origin: str
    size: int
    root_hash: bytes
    signed_note: str  # as signed by the log
    cosignatures: tuple[CosignatureView, ...]
    created_at: datetime

    @property
    def note(self) -> str:
        """The signed note with the witnesses' cosignature lines appended (what is served)."""
        return self.signed_note + "".join(c.line for c in self.cosignatures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "size": self.size,
            "root_hash": self.root_hash.hex(),
            "note": self.note,
            "cosignatures": [c.to_dict() for c in self.cosignatures],
            "created_at": self.created_at.isoformat(),
        }


def checkpoint_view(session: Session, origin: str, row: LedgerCheckpoint) -> CheckpointView:
    """The checkpoint row with its witnesses' cosignatures, as served."""
    cos = session.execute(
        select(LedgerCosignature)
        .where(LedgerCosignature.checkpoint_size == row.size)
        .order_by(LedgerCosignature.name, LedgerCosignature.key_id)
    ).scalars()
    return CheckpointView(
        origin=origin,
        size=row.size,
        root_hash=bytes(row.root_hash),
        signed_note=row.note_text,
        cosignatures=tuple(CosignatureView(c.name, int(c.key_id), int(c.timestamp), c.signature_line) for c in cos),
        created_at=row.created_at,
    )


def latest_checkpoint_row(session: Session) -> LedgerCheckpoint | None:
    return session.execute(
        select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
    ).scalar_one_or_none()


def checkpoint_row(session: Session, size: int) -> LedgerCheckpoint:
    row = session.get(LedgerCheckpoint, size)
    if row is None:
        raise NotFound(
            Message(f"Không có checkpoint nào ở cỡ {size}.", f"There is no checkpoint at size {size}."),
            size=size,
        )
    return row


def add_cosignature(
    session: Session, witnesses: Sequence[Ed25519CosignatureVerifier], size: int, line: str, *, clock: Clock
) -> LedgerCheckpoint:
    """Accept a witness's cosignature line for the checkpoint at ``size`` (stored once); its checkpoint row."""
    line = line.strip("\r\n") + "\n"
    row = checkpoint_row(session, size)
    cp_text = parse_note(row.note_text).text
    try:
        note = parse_note(cp_text + "\n" + line)
    except VerifierError as e:
        raise InvalidInput(
            Message(f"Dòng đồng chữ ký sai định dạng: {e.vi}", f"Malformed cosignature line: {e.en}")
        ) from e
    if len(note.signatures) != 1:
        raise InvalidInput(Message("Gửi đúng một dòng đồng chữ ký.", "Send exactly one cosignature line."))
    sig: NoteSignature = note.signatures[0]
    witness = next((w for w in witnesses if (w.name, w.key_id) == (sig.name, sig.key_id)), None)
    if witness is None:
        raise NotAuthorised(
            Message(
                f"Nhân chứng {sig.name}+{sig.key_id:08x} không có trong danh sách nhân chứng được cấu hình.",
                f"Witness {sig.name}+{sig.key_id:08x} is not a configured witness.",
            ),
            hint=Message(
                "Quản trị viên thêm khóa của nhân chứng vào SOGOC_LEDGER_WITNESS_VKEYS.",
                "The operator adds the witness key to SOGOC_LEDGER_WITNESS_VKEYS.",
            ),
            witness=sig.name,
        )
    if not witness.verify(cp_text.encode("utf-8"), sig.signature):
        raise InvalidInput(
            Message(
                f"Đồng chữ ký của {sig.name} không hợp lệ cho checkpoint cỡ {size}.",
                f"The cosignature by {sig.name} does not verify for the checkpoint at size {size}.",
            ),
            witness=sig.name,
            size=size,
        )
    existing = session.get(LedgerCosignature, (size, sig.name, sig.key_id))
    if existing is None:
        session.add(
            LedgerCosignature(
                checkpoint_size=size,
                name=sig.name,
                key_id=sig.key_id,
                timestamp=cosignature_timestamp(sig),
                signature_line=sig.to_line(),
                created_at=clock.now(),
            )
        )
        session.flush()
    return row
