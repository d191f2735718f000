"""Reading uploaded spreadsheets (.xlsx, CSV) within :class:`SpreadsheetLimits`, measured on what is
really in the file: bytes decompressed, sheets listed, rows and cells present, the column of the
right-most value. The dimension a sheet declares (``<dimension ref="A1:XFD1048576"/>``) is ignored:
rows are never padded to it, and missing rows are never made up.

XML safety: before openpyxl sees a package, every XML part's prolog is parsed with defusedxml and
refused if it declares a DTD or an entity (no real workbook does; billion laughs and external
entities need one). openpyxl itself then parses worksheets and shared strings with defusedxml's
``iterparse`` (it does so whenever defusedxml is installed) and the other parts with lxml, entities
unresolved. Anything openpyxl cannot read is a 422, never a 500.

Run these in a worker process (:func:`credential_service.platform.upload_limits.run_limited`): the
limits here bound what a file can make the reader do, the worker bounds time and memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser

from credential_service.platform.errors import Message, SogocError
from credential_service.platform.upload_limits import (
    EXCEL_MAX_COLUMNS,
    EXCEL_MAX_ROWS,
    MAX_ZIP_ENTRIES,
    RESAVE,
    TAGS_PER_CELL,
    SpreadsheetLimits,
    malformed,
    megabytes,
    over_limit,
    thousands,
)

_CHUNK = 1024 * 1024
_NOT_XML_FOLDERS = ("xl/media/", "xl/embeddings/", "xl/printerSettings/")
SPLIT = Message(
    "Chia dữ liệu thành nhiều tệp, hoặc xoá các hàng, cột và trang tính thừa rồi lưu lại.",
    "Split the data into several files, or delete unused rows, columns and sheets and save again.",
)


# ------------------------------------------------------------------------------------ the .xlsx package


class _RootReached(Exception):
    """The prolog is over: the XML part declared no DTD."""


class _PrologOnly:
    """An ElementTree parser target that stops at the root element."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootReached

    def end(self, tag: str) -> None:
        return None

    def data(self, data: str) -> None:
        return None

    def close(self) -> None:
        return None


def _not_a_workbook(file: str) -> SogocError:
    return malformed(
        Message(
            "Tệp không phải là bảng tính Excel (.xlsx) hợp lệ: không đọc được cấu trúc ZIP (tệp bị hỏng, bị cắt cụt, "
            "có mật khẩu, hoặc là định dạng khác như .xls hay .csv).",
            "The file is not a valid Excel workbook (.xlsx): its ZIP structure cannot be read (the file is damaged, "
            "truncated, password-protected, or another format such as .xls or .csv).",
        ),
        RESAVE,
        file=file,
    )


def _broken_part(file: str, part: str, reason: Message) -> SogocError:
    return malformed(
        Message(
            f"Tệp .xlsx bị hỏng: phần '{part}' {reason.vi}.", f"The .xlsx file is damaged: part '{part}' {reason.en}."
        ),
        RESAVE,
        file=file,
        part=part,
    )


def _unzipped_too_large(limits: SpreadsheetLimits, size: int, file: str) -> SogocError:
    top = megabytes(limits.max_unzipped_bytes)
    return over_limit(
        limits,
        "max_unzipped_bytes",
        Message(f"nội dung giải nén lớn hơn {top}", f"its content unpacks to more than {top}"),
        Message(
            "Sao chép chỉ dữ liệu cần nhập sang một bảng tính mới (không định dạng, hình ảnh thừa) rồi lưu lại.",
            "Copy only the data to import into a new workbook (no extra formatting or pictures) and save it.",
        ),
        maximum=limits.max_unzipped_bytes,
        actual=size,
        file=file,
    )


def _looks_like_xml(name: str, head: bytes) -> bool:
    if name.startswith(_NOT_XML_FOLDERS):
        return False
    if name.lower().endswith((".xml", ".rels", ".vml")):
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff"))


class _UnknownEncoding(Exception):
    """An XML declaration names an encoding expat cannot read (unknown to Python, not a text encoding, or a
    multi-byte encoding other than UTF-8/UTF-16): expat raises LookupError or ValueError for it."""


class _XmlPart:
    """What an XML part really holds, counted on its bytes as they are decompressed: tags (``<``, an
    upper bound of the elements) and cell elements (``<c ``, ``<x:c ``, ...); and its prolog, parsed
    with defusedxml, which refuses a DTD or an entity declaration."""

    CELL_TAGS = (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/")

    def __init__(self) -> None:
        self.tags = self.cells = 0
        self.prolog: DefusedXMLParser | None = DefusedXMLParser(target=_PrologOnly(), forbid_dtd=True)

    def feed(self, chunk: bytes) -> None:
        self.tags += chunk.count(b"<")
        self.cells += sum(chunk.count(tag) for tag in self.CELL_TAGS)
        if self.prolog is not None:
            try:
                self.prolog.feed(chunk)
            except _RootReached:
                self.prolog = None
            except (LookupError, ValueError) as exc:
                raise _UnknownEncoding(str(exc)) from exc

    def close(self) -> None:
        if self.prolog is not None:
            self.prolog.close()  # no root element at all: a ParseError

    def check(self, limits: SpreadsheetLimits, file: str, part: str) -> None:
        if self.cells > limits.max_cells:
            vi, en = thousands(limits.max_cells)
            raise over_limit(limits, "max_cells", Message(f"phần '{part}' có hơn {vi} ô (kể cả ô trống có định "
                                                          "dạng)", f"part '{part}' has more than {en} cells (empty "
                                                          "formatted cells included)"),
                             SPLIT, maximum=limits.max_cells, file=file, part=part)  # fmt: skip
        if self.tags > TAGS_PER_CELL * limits.max_cells:
            vi, en = thousands(TAGS_PER_CELL * limits.max_cells)
            raise over_limit(limits, "max_xml_tags", Message(f"phần '{part}' có hơn {vi} thẻ XML",
                                                             f"part '{part}' has more than {en} XML tags"),
                             SPLIT, maximum=TAGS_PER_CELL * limits.max_cells, file=file, part=part)  # fmt: skip


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, total: int, limits: SpreadsheetLimits,
                file: str) -> int:  # fmt: skip
    """Decompress one part, counting its real size (and an XML part's tags and cells) and checking an XML
    part's prolog. The new running total of decompressed bytes."""
    xml: _XmlPart | None = None
    first = True
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limits.max_unzipped_bytes:
                    raise _unzipped_too_large(limits, total, file)
                if first and _looks_like_xml(entry.filename, chunk[:64]):
                    xml = _XmlPart()
                first = False
                if xml is not None:
                    xml.feed(chunk)
                    xml.check(limits, file, entry.filename)
            if xml is not None:
                xml.close()
    except DefusedXmlException as exc:
        raise _broken_part(file, entry.filename, Message(
            f"khai báo DTD hoặc thực thể XML ({type(exc).__name__}), điều mà bảng tính Excel không bao giờ có",
            f"declares an XML DTD or entity ({type(exc).__name__}), which Excel workbooks never do",
        )) from exc  # fmt: skip
    except ParseError as exc:
        raise _broken_part(file, entry.filename, Message(f"không phải XML hợp lệ ({exc})",
                                                         f"is not well-formed XML ({exc})")) from exc  # fmt: skip
    except _UnknownEncoding as exc:
        raise _broken_part(file, entry.filename, Message(
            f"khai báo một bảng mã ký tự không đọc được ({exc})",
            f"declares a character encoding that cannot be read ({exc})",
        )) from exc  # fmt: skip
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise _broken_part(file, entry.filename, Message(f"không giải nén được ({exc})",
                                                         f"cannot be decompressed ({exc})")) from exc  # fmt: skip
    return total


def check_xlsx_package(data: bytes, limits: SpreadsheetLimits, *, file: str) -> None:
    """The .xlsx package is a readable ZIP within the size limits (what it really unpacks to, not what
    it declares) and none of its XML parts declares a DTD or an entity."""
    if len(data) > limits.max_bytes:
        raise over_limit(limits, "max_bytes", Message(f"tệp lớn hơn {megabytes(limits.max_bytes)}",
                                                      f"the file is larger than {megabytes(limits.max_bytes)}"),
                         SPLIT, maximum=limits.max_bytes, actual=len(data), file=file)  # fmt: skip
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise _not_a_workbook(file) from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            vi, en = thousands(MAX_ZIP_ENTRIES)
            raise over_limit(limits, "max_zip_entries", Message(f"gói .xlsx có hơn {vi} phần",
                                                                f"the .xlsx package has more than {en} parts"),
                             RESAVE, maximum=MAX_ZIP_ENTRIES, actual=len(entries), file=file)  # fmt: skip
        declared = sum(entry.file_size for entry in entries)
        if declared > limits.max_unzipped_bytes:  # what zipfile would ever hand out; refused before unpacking
            raise _unzipped_too_large(limits, declared, file)
        total = 0
        for entry in entries:
            if entry.flag_bits & 0x1:
                raise _not_a_workbook(file)  # an encrypted part
            total = _check_part(archive, entry, total, limits, file)


def _unreadable(exc: BaseException, file: str) -> SogocError:
    kind = type(exc).__name__
    return malformed(
        Message(
            f"Không đọc được bảng tính Excel (.xlsx): nội dung bị hỏng hoặc không đúng định dạng ({kind}).",
            f"The Excel workbook (.xlsx) cannot be read: its content is damaged or malformed ({kind}).",
        ),
        RESAVE,
        file=file,
    )


@contextmanager
def open_xlsx(data: bytes, limits: SpreadsheetLimits, *, file: str) -> Iterator[Any]:
    """A read-only openpyxl workbook of a checked package with at most ``limits.max_sheets`` sheets."""
    check_xlsx_package(data, limits, file=file)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except (SogocError, MemoryError):
        raise
    except Exception as exc:  # malformed input can make openpyxl raise almost anything
        raise _unreadable(exc, file) from exc
    try:
        names = workbook.sheetnames
        if len(names) > limits.max_sheets:
            raise over_limit(limits, "max_sheets", Message(f"có {len(names)} trang tính, tối đa {limits.max_sheets}",
                                                           f"it has {len(names)} sheets, at most {limits.max_sheets}"),
                             Message("Xoá các trang tính không dùng để nhập rồi lưu lại.",
                                     "Delete the sheets that are not imported and save again."),
                             maximum=limits.max_sheets, actual=len(names), file=file)  # fmt: skip
        yield workbook
    finally:
        workbook.close()


# ------------------------------------------------------------------------------------ rows of a sheet


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parsed_rows(ws: Any, file: str) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(row number, cells present) as the XML has them; openpyxl's own errors become a 422."""
    wb = ws.parent
    try:
        with ws._get_source() as source:
            parser = WorkSheetParser(
                source, ws._shared_strings, data_only=True, epoch=wb.epoch,
                date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats,
            )  # fmt: skip
            yield from parser.parse()
    except (SogocError, MemoryError):
        raise
    except Exception as exc:  # bad XML, a shared string that is not there, a cell reference like ZZZZ1 ...
        raise _unreadable(exc, file) from exc


def sheet_rows(ws: Any, limits: SpreadsheetLimits, *, file: str) -> Iterator[tuple[int, list[Any]]]:
    """(Excel row number, values up to the right-most value) of every row of a read-only worksheet that
    holds a value; at most ``max_rows`` such rows, ``max_cells`` cell elements, ``max_columns`` columns."""
    sheet = ws.title
    rows = cells = 0
    for number, present in _parsed_rows(ws, file):
        cells += len(present)
        if cells > limits.max_cells:
            vi, en = thousands(limits.max_cells)
            raise over_limit(limits, "max_cells", Message(f"trang tính '{sheet}' có hơn {vi} ô (kể cả ô trống có "
                                                          "định dạng)", f"sheet '{sheet}' has more than {en} cells "
                                                          "(empty formatted cells included)"),
                             SPLIT, maximum=limits.max_cells, file=file, sheet=sheet, row=number)  # fmt: skip
        values = [(cell["column"], cell["value"]) for cell in present if not _blank(cell["value"])]
        if not values:
            continue
        rows += 1
        if rows > limits.max_rows:
            vi, en = thousands(limits.max_rows)
            raise over_limit(limits, "max_rows", Message(f"trang tính '{sheet}' có hơn {vi} dòng có dữ liệu",
                                                         f"sheet '{sheet}' has more than {en} rows with data"),
                             SPLIT, maximum=limits.max_rows, file=file, sheet=sheet, row=number)  # fmt: skip
        last = max(column for column, _ in values)
        if not 1 <= number <= EXCEL_MAX_ROWS or min(column for column, _ in values) < 1 or last > EXCEL_MAX_COLUMNS:
            raise _unreadable(ValueError(f"cell outside the sheet at row {number}"), file)
        if last > limits.max_columns:
            ref = f"{get_column_letter(last)}{number}"
            raise over_limit(limits, "max_columns",
                             Message(f"ô {ref} của trang tính '{sheet}' ở cột thứ {last}, tối đa {limits.max_columns} "
                                     "cột", f"cell {ref} of sheet '{sheet}' is in column {last}, at most "
                                     f"{limits.max_columns} columns"),
                             Message("Xoá nội dung ở các cột nằm ngoài bảng mẫu rồi lưu lại.",
                                     "Delete what is in the columns outside the template and save again."),
                             maximum=limits.max_columns, actual=last, file=file, sheet=sheet, cell=ref)  # fmt: skip
        out: list[Any] = [None] * last
        for cell in present:
            if cell["column"] <= last:
                out[cell["column"] - 1] = cell["value"]
        yield number, out


# ------------------------------------------------------------------------------------ CSV


def _lines(text: str, limits: SpreadsheetLimits, file: str) -> Iterator[str]:
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limits.max_line_chars:
            vi, en = thousands(limits.max_line_chars)
            raise over_limit(limits, "max_line_chars", Message(f"dòng {number} của tệp {file} dài hơn {vi} ký tự",
                                                               f"line {number} of {file} is longer than {en} "
                                                               "characters"),
                             Message("Kiểm tra dấu ngoặc kép và dấu phân cách; mỗi dòng là một bản ghi.",
                                     "Check the quotes and separators; each line is one record."),
                             maximum=limits.max_line_chars, actual=len(line), file=file, line=number)  # fmt: skip
        yield line


def csv_delimiter(text: str, limits: SpreadsheetLimits) -> str:
    """The delimiter used by the header line: ',', ';' or tab, whichever occurs most."""
    first = text[: limits.max_line_chars + 1].split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def csv_rows(text: str, limits: SpreadsheetLimits, *, file: str) -> list[tuple[int, list[str]]]:
    """(record number, fields) of every record of a CSV text that holds a value, within the limits."""
    reader: Iterable[list[str]] = csv.reader(_lines(text, limits, file), delimiter=csv_delimiter(text, limits))
    out: list[tuple[int, list[str]]] = []
    cells = 0
    number = 0
    try:
        for number, values in enumerate(reader, start=1):
            filled = [i for i, v in enumerate(values, start=1) if v.strip()]
            if not filled:
                continue
            cells += len(filled)
            if len(out) >= limits.max_rows or cells > limits.max_cells:
                limit, top = (
                    ("max_rows", limits.max_rows) if len(out) >= limits.max_rows else ("max_cells", limits.max_cells)
                )
                vi, en = thousands(top)
                what = ("dòng có dữ liệu", "rows with data") if limit == "max_rows" else ("ô có dữ liệu", "values")
                raise over_limit(limits, limit, Message(f"tệp {file} có hơn {vi} {what[0]}",
                                                        f"{file} has more than {en} {what[1]}"),
                                 SPLIT, maximum=top, file=file, row=number)  # fmt: skip
            if filled[-1] > limits.max_columns:
                raise over_limit(limits, "max_columns", Message(f"dòng {number} của tệp {file} có giá trị ở cột thứ "
                                                                f"{filled[-1]}, tối đa {limits.max_columns} cột",
                                                                f"row {number} of {file} has a value in column "
                                                                f"{filled[-1]}, at most {limits.max_columns} columns"),
                                 Message("Xoá các cột thừa, kiểm tra dấu phân cách rồi lưu lại.",
                                         "Delete the extra columns, check the separator and save again."),
                                 maximum=limits.max_columns, actual=filled[-1], file=file, row=number)  # fmt: skip
            out.append((number, values))
    except csv.Error as exc:
        raise malformed(Message(f"Tệp {file} không đúng định dạng CSV ở bản ghi {number + 1}: {exc}",
                                f"{file} is not valid CSV at record {number + 1}: {exc}"),
                        Message("Lưu lại tệp dạng 'CSV UTF-8' bằng Excel hoặc LibreOffice.",
                                "Save the file again as 'CSV UTF-8' from Excel or LibreOffice."),
                        file=file, row=number + 1) from exc  # fmt: skip
    return out
