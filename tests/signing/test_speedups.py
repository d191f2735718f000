"""Each speed-up of :mod:`verifier.pdf_speedups` gives exactly pyHanko's (or asn1crypto's) results, errors included."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfReadError, PdfWriteError

from verifier import asn1_speedups
from verifier import pdf_speedups as speedups


def _compare(
    original: Callable[..., Any], fast: Callable[..., Any], data: bytes, *args: Any, skip: int = 0
) -> tuple[object, object]:
    """What each reader returns from ``data`` (after ``skip`` bytes), and where it leaves the stream; or its error."""
    results: list[object] = []
    for reader in (original, fast):
        stream = BytesIO(data)
        stream.read(skip)
        try:
            results.append((_described(reader(stream, *args)), stream.tell()))
        except Exception as e:  # pyHanko's own errors (PdfStreamError, PdfReadError, ValueError) must match too
            results.append(("error", type(e).__name__, str(e)))
    return results[0], results[1]


def _described(value: Any) -> object:
    if isinstance(value, generic.ArrayObject):  # the items, their types and the container each was read in
        return [(type(x), str(x), getattr(x, "container_ref", None)) for x in value]
    if isinstance(value, generic.PdfObject):
        return (type(value), bytes(value.original_bytes))  # type: ignore[attr-defined]
    return bytes(value)


def _both(data: bytes) -> tuple[object, object]:
    return _compare(speedups._ORIGINAL, speedups.fast_read_hex_string_from_stream, data)


@pytest.mark.parametrize(
    "data",
    [
        b"<48656c6c6f>",
        b"<48 65\n6c\t6c 6f> trailing",
        b"<123>",  # odd number of digits: a trailing 0 is implied
        b"<>",
        b"<FEFF00480069>",  # UTF-16BE text
        b"<12%comment\n34>",
        b"<12zz>",  # bad digit
        b"<1234",  # no closing bracket
    ],
)
def test_fast_reader_matches_pyhanko_on_edge_cases(data: bytes) -> None:
    original, fast = _both(data)
    assert fast == original


def test_fast_reader_matches_pyhanko_on_random_signature_sized_strings() -> None:
    rng = random.Random(4)
    for _ in range(50):
        raw = rng.randbytes(rng.randint(0, 20000))
        text = raw.hex().encode()
        # sprinkle PDF whitespace the way writers wrap long strings
        pieces = [text[i : i + rng.randint(1, 200)] for i in range(0, len(text), 100)]
        data = b"<" + rng.choice([b"", b"\n", b" "]).join(pieces) + b">/Next"
        original, fast = _both(data)
        assert fast == original


def test_install_replaces_the_reader_for_the_checked_version() -> None:
    assert speedups.install()
    assert speedups.installed()


@pytest.mark.parametrize(
    "text",
    ["Trường THPT Demo Hải Phòng", "  Nguyễn   Thị\u00adHương ", "ABC\u200bdef", "Ｆｕｌｌ ｗｉｄｔｈ", "", "ß İ ǅ"],
)
def test_the_memoised_name_preparation_is_asn1cryptos_own_and_names_still_compare(text: str) -> None:
    from asn1crypto import x509

    value = x509.Name.build({"common_name": text or "x"}).chosen[0][0]
    prep, original = asn1_speedups.memoised_ldap_string_prep, asn1_speedups._ORIGINAL_PREP
    assert prep(value, text) == original(value, text)
    assert prep(value, text) == original(value, text)  # from the memo
    speedups.install()
    a = x509.Name.build({"common_name": "Trường THPT Demo", "organization_name": "Sở GDĐT"})
    b = x509.Name.build({"common_name": "trường  thpt demo", "organization_name": "Sở GDĐT"})
    assert (a == b) == (a.hashable == b.hashable)


def test_the_memoised_oid_string_is_asn1cryptos_own_for_known_and_random_identifiers() -> None:
    from asn1crypto import core

    rng = random.Random(11)
    dotted = ["1.2.840.113549.1.1.11", "2.5.4.3", "1.3.6.1.5.5.7.48.1", "2.999.1", "0.9.2342.19200300.100.1.25"]
    dotted += [".".join(str(rng.randrange(0, 2**40)) for _ in range(rng.randrange(1, 9))) for _ in range(200)]
    for text in dotted:
        first, *rest = text.split(".")
        text = f"{int(first) % 3}.{'.'.join(rest) or '0'}" if int(first) > 2 else text
        if text.startswith(("0.", "1.")) and int(text.split(".")[1]) >= 40:
            continue  # not encodable under arcs 0 and 1
        der = core.ObjectIdentifier(text).dump()
        expected = asn1_speedups._ORIGINAL_DOTTED.fget(core.ObjectIdentifier.load(der))
        for _ in range(2):  # computed, then from the memo
            assert asn1_speedups._memoised_dotted(core.ObjectIdentifier.load(der)) == expected == text


def _both_literal(data: bytes) -> tuple[object, object]:
    return _compare(speedups._ORIGINAL_LITERAL, speedups.fast_read_string_literal_bytes, data)


@pytest.mark.parametrize(
    "data",
    [
        b"(Hello) /Next",
        b"()",
        b"(a (nested (twice)) string) tail",
        b"(escaped \\( and \\) do not count) x",
        b"(\\n\\r\\t\\b\\f\\\\\\/\\%) x",
        b"(\\376\\377\\000H\\036\\315) x",  # UTF-16 text with octal escapes, as the document information is
        b"(\\0\\12\\123\\1234) x",  # one, two and three digits; a fourth is a plain digit
        b"(\\7) x",
        b"(\\8) x",  # isdigit but not octal: pyHanko raises ValueError
        b"(\\19) x",
        b"(\\400) x",  # over 255: pyHanko raises
        b"(line \\\ncontinued) x",
        b"(line \\\r\ncontinued) x",
        b"(\\q) x",  # an escape pyHanko refuses
        b"(unterminated",
        b"(ends in a backslash\\",
        b"(\\12",
        b"(",
    ],
)
def test_fast_literal_reader_matches_pyhanko_on_edge_cases(data: bytes) -> None:
    original, fast = _both_literal(data)
    assert fast == original


def test_fast_literal_reader_matches_pyhanko_on_random_strings() -> None:
    rng = random.Random(17)
    alphabet = b"()\\\\\\nrtbf01234567892 abc\r\n/%"
    for _ in range(3000):
        body = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        original, fast = _both_literal(b"(" + body + b") /Tail (more)")
        assert fast == original, body
    long_text = "Học bạ số / Digital school transcript ".encode("utf-16-be")
    escaped = b"".join(b"\\%03o" % b for b in long_text) * 20
    original, fast = _both_literal(b"(" + escaped + b")")
    assert fast == original and isinstance(original, tuple) and original[0] == long_text * 20


def test_the_one_call_literal_decoding_matches_pyhanko_on_escape_heavy_strings() -> None:
    # Mostly what the fast path takes (octal, control and backslash escapes), with now and then a byte that sends
    # it to the scanning path (a parenthesis, an 8 or 9 after an escape, a short octal escape, \\/).
    rng = random.Random(23)
    pieces = [b"\\000", b"\\377", b"\\036", b"\\315", b"\\n", b"\\r", b"\\t", b"\\b", b"\\f", b"\\\\", b"a", b" ", b"9"]
    rare = [b"(", b")", b"\\(", b"\\8", b"\\12", b"\\/", b"\\400", b"\r\n", b"\\\n"]
    for _ in range(3000):
        body = b"".join(rng.choice(pieces if rng.random() > 0.03 else rare) for _ in range(rng.randint(0, 40)))
        original, fast = _both_literal(b"(" + body + b")/Tail (x)")
        assert fast == original, body


def test_the_one_call_decoding_reads_the_document_information_as_pyhanko_does() -> None:
    text = "Học bạ Đinh Thanh Trang - năm học 2025-2026 / credential 10d7fb80"
    escaped = b"(" + b"".join(b"\\%03o" % b for b in b"\xfe\xff" + text.encode("utf-16-be")) + b") /Title"
    assert speedups._SIMPLE_LITERAL.match(escaped) is not None
    original, fast = _both_literal(escaped)
    assert fast == original


def _written(write: object, obj: generic.PdfObject) -> bytes:
    out = BytesIO()
    write(obj, out)  # type: ignore[operator]
    return out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Plain ASCII 123",
        "Học bạ số / Digital school transcript (lớp 10A1)",
        "tab\tnewline\n\\backslash ()",
        "€ and ™ are in PDFDocEncoding",
        "emoji 🎓 needs a surrogate pair",
    ],
)
def test_the_text_string_writer_writes_pyhankos_bytes(text: str) -> None:
    for forced in (None, *generic.TextStringEncoding):
        obj = generic.TextStringObject(text)
        obj.force_output_encoding = forced
        try:
            expected = _written(speedups._ORIGINAL_TEXT_WRITE, obj)
        except UnicodeEncodeError:
            with pytest.raises(UnicodeEncodeError):
                _written(speedups.fast_write_text_string, obj)
            continue
        assert _written(speedups.fast_write_text_string, obj) == expected


def test_the_text_string_writer_writes_pyhankos_bytes_for_random_text() -> None:
    rng = random.Random(5)
    alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxyÀÁẢÃẠ ()\\\t\n0123456789/%<>[]#" + "".join(map(chr, range(0, 256)))
    for _ in range(500):
        obj = generic.TextStringObject("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))))
        assert _written(speedups.fast_write_text_string, obj) == _written(speedups._ORIGINAL_TEXT_WRITE, obj)


def _both_token(data: bytes) -> tuple[object, object]:
    # as pyHanko calls it: after the "/" of a name, or within a token
    return _compare(speedups._ORIGINAL_UNTIL_DELIMITER, speedups.fast_read_until_delimiter, data, skip=1)


@pytest.mark.parametrize(
    "data",
    [
        b"/Type /Page",
        b"/Type/Page",
        b"/Length 12>>",
        b"/End",  # the end of the stream: nothing to rewind
        b"/",
        b"/A\x00B",
        b"/Name%comment\n",
        b"/" + b"x" * 300 + b" tail",  # longer than the fast reader's chunk
        b"/" + b"x" * 255,  # exactly the chunk, then the end of the stream
        b"/" + b"x" * 256,
    ],
)
def test_the_token_reader_stops_where_pyhankos_does(data: bytes) -> None:
    original, fast = _both_token(data)
    assert fast == original


def test_the_token_reader_stops_where_pyhankos_does_on_random_input() -> None:
    rng = random.Random(11)
    alphabet = b"abcXYZ019#.-_ \n\r\t\f\x00()<>[]{}/%"
    for _ in range(2000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 600)))
        original, fast = _both_token(b"/" + data)
        assert fast == original, data


def _decoded(decode: object, raw: bytes) -> object:
    try:
        name = decode(raw)  # type: ignore[operator]
        return (type(name), str(name))
    except Exception as e:
        return ("error", type(e).__name__, str(e))


@pytest.mark.parametrize(
    "raw", [b"Type", b"A#20B", b"Lime#20Green", b"#2F", b"caf#C3#A9", b"#E9t#E9", b"bad#zz", b"end#2", b"tab\tin", b""]
)
def test_the_memoised_name_decoding_is_pyhankos_own_and_keeps_no_errors(raw: bytes) -> None:
    for _ in range(2):  # the second time from the memo
        assert _decoded(speedups.memoised_decode_name, raw) == _decoded(speedups._ORIGINAL_DECODE_NAME, raw)


def test_the_memoised_name_decoding_gives_a_fresh_name_object_each_time() -> None:
    first, second = speedups.memoised_decode_name(b"Subtype"), speedups.memoised_decode_name(b"Subtype")
    assert first == second == "/Subtype" and first is not second and isinstance(second, generic.NameObject)


@pytest.mark.parametrize("name", ["/Type", "/A B", "/Lime#Green", "/café", "/(paren)", "/tab\t", "/"])
def test_the_memoised_name_writer_writes_pyhankos_bytes(name: str) -> None:
    for _ in range(2):
        assert _written(speedups.memoised_write_name, generic.NameObject(name)) == _written(
            speedups._ORIGINAL_NAME_WRITE, generic.NameObject(name)
        )


def test_the_memoised_name_writer_refuses_what_pyhanko_refuses_and_writes_nothing() -> None:
    out = BytesIO()
    for _ in range(2):
        with pytest.raises(PdfWriteError):
            speedups.memoised_write_name(generic.NameObject("NoSlash"), out)
    assert out.getvalue() == b""


def _both_non_whitespace(data: bytes, seek_back: bool, allow_eof: bool) -> tuple[object, object]:
    original, fast = speedups._ORIGINAL_NON_WHITESPACE, speedups.fast_read_non_whitespace
    return _compare(original, fast, data, seek_back, allow_eof)


@pytest.mark.parametrize(
    "data", [b"x", b"  \n\tx", b"", b"   ", b"%comment\n x", b"  %c\r\n%d\n/Name", b"\x00\fA", b"%"]
)
@pytest.mark.parametrize("seek_back", [False, True])
@pytest.mark.parametrize("allow_eof", [False, True])
def test_the_non_whitespace_reader_matches_pyhanko(data: bytes, seek_back: bool, allow_eof: bool) -> None:
    original, fast = _both_non_whitespace(data, seek_back, allow_eof)
    assert fast == original


def test_the_non_whitespace_reader_matches_pyhanko_on_random_input() -> None:
    rng = random.Random(3)
    alphabet = b" \n\r\t\f\x00%ab/<("
    for _ in range(2000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for seek_back in (False, True):
            original, fast = _both_non_whitespace(data, seek_back, allow_eof=True)
            assert fast == original, data


def test_the_memoised_name_key_is_asn1cryptos_own_and_follows_changes() -> None:
    from asn1crypto import x509

    names = [
        {"common_name": "Trường THPT Demo", "organization_name": "Sở GDĐT", "country_name": "VN"},
        {"common_name": "trường  thpt demo", "organization_name": "SỞ GDĐT", "country_name": "VN"},
        {"common_name": "Nguyễn Thị Hương", "email_address": "huong@example.vn"},
    ]
    for spec in names:
        der = x509.Name.build(spec).dump()
        expected = asn1_speedups._ORIGINAL_NAME_HASHABLE.fget(x509.Name.load(der))
        for _ in range(2):  # computed, then from the memo
            assert asn1_speedups._memoised_name_hashable(x509.Name.load(der)) == expected
    name = x509.Name.build(names[0])
    before = asn1_speedups._memoised_name_hashable(name)
    name.chosen[0][0]["value"] = x509.DirectoryString(name="utf8_string", value="Khác")  # a changed name ...
    assert asn1_speedups._memoised_name_hashable(name) != before  # ... is keyed by its new DER
    assert asn1_speedups._memoised_name_hashable(name) == asn1_speedups._ORIGINAL_NAME_HASHABLE.fget(name)


def _both_array(data: bytes) -> tuple[object, object]:
    return _compare(speedups._ORIGINAL_READ_ARRAY, speedups.fast_read_array, data, generic.Reference(12, 0))


@pytest.mark.parametrize(
    "data",
    [
        b"[ 600.0977 913.0859 684 -12 +3 .5 -.25 7. ] /Next",
        b"[0 0 595.28 841.89]",
        b"[]",
        b"[ ]",
        b"[1 0 R]",  # a reference: pyHanko's reader
        b"[1 2 3 0 R]",
        b"[/Name 1]",
        b"[1 %comment\n 2]",
        b"[1\x002]",
        b"[1-2]",
        b"[1.2.3]",
        b"[.]",
        b"[1 2",  # unterminated
        b"[007 -0 +0.0]",
        b"[1\r\n2\t3\f4]",
    ],
)
def test_the_number_array_reader_matches_pyhanko(data: bytes) -> None:
    original, fast = _both_array(data)
    assert fast == original


def test_the_number_array_reader_matches_pyhanko_on_random_arrays() -> None:
    rng = random.Random(29)
    tokens = [b"1", b"0", b"42", b"-7", b"+3", b"600.0977", b".5", b"-.25", b"7.", b"R", b"/W", b"(s)", b"%c\n", b"[9]"]
    spaces = [b" ", b"", b"\n", b"\r\n", b"\t", b"\x00"]
    for _ in range(3000):
        body = b"".join(rng.choice(tokens) + rng.choice(spaces) for _ in range(rng.randint(0, 12)))
        data = b"[" + rng.choice(spaces) + body + rng.choice([b"]", b"] /Tail", b""])
        original, fast = _both_array(data)
        assert fast == original, data
    numeric, blanks = tokens[:9], [b" ", b"\n", b"\r\n", b"\t", b"  "]
    for _ in range(1000):  # arrays the one-match path takes
        body = b"".join(rng.choice(numeric) + rng.choice(blanks) for _ in range(rng.randint(0, 40)))
        data = b"[" + body + b"]"
        assert speedups._NUMBER_ARRAY.match(data) is not None
        original, fast = _both_array(data)
        assert fast == original, data


def test_the_memoised_name_comparison_is_asn1cryptos_own() -> None:
    from asn1crypto import x509

    specs = [
        {"common_name": "Trường THPT Demo", "organization_name": "Sở GDĐT", "country_name": "VN"},
        {"common_name": "trường  thpt demo", "organization_name": "SỞ GDĐT", "country_name": "VN"},  # equal (RFC 4518)
        {"common_name": "Trường THPT Demo", "organization_name": "Sở GDĐT"},
        {"common_name": "Nguyễn Thị Hương", "email_address": "huong@example.vn"},
    ]
    ders = [x509.Name.build(spec).dump() for spec in specs]
    for a in ders:
        for b in ders:
            expected = asn1_speedups._ORIGINAL_NAME_EQ(x509.Name.load(a), x509.Name.load(b))
            for _ in range(2):  # computed, then from the memo
                assert asn1_speedups.memoised_name_eq(x509.Name.load(a), x509.Name.load(b)) == expected
    assert asn1_speedups.memoised_name_eq(x509.Name.load(ders[0]), x509.Name.load(ders[1]))  # the memo is not all False
    assert asn1_speedups.memoised_name_eq(x509.Name.load(ders[0]), "not a name") is False
    name = x509.Name.build(specs[0])
    assert asn1_speedups.memoised_name_eq(name, x509.Name.load(ders[0]))
    name.chosen[0][0]["value"] = x509.DirectoryString(name="utf8_string", value="Khác")  # a changed name ...
    assert not asn1_speedups.memoised_name_eq(name, x509.Name.load(ders[0]))  # ... is compared by its new DER


def _historical_resolver() -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import PdfFileWriter

    out = BytesIO()
    PdfFileWriter().write(out)
    return PdfFileReader(BytesIO(out.getvalue())).get_historical_resolver(0)


def test_subsuming_a_primitive_returns_it_as_pyhanko_does() -> None:
    resolver = _historical_resolver()
    for value in (
        generic.NumberObject(7),
        generic.FloatObject("600.0977"),
        generic.NameObject("/Widths"),
        generic.BooleanObject(True),
        generic.TextStringObject("Học bạ"),
        generic.ByteStringObject(b"\x00\x01"),
        generic.NullObject(),
    ):
        value.container_ref = generic.Reference(3, 0)
        assert speedups.fast_subsume_object(resolver, value) is speedups._ORIGINAL_SUBSUME(resolver, value) is value


def test_subsuming_anything_else_is_pyhankos_own() -> None:
    resolver = _historical_resolver()
    container = generic.Reference(3, 0)
    widths = generic.ArrayObject([generic.NumberObject(1), generic.IndirectObject(5, 0, None)])
    font = generic.DictionaryObject({generic.NameObject("/Widths"): widths})
    for obj in (font, widths, *widths, *font.values()):
        obj.container_ref = container
    for obj in (font, widths):
        fast, original = speedups.fast_subsume_object(resolver, obj), speedups._ORIGINAL_SUBSUME(resolver, obj)
        assert type(fast) is type(original) and fast == original and fast is not obj
        assert fast.container_ref == original.container_ref and fast.container_ref.get_pdf_handler() is resolver
    numbers = generic.ArrayObject([generic.FloatObject("600.0977"), generic.NumberObject(3), generic.NameObject("/W")])
    for obj in (numbers, *numbers):
        obj.container_ref = container
    fast, original = speedups.fast_subsume_object(resolver, numbers), speedups._ORIGINAL_SUBSUME(resolver, numbers)
    assert type(fast) is generic.ArrayObject and fast is not numbers
    assert [(type(x), x, x.container_ref) for x in fast] == [(type(x), x, x.container_ref) for x in original]
    assert all(a is b for a, b in zip(fast, original, strict=True))  # the same primitives, not copies
    assert fast.container_ref == original.container_ref and fast.container_ref.get_pdf_handler() is resolver
    orphan = generic.NumberObject(1)  # no container: pyHanko's error
    with pytest.raises(PdfReadError):
        speedups._ORIGINAL_SUBSUME(resolver, orphan)
    with pytest.raises(PdfReadError):
        speedups.fast_subsume_object(resolver, orphan)


def test_a_number_array_longer_than_the_fast_readers_chunk_is_read_by_pyhanko_alike() -> None:
    data = b"[" + b" 600.0977" * 2000 + b" ] /Next"  # 18 KB
    assert speedups._NUMBER_ARRAY.match(data[: speedups._ARRAY_CHUNK]) is None
    original, fast = _both_array(data)
    assert fast == original and isinstance(fast, tuple) and len(fast[0]) == 2000  # type: ignore[arg-type]


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _both_headers(data: bytes, strict: bool) -> tuple[object, object]:
    """(idnum, generation), the stream position after it and the warnings logged, or the error, from pyHanko's
    reader and the fast one."""
    results: list[object] = []
    logger = logging.getLogger("pyhanko.pdf_utils.xref")
    for reader in (speedups._ORIGINAL_OBJECT_HEADER, speedups.fast_read_object_header):
        stream, warnings = BytesIO(data), _Warnings()
        logger.addHandler(warnings)
        try:
            results.append((reader(stream, strict), stream.tell(), warnings.messages))
        except Exception as e:  # pyHanko's own errors must match too
            results.append(("error", type(e).__name__, str(e)))
        finally:
            logger.removeHandler(warnings)
    return results[0], results[1]


@pytest.mark.parametrize(
    "data",
    [
        b"12 0 obj\n<< /Type /Page >>",
        b"12 0 obj<</A 1>>",
        b"7 3 obj [1 2]",
        b"12 0 obj \r\n  \x00 (text)",
        b"0012 00 obj\n1",
        b" 12 0 obj\n<<>>",  # leading whitespace: pyHanko's (a warning in strict mode)
        b"12  0 obj\n<<>>",
        b"12 0  obj\n<<>>",
        b"%comment\n12 0 obj\n<<>>",
        b"12 0 obj\n%comment\n<<>>",
        b"12 0 obx\n<<>>",  # pyHanko does not check the keyword
        b"+12 0 obj\n<<>>",
        b"1_2 0 obj\n<<>>",
        b"12 0 obj",  # the end of the data
        b"12 0 obj\n\n",
        b"12 0",
        b"x 0 obj\n<<>>",
        b"",
        b"12\x000\x00obj\x00<<>>",
        b"1" * 70 + b" 0 obj\n<<>>",  # longer than the fast reader's chunk
    ],
)
@pytest.mark.parametrize("strict", [True, False])
def test_the_object_header_reader_matches_pyhanko(data: bytes, strict: bool) -> None:
    original, fast = _both_headers(data, strict)
    assert fast == original


def test_the_object_header_reader_matches_pyhanko_on_random_input() -> None:
    rng = random.Random(11)
    space = [b" ", b"\n", b"\r", b"\t", b"\f", b"\x00", b"", b"  ", b"%c\n"]
    parts = {
        "number": [b"1", b"12", b"007", b"4", b"56", b"+3", b"x", b"", b"1_0", b"9" * 30],
        "keyword": [b"obj", b"obj", b"obx", b"ob", b"endobj"],
        "first": [b"<<", b"[", b"(", b"1", b"<<", b"/N", b"%", b""],
    }
    taken = 0
    for _ in range(4000):
        data = b"".join(
            [
                rng.choice([b"", b"", b"", b" ", b"%c\n"]),
                rng.choice(parts["number"]),
                rng.choice(space[:6]) if rng.random() < 0.8 else rng.choice(space),
                rng.choice(parts["number"]),
                rng.choice(space[:6]) if rng.random() < 0.8 else rng.choice(space),
                rng.choice(parts["keyword"]),
                rng.choice(space),
                rng.choice(space) if rng.random() < 0.3 else b"",
                rng.choice(parts["first"]),
            ]
        )
        taken += speedups._OBJECT_HEADER.match(data) is not None
        for strict in (True, False):
            original, fast = _both_headers(data, strict)
            assert fast == original, data
    assert taken > 150  # the fast path itself was compared, not only pyHanko's fallback
