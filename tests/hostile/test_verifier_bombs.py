"""Hostile uploads to the public verifier: every one is a quick verdict or a 4xx, never a 500.

Each file is built here from raw PDF bytes (no pyHanko, no pypdf): decompression bombs in the
embedded ``hocba-record.json`` (single and stacked FlateDecode), a page of 200,000 × 200,000
points, an image XObject that decodes to 1.6 gigapixels, deeply nested objects, a broken
cross-reference table, garbage bytes, and embedded records that are not what the service expects.
Most are incremental updates appended to a real issued transcript, so the service gets past the
signatures to the embedded record, the register and the printed QR on page 1: the steps that read
the upload again. Each is posted to ``/api/v1/verify`` and to the page ``/v/check``; each must
answer within :data:`BOUND_S` seconds with a FAILED/INDETERMINATE verdict (or a 4xx problem), and
neither this process nor the page renderer may grow by more than :data:`MEMORY_MB` MB.
"""

from __future__ import annotations

import random
import re
import resource
import shutil
import struct
import sys
import time
import zlib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verification"))
import verification_fixtures
from verification_fixtures import Issued

from credential_service.app.factory import create_app
from verifier.pdf import ContentRequest, read_pdf_contents
from verifier.pdf_contents import PageInfo
from verifier.qr_image import (
    DEFAULT_RENDER_LIMITS,
    PdfPageTooLargeError,
    QrImageError,
    QrImageTooLargeError,
    QrRenderTimeError,
    read_qr_codes,
    read_qr_from_pdf,
    render_size,
)

pytestmark = pytest.mark.slow

issued = verification_fixtures.issued  # the session fixture of tests/verification: an issued class of three

BOUND_S = 2.0
MEMORY_MB = 200
MiB = 1024 * 1024


# --------------------------------------------------------------------------------------------------
# raw PDF bytes


def build_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A classic-xref PDF from object bodies numbered 1..n."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), entries) + data + b"\nendstream"


def deflated_zeros(size: int) -> bytes:
    """zlib data that inflates to ``size`` zero bytes, made without holding them in memory."""
    z = zlib.compressobj(9)
    chunk = bytes(MiB)
    parts = [z.compress(chunk) for _ in range(size // MiB)]
    parts.append(z.compress(bytes(size % MiB)))
    parts.append(z.flush())
    return b"".join(parts)


def latest_object(pdf: bytes, num: int) -> bytes:
    """The body of the last definition of object ``num`` (between ``obj`` and ``endobj``)."""
    starts = [m.end() for m in re.finditer(rb"(?m)^%d 0 obj" % num, pdf)]
    assert starts, num
    return pdf[starts[-1] : pdf.index(b"endobj", starts[-1])].strip()


def trailer_value(pdf: bytes, key: bytes) -> bytes:
    return re.findall(rb"/" + key + rb"\s+(\d+(?:\s+\d+\s+R)?)", pdf[pdf.rindex(b"trailer") :])[0]


def append_update(pdf: bytes, objects: dict[int, bytes]) -> bytes:
    """An incremental update (classic xref section) replacing or adding ``objects``."""
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    size = int(trailer_value(pdf, b"Size"))
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets: dict[int, int] = {}
    for num in sorted(objects):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objects[num] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n"
    for num in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (num, offsets[num])
    out += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        max(size, max(objects) + 1),
        trailer_value(pdf, b"Root"),
        prev,
        xref,
    )
    return bytes(out)


def referenced(pdf: bytes, key: bytes, num: int | None = None) -> int:
    """The object number ``key`` refers to (the first one of an array) in object ``num`` (default: the catalog)."""
    body = latest_object(pdf, num if num is not None else int(trailer_value(pdf, b"Root").split()[0]))
    return int(re.findall(rb"/" + key + rb"\s*\[?\s*(\d+)\s+0\s+R", body)[0])


def with_attachment(pdf: bytes, body: bytes, filters: bytes = b"") -> bytes:
    """``pdf`` whose ``hocba-record.json`` is replaced, in an update, by a stream of ``body``."""
    size = int(trailer_value(pdf, b"Size"))
    spec, file = size, size + 1
    return append_update(
        pdf,
        {
            referenced(pdf, b"Names"): b"<< /EmbeddedFiles << /Names [ (hocba-record.json) %d 0 R ] >> >>" % spec,
            spec: b"<< /Type /Filespec /F (hocba-record.json) /UF (hocba-record.json) /EF << /F %d 0 R >> >>" % file,
            file: stream(body, b"/Type /EmbeddedFile /Subtype /application#2Fjson " + filters),
        },
    )


def with_page(pdf: bytes, edit: Callable[[bytes], bytes], extra: dict[int, bytes] | None = None) -> bytes:
    page = referenced(pdf, b"Kids", referenced(pdf, b"Pages"))
    return append_update(pdf, {page: edit(latest_object(pdf, page)), **(extra or {})})


SIG_FIELD = (
    b"<< /FT /Sig /T (GVCN) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] /P 3 0 R /V << /Type /Sig "
    b"/Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 10 20 10] /Contents <00> >> >>"
)


def signed_looking(extra_catalog: bytes = b"", more: list[bytes] | None = None, box: bytes = b"0 0 595 842") -> bytes:
    """A small PDF with one (bogus) signature field: the verifier treats it as a signed document."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> " + extra_catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [" + box + b"] /Annots [4 0 R] >>",
        SIG_FIELD,
        *(more or []),
    ]
    return build_pdf(objects)


# --------------------------------------------------------------------------------------------------
# the hostile files


@cache
def bomb_300mb() -> bytes:
    return deflated_zeros(300 * MiB)


@cache
def bomb_stacked_1gb() -> bytes:
    return zlib.compress(deflated_zeros(1024 * MiB), 9)


@cache
def image_xobject(side: int) -> bytes:
    """An image of ``side`` × ``side`` grey pixels, all black: 1.5 MB encoded for 40,000 (1.6 GB decoded)."""
    entries = b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray " % (side, side)
    return stream(deflated_zeros(side * side), entries + b"/BitsPerComponent 8 /Filter /FlateDecode")


def raw_attachment_bomb(_: Issued) -> bytes:
    names = b"/Names << /EmbeddedFiles << /Names [ (hocba-record.json) 5 0 R ] >> >>"
    spec = b"<< /Type /Filespec /F (hocba-record.json) /EF << /F 6 0 R >> >>"
    return signed_looking(names, [spec, stream(bomb_300mb(), b"/Type /EmbeddedFile /Filter /FlateDecode")])


def attachment_bomb(issued: Issued) -> bytes:
    return with_attachment(issued.pdfs[issued.ids[0]], bomb_300mb(), b"/Filter /FlateDecode")


def stacked_attachment_bomb(issued: Issued) -> bytes:
    return with_attachment(issued.pdfs[issued.ids[0]], bomb_stacked_1gb(), b"/Filter [/FlateDecode /FlateDecode]")


def nested_json_record(issued: Issued) -> bytes:
    return with_attachment(issued.pdfs[issued.ids[0]], zlib.compress(b"[" * 200_000), b"/Filter /FlateDecode")


def malformed_record(issued: Issued) -> bytes:
    """A record with a real credential id and nothing else: the register and the QR step see it."""
    cid = issued.ids[0].encode()
    body = b'{"credential_id":"%s","schema":"hocba/1","student":7,"school":[],"results":"x"}' % cid
    return with_attachment(issued.pdfs[issued.ids[0]], body)


def odd_record_values(issued: Issued) -> bytes:
    cid = issued.ids[0].encode()
    return with_attachment(issued.pdfs[issued.ids[0]], b'{"credential_id":"%s","schema":"hocba/1","x":NaN}' % cid)


def control_character_id(issued: Issued) -> bytes:
    return with_attachment(issued.pdfs[issued.ids[0]], b'{"credential_id":"\\u0000' + b"a" * 5000 + b'"}')


def huge_mediabox(issued: Issued) -> bytes:
    return with_page(
        issued.pdfs[issued.ids[0]], lambda p: re.sub(rb"/MediaBox\s*\[[^\]]*\]", b"/MediaBox [0 0 200000 200000]", p)
    )


def large_cropbox(issued: Issued) -> bytes:
    """Under the 200-inch side limit of PDF, but 27 m² (as many pixels as 1,700 A4 pages)."""

    def edit(page: bytes) -> bytes:
        page = re.sub(rb"/MediaBox\s*\[[^\]]*\]", b"/MediaBox [0 0 14000 14000]", page)
        return page[:-2] + b" /CropBox [0 0 14000 14000] /UserUnit 1 >>"

    return with_page(issued.pdfs[issued.ids[0]], edit)


def image_bomb(issued: Issued) -> bytes:
    """Page 1 draws an image of 40,000 × 40,000 grey pixels (1.6 GB decoded, 1.5 MB encoded)."""
    pdf = issued.pdfs[issued.ids[0]]
    size = int(trailer_value(pdf, b"Size"))
    image, draw = size, size + 1

    def edit(page: bytes) -> bytes:
        page = re.sub(rb"/Contents\s+(\d+)\s+0\s+R", rb"/Contents [ \1 0 R %d 0 R ]" % draw, page)
        return page.replace(b"/Resources <<", b"/Resources <<\n/XObject << /Bomb %d 0 R >>" % image, 1)

    return with_page(pdf, edit, {image: image_xobject(40_000), draw: stream(b"q 595 0 0 842 0 0 cm /Bomb Do Q")})


def deeply_nested_arrays(_: Issued) -> bytes:
    depth = 200_000
    return signed_looking(b"/Nest " + b"[" * depth + b"]" * depth)


def deeply_nested_name_tree(_: Issued) -> bytes:
    """An EmbeddedFiles name tree 3,000 nodes deep, each node its own object."""
    depth = 3_000
    nodes = [b"<< /Kids [%d 0 R] >>" % (6 + i) for i in range(depth)] + [b"<< /Names [ (hocba-record.json) 5 0 R ] >>"]
    spec = b"<< /Type /Filespec /F (hocba-record.json) /EF << /F 5 0 R >> >>"
    return signed_looking(b"/Names << /EmbeddedFiles 6 0 R >>", [spec, *nodes])


def truncated(issued: Issued) -> bytes:
    """Cut in the middle of the signed content: no cross-reference table, no trailer."""
    pdf = issued.pdfs[issued.ids[0]]
    return pdf[: len(pdf) * 2 // 3]


def truncated_xref(issued: Issued) -> bytes:
    """The last cross-reference table cut after one entry, a trailer pointing at it appended."""
    pdf = issued.pdfs[issued.ids[0]]
    xref = pdf.rindex(b"\nxref") + 1
    trailer = b"\ntrailer\n<< /Size 9999 /Root %s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer_value(pdf, b"Root"), xref)
    return pdf[: xref + 30] + trailer


def corrupt_xref(issued: Issued) -> bytes:
    """Every offset in every cross-reference table moved to a random place."""
    rng = random.Random(1)
    return re.sub(
        rb"(?m)^\d{10} (\d{5}) n", lambda m: b"%010d %s n" % (rng.randrange(10**6), m[1]), issued.pdfs[issued.ids[0]]
    )


def garbage(_: Issued) -> bytes:
    return random.Random(7).randbytes(512 * 1024)


def garbage_after_header(_: Issued) -> bytes:
    return b"%PDF-1.7\n" + random.Random(8).randbytes(512 * 1024) + b"\n/ByteRange [0 1 2 3]\n%%EOF"


# fmt: off
HOSTILE: dict[str, Callable[[Issued], bytes]] = {f.__name__: f for f in (
    raw_attachment_bomb, attachment_bomb, stacked_attachment_bomb, nested_json_record, malformed_record,
    odd_record_values, control_character_id, huge_mediabox, large_cropbox, image_bomb, deeply_nested_arrays,
    deeply_nested_name_tree, truncated, truncated_xref, corrupt_xref, garbage, garbage_after_header,
)}
# fmt: on


# The check that must catch each file (beyond the signatures, which fail for all of them), and a
# piece of its detail: proof that the guard meant for the attack fired, not a later accident.
CAUGHT_BY: dict[str, tuple[str, str]] = {
    "attachment_bomb": ("record", "larger than 262144 bytes once decoded"),
    "stacked_attachment_bomb": ("record", "larger than 262144 bytes once decoded"),
    "nested_json_record": ("record", "cannot be read (RecursionError)"),
    "malformed_record": ("qr", "printed fields cannot be read"),
    "odd_record_values": ("record", "cannot be read (FloatDomainError)"),
    "control_character_id": ("record", "no valid credential_id"),
    "huge_mediabox": ("qr", "Page 1 is too large (MediaBox 200,000 × 200,000 points"),
    "large_cropbox": ("qr", "Page 1 is too large"),
    "image_bomb": ("qr", "Page 1 draws images that are too large (1,600,000,000 pixels"),
}

_BUILT: dict[str, bytes] = {}


def hostile(name: str, issued: Issued) -> bytes:
    if name not in _BUILT:
        _BUILT[name] = HOSTILE[name](issued)
    return _BUILT[name]


# --------------------------------------------------------------------------------------------------
# the checks


@pytest.fixture(scope="module")
def client(issued: Issued) -> TestClient:
    """The app, after one real verification: imports, caches and the first render are not the attack's cost."""
    client = TestClient(create_app(issued.container))
    r = client.post("/api/v1/verify", files={"file": ("hocba.pdf", issued.pdfs[issued.ids[0]], "application/pdf")})
    assert r.status_code == 200 and r.json()["indication"] == "PASSED", r.text
    return client


def _peak_mb(who: int = resource.RUSAGE_SELF) -> float:  # RUSAGE_CHILDREN: the largest child's so far
    return resource.getrusage(who).ru_maxrss / 1024


def _post(client: TestClient, url: str, data: bytes) -> tuple[Any, float, float, float]:
    """The response, the seconds it took, how much this process's peak memory grew (MB), and how
    far a child process (the page renderer) went above this process's peak (MB).

    Linux counts in a child's peak the parent's memory it was forked from (the peak before ``exec``),
    so only what a child used beyond this process's own peak is its own. The time is the better of
    two tries when the first is over the bound: the test machine may be busy with other work, while
    a file that really hangs the verifier is slow every time.
    """
    own, children = _peak_mb(), _peak_mb(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    r = client.post(url, files={"file": ("hostile.pdf", data, "application/pdf")})
    elapsed = time.perf_counter() - started
    own_after, children_after = _peak_mb(), _peak_mb(resource.RUSAGE_CHILDREN)
    if elapsed >= BOUND_S:
        started = time.perf_counter()
        client.post(url, files={"file": ("hostile.pdf", data, "application/pdf")})
        elapsed = min(elapsed, time.perf_counter() - started)
    verdict = r.json().get("sub_indication") if r.headers["content-type"].startswith("application/json") else ""
    print(f"{url}: {r.status_code} {verdict} {elapsed:.2f} s, this process +{own_after - own:.0f} MB")
    return r, elapsed, own_after - own, max(0.0, children_after - max(children, own_after))


@pytest.mark.parametrize("url", ["/api/v1/verify", "/v/check"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_verdict_quickly_and_in_bounded_memory(client: TestClient, issued: Issued, name: str, url: str) -> None:
    data = hostile(name, issued)
    assert len(data) < 10 * MiB
    r, elapsed, grown, children = _post(client, url, data)
    assert r.status_code != 500, r.text[:3000]
    if url == "/v/check":  # the page for people: a rendered verdict (or error page), never a 500
        assert r.status_code == 200 or 400 <= r.status_code < 500
        assert r.headers["content-type"].startswith("text/html")
    elif r.status_code == 200:
        d = r.json()
        assert d["indication"] in ("FAILED", "INDETERMINATE"), (d["indication"], d.get("checks"))
        assert d["message"]["vi"] and d["message"]["en"]
        if name in CAUGHT_BY:
            check, detail = CAUGHT_BY[name]
            caught = [c for c in d["checks"] if c["name"] == check and c["indication"] == "FAILED"]
            assert caught and detail in (caught[0]["detail"] or ""), d["checks"]
    else:
        assert 400 <= r.status_code < 500 and r.headers["content-type"].startswith("application/problem+json")
    assert elapsed < BOUND_S, f"{name}: {elapsed:.2f} s"
    assert grown < MEMORY_MB, f"{name}: this process grew by {grown:.0f} MB"
    assert children < MEMORY_MB, f"{name}: a child process used {children:.0f} MB"


def test_running_out_of_time_while_rendering_is_indeterminate(issued: Issued) -> None:
    from credential_service.verification.service import VerificationService
    from verifier.qr_image import RenderLimits

    c = issued.container
    svc = VerificationService.from_settings(c.db, c.settings)
    svc.render_limits = RenderLimits(time_limit=0.001)
    result = svc.verify_pdf(issued.pdfs[issued.ids[1]])
    checks = {check.name: check for check in result.checks}
    assert (checks["qr"].indication, checks["qr"].sub_indication) == ("INDETERMINATE", "GENERIC")
    assert (result.indication, result.sub_indication) == ("INDETERMINATE", "GENERIC")
    assert any(w.code == "time_limit" and "thử lại" in w.vi for w in result.warnings)
    assert checks["record"].indication == checks["ledger"].indication == "PASSED"


# --------------------------------------------------------------------------------------------------
# the library's guards on their own (no service)


def png(width: int, height: int, idat: bytes = b"") -> bytes:
    """A PNG whose header declares ``width`` × ``height`` grey pixels, with ``idat`` as its data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_images_over_the_pixel_limit_are_refused_from_their_header() -> None:
    with pytest.raises(QrImageTooLargeError):  # Pillow's own DecompressionBombError (over 2 × MAX_IMAGE_PIXELS)
        read_qr_codes(png(100_000, 100_000))
    with pytest.raises(QrImageTooLargeError):  # under Pillow's limit, over ours: refused before decoding
        read_qr_codes(png(7_000, 7_000, zlib.compress(bytes(7_001))))
    for broken in (png(100, 100, b"not zlib"), random.Random(3).randbytes(4096), b"\x89PNG\r\n\x1a\n"):
        with pytest.raises(QrImageError):
            read_qr_codes(broken)


def test_pages_too_large_or_too_heavy_are_not_rendered() -> None:
    limits = DEFAULT_RENDER_LIMITS
    a4 = (595.0, 842.0)
    assert render_size(PageInfo(a4, a4), 150) == (150, 1240, 1755)
    assert render_size(PageInfo(a4, a4, rotate=90), 150)[1:] == (1755, 1240)
    dpi, width, height = render_size(PageInfo((2384.0, 3370.0), (2384.0, 3370.0)), 150)  # A0: resolution lowered
    assert dpi < 150 and width * height <= limits.max_render_pixels * 1.01
    assert render_size(None, 150) == (150, 4000, 4000)  # geometry unknown: at most a square of the pixel limit
    for page in (
        PageInfo((200_000.0, 200_000.0), (200_000.0, 200_000.0)),
        PageInfo(a4, (14_000.0, 14_000.0)),  # under PDF's side limit, over the area limit
        PageInfo((44_625.0, 63_150.0), a4, user_unit=75.0),  # an A4 box × UserUnit 75
        PageInfo(a4, a4, image_pixels=1_600_000_000),
        PageInfo(a4, a4, complete=False),
    ):
        with pytest.raises(PdfPageTooLargeError) as e:
            render_size(page, 150)
        assert e.value.vi.startswith("Trang 1") and e.value.en.startswith("Page 1")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed")
def test_the_renderer_is_stopped_at_the_deadline() -> None:
    side = 40_000
    pdf = build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /XObject << /Bomb 5 0 R >> >> >>",
            stream(b"q 595 0 0 842 0 0 cm /Bomb Do Q"),
            image_xobject(side),
        ]
    )
    started = time.perf_counter()
    with pytest.raises(QrRenderTimeError) as e:
        read_qr_from_pdf(pdf, timeout=0.5)  # no geometry given: only the deadline can stop it
    assert time.perf_counter() - started < 1.5
    assert "giây" in e.value.vi and "took longer" in e.value.en
    # with the geometry from the guarded parser it is refused before the renderer starts
    contents = read_pdf_contents(pdf, ContentRequest(first_page=True))
    assert contents is not None and contents.first_page is not None
    assert contents.first_page.image_pixels == side * side
    with pytest.raises(PdfPageTooLargeError):
        read_qr_from_pdf(pdf, page_info={1: contents.first_page})


def test_attachments_are_decoded_with_a_cap() -> None:
    data = raw_attachment_bomb(None)  # type: ignore[arg-type]
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    contents = read_pdf_contents(data, ContentRequest(attachments=("hocba-record.json",), max_attachment_size=1000))
    assert contents is not None and len(contents.attachments) == 1
    assert contents.attachments[0].data is None and "larger than 1000 bytes" in (contents.attachments[0].problem or "")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - own < 20
    small = signed_looking(
        b"/Names << /EmbeddedFiles << /Kids [7 0 R] >> >>",
        [
            b"<< /EF << /F 6 0 R >> >>",
            stream(zlib.compress(b'{"a":1}'), b"/Filter /FlateDecode"),
            b"<< /Names [ (other.json) 5 0 R (hocba-record.json) 5 0 R ] >>",
        ],
    )
    contents = read_pdf_contents(small, ContentRequest(attachments=("hocba-record.json",)))
    assert contents is not None and [a.data for a in contents.attachments] == [b'{"a":1}']
    cyclic = signed_looking(b"/Names << /EmbeddedFiles 5 0 R >>", [b"<< /Kids [5 0 R] >>"])
    for deep in (deeply_nested_name_tree(None), cyclic):  # type: ignore[arg-type]
        contents = read_pdf_contents(deep, ContentRequest(attachments=("hocba-record.json",)))
        assert contents is not None and contents.attachments == []
        assert contents.problems == ["attachments: the name tree is cyclic, too deep or too large"]
