"""Objects built from a template of an earlier parse (:mod:`verifier.pdf_object_templates`) are the objects pyHanko's
parse gives, part by part; templates are used only where they cannot differ, and hold nothing of their documents."""

from __future__ import annotations

import bisect
import enum
import gc
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter
from verification_reports import CORPUS, DEMO_TRANSCRIPT, comparable_reports, dev_root

from verifier import pdf_object_templates as templates
from verifier.pdf_signatures import preload

CORPUS_PDFS = sorted(CORPUS.rglob("*.pdf")) if CORPUS.is_dir() else []


@pytest.fixture(autouse=True)
def _installed_and_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    preload()  # pyHanko and the speed-ups: the templates are installed
    assert PdfFileReader._read_object is templates.templated_read_object
    monkeypatch.setattr(templates, "_TEMPLATES", {})
    monkeypatch.setattr(templates, "_kept_bytes", 0)
    monkeypatch.setattr(templates, "_SEEN", set())


def _learn(data: bytes) -> None:
    """Read every object of ``data`` twice: templates are kept from an object's second parse."""
    _read_every_object(data)
    _read_every_object(data)


def _describe(obj: Any, reader: Any) -> Any:
    """Everything about a parsed object that a reader of it can see: classes, values, attributes, and whether its
    references point at ``reader``."""
    attrs: dict[str, Any] = {}
    for name, value in sorted(getattr(obj, "__dict__", {}).items()):
        if isinstance(value, generic.Reference):
            attrs[name] = ("reference", value.idnum, value.generation, value.pdf is reader)
        elif name in {"_handler", "_data", "_encoded_data"}:  # a stream's: compared below
            attrs[name] = value is reader if name == "_handler" else value
        else:
            attrs[name] = repr(value)
    described: Any
    if isinstance(obj, generic.DictionaryObject):
        described = [(type(k).__name__, str(k), sorted(vars(k)), _describe(v, reader)) for k, v in obj.items()]
    elif isinstance(obj, generic.ArrayObject):
        described = [_describe(v, reader) for v in obj]
    elif isinstance(obj, generic.BooleanObject):
        described = obj.value
    elif isinstance(obj, generic.NullObject):
        described = None
    else:
        described = repr(obj)
    return (type(obj).__name__, attrs, described)


def _offsets(reader: PdfFileReader) -> Iterator[tuple[generic.Reference, int]]:
    for section in reader.xrefs._xref_sections:
        for idnum, (generation, offset) in sorted(section.xref_data.standard_xrefs.items()):
            yield generic.Reference(idnum, generation), offset


def _read_every_object(data: bytes, *, strict: bool = True) -> list[Any]:
    """Every object at an offset of every revision, read as verification reads it: the object, or the error, and
    where the read left the stream."""
    reader = PdfFileReader(BytesIO(data), strict=strict)
    out: list[Any] = []
    for ref, offset in _offsets(reader):
        try:
            obj = reader._read_object(ref, offset)
        except Exception as e:  # the error is the result being compared
            out.append((ref.idnum, offset, type(e).__name__, str(e)))
        else:
            out.append((ref.idnum, offset, _describe(obj, reader), reader.stream.tell()))
    return out


def _pyhankos(data: bytes, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> list[Any]:
    with monkeypatch.context() as m:
        m.setattr(PdfFileReader, "_read_object", templates.original_read_object)
        return _read_every_object(data, **kw)


def _files() -> list[Path]:
    return [DEMO_TRANSCRIPT, *CORPUS_PDFS]


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_object_built_from_a_template_is_pyhankos_parse(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = path.read_bytes()
    try:
        expected = _pyhankos(data, monkeypatch)
    except Exception:
        pytest.skip("pyHanko cannot open it")
    first = _read_every_object(data)  # parses
    second = _read_every_object(data)  # parses again, and keeps templates
    built = _read_every_object(data)  # a third reader: the same bytes, built from the templates
    assert first == expected
    assert second == expected
    assert built == expected


def test_a_transcript_read_again_is_built_from_templates_but_its_largest_objects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = DEMO_TRANSCRIPT.read_bytes()
    _learn(data)
    parsed: list[bool] = []
    original = templates.original_read_object

    def counted(self: Any, ref: Any, marker: int, *args: Any) -> Any:
        obj = original(self, ref, marker, *args)
        ends = templates._region_ends(self)
        assert ends is not None
        region = ends[bisect.bisect_right(ends, marker)] - marker
        parsed.append(region > templates.MAX_OBJECT_BYTES)
        return obj

    monkeypatch.setattr(templates, "original_read_object", counted)
    objects = _read_every_object(data)
    assert all(parsed)  # only an object too large for a template (a signature's, a font's data) is parsed again
    assert len(objects) - len(parsed) >= 70  # fonts, pages, annotations, fields, the catalog: built


def test_an_object_is_kept_from_its_second_parse_only() -> None:
    data = DEMO_TRANSCRIPT.read_bytes()
    _read_every_object(data)
    once = dict(templates._TEMPLATES)
    assert all(data.count(region) >= 2 for _, _, region in once)  # only what this file has twice (a catalog)
    _read_every_object(data)  # what changes in every document is parsed once, and never kept
    assert len(templates._TEMPLATES) > 4 * len(once)


def test_templates_hold_nothing_of_the_documents_they_came_from() -> None:
    _learn(DEMO_TRANSCRIPT.read_bytes())
    assert templates._TEMPLATES
    found, seen, stack = [], set(), [templates._TEMPLATES]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | ModuleType) or callable(obj):
            continue
        seen.add(id(obj))
        if str(type(obj).__module__).startswith("pyhanko") and not isinstance(obj, enum.Enum):  # enums: constants
            found.append(type(obj).__qualname__)
            continue
        stack.extend(gc.get_referents(obj))
    assert found == []  # a pyHanko object would keep its reader, and the whole document, alive


def test_the_same_bytes_asked_for_as_another_object_fail_as_in_pyhanko(monkeypatch: pytest.MonkeyPatch) -> None:
    data = DEMO_TRANSCRIPT.read_bytes()
    _learn(data)
    reader = PdfFileReader(BytesIO(data), strict=True)
    (_, offset), (other, _) = list(_offsets(reader))[1:3]
    with pytest.raises(PdfReadError, match="does not match") as templated:
        reader._read_object(other, offset)
    with pytest.raises(PdfReadError) as original:
        templates.original_read_object(reader, other, offset)
    assert str(templated.value) == str(original.value)


def test_a_changed_byte_is_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    data = DEMO_TRANSCRIPT.read_bytes()
    _learn(data)
    flags = re.search(rb"/Flags (\d)", data)
    assert flags is not None
    digit = flags.start(1)
    changed = data[:digit] + bytes([ord("0") + (int(flags.group(1)) + 1) % 10]) + data[digit + 1 :]
    assert _read_every_object(changed) == _pyhankos(changed, monkeypatch) != _pyhankos(data, monkeypatch)


def _small_document() -> bytes:
    w = PdfFileWriter(stream_xrefs=False)
    info = generic.DictionaryObject(
        {
            generic.NameObject("/Title"): generic.TextStringObject("Học bạ"),
            generic.NameObject("/Numbers"): generic.ArrayObject(
                [generic.NumberObject(1), generic.FloatObject("2.5"), generic.BooleanObject(True), generic.NullObject()]
            ),
            generic.NameObject("/Raw"): generic.ByteStringObject(b"\x00\xff"),
        }
    )
    w.root[generic.NameObject("/Extra")] = w.add_object(info)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def test_every_kind_of_value_is_built_as_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _small_document()
    expected = _pyhankos(data, monkeypatch)
    for _ in range(3):  # parsed, parsed and kept, built
        assert _read_every_object(data) == expected
    kinds = {type(part).__name__ for template, _ in templates._TEMPLATES.values() for part in _walk(template)}
    assert {"TextStringObject", "FloatObject", "BooleanObject", "NullObject", "ByteStringObject"} <= kinds


def _walk(template: Any) -> Iterator[Any]:
    """The parts a template builds, built (with no reader: only their classes are looked at)."""
    built = templates._build(template, generic.Reference(1, 0, None), None)
    stack = [built]
    while stack:
        part = stack.pop()
        yield part
        if isinstance(part, generic.DictionaryObject):
            stack.extend(part.values())
        elif isinstance(part, generic.ArrayObject):
            stack.extend(part)


def test_lenient_readers_and_encrypted_files_keep_no_template() -> None:
    data = DEMO_TRANSCRIPT.read_bytes()
    _read_every_object(data, strict=False)
    _read_every_object(data, strict=False)
    assert templates._TEMPLATES == {}

    w = PdfFileWriter()
    w.root[generic.NameObject("/Secret")] = w.add_object(generic.DictionaryObject())
    w.encrypt("owner", "")
    out = BytesIO()
    w.write(out)
    for _ in range(2):
        reader = PdfFileReader(BytesIO(out.getvalue()), strict=True)
        reader.decrypt("")
        for ref, offset in _offsets(reader):
            reader._read_object(ref, offset)
    assert templates._TEMPLATES == {}


def _hand_made(objects: list[bytes]) -> bytes:
    """A one-revision file of ``objects`` (object 1 first), with its cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_a_stream_is_kept_only_when_its_length_is_in_its_own_dictionary(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _hand_made(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"<< /Length 5 >>\nstream\nhello\nendstream",
            b"<< /Length 5 0 R >>\nstream\nworld\nendstream",  # its length is object 5's
            b"5",
        ]
    )
    for _ in range(3):  # parsed, parsed and kept, built
        assert _read_every_object(data) == _pyhankos(data, monkeypatch)
    kept = {key[0]: template for key, (template, _) in templates._TEMPLATES.items()}
    assert sorted(kept) == [1, 2, 3, 5]
    stream = next(_walk(kept[3]))
    assert isinstance(stream, generic.StreamObject) and stream.encoded_data == b"hello"


def test_an_object_whose_parse_reads_past_the_next_known_offset_keeps_no_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _small_document()
    reader = PdfFileReader(BytesIO(data), strict=True)
    (first, first_at), (_, second_at), *_ = sorted(_offsets(reader), key=lambda r: r[1])
    # the cross-reference table says the second object starts 5 bytes into the first one
    entry = f"{second_at:010d} 00000 n".encode()
    assert data.count(entry) == 1
    moved = data.replace(entry, f"{first_at + 5:010d} 00000 n".encode())
    for _ in range(3):
        assert _read_every_object(moved) == _pyhankos(moved, monkeypatch)
    assert templates._TEMPLATES and not any(key[0] == first.idnum for key in templates._TEMPLATES)


def test_the_store_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templates, "MAX_TEMPLATES", 3)
    _learn(DEMO_TRANSCRIPT.read_bytes())
    assert 0 < len(templates._TEMPLATES) <= 3
    monkeypatch.setattr(templates, "MAX_TEMPLATES", 10_000)
    monkeypatch.setattr(templates, "MAX_TEMPLATE_BYTES", 2_000)
    _read_every_object(DEMO_TRANSCRIPT.read_bytes())
    assert sum(len(key[2]) for key in templates._TEMPLATES) <= 2_000 + templates.MAX_OBJECT_BYTES


def test_verification_reports_are_the_same_with_templates_and_without(monkeypatch: pytest.MonkeyPatch) -> None:
    files, root = _files(), dev_root()
    first = comparable_reports(files, root)
    assert comparable_reports(files, root) == first  # keeps the templates
    assert templates._TEMPLATES
    assert comparable_reports(files, root) == first  # built from them
    monkeypatch.setattr(PdfFileReader, "_read_object", templates.original_read_object)
    assert comparable_reports(files, root) == first  # pyHanko's parse only
    assert first[0]["indication"] == "PASSED"
