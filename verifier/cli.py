"""``sogoc verify`` / ``sogoc-verify``: check the signatures of a PDF.

Exit status: 0 PASSED, 1 FAILED, 2 INDETERMINATE (also: the file could not be processed),
3 the file holds no signature or is not a PDF. Human output is Vietnamese, then English;
``--json`` prints the report instead.

No trust root is built in: without ``--trust-root`` every signature is at best INDETERMINATE
(the signer cannot be trusted), and a hint says so.

A PDF that embeds a Sổ Gốc Số record (``hocba-record.json`` / ``vanbang-record.json``) is also checked
against the issuer's ledger (:mod:`verifier.cli_ledger`, :mod:`verifier.credential_check`): from the
verification bundle (``--bundle``, or ``FILE.sogoc-bundle.json`` beside the PDF), else, unless
``--offline``, from the issuer's public ledger at the address in the QR code (or ``--issuer``) if it is on
the allow-list of the trust list given with ``--trust-list``. The verdict is the worse of the signatures'
and the ledger's; the report says which source was used and when. No trust list: the ledger part is
INDETERMINATE (``NO_TRUST_LIST``), like signatures without a trust root.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verifier.errors import VerifierError
from verifier.report import EXIT_CODES, VerificationReport

if TYPE_CHECKING:
    from verifier.credential_check import LedgerCheckReport

__all__ = ["add_arguments", "build_parser", "main", "run"]

EXIT_ERROR = 2
_LABELS_VI = {"PASSED": "HỢP LỆ", "FAILED": "KHÔNG HỢP LỆ", "INDETERMINATE": "CHƯA XÁC ĐỊNH"}


def add_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``verify`` arguments to ``p`` (used by ``sogoc verify`` and ``sogoc-verify``)."""
    p.add_argument("file", help="tệp PDF cần kiểm tra / the PDF file to check")
    p.add_argument(
        "--trust-root",
        action="append",
        default=[],
        metavar="PEM",
        help="chứng thư gốc tin cậy (PEM/DER, có thể lặp lại) / trusted root certificate (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="in báo cáo JSON / print the JSON report")
    p.add_argument(
        "--offline",
        action="store_true",
        help="không truy cập mạng; chỉ dùng dữ liệu trong tệp / no network, embedded data only",
    )
    from verifier.cli_ledger import add_ledger_arguments

    add_ledger_arguments(p)
    return p


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sogoc-verify", description="Kiểm tra chữ ký số trong tệp PDF / verify the signatures in a PDF"
    )
    return add_arguments(p)


def _emit(text: str) -> None:
    """Print the result. A reader that stopped early (``sogoc-verify FILE | head``) is not an error: the exit code
    still gives the verdict, and nothing is printed about the closed pipe."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at /dev/null so that this flush cannot fail too
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _err(vi: str, en: str) -> int:
    print(f"Lỗi: {vi}\nError: {en}", file=sys.stderr)
    return EXIT_ERROR


def _load_roots(paths: Sequence[str]) -> list[Any]:
    from asn1crypto import pem, x509

    roots: list[Any] = []
    for name in paths:
        try:
            raw = Path(name).read_bytes()
        except OSError as e:
            raise VerifierError(
                f"Không đọc được chứng thư gốc {name}: {e.strerror or e}.",
                f"Cannot read the root certificate {name}: {e.strerror or e}.",
                code="trust_root_unreadable",
            ) from e
        try:
            if pem.detect(raw):
                certs = [x509.Certificate.load(der) for _, _, der in pem.unarmor(raw, multiple=True)]
            else:
                certs = [x509.Certificate.load(raw)]
            for c in certs:
                _ = c.subject.human_friendly  # force parsing now
        except Exception as e:
            raise VerifierError(
                f"Tệp {name} không phải chứng thư X.509 (PEM hoặc DER).",
                f"{name} is not an X.509 certificate (PEM or DER): {e}.",
                code="trust_root_invalid",
            ) from e
        if not certs:
            raise VerifierError(
                f"Tệp {name} không chứa chứng thư nào.",
                f"{name} holds no certificate.",
                code="trust_root_invalid",
            )
        roots.extend(certs)
    return roots


def _human(
    report: VerificationReport,
    file: str,
    hinted: bool,
    ledger: LedgerCheckReport | None = None,
    years: list[dict[str, Any]] | None = None,
) -> str:
    from verifier.book_years import book_year_lines
    from verifier.cli_ledger import combined, ledger_lines

    lines: list[str] = []
    m = report.message
    if report.document != "signed":
        lines.append(f"{file}: {m.vi}")
        lines.append(f"{file}: {m.en}")
        return "\n".join(lines)
    ind, sub_ind = combined(report, ledger)
    if ledger is not None and ind != report.indication:
        m = ledger.message
    sub = f" ({sub_ind})" if sub_ind else ""
    led_vi, led_en = ledger_lines(ledger) if ledger is not None else ([], [])
    lines.append(f"Kết quả: {_LABELS_VI[ind]}{sub} — {file}")
    lines.append(f"  {m.vi}")
    for s in report.signatures:
        lines.append(
            f"  • Chữ ký {s.field}: {_LABELS_VI[s.indication]}" + (f" ({s.sub_indication})" if s.sub_indication else "")
        )
        lines.append(
            f"      người ký: {s.signer or '?'}; thời điểm ký: {s.signing_time or '?'}"
            + (" (dấu thời gian)" if s.signing_time_source == "timestamp" else " (tự khai)" if s.signing_time else "")
        )
        lines.append(
            f"      toàn vẹn: {'có' if s.intact else 'không'}; tin cậy: {'có' if s.trusted else 'không'}; "
            f"phạm vi: {s.coverage or '?'}; thay đổi sau ký: {s.modification or '?'}; PAdES: {s.pades_level or '-'}"
        )
    lines.extend(led_vi)
    warnings = report.all_warnings()
    for w in warnings:
        lines.append(f"  ! {w.vi}")
    if hinted:
        lines.append(
            "  Gợi ý: chưa chỉ định chứng thư gốc tin cậy nên không chữ ký nào được tin cậy; dùng --trust-root."
        )
    lines.append("")
    lines.append(f"Result: {ind}{sub} — {file}")
    lines.append(f"  {m.en}")
    for s in report.signatures:
        lines.append(
            f"  • Signature {s.field}: {s.indication}" + (f" ({s.sub_indication})" if s.sub_indication else "")
        )
        lines.append(
            f"      signer: {s.signer or '?'}; signing time: {s.signing_time or '?'}"
            + (" (timestamp)" if s.signing_time_source == "timestamp" else " (claimed)" if s.signing_time else "")
        )
        lines.append(
            f"      intact: {'yes' if s.intact else 'no'}; trusted: {'yes' if s.trusted else 'no'}; "
            f"coverage: {s.coverage or '?'}; changed after signing: {s.modification or '?'}; "
            f"PAdES: {s.pades_level or '-'}"
        )
        if s.detail and s.indication != "PASSED":
            lines.append(f"      detail: {s.detail}")
    lines.extend(led_en)
    for w in warnings:
        lines.append(f"  ! {w.en}")
    if hinted:
        lines.append("  Hint: no trusted root was given, so no signer can be trusted; use --trust-root.")
    if years:  # a học bạ book (issue #14): every school year and who signed it
        lines.append("")
        lines.append("Các năm học trong học bạ / the book's school years:")
        lines.extend(book_year_lines(years))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``verify`` with parsed ``args``; returns the exit status."""
    from verifier.book_years import book_years_signed
    from verifier.cli_ledger import RECORD_CONTENTS, combined, embedded_record, ledger_check, report_dict
    from verifier.pdf import DEFAULT_POLICY, examine_pdf, verify_pdf

    # pyHanko and certvalidator log expected failures (untrusted chains, bad files) with tracebacks.
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        roots = _load_roots(args.trust_root)
        try:
            data = Path(args.file).read_bytes()
        except OSError as e:
            raise VerifierError(
                f"Không đọc được tệp {args.file}: {e.strerror or e}. Kiểm tra đường dẫn và quyền đọc.",
                f"Cannot read {args.file}: {e.strerror or e}. Check the path and permissions.",
                code="file_unreadable",
            ) from e
        # Embedded revocation data first: a document that carries what it needs (PAdES B-LT)
        # verifies without the network. Only an INDETERMINATE outcome goes online, if allowed.
        exam = examine_pdf(data, trust=roots, policy=DEFAULT_POLICY, contents=RECORD_CONTENTS)
        report = exam.report
        if not args.offline and report.document == "signed" and report.indication == "INDETERMINATE" and roots:
            from dataclasses import replace

            # Network fetches (OCSP/CRL) need more time than the offline bound.
            online = replace(DEFAULT_POLICY, allow_fetching=True, time_limit=max(DEFAULT_POLICY.time_limit, 20.0))
            report = verify_pdf(data, trust=roots, policy=online)
        # A Sổ Gốc Số credential: its ledger inclusion and status (bundle, else the issuer's public ledger).
        ledger = ledger_check(args, data, exam.contents) if report.document == "signed" else None
    except VerifierError as e:
        if getattr(args, "json", False):
            print(json.dumps({"error": {"code": e.code, "vi": e.vi, "en": e.en}}, ensure_ascii=False, indent=2))
            return EXIT_ERROR
        return _err(e.vi, e.en)
    years: list[dict[str, Any]] = []
    if report.document == "signed":
        signed = [(s.field, s.signer, s.indication) for s in report.signatures if s.kind == "signature"]
        years = book_years_signed(embedded_record(exam.contents), signed)
    if args.json:
        body = report_dict(report, ledger)
        if years:
            body["years"] = years
        _emit(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        hinted = not roots and report.document == "signed"
        _emit(_human(report, args.file, hinted=hinted, ledger=ledger, years=years))
    if report.document != "signed":
        return report.exit_code
    return EXIT_CODES[combined(report, ledger)[0]]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sogoc-verify``."""
    from verifier.light_imports import bare_pyhanko_sign

    bare_pyhanko_sign()  # a verify-only process: skip pyHanko's signers and aiohttp (~300 ms)
    args = build_parser().parse_args(argv)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
