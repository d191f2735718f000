"""Opt-in speed-ups for pyHanko's PDF reading and writing, with identical results.

pyHanko 0.38 reads hex strings one character at a time (about 0.6 µs per digit). A signature's
``/Contents`` is a 16,000–40,000 digit hex string, and every later signing step and every
validation re-reads the earlier ones, so for a three-signature transcript this tokenizer was
the largest single cost (~45 ms per document). :func:`install` swaps in a reader that finds the
closing ``>`` with one ``bytes.find`` and decodes with ``binascii``; anything unusual (a
comment, an invalid digit, a missing ``>``) falls back to pyHanko's own reader, so errors and
edge cases are exactly pyHanko's. A differential test checks both on many inputs.

Literal strings: pyHanko 0.38 reads ``(…)`` strings one byte at a time too. The document information (title,
subject, keywords) is UTF-16 with an octal escape for nearly every byte, about 70 strings of 300–500 characters per
transcript, read again for each revision. :func:`fast_read_string_literal_bytes` scans for the only bytes that
matter (``(``, ``)``, ``\\``) with one regular expression and decodes the escapes; anything pyHanko would treat
specially or refuse (a line continuation, an ``8``/``9`` or over-large octal escape, an unknown escape, no closing
parenthesis in the first 64 KiB) goes to pyHanko's own reader from the start, so results and errors are pyHanko's.
A differential test checks both on many inputs. The common case, a string with no parenthesis inside and only
three-digit octal, control and backslash escapes, is decoded in one call to C (``codecs.escape_decode``), which
reads those escapes exactly as the PDF reference and pyHanko do.

Writing text strings: pyHanko 0.38 writes a text string one byte at a time, octal-escaping every byte that is not
a letter, a digit or a space. Every signature rewrites the document information (the UTF-16 strings above), about
1,000 bytes, so :func:`fast_write_text_string` writes the same bytes with one join over a 256-entry table. Encrypted
documents keep pyHanko's own path.

Tokens and names: pyHanko 0.38 reads a name or keyword one byte at a time (``read_until_delimiter``), skips
whitespace with a loop set up for comments (``read_non_whitespace``), and decodes and writes every name byte by
byte. A transcript has about 600 names, read again for each revision and for each signing step. The token is found
with one regular-expression search (a token longer than 256 bytes goes to pyHanko's loop), whitespace before
a comment or the end goes to pyHanko's own reader, and a name's decoding and its written form are memoised by its
spelling (bounded dicts; errors are not kept, and each read gets a fresh ``NameObject``).

Object headers: every object read starts with its header, ``12 0 obj``, which pyHanko reads one byte at a time
(about 70 per verification). :func:`fast_read_object_header` matches the usual form with one regular expression;
any other goes to pyHanko's own reader.

Arrays of numbers: a font's ``/Widths`` (about 670 numbers per transcript), rectangles and byte ranges are read
element by element through ``read_object``, about 3.5 µs a number. :func:`fast_read_array` reads an array of
plain numbers with one match and builds the same ``NumberObject``/``FloatObject`` items (with their
``container_ref``); any other array goes to pyHanko's reader.

Historical revisions: difference analysis reads each revision through a ``HistoricalResolver``, which copies every
object it reads and, for every value inside, first builds a ``Reference`` to the value's container, then returns
numbers, names and strings unchanged (about 1,700 values per verification). :func:`fast_subsume_object` returns
those unchanged at once, and copies an array holding only those (a font's ``/Widths``) in one step; other
containers, references and anything unusual go to pyHanko's own method.

Objects read before: a school's documents share most of their objects byte for byte (fonts, pages, form fields).
:mod:`verifier.pdf_object_templates` builds such an object from a template of its first parse instead of parsing
it again.

The asn1crypto memos (certificate names, object identifiers, parsed certificates) are in
:mod:`verifier.asn1_speedups`, and the memo of successful signature checks in :mod:`verifier.signature_memo`;
:func:`install` installs them too.
"""

from __future__ import annotations

import binascii
import codecs
import decimal
import io
import os
import re
from typing import IO, Any

from pyhanko.pdf_utils import generic, misc, xref
from pyhanko.pdf_utils import reader as pdf_reader
from pyhanko.pdf_utils.misc import PDF_DELIMITERS, PDF_WHITESPACE
from pyhanko.sign.diff_analysis import policies as diff_policies
from pyhanko.version import __version__ as PYHANKO_VERSION

from verifier import asn1_speedups, signature_memo
from verifier.pdf_dict_reader import fast_read_dictionary
from verifier.pdf_object_templates import templated_read_object
from verifier.pdf_usage_walk import (
    fast_collect_dependencies,
    fast_load_reverse_xref_cache,
    once_per_revision_find_orphans,
)

__all__ = [
    "fast_read_array",
    "fast_read_hex_string_from_stream",
    "fast_read_non_whitespace",
    "fast_read_object_header",
    "fast_read_string_literal_bytes",
    "fast_read_until_delimiter",
    "fast_subsume_object",
    "fast_write_text_string",
    "install",
    "installed",
    "memoised_decode_name",
    "memoised_write_name",
]

_ORIGINAL = generic.read_hex_string_from_stream
_HEX = b"0123456789abcdefABCDEF"
_CHUNK = 1 << 16
SUPPORTED_PYHANKO = ("0.38.0",)


def fast_read_hex_string_from_stream(stream: IO[bytes]) -> Any:
    start = stream.tell()
    stream.read(1)  # the opening "<"
    parts: list[bytes] = []
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:  # no closing ">": let pyHanko raise its own error
            stream.seek(start)
            return _ORIGINAL(stream)
        end = chunk.find(b">")
        if end >= 0:
            parts.append(chunk[:end])
            break
        parts.append(chunk)
    body = b"".join(parts)
    stream.seek(start + 1 + len(body) + 1)
    digits = body.translate(None, PDF_WHITESPACE)
    if digits.translate(None, _HEX):  # a comment or a bad digit: pyHanko's path decides
        stream.seek(start)
        return _ORIGINAL(stream)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_ORIGINAL_LITERAL = generic._read_string_literal_bytes
_LITERAL_SPECIAL = re.compile(rb"[()\\]")
_PLAIN_ESCAPES = frozenset(b"() /%<>[]#_&$\\")  # pyHanko keeps the escaped byte itself
_CONTROL_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
_OCTAL = frozenset(b"01234567")
# The document information's UTF-16 strings: three-digit octal escapes (at most \\377), the five control escapes and
# an escaped backslash, no parenthesis. Python's escape_decode gives these bytes exactly as pyHanko does.
_SIMPLE_LITERAL = re.compile(rb"\(((?:[^\\()]|\\(?:[0-3][0-7][0-7]|[nrtbf\\]))*)\)")
_DIGITS = frozenset(b"0123456789")


def fast_read_string_literal_bytes(stream: IO[bytes]) -> bytes:
    """pyHanko's ``_read_string_literal_bytes`` (the stream at the opening ``(``), scanning instead of stepping."""
    start = stream.tell()
    chunk = stream.read(_CHUNK)
    simple = _SIMPLE_LITERAL.match(chunk)
    if simple is not None:  # no parentheses inside, and only escapes C's escape_decode reads as PDF does
        stream.seek(start + simple.end())
        return codecs.escape_decode(simple.group(1))[0]  # type: ignore[attr-defined,no-any-return]
    parts: list[bytes] = []
    parens, pos, size = 1, 1, len(chunk)
    for match in _LITERAL_SPECIAL.finditer(chunk, 1):
        i = match.start()
        if i < pos:  # the byte after a backslash: already taken by its escape
            continue
        byte = chunk[i]
        if byte == 0x28:  # (
            parens += 1
        elif byte == 0x29:  # )
            parens -= 1
            if parens == 0:
                parts.append(chunk[pos:i])
                stream.seek(start + i + 1)
                return b"".join(parts)
        else:  # a backslash
            parts.append(chunk[pos:i])
            escaped = chunk[i + 1] if i + 1 < size else None
            if escaped in _PLAIN_ESCAPES:
                parts.append(bytes((escaped,)))
                pos = i + 2
            elif escaped in _CONTROL_ESCAPES:
                parts.append(_CONTROL_ESCAPES[escaped])
                pos = i + 2
            elif escaped in _OCTAL:
                end = i + 2
                while end < i + 4 and end < size and chunk[end] in _DIGITS:
                    end += 1
                digits = chunk[i + 1 : end]
                if end >= size or not _OCTAL.issuperset(digits) or int(digits, 8) > 255:
                    break
                parts.append(bytes((int(digits, 8),)))
                pos = end
            else:  # end of chunk, a line continuation, an 8 or 9, or an escape pyHanko refuses
                break
    stream.seek(start)
    return bytes(_ORIGINAL_LITERAL(stream))


_ORIGINAL_TEXT_WRITE = generic.TextStringObject.write_to_stream
# pyHanko writes a text string's bytes as they are when ``bytes.isalnum()`` or a space, and as ``\\ddd`` otherwise
_LITERAL_BYTE = [bytes((c,)) if bytes((c,)).isalnum() or c == 0x20 else b"\\%03o" % c for c in range(256)]


def fast_write_text_string(self: Any, stream: IO[bytes], handler: Any = None, container_ref: Any = None) -> None:
    """pyHanko's ``TextStringObject.write_to_stream``, the same bytes, with one join instead of a write per byte."""
    if handler is not None and container_ref is not None:  # encrypted documents: pyHanko's own path
        _ORIGINAL_TEXT_WRITE(self, stream, handler, container_ref)
        return
    if self.force_output_encoding is not None:
        encoded = self.force_output_encoding.encode(self)
    else:
        try:
            encoded = generic.encode_pdfdocencoding(self)
        except UnicodeEncodeError:
            encoded = codecs.BOM_UTF16_BE + self.encode("utf-16be")
    stream.write(b"(" + b"".join(map(_LITERAL_BYTE.__getitem__, encoded)) + b")")


_ORIGINAL_UNTIL_DELIMITER = generic.read_until_delimiter
_DELIMITER = re.compile(b"[" + re.escape(PDF_WHITESPACE + PDF_DELIMITERS) + b"]")
_TOKEN_CHUNK = 256


def fast_read_until_delimiter(stream: IO[bytes]) -> bytes:
    """pyHanko's ``read_until_delimiter``: the bytes up to the next whitespace or delimiter, the stream left at it."""
    start = stream.tell()
    chunk = stream.read(_TOKEN_CHUNK)
    found = _DELIMITER.search(chunk)
    if found is not None:
        stream.seek(start + found.start())
        return chunk[: found.start()]
    if len(chunk) < _TOKEN_CHUNK:  # the end of the stream: everything read, nothing to rewind
        return chunk
    stream.seek(start)  # a token longer than the chunk: pyHanko's own loop
    return bytes(_ORIGINAL_UNTIL_DELIMITER(stream))


_ORIGINAL_NON_WHITESPACE = misc.read_non_whitespace


def fast_read_non_whitespace(stream: IO[bytes], seek_back: bool = False, allow_eof: bool = False) -> bytes:
    """pyHanko's ``read_non_whitespace`` without its loop set-up; a comment or the end goes to pyHanko's own."""
    tok = stream.read(1)
    while tok and tok in PDF_WHITESPACE:  # b"" is "in" any bytes: test it first
        tok = stream.read(1)
    if not tok or tok == b"%":
        stream.seek(-len(tok), os.SEEK_CUR)
        return bytes(_ORIGINAL_NON_WHITESPACE(stream, seek_back, allow_eof))
    if seek_back:
        stream.seek(-1, os.SEEK_CUR)
    return tok


_ORIGINAL_OBJECT_HEADER = xref._read_object_header
# "12 0 obj" with one whitespace byte between the parts, then any whitespace and the object's first byte (not a
# comment): pyHanko reads it byte by byte; anything else (more whitespace, a comment, a sign, another keyword,
# the end of the data) goes to pyHanko's own reader, which also warns about superfluous whitespace in strict mode.
_OBJECT_HEADER = re.compile(rb"(\d+)[ \n\r\t\f\x00](\d+)[ \n\r\t\f\x00]obj[ \n\r\t\f\x00]*(?=[^ \n\r\t\f\x00%])")
_HEADER_CHUNK = 64


def fast_read_object_header(stream: IO[bytes], strict: bool) -> tuple[int, int]:
    """pyHanko's ``_read_object_header``: ``(idnum, generation)``, the stream left at the object's first byte."""
    start = stream.tell()
    header = _OBJECT_HEADER.match(stream.read(_HEADER_CHUNK))
    if header is None:
        stream.seek(start)
        return _ORIGINAL_OBJECT_HEADER(stream, strict)  # type: ignore[no-any-return]
    stream.seek(start + header.end())
    return int(header.group(1)), int(header.group(2))


_ORIGINAL_READ_ARRAY = generic.ArrayObject.read_from_stream
# An array of plain numbers (a font's /Widths, a /Rect, a /ByteRange): each token ends at whitespace or at "]";
# anything else (a reference, a name, a comment, a NUL, a malformed number) goes to pyHanko's own reader.
_NUMBER_ARRAY = re.compile(rb"\[((?:[ \t\n\r\f]*[+-]?(?:\d+\.?\d*|\.\d+)(?=[ \t\n\r\f\]]))*)[ \t\n\r\f]*\]")


_ARRAY_CHUNK = 8192  # a transcript's longest number array, a font's /Widths, is about 1.3 KB
_new_int = int.__new__
_new_decimal = decimal.Decimal.__new__


def fast_read_array(stream: IO[bytes], container_ref: Any, in_content_stream: Any = None) -> Any:
    """pyHanko's ``ArrayObject.read_from_stream``, an array of plain numbers read with one match."""
    start = stream.tell()
    chunk = stream.read(_ARRAY_CHUNK)
    numbers = _NUMBER_ARRAY.match(chunk)
    stream.seek(start)
    if numbers is None:
        if in_content_stream is None:
            return _ORIGINAL_READ_ARRAY(stream, container_ref)
        return _ORIGINAL_READ_ARRAY(stream, container_ref, in_content_stream=in_content_stream)
    # FloatObject(text) is Decimal.__new__(FloatObject, text) and NumberObject(token) is
    # int.__new__(NumberObject, int(token)): called directly, without their Python-level __new__
    floating, integer = generic.FloatObject, generic.NumberObject
    arr = generic.ArrayObject(
        [
            _new_decimal(floating, token) if "." in token else _new_int(integer, int(token))
            for token in numbers.group(1).decode("ascii").split()  # the pattern admits only ASCII
        ]
    )
    for number in arr:
        number.container_ref = container_ref  # as read_object sets it on every object it reads
    stream.seek(start + numbers.end())
    return arr


_ORIGINAL_SUBSUME = pdf_reader.HistoricalResolver._subsume_object
_PRIMITIVES = frozenset(
    {
        generic.NumberObject,
        generic.FloatObject,
        generic.NameObject,
        generic.BooleanObject,
        generic.TextStringObject,
        generic.ByteStringObject,
        generic.NullObject,
    }
)


def fast_subsume_object(self: Any, obj: Any) -> Any:
    """``HistoricalResolver._subsume_object``: a primitive read from the file comes back as it is, as in pyHanko,
    without the ``Reference`` pyHanko builds first and only uses for containers. Anything else is pyHanko's."""
    if type(obj) in _PRIMITIVES and type(obj.container_ref) is generic.Reference:
        return obj
    if (
        type(obj) is generic.ArrayObject
        and type(obj.container_ref) is generic.Reference
        and all(type(v) in _PRIMITIVES and type(v.container_ref) is generic.Reference for v in obj)
    ):  # a font's /Widths: pyHanko's copy of the array, holding the same primitives
        ref = obj.container_ref
        copy = generic.ArrayObject(obj)
        copy.container_ref = generic.Reference(idnum=ref.idnum, generation=ref.generation, pdf=self)
        return copy
    return _ORIGINAL_SUBSUME(self, obj)


_ORIGINAL_DECODE_NAME = generic._decode_name
_NAMES: dict[bytes, str] = {}
_NAMES_MAX = 4096


def memoised_decode_name(name_bytes: bytes) -> generic.NameObject:
    """pyHanko's ``_decode_name``, memoised by the bytes (a fresh ``NameObject`` each time; errors not kept)."""
    name = _NAMES.get(name_bytes)
    if name is None:
        name = str(_ORIGINAL_DECODE_NAME(name_bytes))
        if len(_NAMES) >= _NAMES_MAX:
            _NAMES.clear()
        _NAMES[bytes(name_bytes)] = name
    return generic.NameObject(name)


_ORIGINAL_NAME_WRITE = generic.NameObject.write_to_stream
_NAME_BYTES: dict[str, bytes] = {}


def memoised_write_name(self: Any, stream: IO[bytes], handler: Any = None, container_ref: Any = None) -> None:
    """pyHanko's ``NameObject.write_to_stream``, memoised by the name (names are never encrypted; errors not kept)."""
    written = _NAME_BYTES.get(self)
    if written is None:
        out = io.BytesIO()
        _ORIGINAL_NAME_WRITE(self, out)
        written = out.getvalue()
        if len(_NAME_BYTES) >= _NAMES_MAX:
            _NAME_BYTES.clear()
        _NAME_BYTES[str(self)] = written
    stream.write(written)


def install() -> bool:
    """Install the fast string reader and writer if pyHanko is a version they were checked against; the caches."""
    asn1_speedups.install()
    if PYHANKO_VERSION not in SUPPORTED_PYHANKO:
        return False
    asn1_speedups.install_pyhanko_hooks()
    signature_memo.install()
    generic.read_hex_string_from_stream = fast_read_hex_string_from_stream
    generic._read_string_literal_bytes = fast_read_string_literal_bytes
    generic.TextStringObject.write_to_stream = fast_write_text_string  # type: ignore[method-assign]
    generic.read_until_delimiter = fast_read_until_delimiter
    xref._read_object_header = fast_read_object_header
    pdf_reader.HistoricalResolver._subsume_object = fast_subsume_object  # type: ignore[method-assign]
    pdf_reader.HistoricalResolver._load_reverse_xref_cache = fast_load_reverse_xref_cache  # type: ignore[method-assign]
    pdf_reader.HistoricalResolver.collect_dependencies = fast_collect_dependencies  # type: ignore[method-assign]
    diff_policies._find_orphans = once_per_revision_find_orphans
    pdf_reader.PdfFileReader._read_object = templated_read_object  # type: ignore[method-assign]
    generic.ArrayObject.read_from_stream = staticmethod(fast_read_array)  # type: ignore[method-assign,assignment]
    generic.DictionaryObject.read_from_stream = staticmethod(fast_read_dictionary)  # type: ignore[method-assign,assignment]
    generic.read_non_whitespace = misc.read_non_whitespace = fast_read_non_whitespace
    generic._decode_name = memoised_decode_name
    generic.NameObject.write_to_stream = memoised_write_name  # type: ignore[method-assign]
    return True


def installed() -> bool:
    return generic.read_hex_string_from_stream is fast_read_hex_string_from_stream
