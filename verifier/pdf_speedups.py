"""Opt-in speed-ups for pyHanko's PDF reader and for certificate-name comparison, with identical results.

pyHanko 0.38 reads hex strings one character at a time (about 0.6 µs per digit). A signature's
``/Contents`` is a 16,000–40,000 digit hex string, and every later signing step and every
validation re-reads the earlier ones, so for a three-signature transcript this tokenizer was
the largest single cost (~45 ms per document). :func:`install` swaps in a reader that finds the
closing ``>`` with one ``bytes.find`` and decodes with ``binascii``; anything unusual (a
comment, an invalid digit, a missing ``>``) falls back to pyHanko's own reader, so errors and
edge cases are exactly pyHanko's. A differential test checks both on many inputs.

Path building compares X.509 names after RFC 4518 string preparation (asn1crypto's ``_ldap_string_prep``), about
270 times per three-signature transcript, each time on freshly parsed certificates, so asn1crypto's per-object
cache never hits. The preparation is a pure function of the string: :func:`install` memoises it (a bounded dict),
which saves about 6 ms per verification.

Literal strings: pyHanko 0.38 reads ``(…)`` strings one byte at a time too. The document information (title,
subject, keywords) is UTF-16 with an octal escape for nearly every byte, about 70 strings of 300–500 characters per
transcript, read again for each revision. :func:`fast_read_string_literal_bytes` scans for the only bytes that
matter (``(``, ``)``, ``\\``) with one regular expression and decodes the escapes; anything pyHanko would treat
specially or refuse (a line continuation, an ``8``/``9`` or over-large octal escape, an unknown escape, no closing
parenthesis in the first 64 KiB) goes to pyHanko's own reader from the start, so results and errors are pyHanko's.
A differential test checks both on many inputs.

Object identifiers: asn1crypto turns an OID's DER bytes into its dotted string once per parsed object, about 650
times per three-signature transcript (every certificate, CRL, OCSP answer and CMS attribute is parsed afresh). The
string is a pure function of the bytes, so :func:`install` memoises it by them (a bounded dict): about 20 ms less
per verification on a loaded 2-core machine.
"""

from __future__ import annotations

import binascii
import re
from typing import IO, Any

from asn1crypto import core, x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE
from pyhanko.version import __version__ as PYHANKO_VERSION

__all__ = [
    "fast_read_hex_string_from_stream",
    "fast_read_string_literal_bytes",
    "install",
    "installed",
    "memoised_dotted",
    "memoised_ldap_string_prep",
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
_DIGITS = frozenset(b"0123456789")


def fast_read_string_literal_bytes(stream: IO[bytes]) -> bytes:
    """pyHanko's ``_read_string_literal_bytes`` (the stream at the opening ``(``), scanning instead of stepping."""
    start = stream.tell()
    chunk = stream.read(_CHUNK)
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


_ORIGINAL_PREP = x509.NameTypeAndValue._ldap_string_prep
_PREPPED: dict[str, str] = {}
_PREPPED_MAX = 4096


def memoised_ldap_string_prep(self: Any, string: str) -> str:
    """asn1crypto's RFC 4518 preparation, memoised by the string (it depends on nothing else)."""
    prepped = _PREPPED.get(string)
    if prepped is None:
        prepped = _ORIGINAL_PREP(self, string)
        if len(_PREPPED) >= _PREPPED_MAX:
            _PREPPED.clear()
        _PREPPED[string] = prepped
    return prepped


_ORIGINAL_DOTTED = core.ObjectIdentifier.dotted
_DOTTED: dict[bytes, str] = {}
_DOTTED_MAX = 4096


def _memoised_dotted(self: Any) -> str:
    """asn1crypto's ``ObjectIdentifier.dotted``, memoised by the DER contents (it depends on nothing else)."""
    if self._dotted is None:
        contents = self.contents
        dotted = _DOTTED.get(contents) if contents is not None else None
        if dotted is None:
            dotted = _ORIGINAL_DOTTED.fget(self)
            if contents is not None:
                if len(_DOTTED) >= _DOTTED_MAX:
                    _DOTTED.clear()
                _DOTTED[contents] = dotted
        self._dotted = dotted
    return str(self._dotted)


memoised_dotted = property(_memoised_dotted)


def install() -> bool:
    """Install the fast readers if this pyHanko version is one they were checked against, and the two caches."""
    x509.NameTypeAndValue._ldap_string_prep = memoised_ldap_string_prep
    core.ObjectIdentifier.dotted = memoised_dotted  # type: ignore[method-assign,assignment]
    if PYHANKO_VERSION not in SUPPORTED_PYHANKO:
        return False
    generic.read_hex_string_from_stream = fast_read_hex_string_from_stream
    generic._read_string_literal_bytes = fast_read_string_literal_bytes
    return True


def installed() -> bool:
    return generic.read_hex_string_from_stream is fast_read_hex_string_from_stream
