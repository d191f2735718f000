"""`sogoc ledger …`: audit, checkpoints, proofs and offline proof verification.

``sogoc ledger verify-proof`` is for third parties: it uses nothing but :mod:`verifier` (the proof
JSON, a checkpoint note and the log's vkey), no database and no network.

Exit codes: 0 success; 1 the audit found an inconsistency or a proof does not verify; 2 bad input
or configuration (the bilingual error is printed by ``credential_service.app.cli.main``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from pathlib import Path
from typing import Any

from credential_service.platform.errors import InvalidInput, Message


def _service(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    c = build(Settings(**overrides))
    c.migrate()
    return c.ledger


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_audit(args: argparse.Namespace) -> int:
    report = _service(args).audit()
    if args.json:
        _print_json(report.to_dict())
    first = report.first
    if first is None:
        print(
            f"Sổ cái nhất quán / ledger consistent: {report.entries} mục/entries, {report.nodes_checked} nút/nodes, "
            f"{report.checkpoints_checked} checkpoint, {report.cosignatures_checked} đồng chữ ký/cosignatures; "
            f"gốc/root {report.root_hash.hex()} ({report.seconds:.2f} s)",
            file=sys.stderr if args.json else sys.stdout,
        )
        return 0
    print(
        f"SỔ CÁI KHÔNG NHẤT QUÁN / LEDGER INCONSISTENT: {len(report.findings)} phát hiện/findings; "
        f"vị trí sai đầu tiên / first bad position: {first.position}",
        file=sys.stderr,
    )
    print(f"  [{first.kind}] {first.message.vi} / {first.message.en}", file=sys.stderr)
    return 1


def cmd_checkpoint(args: argparse.Namespace) -> int:
    svc = _service(args)
    view = svc.checkpoint(args.size) if args.size is not None else svc.latest_checkpoint()
    sys.stdout.write(view.note)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    sys.stdout.write(_service(args).publish().note)
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    print(_service(args).vkey)
    return 0


def cmd_proof(args: argparse.Namespace) -> int:
    svc = _service(args)
    if args.seq is not None:
        data = svc.inclusion_proof(args.seq, args.size)
    elif args.credential is not None:
        data = svc.credential_inclusion_proof(args.credential, args.size)
    elif args.from_ is not None:
        data = svc.consistency_proof(args.from_, args.to)
    else:
        raise InvalidInput(
            Message(
                "Cần --seq N, --credential ID hoặc --from A [--to B].",
                "Give --seq N, --credential ID or --from A [--to B].",
            )
        )
    _print_json(data)
    return 0


# --------------------------------------------------------------------------------------------------
# Offline verification (verifier/ only)


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInput(
            Message(f"Không đọc được {what} {path}: {e}.", f"Cannot read the {what} {path}: {e}.")
        ) from e


def _hex(value: Any, field: str) -> bytes:
    try:
        return bytes.fromhex(str(value))
    except ValueError as e:
        raise InvalidInput(Message(f"Trường {field} không phải hex.", f"Field {field} is not hex.")) from e


def verify_proof_offline(
    proof: dict[str, Any],
    checkpoint_note: str,
    vkey: str,
    *,
    old_checkpoint_note: str | None = None,
    origin: str | None = None,
) -> str:
    """Check a proof from ``sogoc ledger proof`` / the API against a signed checkpoint and the log's vkey.

    Uses only :mod:`verifier`. Returns a one-line bilingual success text; raises
    :class:`verifier.errors.VerifierError` when anything does not verify.
    """
    from verifier.checkpoint import Checkpoint, open_checkpoint
    from verifier.errors import CheckpointError, ProofError
    from verifier.merkle import leaf_hash, verify_consistency, verify_inclusion
    from verifier.note import parse_note, parse_vkey

    log_key = parse_vkey(vkey.strip())
    claimed_origin = origin or Checkpoint.parse(parse_note(checkpoint_note).text).origin
    cp = open_checkpoint(checkpoint_note, [log_key], claimed_origin)
    kind = proof.get("type")
    if kind == "inclusion":
        index, size = int(proof["index"]), int(proof["size"])
        if size != cp.size:
            raise CheckpointError(
                f"Bằng chứng cho cây cỡ {size} nhưng checkpoint có cỡ {cp.size}",
                f"The proof is for tree size {size} but the checkpoint has size {cp.size}",
            )
        lh = _hex(proof["leaf_hash"], "leaf_hash")
        if proof.get("leaf") is not None:
            try:
                leaf = base64.b64decode(proof["leaf"], validate=True)
            except binascii.Error as e:
                raise InvalidInput(Message("Trường leaf không phải base64.", "Field leaf is not base64.")) from e
            if leaf_hash(leaf) != lh:
                raise ProofError("Mã băm lá không khớp với nội dung lá", "The leaf hash does not match the leaf bytes")
        verify_inclusion(lh, index, size, [_hex(h, "proof") for h in proof["proof"]], cp.root_hash)
        return (
            f"Hợp lệ: mục {index} nằm trong sổ cái {cp.origin} cỡ {cp.size} / "
            f"Valid: entry {index} is in ledger {cp.origin} at size {cp.size}"
        )
    if kind == "consistency":
        if old_checkpoint_note is None:
            raise CheckpointError(
                "Bằng chứng nhất quán cần --old-checkpoint", "A consistency proof needs --old-checkpoint"
            )
        old = open_checkpoint(old_checkpoint_note, [log_key], cp.origin)
        if (old.size, cp.size) != (int(proof["old_size"]), int(proof["new_size"])):
            raise CheckpointError(
                "Cỡ trong bằng chứng không khớp với hai checkpoint",
                "The proof's sizes do not match the two checkpoints",
            )
        if old.size == 0:
            from verifier.merkle import EMPTY_ROOT

            if old.root_hash != EMPTY_ROOT or proof["proof"]:
                raise ProofError("Cây rỗng phải có bằng chứng rỗng", "An empty old tree needs an empty proof")
        else:
            verify_consistency(
                old.size, cp.size, [_hex(h, "proof") for h in proof["proof"]], old.root_hash, cp.root_hash
            )
        return (
            f"Hợp lệ: sổ cái {cp.origin} cỡ {cp.size} mở rộng cỡ {old.size} / "
            f"Valid: ledger {cp.origin} at size {cp.size} extends size {old.size}"
        )
    raise InvalidInput(Message(f"Loại bằng chứng không rõ: {kind!r}.", f"Unknown proof type: {kind!r}."))


def cmd_verify_proof(args: argparse.Namespace) -> int:
    from verifier.errors import VerifierError

    try:
        proof = json.loads(_read(args.proof, "proof"))
    except json.JSONDecodeError as e:
        raise InvalidInput(Message(f"{args.proof} không phải JSON: {e}.", f"{args.proof} is not JSON: {e}.")) from e
    key = _read(args.key, "key") if Path(args.key).is_file() else args.key
    old = _read(args.old_checkpoint, "checkpoint") if args.old_checkpoint else None
    try:
        print(
            verify_proof_offline(
                proof, _read(args.checkpoint, "checkpoint"), key, old_checkpoint_note=old, origin=args.origin
            )
        )
    except (VerifierError, KeyError, TypeError, ValueError) as e:
        print(f"KHÔNG HỢP LỆ / INVALID: {e}", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Any) -> None:
    """Add ``sogoc ledger …`` to the top-level parser's subparsers."""
    lp = subparsers.add_parser("ledger", help="sổ cái minh bạch / the transparency ledger")
    ls = lp.add_subparsers(dest="ledger_command", required=True)

    a = ls.add_parser("audit", help="kiểm toán toàn bộ sổ cái / recompute and check everything")
    a.add_argument("--json", action="store_true", help="in báo cáo JSON / print the JSON report")
    a.set_defaults(func=cmd_audit)

    c = ls.add_parser("checkpoint", help="in checkpoint mới nhất / print the latest checkpoint")
    c.add_argument("--size", type=int)
    c.set_defaults(func=cmd_checkpoint)

    ls.add_parser("publish", help="ký và công bố checkpoint / sign and publish a checkpoint").set_defaults(
        func=cmd_publish
    )
    ls.add_parser("key", help="in khóa công khai (vkey) / print the log vkey").set_defaults(func=cmd_key)

    p = ls.add_parser("proof", help="bằng chứng bao hàm hoặc nhất quán (JSON) / inclusion or consistency proof")
    p.add_argument("--seq", type=int)
    p.add_argument("--credential")
    p.add_argument("--size", type=int, help="cỡ cây (mặc định: checkpoint mới nhất) / tree size")
    p.add_argument("--from", dest="from_", type=int)
    p.add_argument("--to", type=int)
    p.set_defaults(func=cmd_proof)

    v = ls.add_parser("verify-proof", help="kiểm tra bằng chứng ngoại tuyến / verify a proof offline")
    v.add_argument("--proof", required=True, help="tệp JSON từ `sogoc ledger proof` / proof JSON file")
    v.add_argument("--checkpoint", required=True, help="tệp checkpoint đã ký / signed checkpoint file")
    v.add_argument("--key", required=True, help="vkey của sổ cái hoặc tệp chứa nó / the log vkey or a file")
    v.add_argument("--old-checkpoint", help="checkpoint cũ (bằng chứng nhất quán) / old checkpoint")
    v.add_argument("--origin", help="nguồn gốc mong đợi / expected origin")
    v.set_defaults(func=cmd_verify_proof)
