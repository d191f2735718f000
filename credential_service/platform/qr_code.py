"""QR codes for printed credentials (segno, error level M, fixed mask).

``make_qr(url)`` encodes the verification link printed on a học bạ / văn bằng and returns a
:class:`QrImage`: the module matrix plus helpers to draw it as vector rectangles (preferred in the
PDF: crisp at any resolution, a few hundred bytes, no image, no transparency) or to export a 1-bit
PNG.

Speed: segno spends about 2/3 of its time scoring the 8 mask patterns; a fixed mask
(``QR_MASK = 2``) makes a code ~3x faster (see shared/research/performance-baseline.md §3). Any
mask gives a valid, scannable code; automatic selection only tunes the dark/light balance.
With the mask fixed, what is left of segno's time (~4.5 ms for a version 13 code) is per-bit Python:
Reed-Solomon division, placing each codeword bit, masking each module. ``make_qr`` therefore takes
from segno only the data bit stream (segments, terminator, padding: segno's own functions), and does
the rest with state built once per (version, error level, mask): the function patterns with format and
version information, the placement order of the data modules and the mask as one integer; the
Reed-Solomon remainder is computed a codeword at a time on integers, with one product table per
generator polynomial. The matrix is the one ``segno.make`` gives for the same content, error level and
mask, module for module (tests/transcripts/test_render_speedups.py checks it), in ~0.6 ms.

Size limit: ``QR_MAX_VERSION = 13`` at error level M (69x69 modules; 0.44 mm per module at 34 mm
printed with a 4-module quiet zone). A payload that would need a bigger symbol raises
``ValueError``.

Payload and modes. The payload is ``https://<verify-host>/v/<credential-id>`` today; a later change
appends ``#<Base45 offline payload>``. A single-mode encoding of such a string is *byte* mode,
because ``#`` and the lower-case URL are outside the QR alphanumeric set, and would reach
version 15-16. So when the payload has a ``#`` fragment made only of QR-alphanumeric characters
(Base45 uses exactly that alphabet), the code is built from two segments: the URL up to and
including ``#`` in byte mode, then the fragment in alphanumeric mode (5.5 bits per character
instead of 8). Measured with segno 1.6.6, ECC M:

* ``https://verify.sogoc.haiphong.edu.vn/v/<uuid>`` (75 chars) alone: version 5 (37x37).
* the same URL + ``#`` + 350 Base45 characters: version 13 (69x69) with the two segments; 16 as a
  single byte-mode segment. With two segments, any URL of up to ~90 characters stays at or below
  version 13 (up to ~44 characters: version 12).

We keep the URL exactly as given (lower case). The ``/v/<id>`` path is case-sensitive on the
server (Starlette routes, lower-case UUIDs), so an upper-case URL form is not used; upper-casing
only the scheme and host (case-insensitive by RFC 3986) would save ~90 bits more but changes the
printed link, and the segment split already keeps us within version 13.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import segno
from segno import consts as segno_consts
from segno import encoder as segno_encoder

__all__ = ["QR_ERROR", "QR_MASK", "QR_MAX_VERSION", "QrImage", "make_qr", "qr_segments"]

QR_ERROR = "M"
QR_MASK = 2
QR_MAX_VERSION = 13
QUIET_ZONE = 4  # modules, the minimum ISO/IEC 18004 asks for

# ISO/IEC 18004 alphanumeric set == the RFC 9285 Base45 alphabet.
_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@dataclass(frozen=True)
class QrImage:
    """A QR symbol: ``size`` x ``size`` dark/light modules, without the quiet zone."""

    payload: str
    version: int
    error: str
    mask: int
    size: int
    rows: tuple[bytes, ...]  # one byte per module: 1 = dark, 0 = light
    _runs: tuple[tuple[int, int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_runs", tuple(_runs_of(self.rows)))

    def is_dark(self, row: int, col: int) -> bool:
        return bool(self.rows[row][col])

    def dark_runs(self) -> tuple[tuple[int, int, int], ...]:
        """Horizontal runs of dark modules as ``(row, first_column, length)``, top row first.

        Drawing one rectangle per run (and filling them all as one path) gives a compact,
        seam-free vector symbol.
        """
        return self._runs

    def to_png(self, *, scale: int = 4, border: int = QUIET_ZONE) -> bytes:
        """A 1-bit PNG (no alpha), ``scale`` pixels per module, ``border`` modules of quiet zone."""
        from PIL import Image  # local import: the PDF path never needs Pillow for the QR

        side = self.size + 2 * border
        img = Image.new("1", (side, side), 1)
        px: Any = img.load()
        for r, c0, n in self._runs:
            for c in range(c0, c0 + n):
                px[c + border, r + border] = 0
        if scale != 1:
            img = img.resize((side * scale, side * scale), Image.Resampling.NEAREST)
        out = io.BytesIO()
        img.save(out, format="PNG", optimize=False)
        return out.getvalue()


def qr_segments(payload: str) -> str | list[tuple[str, int]]:
    """How ``payload`` is split into QR segments (see the module docstring)."""
    head, sep, fragment = payload.partition("#")
    if sep and fragment and all(ch in _ALNUM for ch in fragment):
        return [(head + sep, segno_consts.MODE_BYTE), (fragment, segno_consts.MODE_ALPHANUMERIC)]
    return payload


_DARK_RUN = re.compile(b"\x01+")


def _runs_of(rows: tuple[bytes, ...]) -> list[tuple[int, int, int]]:
    return [(r, m.start(), m.end() - m.start()) for r, row in enumerate(rows) for m in _DARK_RUN.finditer(row)]


# --------------------------------------------------------------------------- fast encoder
# segno's module is untyped; what is used of it below is its documented QR structure
# (ISO/IEC 18004 sections named in its docstrings), pinned with segno==1.6.6.
_enc: Any = segno_encoder
_consts: Any = segno_consts
_TO_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_FROM_DIGITS = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class _Template:
    """What every code of one (version, error level, mask) shares."""

    width: int
    base: bytes  # width*width modules, row by row: function patterns, format and version info; data modules 0
    order: tuple[int, ...]  # index in ``base`` of each data module, in placement order (ISO/IEC 18004 7.7.3)
    mask: int  # the data mask, one bit per data module in placement order, first module most significant


@lru_cache(maxsize=32)
def _template(version: int, error: int, mask: int) -> _Template:
    w = int(_enc.calc_matrix_size(version))
    m = _enc.make_matrix(w, w)  # 0x2 marks a module not yet set
    _enc.add_finder_patterns(m, w, w)
    _enc.add_alignment_patterns(m, w, w)
    order: list[int] = []
    for right in range(w - 1, 0, -2):  # two-module columns, right to left, skipping the timing column
        if right <= 6:
            right -= 1
        upwards = (right & 2) == 0
        for vertical in range(w):
            for j in (right, right - 1):
                i = (w - 1 - vertical) if upwards ^ (j < 6) else vertical
                if m[i][j] == 0x2:
                    order.append(i * w + j)
    fn = _enc.get_data_mask_functions(False)[mask]
    mask_bits = bytes(1 if fn(k // w, k % w) else 0 for k in order)
    for row in m:
        for j in range(w):
            if row[j] == 0x2:
                row[j] = 0
    _enc.add_format_info(m, version, error, mask)
    _enc.add_version_info(m, version)
    return _Template(w, b"".join(bytes(row) for row in m), tuple(order), int(mask_bits.translate(_TO_DIGITS), 2))


@lru_cache(maxsize=32)
def _ecc_table(num_ec: int) -> tuple[int, ...]:
    """For each leading coefficient c: c times the generator polynomial of ``num_ec`` error words, as an integer."""
    gen = _consts.GEN_POLY[num_ec]  # exponents of the generator's coefficients
    log, exp = _consts.GALIOS_LOG, _consts.GALIOS_EXP
    return (0, *(int.from_bytes(bytes(exp[log[c] + g] for g in gen), "big") for c in range(1, 256)))


def _ecc(block: bytes, num_ec: int) -> bytes:
    """Reed-Solomon error codewords of ``block`` (the remainder of the polynomial division, GF(256) mod 0x11D)."""
    table = _ecc_table(num_ec)
    shift = 8 * (num_ec - 1)
    keep = (1 << (8 * num_ec)) - 1
    rem = 0
    for b in block:
        rem = ((rem << 8) & keep) ^ table[(rem >> shift) ^ b]
    return rem.to_bytes(num_ec, "big")


def _interleave(blocks: Sequence[bytes]) -> bytes:
    longest = max(len(b) for b in blocks)
    return bytes(b[k] for k in range(longest) for b in blocks if k < len(b))


def _encode(content: Any, error: str, mask: int) -> tuple[int, tuple[bytes, ...]]:
    """(version, rows) of the smallest QR code (not Micro QR) for ``content`` at ``error`` with ``mask``."""
    err = _enc.normalize_errorlevel(error)
    segments = _enc.prepare_data(content, None, None)
    version = int(_enc.find_version(segments, err, eci=False, micro=False))  # DataOverflowError past 40
    # ISO/IEC 18004 7.4: the data bit stream, by segno's own functions
    buff = _enc.Buffer()
    ver_range = _enc.version_range(version)
    for segment in segments:
        _enc.write_segment(buff, segment, None, ver_range, False)
    capacity = _consts.SYMBOL_CAPACITY[version][err]
    _enc.write_terminator(buff, capacity, None, len(buff))
    _enc.write_padding_bits(buff, version, len(buff))
    _enc.write_pad_codewords(buff, version, capacity, len(buff))
    bits = bytes(buff.getbits())
    data = int(bits.translate(_TO_DIGITS), 2).to_bytes(len(bits) // 8, "big")
    # ISO/IEC 18004 7.5-7.6: blocks, error codewords, interleaving
    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    pos = 0
    for info in _consts.ECC[version][err]:
        num_ec = info.num_total - info.num_data
        for _ in range(info.num_blocks):
            block = data[pos : pos + info.num_data]
            pos += info.num_data
            data_blocks.append(block)
            ec_blocks.append(_ecc(block, num_ec))
    message = _interleave(data_blocks) + _interleave(ec_blocks)
    # ISO/IEC 18004 7.7-7.8: placement and mask (remainder bits are zero)
    t = _template(version, err, mask)
    n = len(t.order)
    masked = (int.from_bytes(message, "big") << (n - 8 * len(message))) ^ t.mask
    flat = bytearray(t.base)
    for k, bit in zip(t.order, format(masked, f"0{n}b").encode("ascii").translate(_FROM_DIGITS), strict=True):
        if bit:
            flat[k] = 1
    w = t.width
    return version, tuple(bytes(flat[r * w : (r + 1) * w]) for r in range(w))


def make_qr(url: str) -> QrImage:
    """Encode ``url`` (optionally with a Base45 ``#`` fragment) at ECC M with mask 2.

    Raises ``ValueError`` when the payload is empty or needs a version above 13.
    """
    if not url:
        raise ValueError("QR payload is empty")
    try:
        content: Any = qr_segments(url)  # segno's stubs omit its (content, mode) segment lists
        # the matrix segno.make(content, error=QR_ERROR, mask=QR_MASK, micro=False, boost_error=False) gives
        version, rows = _encode(content, QR_ERROR, QR_MASK)
    except segno.DataOverflowError as exc:  # beyond version 40
        raise ValueError(f"QR payload too long ({len(url)} chars)") from exc
    if version > QR_MAX_VERSION:
        raise ValueError(
            f"QR payload of {len(url)} chars needs version {version} at ECC {QR_ERROR}; the limit is {QR_MAX_VERSION}"
        )
    return QrImage(
        payload=url,
        version=version,
        error=QR_ERROR,
        mask=QR_MASK,
        size=len(rows),
        rows=rows,
    )
