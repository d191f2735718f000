"""The fast dictionary reader (:mod:`verifier.pdf_dict_reader`) gives pyHanko's objects, errors and stream positions."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import PdfFileWriter

from verifier.pdf_dict_reader import fast_read_dictionary, original_read_dictionary

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "pdf-signatures"
DEMO_TRANSCRIPT = Path(__file__).resolve().parents[2] / "fuzz" / "corpus" / "pdf" / "demo-transcript.pdf"


def _container(value: Any) -> object:
    ref = getattr(value, "container_ref", None)
    if isinstance(ref, generic.Reference):
        return (ref.idnum, ref.generation, type(ref.pdf))
    return type(ref)  # the trailer's, or none


def _described(value: Any) -> object:
    """Everything a reader decides about a value: its type, contents, container and, for references, the handler."""
    if isinstance(value, generic.IndirectObject):
        return ("ref", value.idnum, value.generation, id(value.get_pdf_handler()), _container(value))
    if isinstance(value, generic.DictionaryObject):
        items = [(str(k), type(k), _described(value.raw_get(k))) for k in value]
        stream = value.encoded_data if isinstance(value, generic.StreamObject) else None
        return (type(value), items, stream, _container(value))
    if isinstance(value, generic.ArrayObject):
        return (type(value), [_described(value.raw_get(i)) for i in range(len(value))], _container(value))
    text = None if isinstance(value, generic.NullObject) else str(value)
    return (type(value), text, _container(value))


@pytest.fixture(scope="module")
def handler() -> PdfFileReader:
    out = BytesIO()
    PdfFileWriter().write(out)
    return PdfFileReader(BytesIO(out.getvalue()), strict=False)


def _read(reader: Any, data: bytes, handler: PdfFileReader) -> object:
    """What ``reader`` returns from ``data`` and where it leaves the stream, or its error."""
    stream = BytesIO(data)
    try:
        value = reader(stream, generic.Reference(12, 0, handler))
    except Exception as e:  # pyHanko's own errors must match too
        return ("error", type(e).__name__, str(e))
    return (_described(value), stream.tell())


def _assert_same(data: bytes, handler: PdfFileReader) -> None:
    assert _read(fast_read_dictionary, data, handler) == _read(original_read_dictionary, data, handler), data


@pytest.mark.parametrize(
    "data",
    [
        b"<< /Type /Page /Parent 3 0 R /Rotate 0 /Count -2 /Open true /Hidden false >> rest",
        b"<</Type/Annot/Subtype/Widget/F 4/P 5 0 R/Rect[0 0 10 10]/T(GVCN)/V 9 0 R>>",
        b"<< /Contents <48656c6c6f> /M (D:20261204) /ByteRange [0 1 2 3] /Scale 0.75 /N null >>",
        b"<< /A << /B << /C 1 0 R >> >> /D [1 0 R /E] >>",
        b"<< /Length 5 >>\nstream\nhello\nendstream",
        b"<< /Length 5 /Filter /FlateDecode >>stream\r\nhelloendstream",
        b"<<>>",
        b"<< >>",
        b"<< /A 1 >x",  # pyHanko reads any byte after the first '>'
        b"<< /A 1 % a comment\n /B 2 >>",
        b"<< % comment first\n/A 1 >>",
        b"<< /A %c\n 1 >>",
        b"<< /A 1 /A 2 >>",  # duplicate key: pyHanko warns and keeps the first
        b"<< /A#20B /C#2fD /E#zz 1 >>",
        b"<< /A#zz 1 >>",
        b"<< A 1 >>",
        b"< /A 1 >>",
        b"<< /A 0 0 R >>",  # reference number 0: pyHanko's error
        b"<< /A 1 0 R1 >>",  # R followed by a digit: still a reference for pyHanko
        b"<< /A 1 0 Rx >>",  # R followed by a letter: the number 1 for pyHanko
        b"<< /A 1 0 R",  # the end of the data
        b"<< /A 1",
        b"<< /A",
        b"<< /A 12345678901234567 0 R >>",  # the reference does not fit pyHanko's 20-byte look-ahead
        b"<< /A 1\x000 R >>",
        b"<< /A 1\x0b0 R >>",
        b"<< /A 1 0\x0bR >>",
        b"<< /A +5 /B -0 /C 007 /D 5- /E 1,5 /F 1.5.5 /G .5 /H - >>",
        b"<< /A truex /B falsey /C tru >>",
        b"<< /A /B/C /D/ /E >>",
        b"<<\x00/A\x001\x00>>",
        b"<<\t/A\f1\r\n/B\n/C>>",
    ],
)
def test_dictionaries_read_as_pyhanko_reads_them(data: bytes, handler: PdfFileReader) -> None:
    _assert_same(data, handler)


def test_random_dictionaries_read_as_pyhanko_reads_them(handler: PdfFileReader) -> None:
    rng = random.Random(31)
    keys = [b"/Type", b"/A", b"/Length", b"/K#20", b"/", b"/T", b"/Parent"]
    values = [b"/Page", b"12 0 R", b"0 0 R", b"3 0 Rx", b"3 0 R9", b"42", b"-7", b"+3", b"600.0977", b".5",
              b"true", b"false", b"null", b"(s)", b"<4142>", b"[1 2 3 0 R]", b"<< /X 1 0 R >>", b"%c\n 1", b"5-",
              b"tru"]  # fmt: skip
    spaces = [b" ", b"", b"\n", b"\r\n", b"\t", b"\x00", b"\x0b", b"  "]
    for _ in range(4000):
        entries = [
            rng.choice(keys) + rng.choice(spaces) + rng.choice(values) + rng.choice(spaces)
            for _ in range(rng.randint(0, 8))
        ]
        end = rng.choice([b">>", b">> tail", b"> >", b">", b"", b">>\nstream\nabc\nendstream"])
        data = b"<<" + rng.choice(spaces) + b"".join(entries) + end
        _assert_same(data, handler)


@contextmanager
def _dictionaries_read_by(reader: Any) -> Iterator[None]:
    before = generic.DictionaryObject.read_from_stream
    generic.DictionaryObject.read_from_stream = staticmethod(reader)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        generic.DictionaryObject.read_from_stream = before  # type: ignore[method-assign]


def _every_object(data: bytes, reader: Any) -> list[object]:
    """Every object of every revision as ``reader`` reads them (in full, references left as they are)."""
    with _dictionaries_read_by(reader):
        pdf = PdfFileReader(BytesIO(data), strict=False)
        out: list[object] = [_without_handler(_described(pdf.trailer.flatten()))]
        for revision in range(pdf.xrefs.total_revisions):
            for ref in sorted(pdf.xrefs.explicit_refs_in_revision(revision), key=lambda r: (r.idnum, r.generation)):
                try:
                    obj = pdf.get_object(ref, revision=revision)
                except Exception as e:  # the same error from both readers
                    out.append(("error", type(e).__name__))
                    continue
                out.append((revision, ref.idnum, _without_handler(_described(obj))))
    return out


def _without_handler(described: object) -> object:
    """References name their reader by identity; the two readers are different objects with the same contents."""
    if isinstance(described, tuple) and described and described[0] == "ref":
        return described[:3] + described[4:]
    if isinstance(described, (tuple, list)):
        return type(described)(_without_handler(x) for x in described)
    return described


def _pdfs() -> list[Path]:
    return [DEMO_TRANSCRIPT, *sorted(CORPUS.rglob("*.pdf"))]


@pytest.mark.parametrize("path", _pdfs(), ids=lambda p: p.name[:60])
def test_every_object_of_the_corpus_and_a_transcript_reads_as_with_pyhanko(path: Path) -> None:
    data = path.read_bytes()
    try:
        fast = _every_object(data, fast_read_dictionary)
    except Exception as e:  # a file pyHanko cannot open: the same error
        with pytest.raises(type(e)):
            _every_object(data, original_read_dictionary)
        return
    assert fast == _every_object(data, original_read_dictionary)
