"""`sogoc keys …` (signer certificates, dev CA lifecycle, service keys, compromise), `sogoc signers …`
(role assignments) and `sogoc document sign` (any PDF).

Output is JSON on stdout; errors are printed in Vietnamese and English by ``credential_service.app.cli.main``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

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


def _registry(args: argparse.Namespace) -> Any:

    c = _container(args)
    return c.signers


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _out(data: Any) -> int:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    return 0


def cmd_issue(args: argparse.Namespace) -> int:
    require_dev("keys issue")
    return _out(_registry(args).issue(args.staff, at=_time(args.at), valid_days=args.days, unit=args.unit))


def cmd_renew(args: argparse.Namespace) -> int:
    require_dev("keys renew")
    return _out(_registry(args).renew(args.staff, at=_time(args.at), valid_days=args.days))


def cmd_revoke(args: argparse.Namespace) -> int:
    require_dev("keys revoke")
    return _out(_registry(args).revoke(args.certificate, at=_time(args.at), reason=args.reason))


def cmd_import(args: argparse.Namespace) -> int:
    require_dev("keys import")
    return _out(_registry(args).import_certificate(args.staff, Path(args.pem).read_bytes(), args.key_label))


def cmd_list(args: argparse.Namespace) -> int:
    return _out(_registry(args).certificates(args.staff))


def cmd_rotate(args: argparse.Namespace) -> int:

    c = _container(args)
    svc = c.key_rotation
    return _out(svc.rotate_qr(at=_time(args.at)) if args.which == "qr" else svc.rotate_log(at=_time(args.at)))


def cmd_trust_list(args: argparse.Namespace) -> int:

    c = _container(args)
    print(c.key_rotation.signed_trust_list(), end="")
    return 0


def _compromise(args: argparse.Namespace) -> Any:

    c = _container(args)
    c.start_dev_services()
    return c.compromise


def cmd_compromise(args: argparse.Namespace) -> int:
    require_dev("keys compromise")
    svc = _compromise(args)
    at = _time(args.since)
    assert at is not None
    view = svc.declare(args.certificate, compromised_at=at, declared_by=args.by, reason=args.reason)
    if args.reseal:
        view = svc.reseal(view["compromise_id"], client="cli", actor=args.by)
    return _out(view)


def cmd_reseal(args: argparse.Namespace) -> int:
    require_dev("keys reseal")
    return _out(_compromise(args).reseal(args.compromise_id, client="cli"))


def cmd_assign(args: argparse.Namespace) -> int:
    require_dev("signers assign")
    reg = _registry(args)
    return _out(
        reg.assign(
            args.staff,
            args.role,
            school_id=args.school_id,
            class_id=args.class_id,
            valid_from=date.fromisoformat(args.valid_from),
            valid_to=date.fromisoformat(args.valid_to) if args.valid_to else None,
        )
    )


def cmd_transfer(args: argparse.Namespace) -> int:
    require_dev("signers transfer")
    return _out(
        _registry(args).transfer(
            args.assignment,
            on=date.fromisoformat(args.on),
            school_id=args.school_id,
            class_id=args.class_id,
            staff_id=args.to_staff,
        )
    )


def cmd_retire(args: argparse.Namespace) -> int:
    require_dev("signers retire")
    return _out(_registry(args).retire(args.staff, on=date.fromisoformat(args.on)))


def cmd_show(args: argparse.Namespace) -> int:
    return _out(_registry(args).signer(args.staff))


def cmd_audit(args: argparse.Namespace) -> int:
    return _out(_registry(args).audit_trail(document_id=args.document, staff_id=args.staff, limit=args.limit))


def cmd_document_sign(args: argparse.Namespace) -> int:
    require_dev("document sign")

    c = _container(args)
    c.start_dev_services()
    path = Path(args.file)
    view = c.any_documents.sign_upload(
        path.read_bytes(),
        title=args.title,
        kind=args.kind,
        staff_id=args.staff,
        school_code=args.school,
        filename=path.name,
        client="cli",
    )
    if args.out:
        Path(args.out).write_bytes(c.any_documents.revision_row(view["document_id"]).pdf)
    return _out(view)


def register(sub: Any) -> None:
    """Add ``keys``, ``signers`` and ``document`` to the ``sogoc`` parser's subcommands."""
    k = sub.add_parser("keys", help="chứng thư người ký, CA thử nghiệm, khóa dịch vụ / signer keys")
    ks = k.add_subparsers(dest="keys_command", required=True)

    p = ks.add_parser("issue", help="CA thử nghiệm cấp chứng thư mới / dev CA: issue a key and certificate")
    p.add_argument("--staff", required=True)
    p.add_argument("--days", type=int, default=3 * 365)
    p.add_argument("--unit", help="đơn vị (OU) / organisational unit")
    p.add_argument("--at", help="ISO time (default now)")
    p.set_defaults(func=cmd_issue)

    p = ks.add_parser("renew", help="gia hạn: khóa và chứng thư mới / renew with a new key")
    p.add_argument("--staff", required=True)
    p.add_argument("--days", type=int, default=3 * 365)
    p.add_argument("--at")
    p.set_defaults(func=cmd_renew)

    p = ks.add_parser("revoke", help="thu hồi chứng thư / revoke a certificate (OCSP/CRL at once in dev)")
    p.add_argument("certificate", help="certificate id, SHA-256 or serial (hex)")
    p.add_argument("--reason", default="unspecified")
    p.add_argument("--at")
    p.set_defaults(func=cmd_revoke)

    p = ks.add_parser("import", help="nhập chứng thư PEM/DER / import a certificate")
    p.add_argument("--staff", required=True)
    p.add_argument("--key-label", required=True, help="pkcs11:<token>/<label> (or a dev key file label)")
    p.add_argument("pem")
    p.set_defaults(func=cmd_import)

    p = ks.add_parser("list", help="danh sách chứng thư / list certificates")
    p.add_argument("--staff")
    p.set_defaults(func=cmd_list)

    p = ks.add_parser("rotate", help="xoay vòng khóa dịch vụ / rotate a service key")
    p.add_argument("which", choices=["qr", "log"])
    p.add_argument("--at")
    p.set_defaults(func=cmd_rotate)

    ks.add_parser("trust-list", help="danh sách tin cậy đã ký / the signed trust list").set_defaults(
        func=cmd_trust_list
    )

    p = ks.add_parser("compromise", help="khai báo khóa bị lộ / declare a key compromised")
    p.add_argument("certificate")
    p.add_argument("--since", required=True, help="ISO time from which the key is compromised")
    p.add_argument("--by", required=True, help="người khai báo / who declares it")
    p.add_argument("--reason")
    p.add_argument("--reseal", action="store_true", help="ký lại ngay bằng khóa mới / re-seal at once")
    p.set_defaults(func=cmd_compromise)

    p = ks.add_parser("reseal", help="ký lại tài liệu bị ảnh hưởng / re-seal affected documents")
    p.add_argument("compromise_id")
    p.set_defaults(func=cmd_reseal)

    s = sub.add_parser("signers", help="danh mục người ký, phân công / signer registry and assignments")
    ss = s.add_subparsers(dest="signers_command", required=True)
    p = ss.add_parser("show")
    p.add_argument("staff")
    p.set_defaults(func=cmd_show)
    p = ss.add_parser("assign", help="phân công / assign a role")
    p.add_argument("--staff", required=True)
    p.add_argument("--role", required=True, choices=["gvcn", "principal", "seal"])
    p.add_argument("--school-id", required=True)
    p.add_argument("--class-id")
    p.add_argument("--from", dest="valid_from", required=True)
    p.add_argument("--to", dest="valid_to")
    p.set_defaults(func=cmd_assign)
    p = ss.add_parser("transfer", help="điều chuyển từ ngày / transfer from a date")
    p.add_argument("assignment")
    p.add_argument("--on", required=True)
    p.add_argument("--school-id")
    p.add_argument("--class-id")
    p.add_argument("--to-staff")
    p.set_defaults(func=cmd_transfer)
    p = ss.add_parser("retire", help="nghỉ hưu/thôi việc từ ngày / retire from a date")
    p.add_argument("staff")
    p.add_argument("--on", required=True)
    p.set_defaults(func=cmd_retire)
    p = ss.add_parser("audit", help="nhật ký ký số / signing audit trail")
    p.add_argument("--document")
    p.add_argument("--staff")
    p.add_argument("--limit", type=int, default=200)
    p.set_defaults(func=cmd_audit)

    d = sub.add_parser("document", help="ký văn bản bất kỳ / sign any PDF")
    ds = d.add_subparsers(dest="document_command", required=True)
    p = ds.add_parser("sign")
    p.add_argument("file")
    p.add_argument("--title", required=True)
    p.add_argument("--kind", default="other", choices=["grade-book", "decision", "report", "other"])
    p.add_argument("--staff", required=True)
    p.add_argument("--school")
    p.add_argument("--out")
    p.set_defaults(func=cmd_document_sign)
