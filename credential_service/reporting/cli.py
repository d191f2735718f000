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
