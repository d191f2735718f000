"""`sogoc staff …`: the table of route policies (generated from the app), and binding an SSO identity to an
account. Accounts and roles themselves go through the API with four eyes."""

from __future__ import annotations

import argparse
from typing import Any


def _container(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    c = build(Settings(**overrides))
    c.migrate()
    return c


def policy_table(app: Any) -> str:
    """Every route with its policy, as a Markdown table (what the issue's closing note lists)."""
    from credential_service.staff.access import route_policies

    rows = ["| method | path | policy | who | scope |", "|---|---|---|---|---|"]
    for route, policies in sorted(route_policies(app), key=lambda rp: (rp[0].path, sorted(rp[0].methods))):
        p = policies[0]
        who = ", ".join(sorted(r.value for r in p.roles)) if p.roles else p.audience.value
        if p.note:
            who += f" — {p.note}"
        scope = "anywhere" if p.anywhere else p.scope.value
        for method in sorted(route.methods - {"HEAD"}):
            rows.append(f"| {method} | `{route.path}` | {p.name} | {who} | {scope} |")
    return "\n".join(rows)


def cmd_policies(args: argparse.Namespace) -> int:
    from credential_service.app.factory import create_app

    print(policy_table(create_app(_container(args))))
    return 0


def cmd_bind_oidc(args: argparse.Namespace) -> int:
    c = _container(args)
    c.staff_auth.bind_oidc(args.username, issuer=args.issuer, subject=args.subject)
    print(f"Đã gắn / bound {args.issuer} {args.subject} → {args.username}")
    return 0


def register(sub: Any) -> None:
    s = sub.add_parser("staff", help="cán bộ: chính sách truy cập, đăng nhập một lần / staff access")
    ss = s.add_subparsers(dest="staff_command", required=True)
    ss.add_parser("policies", help="bảng chính sách của mọi route / every route's policy").set_defaults(
        func=cmd_policies
    )
    b = ss.add_parser("bind-oidc", help="gắn danh tính SSO với tài khoản / bind an SSO identity to an account")
    b.add_argument("username")
    b.add_argument("--issuer", required=True)
    b.add_argument("--subject", required=True)
    b.set_defaults(func=cmd_bind_oidc)
