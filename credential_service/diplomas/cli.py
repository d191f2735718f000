"""`sogoc diplomas …`: issue from a graduation decision, correct, revoke, import a paper register book,
reconcile, and the public check. Output is JSON; errors are printed bilingually by ``cli.main`` (exit 2)."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from credential_service.platform.errors import InvalidInput
from credential_service.staff.cli_guard import require_dev


def _container(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    c = build(Settings(**overrides))
    c.migrate()
    return c


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def cmd_issue(args: argparse.Namespace) -> int:
    require_dev("diplomas issue")

    c = _container(args)
    c.start_dev_services()
    svc = c.diplomas
    decision_id = args.decision
    if args.graduates:
        graduates = json.loads(Path(args.graduates).read_text(encoding="utf-8"))
        decision_id = svc.record_graduation_decision(
            school_code=args.school, decision_no=args.decision_no, decision_date=date.fromisoformat(args.decision_date),
            graduation_year=args.year if args.year is not None else c.clock.today().year,
            signer_name=args.signer_name, graduates=graduates,
        )  # fmt: skip
    if not decision_id:
        raise InvalidInput(_msg("Cần --decision hoặc --graduates.", "Give --decision or --graduates."))
    _print(svc.issue_from_decision(decision_id, issuer_staff_id=args.issuer, seal_staff_id=args.seal).to_dict())
    return 0


def _msg(vi: str, en: str) -> Any:
    from credential_service.platform.errors import Message

    return Message(vi, en)


def cmd_correct(args: argparse.Namespace) -> int:
    require_dev("diplomas correct")
    from credential_service.diplomas.rules import CorrectionRequest

    c = _container(args)
    c.start_dev_services()
    req = CorrectionRequest(
        decision_no=args.decision_no, decision_date=date.fromisoformat(args.decision_date), signer=args.signer,
        ground=args.ground, field=args.field, old_value=args.old, new_value=args.new, evidence=tuple(args.evidence),
    )  # fmt: skip
    _print(c.diplomas.correct(args.diploma, req, actor=args.actor, issuer_staff_id=args.issuer,
                                    seal_staff_id=args.seal))  # fmt: skip
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    require_dev("diplomas revoke")

    c = _container(args)
    _print(c.diplomas.revoke(
        args.diploma, kind=args.kind, ground=args.ground, decision_no=args.decision_no,
        decision_date=date.fromisoformat(args.decision_date), signer=args.signer, reason=args.reason, actor=args.actor,
    ))  # fmt: skip
    return 0


def cmd_import_register(args: argparse.Namespace) -> int:
    require_dev("diplomas import-register")
    from credential_service.diplomas.register_book import BookInfo
    from credential_service.diplomas.register_demo import demo_register_rows, make_messy, register_xlsx
    from credential_service.diplomas.register_validation import format_report
    from credential_service.diplomas.rules import DiplomaType, IssuerRole

    c = _container(args)
    if args.demo_messy or args.demo_clean:
        rows = demo_register_rows(args.demo_rows)
        if args.demo_messy:
            rows = make_messy(rows)
        Path(args.file).write_bytes(register_xlsx(rows))
    book = BookInfo(args.book, args.issuer_key, args.issuer_name, DiplomaType(args.type),
                    issuer_role=IssuerRole(args.issuer_role))  # fmt: skip
    data = Path(args.file).read_bytes()
    try:
        report = c.register_importer.import_file(data, Path(args.file).name, book, actor=args.actor)
    except InvalidInput as err:
        print(format_report(err))
        return 1
    _print(report.to_dict())
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    require_dev("diplomas reconcile")

    imp = _container(args).register_importer
    if not args.item:
        _print(imp.queue())
        return 0
    _print(imp.resolve(args.item, decision="accept" if args.accept else "reject", clerk=args.clerk, note=args.note))
    return 0


def cmd_check(args: argparse.Namespace) -> int:

    out = _container(args).diplomas.public_check(
        number=args.number, full_name=args.name, date_of_birth=args.dob, client="cli"
    )
    _print(out)
    return 0 if out["match"] else 1


def register(sub: Any) -> None:
    d = sub.add_parser("diplomas", help="văn bằng và sổ gốc / diplomas and the master register")
    ds = d.add_subparsers(dest="diplomas_command", required=True)

    i = ds.add_parser("issue", help="cấp văn bằng số theo quyết định công nhận tốt nghiệp / issue from a decision")
    i.add_argument("--decision", help="mã quyết định đã ghi / recorded decision id")
    i.add_argument("--graduates", help="JSON danh sách tốt nghiệp (ghi quyết định mới) / graduates JSON (new decision)")
    i.add_argument("--school", default="THPT-DEMO")
    i.add_argument("--decision-no")
    i.add_argument("--decision-date")
    i.add_argument("--year", type=int, default=None, help="graduation year (default: this year, by the clock)")
    i.add_argument("--signer-name", default="")
    i.add_argument("--issuer", required=True, help="staff id của hiệu trưởng / principal's staff id")
    i.add_argument("--seal", required=True, help="staff id của dấu / seal's staff id")
    i.set_defaults(func=cmd_issue)

    k = ds.add_parser("correct", help="chỉnh sửa theo quyết định (4 căn cứ) / correct by decision")
    k.add_argument("diploma")
    for name in ("--decision-no", "--decision-date", "--signer", "--ground", "--field", "--old", "--new", "--actor"):
        k.add_argument(name, required=True)
    k.add_argument("--evidence", action="append", default=[])
    k.add_argument("--issuer")
    k.add_argument("--seal")
    k.set_defaults(func=cmd_correct)

    r = ds.add_parser("revoke", help="thu hồi/hủy bỏ (6 căn cứ) / revoke or cancel")
    r.add_argument("diploma")
    r.add_argument("--kind", choices=["revoke", "cancel"], default="revoke")
    for name in ("--ground", "--decision-no", "--decision-date", "--signer", "--reason", "--actor"):
        r.add_argument(name, required=True)
    r.set_defaults(func=cmd_revoke)

    m = ds.add_parser("import-register", help="nhập một sổ gốc giấy (XLSX/CSV) / import a paper register book")
    m.add_argument("file")
    m.add_argument("--book", required=True)
    m.add_argument("--issuer-key", default="SO-GDDT-HP")
    m.add_argument("--issuer-name", default="Sở Giáo dục và Đào tạo Hải Phòng")
    m.add_argument("--issuer-role", default="so_director", choices=["so_director", "phong_head", "principal"])
    m.add_argument("--type", default="THPT", choices=["THPT", "THCS"])
    m.add_argument("--actor", default="clerk")
    m.add_argument("--demo-messy", action="store_true", help="ghi sổ demo có lỗi vào FILE trước / write a messy demo")
    m.add_argument("--demo-clean", action="store_true", help="ghi sổ demo sạch vào FILE trước / write a clean demo")
    m.add_argument("--demo-rows", type=int, default=30)
    m.set_defaults(func=cmd_import_register)

    q = ds.add_parser("reconcile", help="hàng đợi đối soát; giải quyết một mục / queue; resolve an item")
    q.add_argument("item", nargs="?")
    g = q.add_mutually_exclusive_group()
    g.add_argument("--accept", action="store_true")
    g.add_argument("--reject", action="store_true")
    q.add_argument("--clerk", default="clerk")
    q.add_argument("--note", default="")
    q.set_defaults(func=cmd_reconcile)

    ch = ds.add_parser("check", help="tra cứu văn bằng giấy / public check")
    ch.add_argument("number", help="số hiệu hoặc số vào sổ / serial or register number")
    ch.add_argument("--name", required=True)
    ch.add_argument("--dob", required=True)
    ch.set_defaults(func=cmd_check)
