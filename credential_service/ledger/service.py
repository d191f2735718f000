"""The public ledger (sổ gốc số): signed checkpoints, proofs, entries, witness cosignatures, audit.

The ledger is a RFC 6962 Merkle tree over ``ledger_entries`` (see
:mod:`credential_service.ledger.storage`), published as C2SP tlog-checkpoint signed notes with
an Ed25519 log key. Witnesses cosign checkpoints (C2SP tlog-cosignature, Ed25519 type 0x04); their
cosignature lines are stored and served after the log's signature line.

:meth:`LedgerService.audit` recomputes everything from the rows and compares it with what was
stored and published; it names the first position where they part ways.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credential_service.ledger import storage as ledger
from credential_service.ledger.tables import LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerNode
from credential_service.platform.clock import Clock, SystemClock, as_utc
from credential_service.platform.db import Database
from credential_service.platform.errors import (
    ConfigurationError,
    ErrorCategory,
    InvalidInput,
    Message,
    NotAuthorised,
    NotFound,
    SogocError,
)
from credential_service.platform.settings import Settings
from verifier.checkpoint import (
    Checkpoint,
    Ed25519CosignatureVerifier,
    cosignature_timestamp,
    open_checkpoint,
    sign_checkpoint,
)
from verifier.errors import VerifierError
from verifier.merkle import MemoryTreeStore, leaf_hash, verify_consistency
from verifier.note import Ed25519Signer, Ed25519Verifier, NoteSignature, parse_note

MAX_PAGE = 1000


class LedgerIntegrityError(SogocError):
    """Stored ledger data needed to answer is missing or inconsistent: run ``sogoc ledger audit``."""

    code = "ledger-integrity"
    category = ErrorCategory.INTERNAL
    title = Message("Sổ cái không toàn vẹn", "Ledger integrity error")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# --------------------------------------------------------------------------------------------------
# Keys and publishing


def load_log_signer(path: Path) -> Ed25519Signer:
    """Read the log's ``PRIVATE+KEY+…`` signer key; a clear bilingual error if it is missing or bad."""
    try:
        raw = Path(path).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigurationError(
            Message(
                f"Không đọc được khóa ký sổ cái {path}: {e.strerror or e}.",
                f"Cannot read the ledger signing key {path}: {e.strerror or e}.",
            ),
            hint=Message(
                "Đặt SOGOC_LEDGER_KEY_PATH; môi trường dev: chạy .venv/bin/python keys/dev/log/generate.py.",
                "Set SOGOC_LEDGER_KEY_PATH; in dev run .venv/bin/python keys/dev/log/generate.py.",
            ),
        ) from e
    try:
        return Ed25519Signer.from_skey(raw)
    except VerifierError as e:
        raise ConfigurationError(
            Message(f"Khóa ký sổ cái {path} không hợp lệ: {e.vi}", f"Invalid ledger signing key {path}: {e.en}")
        ) from e


def parse_witness_vkeys(vkeys: Sequence[str]) -> list[Ed25519CosignatureVerifier]:
    out = []
    for vkey in vkeys:
        try:
            out.append(cast(Ed25519CosignatureVerifier, Ed25519CosignatureVerifier.from_vkey(vkey.strip())))
        except VerifierError as e:
            raise ConfigurationError(
                Message(
                    f"Khóa nhân chứng không hợp lệ trong SOGOC_LEDGER_WITNESS_VKEYS: {vkey!r} ({e.vi})",
                    f"Invalid witness key in SOGOC_LEDGER_WITNESS_VKEYS: {vkey!r} ({e.en})",
                )
            ) from e
    return out


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
            raise _integrity(str(e)) from e
        note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
        row = LedgerCheckpoint(size=size, root_hash=root, note_text=note, created_at=at)
        session.add(row)
        session.flush()
        return row


@lru_cache(maxsize=8)
def _publisher(key_path: str, origin: str) -> CheckpointPublisher:
    return CheckpointPublisher(load_log_signer(Path(key_path)), origin)


def publish_in_transaction(session: Session, settings: Settings, *, at: datetime) -> LedgerCheckpoint:
    """Publish a checkpoint in the caller's transaction (used right after a sealing batch is appended);
    ``at`` is the caller's clock's now."""
    return _publisher(str(settings.ledger_key_path), settings.ledger_origin).publish_in(session, at=at)


def _integrity(detail: str) -> LedgerIntegrityError:
    return LedgerIntegrityError(
        Message(
            f"Dữ liệu cây Merkle của sổ cái bị thiếu hoặc hỏng ({detail}).",
            f"The ledger's Merkle tree data is missing or damaged ({detail}).",
        ),
        hint=Message("Chạy `sogoc ledger audit` để tìm vị trí sai.", "Run `sogoc ledger audit` to find the position."),
    )


# --------------------------------------------------------------------------------------------------
# Views


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


# --------------------------------------------------------------------------------------------------
# Audit


@dataclass(frozen=True)
class Finding:
    """One place where the rows, the stored tree and the published checkpoints disagree.

    ``position`` is the first entry (0-based seq) from which history can no longer be trusted.
    """

    position: int
    kind: str
    message: Message
    seq: int | None = None
    node: tuple[int, int] | None = None
    checkpoint_size: int | None = None

    @property
    def rank(self) -> int:
        return 0 if self.seq is not None else 1 if self.node is not None else 2

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "position": self.position,
            "kind": self.kind,
            "vi": self.message.vi,
            "en": self.message.en,
        }
        if self.seq is not None:
            out["seq"] = self.seq
        if self.node is not None:
            out["node"] = {"level": self.node[0], "index": self.node[1]}
        if self.checkpoint_size is not None:
            out["checkpoint_size"] = self.checkpoint_size
        return out


@dataclass
class AuditReport:
    entries: int = 0
    nodes_checked: int = 0
    checkpoints_checked: int = 0
    cosignatures_checked: int = 0
    cosignatures_unknown: int = 0
    root_hash: bytes = b""
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return min(self.findings, key=lambda f: (f.position, f.rank), default=None)

    def to_dict(self) -> dict[str, Any]:
        first = self.first
        return {
            "ok": self.ok,
            "entries": self.entries,
            "root_hash": self.root_hash.hex(),
            "nodes_checked": self.nodes_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "cosignatures_checked": self.cosignatures_checked,
            "cosignatures_unknown_witness": self.cosignatures_unknown,
            "seconds": round(self.seconds, 3),
            "first": first.to_dict() if first else None,
            "findings": [f.to_dict() for f in sorted(self.findings, key=lambda f: (f.position, f.rank))],
        }


MAX_FINDINGS = 1000


class _Auditor:
    def __init__(self, service: LedgerService, session: Session) -> None:
        self.svc = service
        self.session = session
        self.report = AuditReport()
        self.tree = MemoryTreeStore()

    def add(self, finding: Finding) -> None:
        if len(self.report.findings) < MAX_FINDINGS:
            self.report.findings.append(finding)

    def _stream(self, stmt: Any) -> Iterator[Any]:
        yield from self.session.execute(stmt, execution_options={"yield_per": 10_000})

    # -- rows
    def entries(self) -> None:
        stmt = select(
            LedgerEntry.seq,
            LedgerEntry.kind,
            LedgerEntry.credential_id,
            LedgerEntry.amends_seq,
            LedgerEntry.leaf,
            LedgerEntry.leaf_hash,
        ).order_by(LedgerEntry.seq)
        tree = self.tree
        gap_reported = False
        for seq, kind, credential_id, amends_seq, leaf, stored_hash in self._stream(stmt):
            k = tree.size
            if seq != k and not gap_reported:
                gap_reported = True
                if seq > k:
                    self.add(
                        Finding(
                            k,
                            "entry-missing",
                            Message(
                                f"Thiếu mục số {k}" + (f" đến {seq - 1}" if seq - 1 > k else "") + " (hàng đã bị xóa).",
                                f"Entry {k}" + (f" to {seq - 1}" if seq - 1 > k else "") + " is missing (row deleted).",
                            ),
                            seq=k,
                        )
                    )
                else:
                    self.add(
                        Finding(
                            k,
                            "entry-order",
                            Message(
                                f"Số thứ tự {seq} xuất hiện ở vị trí {k}.",
                                f"Sequence number {seq} found at position {k}.",
                            ),
                            seq=k,
                        )
                    )
            leaf = bytes(leaf)
            h = leaf_hash(leaf)
            if h != bytes(stored_hash):
                self.add(
                    Finding(
                        k,
                        "leaf-hash",
                        Message(
                            f"Mục {seq}: mã băm lá lưu trữ không khớp với nội dung lá (hàng đã bị sửa).",
                            f"Entry {seq}: the stored leaf hash does not match the leaf bytes (row edited).",
                        ),
                        seq=k,
                    )
                )
            self._columns(k, seq, leaf, kind, credential_id, amends_seq)
            tree.append(h)
        self.report.entries = tree.size

    def _columns(self, k: int, seq: int, leaf: bytes, kind: str, credential_id: str, amends: int | None) -> None:
        try:
            doc = json.loads(leaf)
            mismatch = [
                name
                for name, column, key in (
                    ("kind", kind, "kind"),
                    ("credential_id", credential_id, "credential_id"),
                    ("amends_seq", amends, "amends"),
                )
                if doc.get(key) != column
            ]
        except (ValueError, AttributeError):
            mismatch = ["leaf"]
        if mismatch:
            cols = ", ".join(mismatch)
            self.add(
                Finding(
                    k,
                    "entry-columns",
                    Message(
                        f"Mục {seq}: cột {cols} không khớp với nội dung lá.",
                        f"Entry {seq}: column(s) {cols} disagree with the leaf.",
                    ),
                    seq=k,
                )
            )

    # -- stored tree
    def nodes(self) -> None:
        tree = self.tree
        n = tree.size
        next_idx: dict[int, int] = {}
        max_level = n.bit_length() - 1 if n else -1
        stmt = select(LedgerNode.level, LedgerNode.idx, LedgerNode.hash).order_by(LedgerNode.level, LedgerNode.idx)
        for level, idx, stored in self._stream(stmt):
            self.report.nodes_checked += 1
            expected_next = next_idx.get(level, 0)
            if idx > expected_next and expected_next < (n >> level):
                self._missing(level, expected_next, min(idx, n >> level))
            next_idx[level] = max(expected_next, idx + 1)
            if idx >= (n >> level):
                pos = max(idx << level, n)
                self.add(
                    Finding(
                        pos,
                        "node-beyond-entries",
                        Message(
                            f"Nút cây ({level}, {idx}) phủ các mục không còn trong bảng (mục từ {pos} đã bị xóa?).",
                            f"Tree node ({level}, {idx}) covers entries that are no longer there "
                            f"(entries from {pos} deleted?).",
                        ),
                        node=(level, idx),
                    )
                )
                continue
            recomputed = tree.leaf_hash(idx) if level == 0 else tree.stored_node(level, idx)
            if bytes(stored) != recomputed:
                if level == 0:
                    self.add(
                        Finding(
                            idx,
                            "entry-differs-from-tree",
                            Message(
                                f"Mục {idx}: nội dung khác với lá đã ghi vào cây khi thêm "
                                "(hàng bị sửa, xóa hoặc đổi chỗ).",
                                f"Entry {idx}: its leaf differs from the one recorded in the tree when it was appended "
                                "(row edited, deleted or swapped).",
                            ),
                            seq=idx,
                        )
                    )
                else:
                    start = idx << level
                    self.add(
                        Finding(
                            start,
                            "node-mismatch",
                            Message(
                                f"Nút cây ({level}, {idx}) phủ mục {start}–{start + (1 << level) - 1} "
                                "không khớp với các hàng.",
                                f"Tree node ({level}, {idx}) over entries {start}–{start + (1 << level) - 1} "
                                "does not match the rows.",
                            ),
                            node=(level, idx),
                        )
                    )
        for level in range(max_level + 1):
            expected_next = next_idx.get(level, 0)
            if expected_next < (n >> level):
                self._missing(level, expected_next, n >> level)

    def _missing(self, level: int, lo: int, hi: int) -> None:
        self.add(
            Finding(
                lo << level,
                "node-missing",
                Message(
                    f"Thiếu nút cây mức {level}, chỉ số {lo}–{hi - 1}.",
                    f"Tree nodes at level {level}, index {lo}–{hi - 1} are missing.",
                ),
                node=(level, lo),
            )
        )

    # -- published history
    def checkpoints(self) -> None:
        tree = self.tree
        n = tree.size
        svc = self.svc
        rows = self.session.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)).scalars().all()
        cosigs: dict[int, list[LedgerCosignature]] = {}
        for c in self.session.execute(select(LedgerCosignature)).scalars():
            cosigs.setdefault(c.checkpoint_size, []).append(c)
        prev: Checkpoint | None = None
        trusted_from = 0  # the last checkpoint size whose root matched the rows
        for row in rows:
            self.report.checkpoints_checked += 1
            size = row.size

            def cp_finding(kind: str, vi: str, en: str, size: int = size, start: int = trusted_from) -> None:
                self.add(Finding(start, kind, Message(vi, en), checkpoint_size=size))

            try:
                cp = open_checkpoint(row.note_text, svc.verifiers_at(row.created_at), svc.origin)
            except VerifierError as e:
                cp_finding(
                    "checkpoint-signature", f"Checkpoint cỡ {size}: {e.vi}", f"Checkpoint at size {size}: {e.en}"
                )
                continue
            if cp.size != size or cp.root_hash != bytes(row.root_hash):
                cp_finding(
                    "checkpoint-row",
                    f"Checkpoint cỡ {size}: cột size/root_hash khác với ghi chú đã ký.",
                    f"Checkpoint at size {size}: the size/root_hash columns differ from the signed note.",
                )
            if cp.size > n:
                self.add(
                    Finding(
                        n,
                        "checkpoint-beyond-entries",
                        Message(
                            f"Checkpoint đã công bố có {cp.size} mục nhưng bảng chỉ còn {n} (mục từ {n} đã bị xóa).",
                            f"A published checkpoint has {cp.size} entries but the table has {n} "
                            f"(entries from {n} deleted).",
                        ),
                        checkpoint_size=cp.size,
                    )
                )
            elif tree.root_hash(cp.size) != cp.root_hash:
                cp_finding(
                    "checkpoint-root",
                    f"Checkpoint cỡ {cp.size} được ký cho gốc {cp.root_hash.hex()} nhưng các hàng cho gốc "
                    f"{tree.root_hash(cp.size).hex()}; lịch sử tách ra trong các mục {trusted_from}–{cp.size - 1}.",
                    f"Checkpoint at size {cp.size} is signed for root {cp.root_hash.hex()} but the rows give "
                    f"{tree.root_hash(cp.size).hex()}; history parts ways within entries {trusted_from}–{cp.size - 1}.",
                    cp.size,
                )
            else:
                trusted_from = cp.size
            if prev is not None and prev.size > 0 and cp.size <= n:
                try:
                    proof = ledger.consistency_proof(self.session, prev.size, cp.size)
                    verify_consistency(prev.size, cp.size, proof, prev.root_hash, cp.root_hash)
                except (VerifierError, ledger.MissingNode) as e:
                    cp_finding(
                        "checkpoint-inconsistent",
                        f"Checkpoint cỡ {prev.size} và {cp.size} không nhất quán: {e}",
                        f"Checkpoints at sizes {prev.size} and {cp.size} are not consistent: {e}",
                    )
            prev = cp
            self._cosignatures(row, cp, cosigs.get(size, []))

    def refine(self) -> None:
        """A node or checkpoint disagreement covers a range of entries; when a more precise finding
        (a row, or a node lower in the tree) lies inside that range, the divergence starts there."""
        findings = self.report.findings
        rows = [f.position for f in findings if f.rank == 0]
        nodes = sorted((f for f in findings if f.rank == 1 and f.node is not None), key=lambda f: f.node or (0, 0))
        refined_nodes: list[Finding] = []
        for f in nodes:
            level, idx = f.node or (0, 0)
            lo, hi = idx << level, (idx + 1) << level
            inside = [p for p in rows + [g.position for g in refined_nodes] if lo <= p < hi and p > f.position]
            refined_nodes.append(replace(f, position=min(inside)) if inside and f.kind == "node-mismatch" else f)
        precise = rows + [g.position for g in refined_nodes]
        out = [f for f in findings if f.rank == 0] + refined_nodes
        for f in findings:
            if f.rank == 2:
                if f.checkpoint_size is not None and f.kind != "checkpoint-beyond-entries":
                    inside = [p for p in precise if f.position <= p < f.checkpoint_size]
                    if inside:
                        f = replace(f, position=min(inside))
                out.append(f)
        self.report.findings = out

    def _cosignatures(self, row: LedgerCheckpoint, cp: Checkpoint, stored: list[LedgerCosignature]) -> None:
        witnesses = {(w.name, w.key_id): w for w in self.svc.witnesses}
        message = cp.to_note_text().encode("utf-8")
        for c in stored:
            w = witnesses.get((c.name, int(c.key_id)))
            if w is None:
                self.report.cosignatures_unknown += 1
                continue
            self.report.cosignatures_checked += 1
            try:
                sig = parse_note(cp.to_note_text() + "\n" + c.signature_line).signatures[0]
                ok = w.verify(message, sig.signature) and cosignature_timestamp(sig) == c.timestamp
            except VerifierError:
                ok = False
            if not ok:
                self.add(
                    Finding(
                        cp.size,
                        "cosignature-invalid",
                        Message(
                            f"Đồng chữ ký của {c.name} trên checkpoint cỡ {cp.size} không hợp lệ.",
                            f"The cosignature by {c.name} on the checkpoint at size {cp.size} does not verify.",
                        ),
                        checkpoint_size=cp.size,
                    )
                )


# --------------------------------------------------------------------------------------------------
# The service


# The log keys' history (written by ledger.key_rotation when the log key is rotated).
def log_keys_path(settings: Settings) -> Path:
    return settings.ledger_key_path.parent / "log-keys.json"


def read_log_keys(settings: Settings) -> list[dict[str, Any]]:
    """The log keys' history, oldest first; without a history file, the current key alone."""
    path = log_keys_path(settings)
    if path.exists():
        doc = json.loads(path.read_text(encoding="utf-8"))
        return list(doc["keys"])
    signer = load_log_signer(settings.ledger_key_path)
    return [{"vkey": signer.vkey, "key_id": f"{signer.key_id:08x}", "not_before": None, "not_after": None,
             "status": "active"}]  # fmt: skip


def log_verifiers(settings: Settings) -> list[tuple[Ed25519Verifier, datetime | None, datetime | None]]:
    out = []
    for k in read_log_keys(settings):
        nb = datetime.fromisoformat(k["not_before"].replace("Z", "+00:00")) if k.get("not_before") else None
        na = datetime.fromisoformat(k["not_after"].replace("Z", "+00:00")) if k.get("not_after") else None
        out.append((Ed25519Verifier.from_vkey(k["vkey"]), nb, na))
    return out


class LedgerService:
    def __init__(
        self,
        db: Database,
        signer: Ed25519Signer,
        origin: str,
        witnesses: Sequence[Ed25519CosignatureVerifier] = (),
        key_history: Sequence[tuple[Ed25519Verifier, datetime | None, datetime | None]] = (),
        *,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.origin = origin
        self.clock = clock or SystemClock()
        self.publisher = CheckpointPublisher(signer, origin)
        self.witnesses = list(witnesses)
        # Every log key with its validity (after rotations); empty: the current key only.
        self.key_history = list(key_history)

    @classmethod
    def from_settings(cls, db: Database, settings: Settings, *, clock: Clock | None = None) -> LedgerService:
        return cls(
            db,
            load_log_signer(settings.ledger_key_path),
            settings.ledger_origin,
            parse_witness_vkeys(settings.ledger_witness_vkeys),
            key_history=log_verifiers(settings),
            clock=clock,
        )

    def verifiers_at(self, made: datetime) -> list[Ed25519Verifier]:
        """The log key(s) that were valid when a checkpoint was made (rotation times kept to the second)."""
        if not self.key_history:
            return [self.verifier]
        made = as_utc(made)
        return [
            v
            for v, not_before, not_after in self.key_history
            if (not_before is None or not_before <= made)
            and (not_after is None or made < not_after + timedelta(seconds=1))
        ]

    @property
    def verifier(self) -> Ed25519Verifier:
        return self.publisher.signer.verifier()

    @property
    def vkey(self) -> str:
        """The log's public verifier key (C2SP signed-note vkey)."""
        return self.publisher.signer.vkey

    # -- checkpoints
    def publish(self) -> CheckpointView:
        with self.db.transaction() as session:
            row = self.publisher.publish_in(session, at=self.clock.now())
            return self._view(session, row)

    def _view(self, session: Session, row: LedgerCheckpoint) -> CheckpointView:
        cos = session.execute(
            select(LedgerCosignature)
            .where(LedgerCosignature.checkpoint_size == row.size)
            .order_by(LedgerCosignature.name, LedgerCosignature.key_id)
        ).scalars()
        return CheckpointView(
            origin=self.origin,
            size=row.size,
            root_hash=bytes(row.root_hash),
            signed_note=row.note_text,
            cosignatures=tuple(CosignatureView(c.name, int(c.key_id), int(c.timestamp), c.signature_line) for c in cos),
            created_at=row.created_at,
        )

    def _latest_row(self, session: Session) -> LedgerCheckpoint | None:
        return session.execute(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        ).scalar_one_or_none()

    def latest_checkpoint(self) -> CheckpointView:
        with self.db.reader() as session:
            row = self._latest_row(session)
            if row is None:
                raise NotFound(
                    Message("Sổ cái chưa công bố checkpoint nào.", "The ledger has not published a checkpoint yet."),
                    hint=Message("Người vận hành: `sogoc ledger publish`.", "Operator: run `sogoc ledger publish`."),
                )
            return self._view(session, row)

    def checkpoint(self, size: int) -> CheckpointView:
        with self.db.reader() as session:
            return self._view(session, self._checkpoint_row(session, size))

    def _checkpoint_row(self, session: Session, size: int) -> LedgerCheckpoint:
        row = session.get(LedgerCheckpoint, size)
        if row is None:
            raise NotFound(
                Message(f"Không có checkpoint nào ở cỡ {size}.", f"There is no checkpoint at size {size}."),
                size=size,
            )
        return row

    # -- proofs
    def size(self) -> int:
        with self.db.reader() as session:
            return ledger.tree_size(session)

    def _resolve_size(self, session: Session, size: int | None) -> tuple[int, LedgerCheckpoint | None]:
        if size is None:
            row = self._latest_row(session)
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

    def inclusion_proof(self, seq: int, size: int | None = None) -> dict[str, Any]:
        """Inclusion proof of entry ``seq`` in the tree of ``size`` (default: the latest checkpoint)."""
        with self.db.reader() as session:
            return self._inclusion(session, seq, size)

    def _inclusion(self, session: Session, seq: int, size: int | None) -> dict[str, Any]:
        tree_size, cp_row = self._resolve_size(session, size)
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
            raise _integrity(f"entry {seq}")
        try:
            proof = ledger.inclusion_proof(session, seq, tree_size)
            root = bytes(cp_row.root_hash) if cp_row is not None else ledger.root_hash(session, tree_size)
        except ledger.MissingNode as e:
            raise _integrity(str(e)) from e
        return {
            "type": "inclusion",
            "origin": self.origin,
            "index": seq,
            "size": tree_size,
            "kind": entry.kind,
            "credential_id": entry.credential_id,
            "leaf": _b64(bytes(entry.leaf)),
            "leaf_hash": bytes(entry.leaf_hash).hex(),
            "proof": [h.hex() for h in proof],
            "root_hash": root.hex(),
            "checkpoint": self._view(session, cp_row).note if cp_row is not None else None,
        }

    def credential_inclusion_proof(self, credential_id: str, size: int | None = None) -> dict[str, Any]:
        """Inclusion proof of the latest entry for ``credential_id`` within the tree of ``size``."""
        with self.db.reader() as session:
            tree_size, _ = self._resolve_size(session, size)
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
            out = self._inclusion(session, seqs[-1], tree_size if size is not None else None)
            out["credential_entries"] = seqs
            return out

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        with self.db.reader() as session:
            new, new_row = self._resolve_size(session, new_size)
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
                raise _integrity(str(e)) from e
            return {
                "type": "consistency",
                "origin": self.origin,
                "old_size": old_size,
                "new_size": new,
                "proof": [h.hex() for h in proof],
                "old_root_hash": old_root.hex(),
                "new_root_hash": new_root.hex(),
                "old_checkpoint": self._view(session, old_row).note if old_row is not None else None,
                "checkpoint": self._view(session, new_row).note if new_row is not None else None,
            }

    # -- entries
    def entries(self, start: int = 0, limit: int = 100) -> dict[str, Any]:
        if start < 0 or not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(
                Message(
                    f"start phải ≥ 0 và limit trong 1..{MAX_PAGE}.",
                    f"start must be ≥ 0 and limit within 1..{MAX_PAGE}.",
                )
            )
        with self.db.reader() as session:
            n = ledger.tree_size(session)
            rows = session.execute(
                select(LedgerEntry).where(LedgerEntry.seq >= start).order_by(LedgerEntry.seq).limit(limit)
            ).scalars()
            items = [_entry_dict(e) for e in rows]
        end = start + len(items)
        return {"start": start, "size": n, "entries": items, "next": end if end < n else None}

    # -- witnesses
    def add_cosignature(self, size: int, line: str) -> CheckpointView:
        """Accept a witness's cosignature line for the checkpoint at ``size``; stored and served with it."""
        line = line.strip("\r\n") + "\n"
        with self.db.transaction() as session:
            row = self._checkpoint_row(session, size)
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
            witness = next((w for w in self.witnesses if (w.name, w.key_id) == (sig.name, sig.key_id)), None)
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
                        created_at=self.clock.now(),
                    )
                )
                session.flush()
            return self._view(session, row)

    # -- audit
    def audit(self) -> AuditReport:
        """Recompute the tree from the rows; check stored nodes, checkpoints, their consistency, cosignatures."""
        started = time.perf_counter()
        with self.db.reader() as session:
            auditor = _Auditor(self, session)
            auditor.entries()
            auditor.nodes()
            auditor.checkpoints()
            auditor.refine()
            report = auditor.report
            report.root_hash = auditor.tree.root_hash()
        report.seconds = time.perf_counter() - started
        return report

    def count_checkpoints(self) -> int:
        with self.db.reader() as session:
            return int(session.execute(select(func.count()).select_from(LedgerCheckpoint)).scalar_one())
