"""`sogoc holder …`, `sogoc employer …` and `sogoc receipt verify`: the school hands out activation
codes, the Sở approves organisations, anyone checks a receipt offline."""

from __future__ import annotations

import argparse
import json
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


def cmd_receipt_verify(args: argparse.Namespace) -> int:
    from verifier.receipt import ReceiptError, ReceiptKeys, verify_receipt

    raw = Path(args.file).read_text(encoding="utf-8").strip()
    token = json.loads(raw)["receipt"] if raw.startswith("{") else raw
    try:
        claims = verify_receipt(token, ReceiptKeys.load(args.keys))
    except ReceiptError as e:
        print(f"KHÔNG HỢP LỆ / INVALID: {e}")
        return 1
    print(f"Biên nhận hợp lệ / receipt valid: {claims['jti']} — {claims['verifier']['name']}")
    print(json.dumps(claims["data"], ensure_ascii=False, indent=2))
    return 0


def register(sub: Any) -> None:
    h = sub.add_parser("holder", help="người học / holders").add_subparsers(dest="holder_command", required=True)
    a = h.add_parser("activation-code", help="cấp mã kích hoạt cho học sinh / issue an activation code")
    a.add_argument("student_id")
    a.add_argument("username")
    a.add_argument("--issued-by", default="school")
    a.add_argument("--database-url")
    a.set_defaults(func=cmd_activation)
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
    v.add_argument("file", help="the JWS, or the JSON answer that holds it")
    v.add_argument("--keys", required=True, help="sogoc-receipt-keys.json (JWK Set)")
    v.set_defaults(func=cmd_receipt_verify)
