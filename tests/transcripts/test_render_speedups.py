"""The render speed-ups change how a transcript is made, not what it says.

* ``make_qr`` builds the matrix segno builds, module for module, and it still scans;
* ``_draw_string`` writes the operators reportlab's ``drawString`` writes;
* the font objects built once per distinct subset are reportlab's own, byte for byte;
* seeding subset 0 with the Vietnamese letters makes it the same in every transcript, and nothing of one
  transcript (a rare letter of a name, the name itself) reaches the next one through the caches.
"""

from __future__ import annotations

import copy
import random
import re
import subprocess
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import segno
from hocba_fixture import canonical_json, require_tool
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from credential_service.platform.qr_code import QR_ERROR, QR_MASK, QR_MAX_VERSION, make_qr, qr_segments
from credential_service.transcripts import pdf_drawing
from credential_service.transcripts.pdf_drawing import FONT, FONT_BOLD, FONT_SEED, _draw_string, _ensure_fonts
from credential_service.transcripts.render import render_transcript

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _segno_rows(payload: str) -> tuple[int, tuple[bytes, ...]]:
    content: Any = qr_segments(payload)  # segno's stubs omit its (content, mode) segment lists
    code = segno.make(content, error=QR_ERROR, mask=QR_MASK, micro=False, boost_error=False)
    return int(code.version), tuple(bytes(row) for row in code.matrix)


def _payloads() -> Iterator[str]:
    rng = random.Random(20260530)
    yield "https://verify.sogoc.haiphong.edu.vn/v/8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11"
    yield "0"
    yield "Mã hồ sơ: học bạ"  # byte mode, UTF-8
    for _ in range(120):
        url = "https://verify.sogoc.haiphong.edu.vn/v/" + "".join(rng.choice("0123456789abcdef-") for _ in range(36))
        if rng.random() < 0.8:
            url += "#" + "".join(rng.choice(BASE45) for _ in range(rng.randint(0, 380)))
        yield url
    for _ in range(20):
        yield "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 400)))  # numeric mode


def test_qr_matrix_is_segnos_module_for_module() -> None:
    versions = set()
    for payload in _payloads():
        version, rows = _segno_rows(payload)
        if version > QR_MAX_VERSION:
            continue
        qr = make_qr(payload)
        versions.add(qr.version)
        assert (qr.version, qr.rows) == (version, rows), payload
    assert len(versions) >= 10  # small and large symbols, with and without version information (v7+)


def test_qr_version_limit_and_overflow_still_raise() -> None:
    with pytest.raises(ValueError, match="version"):
        make_qr("https://verify.sogoc.haiphong.edu.vn/v/x#" + BASE45 * 30)
    with pytest.raises(ValueError, match="too long"):
        make_qr("x" * 3000)


def test_qr_dark_runs_cover_exactly_the_dark_modules() -> None:
    qr = make_qr("https://verify.sogoc.haiphong.edu.vn/v/x#" + BASE45 * 7)
    dark = {(r, c) for r, row in enumerate(qr.rows) for c, v in enumerate(row) if v}
    runs = qr.dark_runs()
    assert {(r, c) for r, c0, n in runs for c in range(c0, c0 + n)} == dark
    assert all(n > 0 for _, _, n in runs) and len(runs) == len(set(runs))


def test_fast_qr_png_scans_back(tmp_path: Path) -> None:
    zbarimg = require_tool("zbarimg")
    payload = "https://verify.sogoc.haiphong.edu.vn/v/8f0c6d1e-0a4b-4c1e-9a57-3c2d1f0e9b11#" + BASE45 * 7
    png = tmp_path / "qr.png"
    png.write_bytes(make_qr(payload).to_png(scale=4))
    out = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, check=True)
    assert out.stdout.decode().strip() == payload


# --------------------------------------------------------------------------- text operators


def _text_ops(fast: bool, strings: list[str]) -> list[str]:
    _ensure_fonts()
    canvas = Canvas(BytesIO(), initialFontName=FONT, initialFontSize=9, invariant=1)
    pdf_drawing._seed_fonts(canvas)
    code: Any = canvas._code
    code.clear()
    for i, s in enumerate(strings):
        canvas.setFont(FONT_BOLD if i % 2 else FONT, 6.5 + i * 0.5)
        if fast:
            _draw_string(canvas, 36 + i / 3, 700.125 - i, s)
        else:
            canvas.drawString(36 + i / 3, 700.125 - i, s)
    return list(code)


def test_draw_string_writes_what_reportlab_writes() -> None:
    strings = [
        "Họ và tên / Full name",
        "",
        "(parentheses) and \\ backslash",
        "ĐẶNG THỊ ÁNH NGUYỆT — Trường THPT · 10A1",
        "Ж 中文 ñ ǹ",  # outside the seed: new codes, a second subset
        "x" + "".join(chr(0x400 + k) for k in range(300)),  # runs through subsets 0, 1 and 2
        "back to Vietnamese: Nguyễn Thị Hương",
    ]
    assert _text_ops(True, strings) == _text_ops(False, strings)


def test_transcript_is_the_same_with_reportlabs_draw_string(
    record: dict[str, Any], record_json: bytes, verify_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = render_transcript(record, verify_url=verify_url, record_json=record_json).pdf
    monkeypatch.setattr(pdf_drawing, "_draw_string", lambda c, x, y, s: c.drawString(x, y, s))
    assert render_transcript(record, verify_url=verify_url, record_json=record_json).pdf == fast


# --------------------------------------------------------------------------- font objects


@pytest.fixture
def stock_fonts() -> Iterator[None]:
    """reportlab's own TTFont registered under the project's font names for one test, then ours again."""
    _ensure_fonts()
    ours = pdfmetrics.getFont(FONT), pdfmetrics.getFont(FONT_BOLD)
    try:
        pdfmetrics.registerFont(TTFont(FONT, str(pdf_drawing._FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(pdf_drawing._FONT_DIR / "DejaVuSans-Bold.ttf")))
        yield
    finally:
        for font in ours:
            pdfmetrics.registerFont(font)


def _rare_record(record: dict[str, Any]) -> dict[str, Any]:
    rare = copy.deepcopy(record)
    rare["student"]["full_name"] = "Hoàng Thị Ǹǵ Ж"  # letters outside the seed, as in some minority names
    rare["credential_id"] = "00000000-0000-4000-8000-00000000abcd"
    return rare


def test_cached_font_objects_are_reportlabs(
    record: dict[str, Any], record_json: bytes, verify_url: str, stock_fonts: None
) -> None:
    rare = _rare_record(record)
    stock = [render_transcript(r, verify_url=verify_url, record_json=canonical_json(r)).pdf for r in (record, rare)]
    pdfmetrics.registerFont(pdf_drawing._CachingTTFont(FONT, pdf_drawing._FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(pdf_drawing._CachingTTFont(FONT_BOLD, pdf_drawing._FONT_DIR / "DejaVuSans-Bold.ttf"))
    for _ in range(2):  # built, then from the caches
        cached = [
            render_transcript(r, verify_url=verify_url, record_json=canonical_json(r)).pdf for r in (record, rare)
        ]
        assert cached == stock


def _font_files(pdf: bytes) -> list[bytes]:
    """The decompressed ``/FontFile2`` programs of a rendered (unsigned) PDF, in object order."""
    refs = {int(n) for n in re.findall(rb"/FontFile2 (\d+) 0 R", pdf)}
    out = []
    for n in sorted(refs):
        m = re.search(rb"\n%d 0 obj\n<<(.*?)>>\nstream\n" % n, pdf, re.S)
        assert m is not None
        length_field = re.search(rb"/Length (\d+)", m.group(1))
        assert length_field is not None
        length = int(length_field.group(1))
        out.append(zlib.decompress(pdf[m.end() : m.end() + length]))
    return out


def test_seeded_subset_is_the_same_in_every_transcript(
    record: dict[str, Any], record_json: bytes, verify_url: str
) -> None:
    other = copy.deepcopy(record)
    other["student"]["full_name"] = "Đặng Ưng Ý Ẩn"
    other["results"]["teacher_comment"] = "Ổn định, tiến bộ rõ rệt; cần rèn chữ viết."
    a = render_transcript(record, verify_url=verify_url, record_json=record_json).pdf
    b = render_transcript(other, verify_url=verify_url, record_json=canonical_json(other)).pdf
    fonts_a, fonts_b = _font_files(a), _font_files(b)
    assert len(fonts_a) == 2  # regular and bold, one subset each
    assert fonts_a == fonts_b
    assert len(FONT_SEED) <= 159  # the free codes of subset 0 besides ASCII


def test_no_student_data_leaks_into_the_next_transcript(
    record: dict[str, Any], record_json: bytes, verify_url: str, tmp_path: Path
) -> None:
    pdftotext = require_tool("pdftotext")
    before = render_transcript(record, verify_url=verify_url, record_json=record_json).pdf
    rare = _rare_record(record)
    rare_pdf = render_transcript(rare, verify_url=verify_url, record_json=canonical_json(rare)).pdf
    after = render_transcript(record, verify_url=verify_url, record_json=record_json).pdf
    assert after == before  # the rare student's letters and subsets are gone with their document
    assert _font_files(rare_pdf) != _font_files(after)  # the rare letters took free codes of subset 0 there
    for name, pdf in (("rare", rare_pdf), ("after", after)):
        (tmp_path / f"{name}.pdf").write_bytes(pdf)
    text = {
        name: subprocess.run(
            [pdftotext, str(tmp_path / f"{name}.pdf"), "-"], capture_output=True, check=True
        ).stdout.decode("utf-8")
        for name in ("rare", "after")
    }
    assert "Hoàng Thị Ǹǵ Ж" in text["rare"]
    assert "Hoàng Thị" not in text["after"] and record["student"]["full_name"] in text["after"]
