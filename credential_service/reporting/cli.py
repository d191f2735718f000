"""`sogoc progress`: the Sở's progress tables from the command line — the same suppressed aggregates as
``GET /api/v1/progress`` for the whole city (JSON, or one table as CSV)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from credential_service.reporting.rules import TABLES, Filters, Level


def _container(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    c = build(Settings(**overrides))
    c.migrate()
    return c


def cmd_progress(args: argparse.Namespace) -> int:
    c = _container(args)
    f = Filters(Level(args.level) if args.level else None, args.commune, args.year)
    if args.school:
        data = c.reporting.school(args.school, f, None)
        sys.stdout.write(c.reporting.school_classes_csv(args.school, f, None) if args.csv else _json(data))
    elif args.csv:
        sys.stdout.write(c.reporting.table_csv(args.csv, f, None))
    else:
        sys.stdout.write(_json(c.reporting.progress(f, None)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """``sogoc progress report --month 2026-11 --out DIR``: the workbook and the PDF sealed by the Sở."""
    from pathlib import Path

    c = _container(args)
    c.start_dev_services()
    if args.dev_so_seal:
        _dev_so_seal(c)
    report = c.city_reports.make(args.month, school_year=args.year, client="cli")
    paths = report.write(Path(args.out))
    sys.stdout.write(_json({**report.summary(), "written": [str(p) for p in paths]}))
    return 0


def cmd_summaries(args: argparse.Namespace) -> int:
    """``sogoc progress summaries [--rebuild]``: compare the kept summaries with a fresh count of the register
    (exit 1 when they differ), or count them again from scratch."""
    c = _container(args)
    if args.rebuild:
        sys.stdout.write(_json({"classes_counted": c.reporting.rebuild_summaries()}))
        return 0
    diff = c.reporting.summary_differences()
    out = {"agree": not diff, "count": len(diff), "differences": diff[:100]}
    sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")  # times as text
    return 0 if not diff else 1


def cmd_reconcile(args: argparse.Namespace) -> int:
    """``sogoc progress reconcile``: every issued transcript and diploma recorded exactly once in the ledger
    (exit 1 when they disagree)."""
    from credential_service.reporting.ledger_reconciliation import reconcile_with_ledger

    c = _container(args)
    out = reconcile_with_ledger(c.transcripts, c.diplomas, c.ledger)
    sys.stdout.write(_json(out))
    return 0 if out["agree"] else 1


def _dev_so_seal(c: Any) -> None:
    """Dev/test only: give the Sở an organisation seal (a dev CA certificate, role «seal» at no school) if it
    has none, so the report can be sealed on a demo database. Production imports the Sở's real certificate."""
    from credential_service.documents.so_seal import so_seal_in_force
    from credential_service.platform.errors import ConfigurationError, Message, NotFound

    if not c.settings.is_dev:
        raise ConfigurationError(Message("--dev-so-seal chỉ dùng khi phát triển.", "--dev-so-seal is for dev only."))
    try:
        so_seal_in_force(c.any_documents, c.clock.today())
        return
    except NotFound:
        pass
    name = "Sở Giáo dục và Đào tạo Hải Phòng"
    seal = c.signers.add_staff(name, kind="seal")
    c.signers.issue(seal, organization=name)
    c.signers.assign(seal, "seal", school_id=None, valid_from=c.clock.today())


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def register(sub: Any) -> None:
    p = sub.add_parser("progress", help="tiến độ học bạ số, văn bằng, chất lượng dữ liệu / roll-out progress")
    p.add_argument("--level", choices=[lv.value for lv in Level], help="cấp học / level")
    p.add_argument("--commune", help="xã/phường / commune or ward")
    p.add_argument("--year", help="năm học / school year, e.g. 2025-2026")
    p.add_argument("--school", help="mã trường: các lớp của một trường / one school's classes")
    p.add_argument("--csv", nargs="?", const="classes", choices=[*TABLES, "classes"], help="một bảng dạng CSV")
    p.set_defaults(func=cmd_progress)
    ps = p.add_subparsers(dest="progress_command")
    r = ps.add_parser("report", help="báo cáo gửi Thành phố: XLSX và PDF có dấu của Sở / the report to the city")
    r.add_argument("--month", help="tháng NNNN-TT (mặc định: tháng này) / the month YYYY-MM (default: now)")
    r.add_argument("--year", help="năm học (mặc định: của tháng) / school year (default: the month's)")
    r.add_argument("--out", required=True, help="thư mục ghi hai tệp / the folder for the two files")
    r.add_argument(
        "--dev-so-seal", action="store_true", help="(dev) tạo dấu của Sở bằng CA thử nghiệm nếu chưa có / dev CA seal"
    )
    r.set_defaults(func=cmd_report)
    q = ps.add_parser("reconcile", help="đối chiếu sổ gốc với sổ cái / the register against the ledger")
    q.add_argument("--database-url")
    q.set_defaults(func=cmd_reconcile)
    m = ps.add_parser("summaries", help="đối chiếu bảng tổng hợp với sổ / check the summaries against the register")
    m.add_argument("--rebuild", action="store_true", help="đếm lại từ đầu / count every class again from scratch")
    m.set_defaults(func=cmd_summaries)
