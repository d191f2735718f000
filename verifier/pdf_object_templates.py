"""Objects a school's documents share byte for byte, parsed once: the same objects as pyHanko's parse, faster.

A transcript's fonts, font descriptors, pages, resources and form fields are the same bytes in every transcript a
school issues (58 of the 72 objects a verification reads, and three quarters of the time spent reading them).
pyHanko parses each again for every document, in pure Python.

:func:`templated_read_object` wraps pyHanko 0.38's ``PdfFileReader._read_object``. When pyHanko has parsed the same
object from the same bytes a second time, it keeps a *template* of the result: the classes and values of the
object's parts, and nothing that points at the reader. The next time those bytes are read as that object, by any
reader, the parts are built from the template instead of parsed: each part of the same class, with the same value
and attributes, and with its ``container_ref`` (and a reference's target) on the new reader, as pyHanko's parse of
those bytes gives. The parts are new objects every time, so a caller that changes one (a signer adding its field)
changes its own.

What the template is keyed by, and when one is used:

* The key is the object number and generation asked for, and *every byte* from the object's offset to the next
  offset the file's cross-reference sections know (the next object, or a cross-reference section), or the end of
  the file. A parse of an object reads its header, the object, ``endobj`` and the whitespace after it; a template is
  kept only when all of that lay within those bytes, so nothing outside them can have changed the result.
* Only a strict reader of an unencrypted file, only an object at an offset (not inside an object stream), only a
  plain read (not as an XMP metadata stream), and only objects of at most :data:`MAX_OBJECT_BYTES`.
* Only dictionaries, arrays, references, names, numbers, strings, booleans and null, each with the attributes
  pyHanko's parse gives them, and streams whose ``/Length`` is a number in their dictionary (another object's would
  not be in the key), with their data still encoded, as the parse leaves it. Nothing else is kept.
* A parse that failed is never kept: the same bytes are parsed again, and fail again, in pyHanko's own way.
* An object is kept only from its second parse: most of those that change in every document (a signature, the form
  and page that list it) are never kept, so they neither fill the store nor burden the garbage collector.
* The templates are bounded (:data:`MAX_TEMPLATES` templates holding at most :data:`MAX_TEMPLATE_BYTES` in all;
  a full store is emptied), like the other memos, so a stream of strangers' files cannot make a verifier hold more.

A differential test (``tests/verifier/test_object_templates.py``) reads every object of every revision of the shared
corpus and of the demo transcript with and without templates, and compares the results part by part.
"""

from __future__ import annotations

import bisect
import decimal
import io
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import reader as pdf_reader

__all__ = ["MAX_OBJECT_BYTES", "MAX_TEMPLATES", "MAX_TEMPLATE_BYTES", "original_read_object", "templated_read_object"]

MAX_OBJECT_BYTES = 16 * 1024
MAX_TEMPLATES = 4096
MAX_TEMPLATE_BYTES = 8 * 1024 * 1024

original_read_object = pdf_reader.PdfFileReader._read_object
_TEMPLATES: dict[tuple[int, int, bytes], tuple[Any, int]] = {}
_kept_bytes = 0
_SEEN: set[int] = set()
MAX_SEEN = 65536

# a template part: (build, value, extra) where build(value, extra, container_ref, handler) makes the part
_new_str = str.__new__
_new_int = int.__new__
_new_bytes = bytes.__new__
_new_decimal = decimal.Decimal.__new__


def templated_read_object(
    self: Any, ref: Any, marker: Any, never_decrypt: bool = False, as_metadata_stream: bool = False
) -> Any:
    """pyHanko's ``PdfFileReader._read_object``; an object whose bytes were read before is built from its template."""
    ends = _region_ends(self) if type(marker) is int and not as_metadata_stream else None
    if ends is None:
        return original_read_object(self, ref, marker, never_decrypt, as_metadata_stream)
    end = ends[bisect.bisect_right(ends, marker)] if marker < ends[-1] else marker
    if end - marker > MAX_OBJECT_BYTES:
        return original_read_object(self, ref, marker, never_decrypt, as_metadata_stream)
    idnum, generation = int(ref.idnum), int(ref.generation)  # plain numbers: a parsed one points at its reader
    with self.stream.getbuffer() as buf:
        key = (idnum, generation, bytes(buf[marker:end]))
    kept = _TEMPLATES.get(key)
    if kept is not None:
        template, read_to = kept
        obj = _build(template, generic.Reference(idnum, generation, self), self)
        self.stream.seek(marker + read_to)  # where pyHanko's parse leaves the stream
        return obj
    obj = original_read_object(self, ref, marker, never_decrypt, as_metadata_stream)
    read_to = self.stream.tell() - marker
    if read_to <= end - marker and _seen_before(key):  # nothing read after the region; parsed once already
        template = _template(obj, ref, self)
        if template is not None:
            _keep(key, (template, read_to), len(key[2]) * (2 if template[0] is _build_stream else 1))
    return obj


def _seen_before(key: tuple[int, int, bytes]) -> bool:
    """Whether ``key`` was parsed before (by its hash: a collision only keeps one template too many). An object
    that changes in every document (a signature, the form that lists it) is parsed once, and never kept."""
    seen = hash(key)
    if seen in _SEEN:
        return True
    if len(_SEEN) >= MAX_SEEN:
        _SEEN.clear()
    _SEEN.add(seen)
    return False


def _keep(key: tuple[int, int, bytes], kept: tuple[Any, int], size: int) -> None:
    """Keep a template; ``size``: the bytes it holds (its key's, and a stream's data)."""
    global _kept_bytes
    if len(_TEMPLATES) >= MAX_TEMPLATES or _kept_bytes + size > MAX_TEMPLATE_BYTES:
        _TEMPLATES.clear()
        _kept_bytes = 0
    _TEMPLATES[key] = kept
    _kept_bytes += size


def _region_ends(reader: Any) -> list[int] | None:
    """The offsets the reader's cross-reference sections know (objects and sections) and the end of the file, in
    order; None when the reader is one templates are not for: lenient, encrypted, or not reading bytes in memory."""
    state = reader.__dict__.get("_sogoc_region_ends", _UNKNOWN)
    if state is not _UNKNOWN:
        return state  # type: ignore[no-any-return]
    attrs = reader.__dict__
    if "xrefs" not in attrs or "trailer" not in attrs:  # still being opened: ask again later
        return None
    ends = None
    if reader.strict and type(reader.stream) is io.BytesIO and not _may_be_encrypted(reader):
        known: set[int] = set()
        for section in reader.xrefs._xref_sections:
            known.update(offset for _, offset in section.xref_data.standard_xrefs.values())
            known.add(section.meta_info.start_location)
        known.add(len(reader.stream.getbuffer()))
        ends = sorted(known)
    reader._sogoc_region_ends = ends
    return ends


def _may_be_encrypted(reader: Any) -> bool:
    """Whether the trailer has an ``/Encrypt`` entry, without reading it (reading it reads objects: this one)."""
    try:
        reader.trailer.raw_get("/Encrypt")
    except KeyError:
        return False
    except Exception:  # a trailer that cannot say: not for templates
        return True
    return True


_UNKNOWN = object()


def _template(obj: Any, ref: Any, reader: Any) -> Any:
    """The template of ``obj``, or None when some part is not one this module rebuilds exactly."""
    try:
        if type(obj) is generic.StreamObject:
            return _stream(obj, ref.idnum, ref.generation, reader)
        return _part(obj, ref.idnum, ref.generation, reader)
    except _NotKept:
        return None


def _stream(obj: Any, idnum: int, generation: int, reader: Any) -> Any:
    """A stream whose ``/Length`` is a number in its dictionary: its data, still encoded, is in the key's bytes."""
    attrs = _attributes(obj, idnum, generation, reader, _STREAM_ATTRIBUTES)
    encoded = attrs.get("_encoded_data")
    if (
        type(dict.get(obj, "/Length")) is not generic.NumberObject  # another object's: not in the key
        or type(encoded) is not bytes
        or attrs.get("_data") is not None
        or attrs.get("_handler") is not None
    ):
        raise _NotKept
    return (_build_stream, (_items(obj, idnum, generation, reader), encoded), None)


def _items(obj: Any, idnum: int, generation: int, reader: Any) -> tuple[tuple[str, Any], ...]:
    items = []
    for key, value in obj.items():
        if type(key) is not generic.NameObject or vars(key):
            raise _NotKept
        items.append((_new_str(str, key), _part(value, idnum, generation, reader)))
    return tuple(items)


class _NotKept(Exception):
    pass


def _attributes(obj: Any, idnum: int, generation: int, reader: Any, allowed: frozenset[str]) -> dict[str, Any]:
    """The part's attributes other than its container reference, which must be the object's own on ``reader``."""
    attrs = dict(vars(obj))
    container = attrs.pop("container_ref", None)
    if (
        type(container) is not generic.Reference
        or container.idnum != idnum
        or container.generation != generation
        or container.pdf is not reader
        or not set(attrs) <= allowed
    ):
        raise _NotKept
    return attrs


_NOTHING: frozenset[str] = frozenset()
_STREAM_ATTRIBUTES = frozenset({"_data", "_encoded_data", "_handler"})
_REFERENCE_ATTRIBUTES = frozenset({"reference"})
_ALLOWED = {
    generic.TextStringObject: frozenset({"autodetected_encoding"}),
    generic.BooleanObject: frozenset({"value"}),
}


def _part(obj: Any, idnum: int, generation: int, reader: Any) -> Any:
    cls = type(obj)
    if cls is generic.DictionaryObject:
        _attributes(obj, idnum, generation, reader, _NOTHING)
        return (_build_dict, _items(obj, idnum, generation, reader), None)
    if cls is generic.ArrayObject:
        _attributes(obj, idnum, generation, reader, _NOTHING)
        return (_build_array, tuple(_part(v, idnum, generation, reader) for v in obj), None)
    if cls is generic.IndirectObject:
        target = obj.reference
        _attributes(obj, idnum, generation, reader, _REFERENCE_ATTRIBUTES)
        if type(target) is not generic.Reference or target.pdf is not reader:
            raise _NotKept
        return (_build_reference, (int(target.idnum), int(target.generation)), None)
    build = _PRIMITIVES.get(cls)
    if build is None:
        raise _NotKept
    attrs = _attributes(obj, idnum, generation, reader, _ALLOWED.get(cls, _NOTHING))
    attrs.pop("value", None)  # a boolean's: its value
    return (build, _PLAIN[cls](obj), attrs or None)


def _build(template: Any, container_ref: Any, handler: Any) -> Any:
    build, value, extra = template
    return build(value, extra, container_ref, handler)


def _entries(items: Any, container_ref: Any, handler: Any) -> dict[Any, Any]:
    return {_new_str(generic.NameObject, key): _build(part, container_ref, handler) for key, part in items}


def _build_dict(items: Any, _: Any, container_ref: Any, handler: Any) -> Any:
    obj = generic.DictionaryObject(_entries(items, container_ref, handler))
    obj.container_ref = container_ref
    return obj


def _build_stream(parts: Any, _: Any, container_ref: Any, handler: Any) -> Any:
    items, encoded = parts
    obj = generic.StreamObject(_entries(items, container_ref, handler), encoded_data=encoded)
    obj.container_ref = container_ref
    return obj


def _build_array(parts: Any, _: Any, container_ref: Any, handler: Any) -> Any:
    obj = generic.ArrayObject([_build(part, container_ref, handler) for part in parts])
    obj.container_ref = container_ref
    return obj


def _build_reference(target: Any, _: Any, container_ref: Any, handler: Any) -> Any:
    obj = generic.IndirectObject(target[0], target[1], handler)
    obj.container_ref = container_ref
    return obj


def _primitive(make: Any) -> Any:
    def build(value: Any, extra: Any, container_ref: Any, _: Any) -> Any:
        obj = make(value)
        if extra:
            obj.__dict__.update(extra)
        obj.container_ref = container_ref
        return obj

    return build


# the part's value as a plain Python value, so that a template holds nothing of the document it was made from
_PLAIN: dict[type, Any] = {
    generic.NameObject: lambda o: _new_str(str, o),
    generic.NumberObject: lambda o: _new_int(int, o),
    generic.FloatObject: lambda o: _new_decimal(decimal.Decimal, o),
    generic.TextStringObject: lambda o: _new_str(str, o),
    generic.ByteStringObject: lambda o: _new_bytes(bytes, o),
    generic.BooleanObject: lambda o: bool(o.value),
    generic.NullObject: lambda o: None,
}
_PRIMITIVES = {
    generic.NameObject: _primitive(lambda v: _new_str(generic.NameObject, v)),
    generic.NumberObject: _primitive(lambda v: _new_int(generic.NumberObject, v)),
    generic.FloatObject: _primitive(lambda v: _new_decimal(generic.FloatObject, v)),
    generic.TextStringObject: _primitive(lambda v: _new_str(generic.TextStringObject, v)),
    generic.ByteStringObject: _primitive(lambda v: _new_bytes(generic.ByteStringObject, v)),
    generic.BooleanObject: _primitive(generic.BooleanObject),
    generic.NullObject: _primitive(lambda _: generic.NullObject()),
}
