"""Hostile spreadsheets, built byte by byte: a small raw ZIP writer (so that sizes, CRCs and compressed
streams can be whatever an attacker chooses) and minimal .xlsx packages around given worksheet XML."""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from credential_service.transcripts.import_rules import RESULTS_HEADERS, RESULTS_SHEET, ROSTER_HEADERS, ROSTER_SHEET

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@dataclass(frozen=True)
class Entry:
    """One ZIP member: ``data`` is the raw deflate stream (or the bytes, stored) of ``size`` bytes."""

    name: str
    data: bytes
    size: int
    crc: int
    deflated: bool = True


def deflated(name: str, content: bytes) -> Entry:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry(name, c.compress(content) + c.flush(), len(content), zlib.crc32(content))


def raw_zip(entries: Sequence[Entry]) -> bytes:
    """A ZIP file (no ZIP64) holding ``entries`` exactly as given, sizes and CRCs included."""
    out = io.BytesIO()
    central = []
    for e in entries:
        name = e.name.encode()
        method = 8 if e.deflated else 0
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, e.crc, len(e.data), e.size,
                              len(name), 0))  # fmt: skip
        out.write(name)
        out.write(e.data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21, e.crc, len(e.data),
                                   e.size, len(name), 0, 0, 0, 0, 0, offset) + name)  # fmt: skip
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def package(sheets: Sequence[tuple[str, bytes]], *, shared_strings: bytes | None = None,
            workbook: bytes | None = None, replace: dict[str, Entry] | None = None) -> bytes:  # fmt: skip
    """A minimal .xlsx with the given ``(sheet name, worksheet XML)``; ``replace`` swaps members by name."""
    n = len(sheets)
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{CT_SHEET}"/>'
                        for i in range(1, n + 1))  # fmt: skip
    if shared_strings is not None:
        overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT_STRINGS}"/>'
    content_types = (
        f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>"
    )
    root_rels = (f'{XML_DECL}<Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
                 'Target="xl/workbook.xml"/></Relationships>')  # fmt: skip
    sheet_list = "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
                         for i, (name, _) in enumerate(sheets, 1))  # fmt: skip
    book = workbook or (f'{XML_DECL}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{sheet_list}</sheets>'
                        "</workbook>").encode()  # fmt: skip
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, n + 1))  # fmt: skip
    if shared_strings is not None:
        rels += f'<Relationship Id="rId{n + 1}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    entries = [
        deflated("[Content_Types].xml", content_types.encode()),
        deflated("_rels/.rels", root_rels.encode()),
        deflated("xl/workbook.xml", book),
        deflated("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PKG_REL}">{rels}</Relationships>'.encode()),
        *(deflated(f"xl/worksheets/sheet{i}.xml", xml) for i, (_, xml) in enumerate(sheets, 1)),
    ]
    if shared_strings is not None:
        entries.append(deflated("xl/sharedStrings.xml", shared_strings))
    entries = [(replace or {}).get(e.name, e) for e in entries]
    return raw_zip(entries)


def sheet_xml(rows: Iterable[tuple[int, Sequence[tuple[int, str]]]], *, dimension: str | None = None,
              prolog: str = XML_DECL) -> bytes:  # fmt: skip
    """Worksheet XML with inline-string cells: ``rows`` is ``(row number, [(column number, text), ...])``."""
    out = [prolog, f'<worksheet xmlns="{MAIN}">']
    if dimension:
        out.append(f'<dimension ref="{dimension}"/>')
    out.append("<sheetData>")
    for number, cells in rows:
        out.append(f'<row r="{number}">')
        for column, text in cells:
            out.append(f'<c r="{get_column_letter(column)}{number}" t="inlineStr"><is><t>{escape(text)}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


def header_row(headers: Sequence[str]) -> tuple[int, list[tuple[int, str]]]:
    return 1, [(i, h) for i, h in enumerate(headers, 1)]


def roster_sheet() -> tuple[str, bytes]:
    return ROSTER_SHEET, sheet_xml([header_row(ROSTER_HEADERS)])


def results_sheet() -> tuple[str, bytes]:
    return RESULTS_SHEET, sheet_xml([header_row(RESULTS_HEADERS)])


# ------------------------------------------------------------------------------------ the attacks


def dimension_bomb() -> bytes:
    """6 KB: the roster declares A1:XFD1048576 and holds one cell on the last row (openpyxl would pad
    a million rows of 16,384 cells)."""
    bomb = sheet_xml([header_row(ROSTER_HEADERS), (1_048_576, [(16_384, "x")])], dimension="A1:XFD1048576")
    return package([(ROSTER_SHEET, bomb), results_sheet()])


def dimension_bomb_in_column_a() -> bytes:
    """The declared dimension is absurd but what is there is small: one value on the last row, column A."""
    bomb = sheet_xml([header_row(ROSTER_HEADERS), (1_048_576, [(1, "x")])], dimension="A1:XFD1048576")
    return package([(ROSTER_SHEET, bomb), results_sheet()])


@functools.cache
def zip_bomb(gigabytes: int = 1) -> bytes:
    """About a megabyte: the results sheet is ``gigabytes`` GB of spaces inside well-formed XML, deflated
    (16 MB runs compressed once, each ended by a full flush, repeated), with its true size and CRC."""
    run = b" " * (1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)
    block = c.compress(run) + c.flush(zlib.Z_FULL_FLUSH)
    head = f'{XML_DECL}<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    tail = b"</sheetData></worksheet>"
    runs = gigabytes * 64
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_part = c2.compress(head) + c2.flush(zlib.Z_FULL_FLUSH)
    c3 = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail_part = c3.compress(tail) + c3.flush()
    crc = zlib.crc32(head)
    for _ in range(runs):
        crc = zlib.crc32(run, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + runs * len(run) + len(tail)
    bomb = Entry("xl/worksheets/sheet2.xml", head_part + block * runs + tail_part, size, crc)
    return package([roster_sheet(), results_sheet()], replace={bomb.name: bomb})


def zip_bomb_lying_about_its_size() -> bytes:
    """A 300 MB sheet whose ZIP headers say it is 2 KB."""
    run = b" " * (1 << 24)
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_RLE)
    block = c.compress(run) + c.flush(zlib.Z_FULL_FLUSH)
    head = f'{XML_DECL}<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = c2.compress(head) + c2.flush(zlib.Z_FULL_FLUSH) + block * 18
    c3 = zlib.compressobj(9, zlib.DEFLATED, -15)
    data += c3.compress(b"</sheetData></worksheet>") + c3.flush()
    small = b" " * 2048
    liar = Entry("xl/worksheets/sheet2.xml", data, len(small), zlib.crc32(small))
    return package([roster_sheet(), results_sheet()], replace={liar.name: liar})


def too_many_sheets(n: int = 11) -> bytes:
    extra = [(f"Trang{i}", sheet_xml([])) for i in range(n - 2)]
    return package([roster_sheet(), results_sheet(), *extra])


def too_many_rows(n: int = 2_001) -> bytes:
    rows = [header_row(RESULTS_HEADERS), *((r, [(1, f"HS{r:05d}"), (2, "Toán")]) for r in range(2, n + 2))]
    return package([roster_sheet(), (RESULTS_SHEET, sheet_xml(rows))])


def too_many_columns(column: int = 201) -> bytes:
    rows = [header_row(ROSTER_HEADERS), (2, [(1, "HS001"), (column, "x")])]
    return package([(ROSTER_SHEET, sheet_xml(rows)), results_sheet()])


def too_many_cells(n: int = 200_001) -> bytes:
    """Empty formatted cells: nothing to import, but each costs the reader time."""
    cells = "".join(f'<c r="A{r}" s="0"/>' for r in range(2, n + 2))
    xml = sheet_xml([header_row(RESULTS_HEADERS)]).replace(b"</sheetData>", f"<row>{cells}</row></sheetData>".encode())
    return package([roster_sheet(), (RESULTS_SHEET, xml)])


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def billion_laughs_in_sheet() -> bytes:
    xml = sheet_xml([header_row(ROSTER_HEADERS), (2, [(1, "&lol9;")])], prolog=LAUGHS)
    return package([(ROSTER_SHEET, xml.replace(b"&amp;lol9;", b"&lol9;")), results_sheet()])


def billion_laughs_in_shared_strings() -> bytes:
    strings = f'{LAUGHS}<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'.encode()
    return package([roster_sheet(), results_sheet()], shared_strings=strings)


def billion_laughs_in_workbook() -> bytes:
    book = (f'{LAUGHS}<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="&lol9;" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>").encode()  # fmt: skip
    return package([roster_sheet()], workbook=book)


def external_entity() -> bytes:
    prolog = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    xml = sheet_xml([header_row(ROSTER_HEADERS), (2, [(1, "&xxe;")])], prolog=prolog)
    return package([(ROSTER_SHEET, xml.replace(b"&amp;xxe;", b"&xxe;")), results_sheet()])


def malformed_zip() -> bytes:
    return b"PK\x03\x04" + bytes(range(256)) * 20


def truncated(workbook: bytes) -> bytes:
    return workbook[: len(workbook) * 2 // 3]


def corrupt_member(workbook: bytes) -> bytes:
    """A byte of the first member's compressed data flipped: the CRC check fails."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        info = z.infolist()[0]
    at = info.header_offset + 30 + len(info.filename.encode()) + 2
    return workbook[:at] + bytes([workbook[at] ^ 0xFF]) + workbook[at + 1 :]


def bad_xml_in_sheet() -> bytes:
    return package([(ROSTER_SHEET, b"<worksheet><sheetData><row><c>"), results_sheet()])


def missing_shared_string() -> bytes:
    xml = f'{XML_DECL}<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row>'
    xml += "</sheetData></worksheet>"
    strings = f'<sst xmlns="{MAIN}" count="0" uniqueCount="0"></sst>'.encode()
    return package([(ROSTER_SHEET, xml.encode()), results_sheet()], shared_strings=strings)


def csv_with_long_line(chars: int) -> bytes:
    return ("Mã HS,Họ và tên\r\n" + "HS001," + "x" * chars + "\r\n").encode()
