"""QR generation: error level M, fixed mask, version limit, segment split, scannability."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hocba_fixture import VERIFY_URL, require_tool

from credential_service.platform.qr_code import QR_MAX_VERSION, make_qr, qr_segments

BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _fragment(n: int) -> str:
    return "".join(BASE45[(i * 7 + 3) % 45] for i in range(n))


def test_url_alone_is_small() -> None:
    qr = make_qr(VERIFY_URL)
    assert qr.error == "M"
    assert qr.mask == 2
    assert qr.version <= 6
    assert qr.size == 17 + 4 * qr.version
    assert len(qr.rows) == qr.size and all(len(r) == qr.size for r in qr.rows)


def test_url_with_350_char_base45_fragment_fits_version_13() -> None:
    payload = f"{VERIFY_URL}#{_fragment(350)}"
    segments = qr_segments(payload)
    assert isinstance(segments, list) and len(segments) == 2
    qr = make_qr(payload)
    assert qr.version <= QR_MAX_VERSION


def test_fragment_outside_alphanumeric_set_is_one_segment() -> None:
    assert qr_segments(f"{VERIFY_URL}#abc") == f"{VERIFY_URL}#abc"
    assert qr_segments(VERIFY_URL) == VERIFY_URL


def test_too_long_payload_raises() -> None:
    with pytest.raises(ValueError, match="version"):
        make_qr(f"{VERIFY_URL}#{_fragment(900)}")
    with pytest.raises(ValueError):
        make_qr("")


def test_fixed_mask_is_deterministic() -> None:
    assert make_qr(VERIFY_URL) == make_qr(VERIFY_URL)


def test_dark_runs_cover_exactly_the_dark_modules() -> None:
    qr = make_qr(VERIFY_URL)
    dark = {(r, c) for r, row in enumerate(qr.rows) for c, v in enumerate(row) if v}
    from_runs = {(r, c) for r, c0, n in qr.dark_runs() for c in range(c0, c0 + n)}
    assert dark == from_runs


def test_png_is_one_bit_without_alpha() -> None:
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(make_qr(VERIFY_URL).to_png(scale=3)))
    assert img.mode == "1"
    assert "transparency" not in img.info


@pytest.mark.parametrize("with_fragment", [False, True])
def test_png_scans_back(tmp_path: Path, with_fragment: bool) -> None:
    zbarimg = require_tool("zbarimg")
    payload = f"{VERIFY_URL}#{_fragment(350)}" if with_fragment else VERIFY_URL
    png = tmp_path / "qr.png"
    png.write_bytes(make_qr(payload).to_png(scale=4))
    out = subprocess.run([zbarimg, "--raw", "-q", str(png)], capture_output=True, check=True)
    assert out.stdout.decode().strip() == payload
