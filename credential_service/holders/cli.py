"""`sogoc holder …`, `sogoc employer …` and `sogoc receipt verify`: the school hands out activation
codes, the Sở approves organisations, anyone checks a receipt offline."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _container(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    c = build(Settings(**overrides))
    c.migrate()
    return c


def cmd_activation(args: argparse.Namespace) -> int:

    c = _container(args)
    holders = c.holders
    person_id = holders.link_student(args.student_id, linked_by=args.issued_by)
    code = holders.issue_activation(person_id, username=args.username, issued_by=args.issued_by)
    print(f"Tài khoản / username: {args.username.strip().lower()}")
    print(f"Mã kích hoạt (một lần, 30 ngày) / one-time activation code (30 days): {code}")
    return 0


def cmd_approve(args: argparse.Namespace) -> int:

    c = _container(args)
    svc = c.employers
    print(json.dumps(svc.approve(args.tax_code), ensure_ascii=False))
    return 0


def cmd_registry_check(args: argparse.Namespace) -> int:
    """``sogoc holder registry-check --checked-by NAME [--limit N] [--person ID ...]``: check person records
    against the national population database and keep the latest outcome per person (``registry_checks.py``).
    Without a registry address configured the dev table of synthetic citizens answers: dev and test only."""
    from credential_service.holders.registry_checks import check_persons
    from credential_service.platform.errors import ConfigurationError, Message

    c = _container(args)
    if not c.settings.population_registry_url and not c.settings.is_dev:
        raise ConfigurationError(
            Message(
                "Chưa cấu hình địa chỉ CSDL quốc gia về dân cư (population_registry_url); bảng công dân thử nghiệm "
                "chỉ dùng khi phát triển.",
                "No population registry address is configured (population_registry_url); the synthetic citizens "
                "table is for dev only.",
            )
        )
    result = check_persons(
        c.db, c.population_registry, c.clock, checked_by=args.checked_by, person_ids=args.person, limit=args.limit
    )
    out = result.to_dict()
    print(
        f"Đã đối chiếu {out['checked']} người: {out['match']} khớp, {out['mismatch']} không khớp, "
        f"{out['not_found']} không tìm thấy / checked {out['checked']} persons: {out['match']} match, "
        f"{out['mismatch']} mismatch, {out['not_found']} not found"
    )
    print(json.dumps(out, ensure_ascii=False))
    return 0


def cmd_receipt_verify(args: argparse.Namespace) -> int:
    """Check every receipt in the file: a bare JWS, the answer to one code, or a batch answer.
    Exit 0 when all verify, 1 when any fails (or the answer holds none), 2 when the file cannot be read."""
    from verifier.receipt import ReceiptError, ReceiptKeys, verify_answer

    try:
        raw = Path(args.file).read_text(encoding="utf-8").strip()
        answer: Any = json.loads(raw) if raw.startswith("{") else raw
        checks = verify_answer(answer, ReceiptKeys.load(args.keys))
    except (OSError, UnicodeDecodeError) as e:
        print(f"Lỗi: không đọc được tệp: {e}\nError: cannot read the file: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # ReceiptError is not a ValueError: this is the JSON decoder
        print(f"Lỗi: tệp không phải JSON hợp lệ: {e}\nError: the file is not valid JSON: {e}", file=sys.stderr)
        return 2
    except ReceiptError as e:
        print(f"Lỗi: {e.vi}\nError: {e.en}", file=sys.stderr)
        return 2
    if not checks:
        print("KHÔNG CÓ BIÊN NHẬN: không mã nào trong lô được xác minh thành công.")
        print("NO RECEIPT: no code in the batch was verified successfully.")
        return 1
    batch = isinstance(answer, dict) and "results" in answer
    for check in checks:
        where = f"#{check.index} " if check.index is not None else ""
        if check.error is not None:
            print(f"✗ {where}KHÔNG HỢP LỆ / INVALID ({check.error.code}): {check.error.vi} / {check.error.en}")
            continue
        assert check.claims is not None
        print(f"✓ {where}Biên nhận hợp lệ / receipt valid: {check.receipt_id} — {check.claims['verifier']['name']}")
        if not batch:
            print(json.dumps(check.claims["data"], ensure_ascii=False, indent=2))
    failed = [c for c in checks if not c.ok]
    if batch:
        skipped = len(answer["results"]) - len(checks)
        print(
            f"{len(checks) - len(failed)}/{len(checks)} biên nhận hợp lệ"
            + (f"; {skipped} mã không có biên nhận (bị từ chối)" if skipped else "")
            + f" / {len(checks) - len(failed)} of {len(checks)} receipts valid"
            + (f"; {skipped} codes without a receipt (refused)" if skipped else "")
        )
        if failed:
            where = ", ".join(f"#{c.index}" for c in failed)
            print(f"Biên nhận không hợp lệ / failing receipts: {where}")
    return 1 if failed else 0


def register(sub: Any) -> None:
    h = sub.add_parser("holder", help="người học / holders").add_subparsers(dest="holder_command", required=True)
    a = h.add_parser("activation-code", help="cấp mã kích hoạt cho học sinh / issue an activation code")
    a.add_argument("student_id")
    a.add_argument("username")
    a.add_argument("--issued-by", default="school")
    a.add_argument("--database-url")
    a.set_defaults(func=cmd_activation)
    rc = h.add_parser(
        "registry-check",
        help="đối chiếu hồ sơ người với CSDL quốc gia về dân cư / check persons against the population registry",
    )
    rc.add_argument("--checked-by", required=True, help="người chạy (ghi vào nhật ký truy cập) / who runs it")
    rc.add_argument("--limit", type=int, help="tối đa N người / at most N persons")
    rc.add_argument("--person", action="append", help="chỉ người này (lặp lại được) / only this person id")
    rc.add_argument("--database-url")
    rc.set_defaults(func=cmd_registry_check)
    e = sub.add_parser("employer", help="nhà tuyển dụng / employers").add_subparsers(
        dest="employer_command", required=True
    )
    p = e.add_parser("approve", help="Sở phê duyệt tổ chức / approve an organisation")
    p.add_argument("tax_code")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_approve)
    r = sub.add_parser("receipt", help="biên nhận xác minh / verification receipts").add_subparsers(
        dest="receipt_command", required=True
    )
    v = r.add_parser("verify", help="kiểm tra biên nhận ngoại tuyến / verify a receipt offline")
    v.add_argument("file", help="the JWS, or the JSON answer (one code or a batch) that holds it")
    v.add_argument("--keys", required=True, help="sogoc-receipt-keys.json (JWK Set)")
    v.set_defaults(func=cmd_receipt_verify)
