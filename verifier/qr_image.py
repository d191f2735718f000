"""Reading QR codes from images (``zxing-cpp`` and Pillow) and from PDF pages (``pdftoppm``, poppler-utils).

Nothing here uses the network; the texts read are verified with :func:`verifier.qr.verify_qr`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from verifier.errors import VerifierError

__all__ = ["read_qr_codes", "read_qr_from_pdf"]


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


def read_qr_codes(image: bytes | str | Path | Any) -> list[str]:
    """Every QR code's text in an image (PNG/JPEG bytes, a path, or a Pillow image), largest first."""
    zxingcpp = _need("zxingcpp")
    pil = _need("PIL.Image")
    if isinstance(image, bytes | bytearray):
        img = pil.open(io.BytesIO(bytes(image)))
    elif isinstance(image, str | Path):
        img = pil.open(Path(image))
    else:
        img = image
    img.load()
    if img.mode not in ("L", "RGB"):
        img = img.convert("L")
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:  # small or blurred photos: a second try at double size
        found = zxingcpp.read_barcodes(
            img.resize((img.width * 2, img.height * 2)), formats=zxingcpp.BarcodeFormat.QRCode
        )
    return [b.text for b in found if b.valid and b.text]


def read_qr_from_pdf(pdf: bytes | str | Path, *, pages: Sequence[int] = (1,), dpi: int = 150) -> list[str]:
    """QR codes printed on PDF pages (1-based), rendered with ``pdftoppm`` (poppler-utils)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise VerifierError(
            "Cần pdftoppm (gói poppler-utils) để đọc mã QR trên trang PDF.",
            "pdftoppm (poppler-utils) is needed to read QR codes on PDF pages.",
            code="qr_reader_missing",
        )
    with tempfile.TemporaryDirectory(prefix="sogoc-qr-") as tmp:
        src = Path(tmp) / "in.pdf"
        if isinstance(pdf, bytes | bytearray):
            src.write_bytes(bytes(pdf))
        else:
            src = Path(pdf)
        texts: list[str] = []
        for page in pages:
            out = Path(tmp) / f"p{page}"
            proc = subprocess.run(
                [
                    exe,
                    "-r",
                    str(dpi),
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-png",
                    "-gray",
                    "-singlefile",
                    str(src),
                    str(out),
                ],
                capture_output=True,
                timeout=20,
                check=False,
            )
            png = out.with_suffix(".png")
            if proc.returncode != 0 or not png.exists():
                continue
            texts.extend(read_qr_codes(png))
        return texts
