"""QR codes for printed credentials (segno, error level M, fixed mask).

``make_qr(url)`` encodes the verification link printed on a học bạ / văn bằng and returns a
:class:`QrImage`: the module matrix plus helpers to draw it as vector rectangles (preferred in the
PDF: crisp at any resolution, a few hundred bytes, no image, no transparency) or to export a 1-bit
PNG.

Speed: segno spends about 2/3 of its time scoring the 8 mask patterns; a fixed mask
(``QR_MASK = 2``) makes a code ~3x faster (see shared/research/performance-baseline.md §3). Any
mask gives a valid, scannable code; automatic selection only tunes the dark/light balance.

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import segno
from segno import consts as segno_consts

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


def _runs_of(rows: tuple[bytes, ...]) -> Iterator[tuple[int, int, int]]:
    for r, row in enumerate(rows):
        c, n = 0, len(row)
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                yield (r, start, c - start)
            else:
                c += 1


def make_qr(url: str) -> QrImage:
    """Encode ``url`` (optionally with a Base45 ``#`` fragment) at ECC M with mask 2.

    Raises ``ValueError`` when the payload is empty or needs a version above 13.
    """
    if not url:
        raise ValueError("QR payload is empty")
    try:
        content: Any = qr_segments(url)  # segno's stubs omit its (content, mode) segment lists
        code = segno.make(content, error=QR_ERROR, mask=QR_MASK, micro=False, boost_error=False)
    except segno.DataOverflowError as exc:  # beyond version 40
        raise ValueError(f"QR payload too long ({len(url)} chars)") from exc
    version = int(code.version)
    if version > QR_MAX_VERSION:
        raise ValueError(
            f"QR payload of {len(url)} chars needs version {version} at ECC {QR_ERROR}; the limit is {QR_MAX_VERSION}"
        )
    rows = tuple(bytes(row) for row in code.matrix)
    return QrImage(
        payload=url,
        version=version,
        error=QR_ERROR,
        mask=QR_MASK,
        size=len(rows),
        rows=rows,
    )
