"""Reading QR codes from images (``zxing-cpp`` and Pillow) and from PDF pages (``pdftoppm``, poppler-utils).

Nothing here uses the network; the texts read are verified with :func:`verifier.qr.verify_qr`.

Hostile input (:class:`RenderLimits`)
-------------------------------------
* Page size: given the page's geometry (:class:`verifier.pdf_contents.PageInfo`, read by the guarded
  parser of :func:`verifier.pdf.examine_pdf`), a page whose MediaBox or CropBox has a side over
  ``max_page_side`` points or an area over ``max_page_area`` square points, that draws images of
  more than ``max_image_pixels`` pixels in all, or whose resources could not be walked within the
  parser's bounds, is refused (:class:`PdfPageTooLargeError`) before any renderer runs.
* Rendered pixels: the resolution is lowered so that the page fits in ``max_render_pixels``, and
  ``pdftoppm`` is told to render only that many (``-W``/``-H``), whatever it thinks the page size
  is; without the geometry it renders at most a square of ``max_render_pixels``.
* The renderer: a separate process, quiet, with an address-space limit (``memory_limit``, Linux)
  and killed at the deadline (``time_limit``, or the caller's remaining time if shorter):
  :class:`QrRenderTimeError`. It writes PGM, which Pillow reads without decompressing anything.
* Images: an image over ``max_decode_pixels`` is refused from its header, before its pixels are
  decoded (:class:`QrImageTooLargeError`); the double-size second try only when it stays under the
  limit. Pillow's ``DecompressionBombError``/``DecompressionBombWarning`` are caught too, and every
  other decoder error (Pillow, zxing-cpp) is a :class:`QrImageError`. Pillow's global
  ``Image.MAX_IMAGE_PIXELS`` is left alone: changing it would change every other user of Pillow in
  the process, and the per-call limit here is lower than its default anyway.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.errors import VerifierError
from verifier.pdf_contents import PageInfo
from verifier.pdf_policy import Deadline, MiB

__all__ = [
    "DEFAULT_RENDER_LIMITS",
    "PdfPageTooLargeError",
    "QrImageError",
    "QrImageTooLargeError",
    "QrRenderTimeError",
    "RenderLimits",
    "read_qr_codes",
    "read_qr_from_pdf",
    "render_size",
]


@dataclass(frozen=True)
class RenderLimits:
    """Limits on reading QR codes from images and rendered PDF pages (files from strangers)."""

    max_page_side: float = 14_400.0
    """Points (UserUnit applied); 14,400 is PDF's own limit (200 inches). An A4 page is 842."""
    max_page_area: float = 9_000_000.0
    """Square points, a little more than one A0 sheet (2,384 × 3,370 points, 16 A4 pages)."""
    max_image_pixels: int = 50_000_000
    """Pixels of all the images the page draws (decoded by the renderer, even when scaled down)."""
    max_render_pixels: int = 16_000_000
    """Pixels of the rendered page (an A4 page at 150 dpi is 2.2 million)."""
    max_decode_pixels: int = 40_000_000
    """Pixels of an image given to :func:`read_qr_codes` (a 12-megapixel phone photo is fine)."""
    time_limit: float = 2.0
    """Seconds for rendering pages of one file (less when the caller's deadline is nearer)."""
    memory_limit: int = 256 * MiB
    """Address space of the renderer process (Linux ``RLIMIT_AS``); an A4 page needs well under 64 MiB."""


DEFAULT_RENDER_LIMITS = RenderLimits()


class QrImageError(VerifierError):
    """An image (or a rendered page) could not be decoded."""

    code = "qr_image_unreadable"


class QrImageTooLargeError(QrImageError):
    code = "qr_image_too_large"


class PdfPageTooLargeError(QrImageError):
    """The page is too large or too heavy to render safely; it was not rendered."""

    code = "pdf_page_too_large"


class QrRenderTimeError(QrImageError):
    code = "qr_render_time_limit"


# --------------------------------------------------------------------------------------------------
# reading QR codes from images and PDF pages


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise VerifierError(
            f"Cần cài gói Python «{module}» để đọc mã QR từ ảnh.",
            f"The Python package «{module}» is needed to read QR codes from images.",
            code="qr_reader_missing",
        ) from e


def read_qr_codes(image: bytes | str | Path | Any, *, limits: RenderLimits = DEFAULT_RENDER_LIMITS) -> list[str]:
    """Every QR code's text in an image (PNG/JPEG/PGM bytes, a path, or a Pillow image), largest first.

    Raises :class:`QrImageTooLargeError` for an image over ``limits.max_decode_pixels`` (checked on
    its header, before decoding) and :class:`QrImageError` when it cannot be decoded.
    """
    zxingcpp = _need("zxingcpp")
    pil = _need("PIL.Image")
    try:
        if isinstance(image, bytes | bytearray):
            img = pil.open(io.BytesIO(bytes(image)))
        elif isinstance(image, str | Path):
            img = pil.open(Path(image))
        else:
            img = image
        pixels = img.width * img.height
        if pixels > limits.max_decode_pixels:
            raise _too_large(img.width, img.height, limits)
        img.load()
        if img.mode not in ("L", "RGB"):
            img = img.convert("L")
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
        if not found and 4 * pixels <= limits.max_decode_pixels:  # small or blurred photos: double size
            found = zxingcpp.read_barcodes(
                img.resize((img.width * 2, img.height * 2)), formats=zxingcpp.BarcodeFormat.QRCode
            )
        return [b.text for b in found if b.valid and b.text]
    except QrImageError:
        raise
    except (pil.DecompressionBombError, pil.DecompressionBombWarning) as e:
        raise QrImageTooLargeError(
            "Ảnh quá lớn để giải mã (giới hạn an toàn của Pillow).",
            f"The image is too large to decode (Pillow's safety limit: {e}).",
        ) from e
    except Exception as e:  # every decoder (Pillow's plugins, zxing-cpp) has its own errors
        raise QrImageError(
            f"Không giải mã được ảnh ({type(e).__name__}).",
            f"The image cannot be decoded ({type(e).__name__}: {str(e)[:200]}).",
        ) from e


def _too_large(width: int, height: int, limits: RenderLimits) -> QrImageTooLargeError:
    return QrImageTooLargeError(
        f"Ảnh quá lớn ({width:,} × {height:,} điểm ảnh; giới hạn {limits.max_decode_pixels:,} điểm ảnh).",
        f"The image is too large ({width:,} × {height:,} pixels; limit {limits.max_decode_pixels:,} pixels).",
    )


def render_size(
    info: PageInfo | None, dpi: float, limits: RenderLimits = DEFAULT_RENDER_LIMITS, *, page: int = 1
) -> tuple[float, int, int]:
    """The resolution and the pixel width and height to render a page at, or
    :class:`PdfPageTooLargeError` when the page must not be rendered at all."""
    if info is not None:
        if not info.complete:
            raise PdfPageTooLargeError(
                f"Trang {page} có tài nguyên lồng nhau quá sâu hoặc quá nhiều (giới hạn an toàn); không hiển thị.",
                f"Page {page}'s resources are nested too deeply or are too many (safety limit); not rendered.",
            )
        for name, box in (("MediaBox", info.media), ("CropBox", info.crop)):
            if box is None:
                continue
            width, height = box
            if max(width, height) > limits.max_page_side or width * height > limits.max_page_area:
                raise PdfPageTooLargeError(
                    f"Trang {page} quá lớn ({name} {width:,.0f} × {height:,.0f} điểm; giới hạn "
                    f"{limits.max_page_side:,.0f} điểm mỗi cạnh, {limits.max_page_area:,.0f} điểm vuông); "
                    "không hiển thị.",
                    f"Page {page} is too large ({name} {width:,.0f} × {height:,.0f} points; limit "
                    f"{limits.max_page_side:,.0f} points a side, {limits.max_page_area:,.0f} square points); "
                    "not rendered.",
                )
        if info.image_pixels > limits.max_image_pixels:
            raise PdfPageTooLargeError(
                f"Trang {page} vẽ ảnh quá lớn ({info.image_pixels:,} điểm ảnh; giới hạn "
                f"{limits.max_image_pixels:,}); không hiển thị.",
                f"Page {page} draws images that are too large ({info.image_pixels:,} pixels; limit "
                f"{limits.max_image_pixels:,}); not rendered.",
            )
    if info is None or info.media is None:  # unknown geometry: at most a square of max_render_pixels
        side = math.isqrt(limits.max_render_pixels)
        return dpi, side, side
    # pdftoppm renders the MediaBox, rotated, without UserUnit
    width, height = (v / info.user_unit for v in info.media)
    if info.rotate % 180 == 90:
        width, height = height, width
    pixels = (width * dpi / 72) * (height * dpi / 72)
    if pixels > limits.max_render_pixels:
        dpi *= math.sqrt(limits.max_render_pixels / pixels)
    return dpi, max(1, math.ceil(width * dpi / 72)), max(1, math.ceil(height * dpi / 72))


def read_qr_from_pdf(
    pdf: bytes | str | Path,
    *,
    pages: Sequence[int] = (1,),
    dpi: int = 150,
    page_info: Mapping[int, PageInfo] | None = None,
    limits: RenderLimits = DEFAULT_RENDER_LIMITS,
    timeout: float | None = None,
) -> list[str]:
    """QR codes printed on PDF pages (1-based), rendered with ``pdftoppm`` (poppler-utils).

    ``page_info`` (by page number) is the geometry read by the guarded parser
    (:attr:`verifier.pdf.PdfExamination.contents`); ``timeout`` is the caller's remaining time.
    Raises :class:`PdfPageTooLargeError`, :class:`QrRenderTimeError` or :class:`QrImageError` (see
    the module's notes); a page the renderer fails on gives no text.
    """
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise VerifierError(
            "Cần pdftoppm (gói poppler-utils) để đọc mã QR trên trang PDF.",
            "pdftoppm (poppler-utils) is needed to read QR codes on PDF pages.",
            code="qr_reader_missing",
        )
    seconds = limits.time_limit if timeout is None else min(timeout, limits.time_limit)
    deadline = Deadline.after(seconds)
    sizes = {page: render_size((page_info or {}).get(page), dpi, limits, page=page) for page in pages}
    try:
        return _render_and_read(exe, pdf, pages, sizes, deadline, limits, seconds)
    except OSError as e:  # the temporary directory (disk full, no permission)
        raise VerifierError(
            f"Không tạo được tệp tạm để đọc mã QR trên trang PDF ({e.strerror}).",
            f"No temporary file could be made to read QR codes on PDF pages ({e.strerror}).",
            code="qr_reader_missing",
        ) from e


def _render_and_read(
    exe: str,
    pdf: bytes | str | Path,
    pages: Sequence[int],
    sizes: Mapping[int, tuple[float, int, int]],
    deadline: Deadline,
    limits: RenderLimits,
    seconds: float,
) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="sogoc-qr-") as tmp:
        src = Path(tmp) / "in.pdf"
        if isinstance(pdf, bytes | bytearray):
            src.write_bytes(bytes(pdf))
        else:
            src = Path(pdf)
        texts: list[str] = []
        for page in pages:
            page_dpi, width, height = sizes[page]
            out = Path(tmp) / f"p{page}"
            command = [exe, "-q", "-r", f"{page_dpi:.4f}", "-f", str(page), "-l", str(page)]
            command += ["-x", "0", "-y", "0", "-W", str(width), "-H", str(height), "-gray", "-singlefile"]
            returncode = _render([*command, str(src), str(out)], deadline, limits, page, seconds)
            image = out.with_suffix(".pgm")
            if returncode != 0 or not image.exists():
                continue
            texts.extend(read_qr_codes(image, limits=limits))
        return texts


def _render(command: list[str], deadline: Deadline, limits: RenderLimits, page: int, seconds: float) -> int:
    remaining = deadline.remaining()
    if remaining > 0:
        try:
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        except OSError as e:
            raise VerifierError(
                f"Không chạy được pdftoppm để đọc mã QR trên trang PDF ({e.strerror}).",
                f"pdftoppm could not be run to read QR codes on PDF pages ({e.strerror}).",
                code="qr_reader_missing",
            ) from e
        _limit(proc.pid, limits.memory_limit, remaining)
        try:
            return proc.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    raise QrRenderTimeError(
        f"Hiển thị trang {page} để đọc mã QR vượt quá {seconds:g} giây; tệp có thể được tạo ra để gây treo.",
        f"Rendering page {page} to read its QR code took longer than {seconds:g} s; "
        "the file may be crafted to hang verifiers.",
    )


def _limit(pid: int, memory: int, seconds: float) -> None:
    """Address-space and CPU limits on the renderer (Linux; set as soon as it runs, before it reads the file)."""
    try:
        import resource

        resource.prlimit(pid, resource.RLIMIT_AS, (memory, memory))
        cpu = math.ceil(seconds) + 1
        resource.prlimit(pid, resource.RLIMIT_CPU, (cpu, cpu))
    except (ImportError, AttributeError, OSError, ValueError):  # not Linux, or the renderer already ended
        pass
