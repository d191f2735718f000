"""pyHanko's dictionary reader (``DictionaryObject.read_from_stream``), with the same objects, errors and stream
positions, faster.

Every object pyHanko reads is a dictionary or inside one: about 115 dictionaries and 700 entries per verification
of a transcript, and again for each signing step. pyHanko 0.38 reads each entry with about ten calls (skip the
whitespace, step back, read the key byte by byte, skip, step back, peek at the value, dispatch, read it), so
reading objects was about a quarter of a verification.

:func:`fast_read_dictionary` matches one regular expression per entry over the stream's buffer. A key followed by
a plain value (an indirect reference, a name, an integer, ``true`` or ``false``) becomes the same objects pyHanko
would build, with the same ``container_ref``. Any other value (a string, an array, a nested dictionary, a real,
``null``) is read by pyHanko's ``read_object`` at its position, as pyHanko's loop would. Anything unusual (a
comment, a duplicate key, a single ``>``, a name pyHanko cannot decode, a number that pyHanko's 20-byte look-ahead
would read differently, the end of the data) sends the whole dictionary to pyHanko's own reader from its start, so
its result or error is pyHanko's. Errors raised while reading a value are pyHanko's own and pass through
untouched. Only dictionaries read from an in-memory stream outside content streams take the fast path.
Installed by :func:`verifier.pdf_speedups.install` for the pyHanko versions it lists; a differential test
compares both readers on many inputs.
"""

from __future__ import annotations

import io
import re
from typing import IO, Any

from pyhanko.pdf_utils import generic

__all__ = ["fast_read_dictionary", "original_read_dictionary"]

original_read_dictionary = generic.DictionaryObject.read_from_stream

_WHITESPACE = rb"[ \n\r\t\f\x00]"  # pyHanko's PDF_WHITESPACE
_REGULAR = rb"[^ \n\r\t\f\x00()<>\[\]{}/%]"  # neither whitespace nor a delimiter: the bytes of a name
_DELIMITED = rb"(?=[ \n\r\t\f\x00()<>\[\]{}/%])"  # the token ends here for every pyHanko reader
_REF_SPACE = rb"[ \n\r\t\f]+"  # whitespace for both pyHanko's INDIRECT_PATTERN (\s) and isspace()
_ENTRY = re.compile(
    _WHITESPACE + rb"*(?:(>>)|/(" + _REGULAR + rb"*)" + _DELIMITED + _WHITESPACE + rb"*(?:"
    rb"(\d+)"
    + _REF_SPACE
    + rb"(\d+)"
    + _REF_SPACE
    + rb"R"
    + _DELIMITED  # 3, 4: an indirect reference
    + rb"|/("
    + _REGULAR
    + rb"*)"
    + _DELIMITED  # 5: a name
    + rb"|([+-]?\d+)"
    + _DELIMITED  # 6: an integer
    + rb"|(true|false)"
    + _DELIMITED  # 7: a boolean
    + rb"|(?=[^% \n\r\t\f\x00])))"  # any other value (not a comment), read by pyHanko's read_object
)
_PEEK = 20  # pyHanko's read_object looks this far ahead for "N G R"
_new_int = int.__new__


class _Unusual(Exception):
    """Something pyHanko's own reader should see: it reads the dictionary again from its start."""


def fast_read_dictionary(
    stream: IO[bytes],
    container_ref: Any,
    as_metadata_stream: bool = False,
    in_content_stream: Any = generic.ContentOpReading.NO,
) -> Any:
    if as_metadata_stream or in_content_stream or type(stream) is not io.BytesIO:
        return original_read_dictionary(
            stream, container_ref, as_metadata_stream=as_metadata_stream, in_content_stream=in_content_stream
        )
    start = stream.tell()
    handler = container_ref.get_pdf_handler()
    try:
        data = _read_entries(stream, container_ref, handler, start)
    except _Unusual:
        stream.seek(start)
        return original_read_dictionary(stream, container_ref, in_content_stream=in_content_stream)
    stream_data = generic._maybe_read_stream_payload(stream, data, handler)
    if stream_data is not None:
        return generic.StreamObject(data, encoded_data=stream_data)
    return generic.DictionaryObject(data)


def _read_entries(stream: io.BytesIO, container_ref: Any, handler: Any, start: int) -> dict[Any, Any]:
    """The entries up to ``>>``, leaving the stream after it; :class:`_Unusual` when pyHanko should read them."""
    data: dict[Any, Any] = {}
    pos = start + 2
    with stream.getbuffer() as buf:
        if bytes(buf[start:pos]) != b"<<":
            raise _Unusual  # pyHanko's error
    while True:
        with stream.getbuffer() as buf:
            m = _ENTRY.match(buf, pos)
            if m is None:
                raise _Unusual
            end, groups = m.end(), m.groups()
            number_at = m.start(3) if groups[2] is not None else m.start(6) if groups[5] is not None else -1
            peek = bytes(buf[number_at : number_at + _PEEK]) if number_at >= 0 else b""
        closing, key_bytes, idnum, generation, name, integer, boolean = groups
        if closing is not None:
            stream.seek(end)
            return data
        key = _name(key_bytes)
        if key in data:
            raise _Unusual  # pyHanko warns, or refuses in strict mode
        value: Any
        if idnum is not None:
            if int(idnum) <= 0 or generic.INDIRECT_PATTERN.match(peek) is None:
                raise _Unusual
            value = generic.IndirectObject(int(idnum), int(generation), handler)
            pos = end
        elif name is not None:
            value = _name(name)
            pos = end
        elif integer is not None:
            if integer[:1] not in b"+-" and generic.INDIRECT_PATTERN.match(peek) is not None:
                raise _Unusual  # pyHanko would read "N G R..." there as a reference
            value = _new_int(generic.NumberObject, int(integer))
            pos = end
        elif boolean is not None:
            value = generic.BooleanObject(boolean == b"true")
            pos = end
        else:
            stream.seek(end)
            value = generic.read_object(stream, container_ref)
            pos = stream.tell()
        value.container_ref = container_ref  # as read_object sets it on every object it reads
        data[key] = value


def _name(raw: bytes) -> Any:
    try:
        return generic._decode_name(raw)
    except Exception as e:  # pyHanko's reader wraps (keys) or raises (values) its own error
        raise _Unusual from e
