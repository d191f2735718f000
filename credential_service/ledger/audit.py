"""The ledger audit: recompute the tree from the rows and compare it with what was stored and published.

:func:`audit_ledger` streams ``ledger_entries`` into an in-memory RFC 6962 tree, checks every stored
node, every published checkpoint (signature, root, consistency with the one before) and every witness
cosignature, and names the first position from which history can no longer be trusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credential_service.ledger import storage as ledger
from credential_service.ledger.tables import LedgerCheckpoint, LedgerCosignature, LedgerEntry, LedgerNode
from credential_service.platform.errors import Message
from verifier.checkpoint import Checkpoint, Ed25519CosignatureVerifier, cosignature_timestamp, open_checkpoint
from verifier.errors import VerifierError
from verifier.merkle import MemoryTreeStore, leaf_hash, verify_consistency
from verifier.note import Ed25519Verifier, parse_note


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


class LedgerAuditor:
    """One audit over one read session; ``verifiers_at`` gives the log key(s) valid when a checkpoint was made."""

    def __init__(
        self,
        session: Session,
        *,
        origin: str,
        verifiers_at: Callable[[datetime], list[Ed25519Verifier]],
        witnesses: Sequence[Ed25519CosignatureVerifier],
    ) -> None:
        self.session = session
        self.origin = origin
        self.verifiers_at = verifiers_at
        self.witnesses = list(witnesses)
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
                cp = open_checkpoint(row.note_text, self.verifiers_at(row.created_at), self.origin)
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
        witnesses = {(w.name, w.key_id): w for w in self.witnesses}
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


def audit_ledger(
    session: Session,
    *,
    origin: str,
    verifiers_at: Callable[[datetime], list[Ed25519Verifier]],
    witnesses: Sequence[Ed25519CosignatureVerifier],
) -> AuditReport:
    """Recompute the tree from the rows; check stored nodes, checkpoints, their consistency, cosignatures."""
    auditor = LedgerAuditor(session, origin=origin, verifiers_at=verifiers_at, witnesses=witnesses)
    auditor.entries()
    auditor.nodes()
    auditor.checkpoints()
    auditor.refine()
    report = auditor.report
    report.root_hash = auditor.tree.root_hash()
    return report
