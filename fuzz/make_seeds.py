"""Write the seed corpora of the fuzz harnesses into ``fuzz/corpus/<harness>/``.

    .venv/bin/python fuzz/make_seeds.py            # every harness (the PDF seeds run `sogoc demo`, ~30 s)
    .venv/bin/python fuzz/make_seeds.py qr note    # only these
    .venv/bin/python fuzz/make_seeds.py --no-demo  # PDF seeds without the real demo transcript

Seeds are real inputs made with the project's own code and the DEV keys under ``keys/dev/`` (public,
prove nothing): signed PDFs (a real transcript from ``sogoc demo`` and small ones signed here),
``HB1:`` payloads from :func:`signing.qr_payload.payload_for_record`, checkpoints signed with the dev
log key, import workbooks and CSV files of the synthetic demo class, and demo register books. The
files this script writes are committed (they are small); running it again rewrites them, with new
signatures and timestamps, so only re-run it when a format changes. Nothing is taken from the
third-party corpora under ``../shared/`` (``scripts/fuzz.sh`` reads those in place).
"""

from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make `fuzz` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fuzz.common import CORPUS_DIR, DEV_KEYS, SHEET_SEPARATOR, worksheet_xml

Seeds = dict[str, bytes]


def _write(harness: str, seeds: Seeds) -> None:
    folder = CORPUS_DIR / harness
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(seeds.items()):
        (folder / name).write_bytes(data)
    total = sum(len(d) for d in seeds.values())
    print(f"{harness}: {len(seeds)} seeds, {total:,} bytes -> {folder.relative_to(CORPUS_DIR.parents[1])}")


# --------------------------------------------------------------------------------------------------
# PDF


def _tiny_pdf(text: str, *, stream_xrefs: bool = False) -> bytes:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 780, text)
    c.drawString(72, 760, "Lop 10A1 - nam hoc 2025-2026 - fuzz seed")
    c.showPage()
    c.save()
    if not stream_xrefs:
        return buf.getvalue()
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(buf.getvalue())), writer_kwargs={"stream_xrefs": True})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _signer(name: str) -> Any:
    from signing.keys import load_file_signer

    out = DEV_KEYS / "out"
    chain = [out / "issuing.cert.pem", out / "root.cert.pem"]
    return load_file_signer(DEV_KEYS / "keys" / f"{name}.key.pem", out / f"{name}.cert.pem", chain)


def _sign(
    pdf: bytes,
    field: str,
    signer_name: str,
    box: tuple[int, int, int, int],
    *,
    certify: bool = False,
    pades: bool = True,
) -> bytes:
    """Sign ``pdf`` with a dev key: PAdES, or (``pades=False``) adbe.pkcs7.detached without the ESS
    signing-certificate attribute, as many third-party signers make them."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer(signer_name)
    if not pades:
        providers = signer._signed_attr_providers

        def without_ess(*args: Any, **kwargs: Any) -> list[Any]:
            return [p for p in providers(*args, **kwargs) if "SigningCertificate" not in type(p).__name__]

        signer._signed_attr_providers = without_ess
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        subfilter=fields.SigSeedSubFilter.PADES if pades else fields.SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        reason="fuzz seed",
    )
    spec = fields.SigFieldSpec(field, box=box)
    return signers.sign_pdf(writer, meta, signer=signer, new_field_spec=spec).getvalue()


def _edit_after_signing(pdf: bytes) -> bytes:
    """An incremental update that draws on the page after the signature (must be FAILED)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (Diem: 10) Tj ET")
    contents = page["/Contents"]
    parts = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*parts, writer.add_object(stream)])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _crafted_sig_dict() -> bytes:
    """A hand-made file with a signature dictionary whose /ByteRange and /Contents are nonsense."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 10]"
        b" /Contents <3082000102> >>",
        b"<< /FT /Sig /T (GVCN) /V 3 0 R /Type /Annot /Subtype /Widget /Rect [0 0 0 0] >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _demo_transcript() -> bytes:
    sogoc = Path(sys.executable).parent / "sogoc"
    with tempfile.TemporaryDirectory(prefix="sogoc-fuzz-seeds-") as tmp:
        subprocess.run([str(sogoc), "demo", "--out", tmp], cwd=tmp, check=True, capture_output=True, timeout=600)
        return min(Path(tmp).glob("hocba-10A1-*.pdf")).read_bytes()


def pdf_seeds(*, demo: bool = True) -> Seeds:
    gvcn, principal = (40, 80, 210, 140), (215, 80, 385, 140)
    plain = _tiny_pdf("Hoc ba so - fuzz seed")
    one = _sign(plain, "GVCN", "gvcn-10a1", gvcn)
    certified = _sign(plain, "GVCN", "gvcn-10a1", gvcn, certify=True)
    flipped = bytearray(one)
    flipped[len(one) // 3] ^= 0x01
    seeds = {
        "unsigned.pdf": plain,
        "signed-approval.pdf": one,
        "signed-twice.pdf": _sign(one, "HieuTruong", "principal", principal),
        "certified-then-approved.pdf": _sign(certified, "HieuTruong", "principal", principal),
        "signed-then-edited.pdf": _edit_after_signing(one),
        "signed-byte-flipped.pdf": bytes(flipped),
        "signed-revoked-signer.pdf": _sign(plain, "GVCN", "gvcn-revoked", gvcn),
        "signed-xref-stream.pdf": _sign(_tiny_pdf("xref stream", stream_xrefs=True), "GVCN", "gvcn-10a1", gvcn),
        "signed-pkcs7-no-ess.pdf": _sign(plain, "GVCN", "gvcn-10a1", gvcn, pades=False),
        "crafted-sig-dict.pdf": _crafted_sig_dict(),
    }
    if demo:
        seeds["demo-transcript.pdf"] = _demo_transcript()
    return seeds


# --------------------------------------------------------------------------------------------------
# QR


def _record() -> dict[str, Any]:
    from fuzz.harness_qr import RECORD

    return copy.deepcopy(RECORD)


def _record_variants() -> dict[str, dict[str, Any]]:
    base = _record()
    long_school = _record()
    long_school["school"]["name"] = "Trường Trung học phổ thông chuyên Trần Phú, Thành phố Hải Phòng, cơ sở Lê Chân"
    reassessed = _record()
    reassessed["results"] = {
        "learning_result": {"year": "Chưa đạt", "after_reassessment": "Đạt"},
        "conduct": {"year": "Khá", "after_summer": None},
    }
    no_results = _record()
    no_results["results"] = {}
    no_results["version"] = 7
    decomposed = _record()
    decomposed["student"]["full_name"] = "Nguye\u0302\u0303n Thi\u0323 Hu\u031bo\u031bng"  # NFD
    repetitive = _record()
    repetitive["student"]["full_name"] = "Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê Lê"  # zlib pays off
    return {
        "base": base,
        "long-school": long_school,
        "reassessed": reassessed,
        "no-results": no_results,
        "nfd-name": decomposed,
        "repetitive-name": repetitive,
    }


def qr_seeds() -> Seeds:
    import cbor2
    import rfc8785

    from signing.qr_payload import load_qr_signing_key, payload_for_record
    from verifier.qr import PREFIX, claims_from_record

    key = load_qr_signing_key(DEV_KEYS / "qr" / "qr.key")
    seeds: Seeds = {}
    for name, record in _record_variants().items():
        digest = hashlib.sha256(rfc8785.dumps(record)).hexdigest()
        payload = payload_for_record(record, digest, key)
        seeds[f"payload-{name}.txt"] = payload.removeprefix(PREFIX).encode("ascii")
        claims = claims_from_record(record, digest)
        seeds[f"claims-{name}.cbor"] = bytes(cbor2.dumps(claims.to_cbor_items()))
    record = _record()
    digest = hashlib.sha256(rfc8785.dumps(record)).hexdigest()
    payload = payload_for_record(record, digest, key, issued_at=datetime(2026, 5, 30, 7, 45, tzinfo=UTC))
    seeds["payload-percent-encoded.txt"] = quote(payload.removeprefix(PREFIX), safe="").encode("ascii")
    seeds["payload-trailing-space.txt"] = payload.removeprefix(PREFIX).encode("ascii") + b"  \n"
    items = claims_from_record(record, digest).to_cbor_items()
    items[8], items[9] = "Tốt", "Khá"  # levels as text, not codes
    seeds["claims-text-levels.cbor"] = bytes(cbor2.dumps(items))
    return seeds


# --------------------------------------------------------------------------------------------------
# checkpoints and signed notes


def note_seeds() -> Seeds:
    import base64

    from fuzz.harness_note import LOG_SIGNER, ORIGIN, WITNESS
    from verifier.checkpoint import Checkpoint, cosign_checkpoint, sign_checkpoint
    from verifier.merkle import EMPTY_ROOT
    from verifier.note import Ed25519Signer, sign_note

    root = hashlib.sha256(b"fuzz seed root").digest()
    empty = Checkpoint(ORIGIN, 0, EMPTY_ROOT)
    big = Checkpoint(ORIGIN, 1234567, root)
    extended = Checkpoint(ORIGIN, 42, root, ("timestamp 1780000000", "extension: fuzz"))
    other = Ed25519Signer("other.example/log", hashlib.sha256(b"fuzz other log").digest())
    signed_big = sign_checkpoint(big, LOG_SIGNER)
    cosigned = signed_big + cosign_checkpoint(signed_big, WITNESS)
    foreign = sign_checkpoint(Checkpoint("other.example/log", 7, root), other)
    seeds = {
        "checkpoint-empty.note": sign_checkpoint(empty, LOG_SIGNER),
        "checkpoint.note": signed_big,
        "checkpoint-extensions.note": sign_checkpoint(extended, LOG_SIGNER),
        "checkpoint-cosigned.note": cosigned,
        "checkpoint-two-signers.note": sign_checkpoint(big, [LOG_SIGNER, other]),
        "checkpoint-foreign.note": foreign,
        "checkpoint-bare.txt": big.to_note_text(),
        "note-not-a-checkpoint.note": sign_note("hello, world\nsecond line\n", LOG_SIGNER),
        "vkey.txt": LOG_SIGNER.vkey + "\n" + WITNESS.vkey + "\n",
        "signature-line-short.note": big.to_note_text() + "\n\u2014 x " + base64.b64encode(b"\0" * 5).decode() + "\n",
    }
    return {name: text.encode("utf-8") for name, text in seeds.items()}


# --------------------------------------------------------------------------------------------------
# class import (XLSX / CSV) and register books


def _excel_serial(day: date) -> int:
    return (day - date(1899, 12, 30)).days


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _typed_roster(rows: list[list[str]]) -> list[list[Any]]:
    """Roster rows as a spreadsheet holds them: the birth date a date cell, absences a number."""
    out: list[list[Any]] = [list(rows[0])]
    for row in rows[1:]:
        typed: list[Any] = list(row)
        d, m, y = (int(x) for x in row[2].split("/"))
        typed[2] = (_excel_serial(date(y, m, d)), 1)
        typed[9] = int(row[9]) if row[9].isdigit() else row[9]
        out.append(typed)
    return out


def _typed_results(rows: list[list[str]]) -> list[list[Any]]:
    """Result rows with single scores as numbers (one decimal), as teachers type them."""
    out: list[list[Any]] = [list(rows[0])]
    for row in rows[1:]:
        typed: list[Any] = list(row)
        for i in (3, 4, 6, 7):
            if row[i]:
                typed[i] = (row[i], 6)
        out.append(typed)
    return out


def import_seeds() -> Seeds:
    from credential_service.transcripts.spreadsheets import demo_class, write_sample_csv, write_sample_xlsx

    thpt = demo_class("10A1", 10, n=3, seed=5)
    thcs = demo_class("8A2", 8, n=2, seed=6)
    seeds: Seeds = {}
    for name, klass in (("grade10", thpt), ("grade8", thcs)):
        seeds[f"{name}.xlsx"] = write_sample_xlsx(klass)
        roster, results = write_sample_csv(klass)
        seeds[f"{name}.csv-pair"] = roster + SHEET_SEPARATOR + results
        seeds[f"{name}.sheets-xml"] = (
            worksheet_xml(_typed_roster(_csv_rows(roster)))
            + SHEET_SEPARATOR
            + worksheet_xml(_typed_results(_csv_rows(results)))
        )
    roster, results = write_sample_csv(thpt[:1])
    messy_roster = roster.replace(b"\xef\xbb\xbf", b"").replace(b",", b";")
    messy_results = results.replace(b"Ngo\xe1\xba\xa1i ng\xe1\xbb\xaf 1", b"Ti\xe1\xba\xbfng Anh").replace(
        b".", b",", 3
    )
    seeds["messy.csv-pair"] = messy_roster + SHEET_SEPARATOR + messy_results
    return seeds


def _typed_register(rows: list[list[Any]]) -> list[list[Any]]:
    from credential_service.diplomas.register_book import COLUMNS

    col = {name: i for i, name in enumerate(COLUMNS)}
    out: list[list[Any]] = [list(COLUMNS)]
    for row in rows:
        typed: list[Any] = list(row)
        for name in ("Ngày sinh", "Ngày quyết định"):
            d, m, y = (int(x) for x in row[col[name]].split("/"))
            typed[col[name]] = (_excel_serial(date(y, m, d)), 1)
        for name in ("STT", "Năm tốt nghiệp", "Trang", "Dòng"):
            typed[col[name]] = int(row[col[name]])
        out.append(typed)
    return out


def register_seeds() -> Seeds:
    from credential_service.diplomas.register_demo import (
        demo_register_rows,
        make_messy,
        register_csv,
        register_xlsx,
    )

    rows = demo_register_rows(5, seed=2)
    return {
        "book.csv": register_csv(rows),
        "book.xlsx": register_xlsx(rows),
        "book.sheet-xml": worksheet_xml(_typed_register(rows)),
        "messy-book.csv": register_csv(make_messy(demo_register_rows(25, seed=4))),
        "book-2010-tab.csv": register_csv(demo_register_rows(3, year=2010, seed=3, first_seq=171)).replace(b",", b"\t"),
    }


def main(argv: list[str] | None = None) -> int:
    makers: dict[str, Callable[[], Seeds]] = {
        "pdf": pdf_seeds,
        "qr": qr_seeds,
        "import": import_seeds,
        "note": note_seeds,
        "register": register_seeds,
    }
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("harness", nargs="*", help=f"harnesses: {', '.join(makers)} (default: all)")
    parser.add_argument("--no-demo", action="store_true", help="skip the real transcript from `sogoc demo`")
    args = parser.parse_args(argv)
    unknown = [name for name in args.harness if name not in makers]
    if unknown:
        parser.error(f"unknown harness(es): {', '.join(unknown)}")
    for name in args.harness or list(makers):
        seeds = pdf_seeds(demo=not args.no_demo) if name == "pdf" else makers[name]()
        _write(name, seeds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
