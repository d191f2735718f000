"""`sogoc admissions …`: check a year's rules, allocate a JSON document, and (development) load rules, import a
workbook and run the allocation on the stored data.

``allocate`` and ``rules`` touch no database: anyone can re-run a published allocation from its input and get
the same bytes. The commands that change stored data are for development; in production they go through the API
with the person's own account (``staff/cli_guard.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from credential_service.platform.errors import InvalidInput, Message, Problem
from credential_service.staff.cli_guard import require_dev


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        message = Message(f"Không đọc được tệp {path}: {e.strerror}", f"Cannot read {path}: {e.strerror}")
        raise InvalidInput(message, problems=[Problem(message, {"file": path})]) from e


def _service(args: argparse.Namespace) -> Any:
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    c = build(Settings(**overrides))
    c.migrate()
    return c.admissions


def _print(data: Any) -> None:
    from credential_service.admissions.result_json import dumps

    sys.stdout.write(dumps(data, indent=2).decode() + "\n")


def cmd_allocate(args: argparse.Namespace) -> int:
    from credential_service.admissions.deferred_acceptance import compared_document
    from credential_service.admissions.service import allocate_document

    document = compared_document if args.compare else allocate_document
    output = document(_read(args.file), source=Path(args.file).name)
    if args.out:
        Path(args.out).write_bytes(output)
        summary = json.loads(output)["summary"]
        print(
            f"Đã ghi / written {args.out}: {summary['admitted']} trúng tuyển / admitted, "
            f"{summary['not_admitted']} không / not admitted",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(output.decode() + "\n")
    return 0


def _from_registry(args: argparse.Namespace) -> bytes:
    """The service's form: residence and date of birth from the population registry (development; production:
    the API, with the officer's own account, so that each child's access-log entry names a person)."""
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    require_dev("admissions residence --from-registry")
    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    c = build(Settings(**overrides))
    c.migrate()
    return bytes(
        c.admissions.allocate_residence(
            _read(args.file), c.residence_registry, actor=args.actor, source=Path(args.file).name
        )
    )


def cmd_residence(args: argparse.Namespace) -> int:
    from credential_service.admissions.service import residence_document

    if getattr(args, "from_registry", False):
        output = _from_registry(args)
    else:
        output = residence_document(_read(args.file), source=Path(args.file).name)
    if args.out:
        Path(args.out).write_bytes(output)
        summary = json.loads(output)["summary"]
        print(
            f"Đã ghi / written {args.out}: {summary['admitted']} trúng tuyển / admitted, "
            f"{summary['for_reassignment']} chuyển UBND xã/phường bố trí / for reassignment by the commune",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(output.decode() + "\n")
    return 0


RESIDENCE_HELP = """\
Tuyển sinh lớp 1 và lớp 6 theo địa bàn cư trú / grades 1 and 6 by residence.
Vào / input: {"seed": "...", "schools": [{"code", "quota", "areas": [...]}],
              "applicants": [{"id", "residence", "wish"}]}
Với / with --from-registry: {"seed", "grade": 1|6, "year", "schools": [...],
              "applicants": [{"id", "personal_id", "wish"}]}
    nơi cư trú và ngày sinh đọc từ CSDL dân cư, không lấy từ tệp; em không có trong CSDL hoặc không đúng độ tuổi
    được chuyển UBND xã/phường / residence and date of birth come from the population registry, never the file; a
    child it does not know, or not of the charter age, is listed for the commune (development only).
Học sinh cư trú trong địa bàn của trường đăng ký được xét; nếu vượt chỉ tiêu thì bốc thăm: xếp theo SHA-256 (hex)
của "seed:id" tăng dần, lấy đủ chỉ tiêu. Những em còn lại do UBND xã/phường bố trí.
Resident applicants of the wished school are admitted; when they exceed the quota, a lottery orders them by the
hex SHA-256 of "seed:id", ascending, and admits the first <quota>. Everyone else is listed for the commune.
Ai cũng kiểm tra lại được / anyone can reproduce a draw:
    printf '%s' "SEED:ID" | sha256sum
(the same bytes in UTF-8; sort the hex strings ascending, as `sort` does with LC_ALL=C)"""


def cmd_rules(args: argparse.Namespace) -> int:
    from credential_service.admissions.year_rules import parse_toml_config

    config = parse_toml_config(_read(args.file).decode("utf-8-sig"), source=Path(args.file).name)
    specialised = [s.code for s in config.schools if s.is_specialised]
    print(
        f"Quy định hợp lệ / rules valid: năm/year {config.year or '—'}, {len(config.schools)} trường/schools "
        f"({len(specialised)} chuyên/specialised), {sum(s.quota for s in config.schools)} chỉ tiêu/places, "
        f"{config.rules.max_wishes} nguyện vọng/wishes"
    )
    return 0


def cmd_load_rules(args: argparse.Namespace) -> int:
    require_dev("admissions load-rules")
    config = _service(args).load_rules(args.year, _read(args.file).decode("utf-8-sig"), actor=args.actor)
    print(f"Đã nạp quy định năm / rules loaded for {args.year}: {len(config.schools)} trường/schools")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    require_dev("admissions import")
    _print(_service(args).import_workbook(args.year, _read(args.file), actor=args.actor, isolated=False))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    require_dev("admissions run")
    _print(_service(args).allocate(args.year, actor=args.actor))
    return 0


def cmd_demo_workbook(args: argparse.Namespace) -> int:
    """A synthetic workbook for the demo year (DEMO ONLY) and the rules file beside it."""
    from importlib.resources import files

    from credential_service.admissions.import_files import write_workbook
    from credential_service.admissions.synthetic import synthetic_records
    from credential_service.admissions.year_rules import parse_toml_config

    text = files("credential_service.admissions").joinpath("demo_2026.toml").read_text(encoding="utf-8")
    config = parse_toml_config(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "tuyen-sinh-2026.toml").write_text(text, encoding="utf-8")
    (out / "tuyen-sinh-2026.xlsx").write_bytes(write_workbook(synthetic_records(config, args.applicants), config))
    print(f"Đã ghi / written {out}/tuyen-sinh-2026.toml, {out}/tuyen-sinh-2026.xlsx ({args.applicants} thí sinh)")
    return 0


def _publisher(args: argparse.Namespace) -> Any:
    from credential_service.admissions.publication import AdmissionsPublisher
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {"database_url": args.database_url} if getattr(args, "database_url", None) else {}
    c = build(Settings(**overrides))
    c.migrate()
    c.start_dev_services()
    return AdmissionsPublisher(c.db, c.admissions, c.any_documents, clock=c.clock)


def _write_pdf(publisher: Any, out: dict[str, Any], directory: str, name: str) -> None:
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(publisher.pdf(out["publication_id"]))
    print(f"Đã ghi / written {path} (sogoc verify {path})", file=sys.stderr)


def cmd_publish(args: argparse.Namespace) -> int:
    """The run's results list, signed by the Sở's seal and ledgered (development; production: the API)."""
    require_dev("admissions publish")
    publisher = _publisher(args)
    out = publisher.publish(args.year, args.run, actor=args.actor, client="cli")
    if args.out:
        _write_pdf(publisher, out, args.out, f"trung-tuyen-lop-10-{args.year}-{args.run[:8]}.pdf")
    _print(out)
    return 0


def _score_pairs(pairs: list[str]) -> dict[str, str | None]:
    scores: dict[str, str | None] = {}
    for pair in pairs:
        subject, sep, value = pair.partition("=")
        if not sep or not subject.strip():
            message = Message(f"Viết MÔN=ĐIỂM (hoặc MÔN= khi vắng thi): {pair!r}", f"Write SUBJECT=SCORE: {pair!r}")
            raise InvalidInput(message, problems=[Problem(message, {"key": "--score"}, pair)])
        scores[subject.strip()] = value.strip() or None
    return scores


def cmd_appeal(args: argparse.Namespace) -> int:
    """An appeal: new scores, a new run and the signed diff of who moved (development; production: the API)."""
    from credential_service.admissions.appeals import AppealService

    require_dev("admissions appeal")
    publisher = _publisher(args)
    out = AppealService(publisher).appeal(
        args.year, run_id=args.run, registration_no=args.sbd, scores=_score_pairs(args.score), reason=args.reason,
        actor=args.actor, client="cli",
    )  # fmt: skip
    if args.out:
        _write_pdf(publisher, out, args.out, f"phuc-khao-{args.year}-{args.sbd}.pdf")
    _print(out)
    return 0


def register(sub: Any) -> None:
    a = sub.add_parser("admissions", help="tuyển sinh lớp 10 / grade-10 admissions")
    asub = a.add_subparsers(dest="admissions_cmd", required=True)
    p = asub.add_parser("allocate", help="xét tuyển một tệp JSON (quy định, trường, thí sinh) / allocate a JSON file")
    p.add_argument("file")
    p.add_argument("--out", help="ghi kết quả vào tệp / write the result to a file")
    p.add_argument(
        "--compare",
        action="store_true",
        help="thêm khóa 'comparison': chấp nhận hoãn (Gale–Shapley), ai thay đổi, ghen tị chính đáng / add the "
        "'comparison' key: deferred acceptance, who would change, justified envy",
    )
    p.set_defaults(func=cmd_allocate)
    p = asub.add_parser(
        "residence",
        help="tuyển sinh lớp 1, 6 theo địa bàn cư trú, bốc thăm có hạt giống / grades 1 and 6 by residence",
        description=RESIDENCE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file")
    p.add_argument("--out", help="ghi kết quả vào tệp / write the result to a file")
    p.add_argument(
        "--from-registry",
        action="store_true",
        help="nơi cư trú, ngày sinh từ CSDL dân cư (phát triển) / residence and birth date from the registry (dev)",
    )
    p.add_argument("--actor", default="cli")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_residence)
    p = asub.add_parser("rules", help="kiểm tra tệp quy định năm (TOML) / check a year's rules file")
    p.add_argument("file")
    p.set_defaults(func=cmd_rules)
    p = asub.add_parser("demo-workbook", help="tệp tuyển sinh mẫu (tổng hợp) / a synthetic demo workbook")
    p.add_argument("out", help="thư mục / directory")
    p.add_argument("--applicants", type=int, default=3000)
    p.set_defaults(func=cmd_demo_workbook)
    p = asub.add_parser(
        "publish", help="công bố danh sách trúng tuyển do Sở ký số (phát triển) / publish the signed results list"
    )
    p.add_argument("year")
    p.add_argument("--run", required=True, help="mã lần xét / run id")
    p.add_argument("--out", help="thư mục ghi PDF đã ký / directory for the signed PDF")
    p.add_argument("--actor", default="cli")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_publish)
    p = asub.add_parser(
        "appeal", help="phúc khảo: sửa điểm, xét lại, công bố thay đổi (phát triển) / an appeal (development)"
    )
    p.add_argument("year")
    p.add_argument("--run", required=True, help="lần xét bị phúc khảo / the run appealed against")
    p.add_argument("--sbd", required=True, help="số báo danh / registration number")
    p.add_argument("--score", action="append", required=True, help="MÔN=ĐIỂM, lặp lại / SUBJECT=SCORE, repeatable")
    p.add_argument("--reason", required=True, help="lý do, số quyết định / why: the appeal decision")
    p.add_argument("--out", help="thư mục ghi PDF đã ký / directory for the signed PDF")
    p.add_argument("--actor", default="cli")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_appeal)
    for name, func, helptext in (
        ("load-rules", cmd_load_rules, "nạp quy định năm (phát triển) / load a year's rules (development)"),
        ("import", cmd_import, "nhập tệp tuyển sinh XLSX (phát triển) / import the workbook (development)"),
        ("run", cmd_run, "xét tuyển trên dữ liệu đã nhập (phát triển) / run the allocation (development)"),
    ):
        p = asub.add_parser(name, help=helptext)
        p.add_argument("--year", required=True)
        if name != "run":
            p.add_argument("file")
        p.add_argument("--actor", default="cli")
        p.add_argument("--database-url")
        p.set_defaults(func=func)
