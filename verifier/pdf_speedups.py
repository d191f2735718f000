"""Opt-in speed-ups for pyHanko's PDF reader, with identical results.

pyHanko 0.38 reads hex strings one character at a time (about 0.6 µs per digit). A signature's
``/Contents`` is a 16,000–40,000 digit hex string, and every later signing step and every
validation re-reads the earlier ones, so for a three-signature transcript this tokenizer was
the largest single cost (~45 ms per document). :func:`install` swaps in a reader that finds the
closing ``>`` with one ``bytes.find`` and decodes with ``binascii``; anything unusual (a
comment, an invalid digit, a missing ``>``) falls back to pyHanko's own reader, so errors and
edge cases are exactly pyHanko's. A differential test checks both on many inputs.
"""

from __future__ import annotations

import binascii
from typing import IO, Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE
from pyhanko.version import __version__ as PYHANKO_VERSION

__all__ = ["fast_read_hex_string_from_stream", "install", "installed"]

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


def install() -> bool:
    """Install the fast reader if this pyHanko version is one it was checked against."""
    if PYHANKO_VERSION not in SUPPORTED_PYHANKO:
        return False
    generic.read_hex_string_from_stream = fast_read_hex_string_from_stream
    return True


def installed() -> bool:
    return generic.read_hex_string_from_stream is fast_read_hex_string_from_stream
