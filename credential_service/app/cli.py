"""The `sogoc` command. It calls the same services as the HTTP API."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from credential_service.platform.errors import ErrorCategory, SogocError
from credential_service.staff.cli_guard import require_dev
from signing.errors import SigningError
from verifier.errors import VerifierError


def _container(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from credential_service.app.bootstrap import build
    from credential_service.platform.settings import Settings

    overrides = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    return build(Settings(**overrides))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from credential_service.app.demo import seed_demo
    from credential_service.app.factory import serve_app

    c = _container(args)
    c.migrate()
    c.start_dev_services()
    if args.demo:
        seeded = seed_demo(c.transcripts)
        print("Dữ liệu demo đã được tạo / demo data loaded" if seeded else "Dữ liệu demo đã có sẵn / demo data present")
    base = f"http://{args.host}:{args.port}"
    print(f"Sổ Gốc Số đang chạy / running: {base}/  (trang trường / school page)")
    print(f"  API (OpenAPI): {base}/docs")
    print(f"  Cơ sở dữ liệu / database: {c.settings.database_url}")
    if args.demo:
        from credential_service.app.demo_accounts import accounts_text

        print(accounts_text(base))
    uvicorn.run(serve_app(c), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    c = _container(args)
    c.migrate()
    print(f"Đã cập nhật lược đồ / schema at head: {c.settings.database_url}")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from credential_service.app.demo import seed_demo

    c = _container(args)
    c.migrate()
    print(
        "Đã tạo dữ liệu demo / demo data loaded" if seed_demo(c.transcripts) else "Dữ liệu demo đã có / already there"
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    require_dev("demo")
    from credential_service.app.bootstrap import build
    from credential_service.app.demo import class_id, seed_demo, staff_id
    from credential_service.app.demo_holders import prepare_holder_demo
    from credential_service.platform.settings import Settings
    from credential_service.transcripts.workflow import Step
    from verifier.bundle import bundle_path_for

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "sogoc-demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    c = build(Settings(database_url=f"sqlite:///{db_path}"))
    c.migrate()
    c.start_dev_services()
    seed_demo(c.transcripts)
    cid = class_id(args.klass)
    svc = c.transcripts
    svc.lock_class(cid)
    klass_label = args.klass.lower()
    svc.sign_class(cid, Step.GVCN, staff_id=staff_id(f"gvcn-{klass_label}"))
    svc.sign_class(cid, Step.PRINCIPAL, staff_id=staff_id("principal"))
    svc.sign_class(cid, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    overview = svc.class_overview(cid)
    written = 0
    for s in overview["students"]:
        t = svc.transcript(s["transcript_id"])
        pdf_path = out / f"hocba-{args.klass}-{s['student_code']}.pdf"
        pdf_path.write_bytes(t.pdf)
        # the offline evidence beside it: `sogoc verify FILE.pdf` on any machine picks it up
        bundle_path_for(pdf_path).write_text(c.verification.bundle(s["transcript_id"]).to_json(), encoding="utf-8")
        written += 1
    # the issuer's signed trust list (log keys, allow-listed issuers), for `sogoc-verify --trust-list`
    (out / "sogoc-trust-list.txt").write_text(c.key_rotation.signed_trust_list(), encoding="utf-8")
    print(f"Đã phát hành {written} học bạ số vào / issued {written} transcripts into {out}")
    print(f"  Xem bằng / browse with: SOGOC_DATABASE_URL=sqlite:///{db_path} sogoc serve")
    prepare_holder_demo(c, out, args.klass)
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    """Write a credential's verification bundle (inclusion proof, signed checkpoint, status as of now)."""
    c = _container(args)
    c.migrate()
    bundle = c.verification.bundle(args.credential_id)
    Path(args.out).write_text(bundle.to_json(), encoding="utf-8")
    print(
        f"Đã ghi gói xác minh / bundle written: {args.out} (mục / entry {bundle.index}, "
        f"cây cỡ / tree size {bundle.tree_size}, trạng thái / status {bundle.status.get('status')})"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify a PDF; for our own credentials also check the register, the ledger and the status.

    A PDF without an embedded Sổ Gốc Số record is checked like any signed PDF (``sogoc-verify``).
    """
    from verifier import cli as verify_cli

    try:
        data = Path(args.file).read_bytes()
    except OSError:
        return verify_cli.run(args)  # it reports the unreadable file
    from credential_service.verification.uploads import embedded_records

    try:
        ours = bool(embedded_records(data))
    except Exception:
        ours = False
    if not ours:
        return verify_cli.run(args)
    from verifier.bundle import Bundle, bundle_path_for

    # The ledger evidence: the bundle given, else the one beside the file, else this machine's register.
    bundle_path = Path(args.bundle) if args.bundle else bundle_path_for(args.file)
    bundle = Bundle.load(bundle_path) if args.bundle or bundle_path.is_file() else None
    c = _container(args)
    c.migrate()
    # No bundle and the credential not in this register: ask the issuer's public ledger (allow-listed).
    from credential_service.verification.issuer_lookup import IssuerEvidence, ask_issuer, note_issuer_answer

    asked = IssuerEvidence("local")
    if bundle is None and not args.offline:
        asked = ask_issuer(c.verification, c.key_rotation.signed_trust_list(), data, args.issuer)
        bundle = asked.bundle
    # This register is not the issuer's as far as we know: absent here is INDETERMINATE, not NOT_IN_LEDGER,
    # unless the issuer itself answered that it has no entry.
    result = c.verification.verify_pdf(data, bundle=bundle, issuer_register=asked.outcome == "absent")
    result = note_issuer_answer(result, asked, c.clock.now().isoformat())
    body = result.to_dict()
    if bundle is not None and asked.outcome == "local" and body.get("ledger_source"):
        body["ledger_source"]["path"] = str(bundle_path)
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(f"{result.message.vi}\n{result.message.en}")
        print(f"  Kết quả / result: {result.indication} {result.sub_indication or ''}".rstrip())
        source = result.ledger_source
        if source and source["source"] == "issuer":
            print(
                f"  Nguồn sổ cái / ledger source: sổ cái công khai của đơn vị cấp / the issuer's public ledger"
                f" {source.get('url')} ({source.get('outcome')}; kiểm tra lúc / checked at {source['checked_at']})"
            )
        elif source and source["source"] == "bundle":
            print(
                f"  Nguồn sổ cái / ledger source: gói xác minh / bundle {bundle_path}"
                f" (trạng thái tính đến / status as of {source.get('status_as_of')}; kiểm tra lúc / checked at"
                f" {source['checked_at']})"
            )
        elif source:
            print(
                f"  Nguồn sổ cái / ledger source: sổ gốc tại máy này / this machine's register ({source['checked_at']})"
            )
        for check in body["checks"]:
            print(f"  - {check['name']}: {check['indication']} {check.get('sub_indication') or ''}".rstrip())
        if body.get("credential"):
            cred = body["credential"]
            print(f"  Học bạ / credential {cred.get('id')}: {cred.get('status')}")
        from verifier.book_years import book_year_lines  # a book's every year (issue #14)

        for line in book_year_lines(body.get("years") or []):
            print(line)
    return {"PASSED": 0, "FAILED": 1}.get(result.indication, 2)


def cmd_rules_explain(args: argparse.Namespace) -> int:
    from credential_service.platform.errors import InvalidInput, Message
    from credential_service.transcripts.rules_explain import explain_year

    raw = sys.stdin.read() if args.file == "-" else _read_text(Path(args.file))
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(
            Message(
                f"Tệp {args.file} không phải JSON hợp lệ (dòng {e.lineno}, cột {e.colno}): {e.msg}.",
                f"{args.file} is not valid JSON (line {e.lineno}, column {e.colno}): {e.msg}.",
            )
        ) from e
    print(json.dumps(explain_year(data), ensure_ascii=False, indent=2))
    return 0


def _read_bytes(path: Path) -> bytes:
    from credential_service.platform.errors import InvalidInput, Message

    try:
        return path.read_bytes()
    except OSError as e:
        raise InvalidInput(
            Message(
                f"Không đọc được tệp {path}: {e.strerror or e}. Kiểm tra đường dẫn và quyền đọc.",
                f"Cannot read {path}: {e.strerror or e}. Check the path and permissions.",
            )
        ) from e


def _read_text(path: Path) -> str:
    from credential_service.platform.errors import InvalidInput, Message

    data = _read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput(
            Message(
                f"Tệp {path} không phải UTF-8 (byte thứ {e.start}); hãy lưu lại với mã hóa UTF-8.",
                f"{path} is not UTF-8 (byte {e.start}); save it again as UTF-8.",
            )
        ) from e


def _find_class(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    c = _container(args)
    c.migrate()
    return c, c.transcripts.find_class(args.school, args.klass, args.year)


def cmd_class_import(args: argparse.Namespace) -> int:
    from credential_service.transcripts import imports

    c, klass = _find_class(args)
    files = [Path(f) for f in args.files]
    if len(files) == 1 and files[0].suffix.lower() == ".xlsx":
        report = imports.import_xlsx(c.transcripts, klass.id, _read_bytes(files[0]), files[0].name)
    elif len(files) == 2:
        report = imports.import_csv(
            c.transcripts, klass.id, _read_bytes(files[0]), _read_bytes(files[1]), names=(files[0].name, files[1].name)
        )
    else:
        from credential_service.platform.errors import InvalidInput, Message

        raise InvalidInput(
            Message(
                "Cần một tệp .xlsx hoặc hai tệp CSV (HocSinh.csv Diem.csv).",
                "Give one .xlsx file or two CSV files (roster, results).",
            )
        )
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return 0


def cmd_class_create(args: argparse.Namespace) -> int:
    from credential_service.transcripts.class_setup import create_class

    c = _container(args)
    c.migrate()
    class_id = create_class(c.db, school_code=args.school, name=args.klass, school_year=args.year,
                            grade=args.grade, programme=args.programme)  # fmt: skip
    print(json.dumps({"class_id": class_id, "programme": args.programme.upper()}, ensure_ascii=False))
    return 0


def cmd_class_show(args: argparse.Namespace) -> int:
    c, klass = _find_class(args)
    print(json.dumps(c.transcripts.class_overview(klass.id), ensure_ascii=False, indent=2))
    return 0


def cmd_class_lock(args: argparse.Namespace) -> int:
    c, klass = _find_class(args)
    print(json.dumps(c.transcripts.lock_class(klass.id).__dict__, ensure_ascii=False))
    return 0


def cmd_class_sign(args: argparse.Namespace) -> int:
    require_dev("class sign")
    from credential_service.transcripts.workflow import Step

    c, klass = _find_class(args)
    c.start_dev_services()
    report = c.transcripts.sign_class(klass.id, Step(args.step), staff_id=args.staff)
    print(json.dumps(report.__dict__, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sogoc", description="Sổ Gốc Số — học bạ số / digital transcripts")
    p.add_argument("--database-url", help="ghi đè SOGOC_DATABASE_URL / override the database URL")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="chạy dịch vụ / run the service")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--demo", action="store_true", help="nạp dữ liệu demo / load demo data")
    s.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="cập nhật lược đồ CSDL / migrate the database").set_defaults(func=cmd_migrate)
    sub.add_parser("seed-demo", help="nạp dữ liệu demo / load demo data").set_defaults(func=cmd_seed_demo)

    d = sub.add_parser("demo", help="phát hành học bạ demo ra thư mục / issue demo transcripts into DIR")
    d.add_argument("--out", required=True)
    d.add_argument("--class", dest="klass", default="10A1", choices=["10A1", "10A2"])
    d.set_defaults(func=cmd_demo)

    r = sub.add_parser("rules", help="quy chế đánh giá / grading rules")
    rsub = r.add_subparsers(dest="rules_command", required=True)
    e = rsub.add_parser("explain", help="giải thích kết quả năm học của một học sinh (JSON) / explain a year")
    e.add_argument("file", help="tệp JSON hoặc - / JSON file or -")
    e.set_defaults(func=cmd_rules_explain)

    k = sub.add_parser("class", help="thao tác theo lớp / class-level commands")
    ksub = k.add_subparsers(dest="class_command", required=True)

    def class_cmd(name: str, helptext: str, func) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
        q = ksub.add_parser(name, help=helptext)
        q.add_argument("--school", default="THPT-DEMO")
        q.add_argument("--class", dest="klass", required=True)
        q.add_argument("--year", default="2025-2026")
        q.set_defaults(func=func)
        return q

    class_cmd("import", "nhập điểm XLSX/CSV / import results", cmd_class_import).add_argument("files", nargs="+")
    cr = class_cmd("create", "mở lớp cho năm học / open a class for a school year", cmd_class_create)
    cr.add_argument("--grade", type=int, required=True, help="khối 1–12 / grade 1–12")
    cr.add_argument("--programme", default="GDPT", help="GDPT hoặc GDTX (lớp 10–12) / GDPT or GDTX (grades 10–12)")
    class_cmd("show", "xem lớp / review a class", cmd_class_show)
    class_cmd("lock", "khóa sổ và tạo học bạ / lock and render", cmd_class_lock)
    sg = class_cmd("sign", "ký một bước / sign one step", cmd_class_sign)
    sg.add_argument("--step", required=True, choices=["gvcn", "principal", "seal"])
    sg.add_argument("--staff", required=True, help="mã người ký / signer's staff id")

    from verifier import cli as verify_cli  # same command as `sogoc-verify` (verifier.cli.main)

    v = sub.add_parser("verify", help="kiểm tra chữ ký số của một tệp PDF / verify a signed PDF")
    verify_cli.add_arguments(v).set_defaults(func=cmd_verify)  # --bundle, --issuer … included
    b = sub.add_parser("bundle", help="xuất gói xác minh ngoại tuyến / write a credential's verification bundle")
    b.add_argument("credential_id")
    b.add_argument("--out", required=True, help="tệp JSON / the JSON file")
    b.set_defaults(func=cmd_bundle)
    from credential_service.ledger.cli import register as register_ledger

    register_ledger(sub)
    from credential_service.holders.cli import register as register_holders  # holder, employer, receipt

    register_holders(sub)
    from credential_service.signers.cli import register as register_keys

    register_keys(sub)
    from credential_service.diplomas.cli import register as register_diplomas

    register_diplomas(sub)
    from credential_service.staff.cli import register as register_staff

    register_staff(sub)
    from credential_service.admissions.cli import register as register_admissions

    register_admissions(sub)
    from credential_service.reporting.cli import register as register_progress

    register_progress(sub)
    from credential_service.app.cli_jobs import register as register_jobs

    register_jobs(sub)

    # every argument after "sign-agent" (options included) goes to signing.agent.main
    a = sub.add_parser("sign-agent", add_help=False, prefix_chars="\0", help="dịch vụ ký / external-signing agent")
    a.add_argument("agent_args", nargs=argparse.REMAINDER)
    a.set_defaults(func=lambda args: __import__("signing.agent", fromlist=["main"]).main(args.agent_args))
    return p


# The one place where error categories become exit codes (sub-commands raise, they do not map).
# Every category exits 2 today, as before categories existed; 1 stays "checked, and the answer is
# no" (a proof that does not verify, a diploma that does not match), returned by the sub-command.
EXIT_CODES: dict[ErrorCategory, int] = {
    ErrorCategory.INVALID_INPUT: 2,
    ErrorCategory.NOT_FOUND: 2,
    ErrorCategory.CONFLICT: 2,
    ErrorCategory.REFUSED: 2,
    ErrorCategory.UNAUTHENTICATED: 2,
    ErrorCategory.GONE: 2,
    ErrorCategory.TOO_LARGE: 2,
    ErrorCategory.RATE_LIMITED: 2,
    ErrorCategory.UNAVAILABLE: 2,
    ErrorCategory.INTERNAL: 2,
}


def exit_code(exc: SogocError) -> int:
    """The exit code of the `sogoc` command for an error, from its category."""
    return EXIT_CODES[exc.category]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        try:
            code: int = args.func(args)
            return code
        except (SigningError, VerifierError) as e:
            from credential_service.platform.library_errors import from_library_error

            raise from_library_error(e) from e
        except SQLAlchemyError as e:  # busy, read-only, disk full, server down: say what to do
            from credential_service.platform.db_errors import from_database_error

            translated = from_database_error(e)
            if translated is None:
                raise
            raise translated from e
    except SogocError as e:
        print(f"Lỗi / Error: {e}", file=sys.stderr)
        return exit_code(e)


if __name__ == "__main__":
    raise SystemExit(main())
