"""An .xlsx part whose XML declaration names an encoding the XML parser cannot read (unknown, not a text
encoding, or multi-byte other than UTF-8/16) is a damaged workbook: the same 422 as any other malformed
workbook, naming the part, for the class import and the register import alike."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from credential_service.app.problem import http_status
from credential_service.diplomas.register_demo import demo_register_rows, register_xlsx
from credential_service.diplomas.register_files import read_register
from credential_service.platform.errors import InvalidInput
from credential_service.platform.upload_limits import RESAVE
from credential_service.transcripts.spreadsheets import demo_class, read_xlsx, write_sample_xlsx

ENCODINGS = ["UTF-6", "hex", "shift_jis"]  # unknown; a bytes-to-bytes codec; multi-byte, refused by expat


def _declaring(workbook: bytes, part: str, encoding: str) -> bytes:
    """``workbook`` with ``part``'s XML declaration replaced by one that names ``encoding``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == part:
                body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data)
                data = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + body
            target.writestr(item, data)
    return out.getvalue()


def _assert_damaged_part(err: InvalidInput, part: str) -> None:
    assert http_status(err) == 422 and err.code == "invalid-input"
    assert part in err.message.vi and part in err.message.en
    assert "bảng mã" in err.message.vi and "encoding" in err.message.en
    assert [p.location.get("part") for p in err.problems] == [part]
    assert err.hint == RESAVE


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_a_register_part_declaring_an_unreadable_encoding_is_a_damaged_workbook(part: str, encoding: str) -> None:
    data = _declaring(register_xlsx(demo_register_rows(2)), part, encoding)
    with pytest.raises(InvalidInput) as err:
        read_register(data, "so-goc.xlsx")
    _assert_damaged_part(err.value, part)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_class_import_sheet_declaring_an_unreadable_encoding_is_a_damaged_workbook(encoding: str) -> None:
    part = "xl/worksheets/sheet1.xml"
    data = _declaring(write_sample_xlsx(demo_class("10A1", 10, n=2, seed=3)), part, encoding)
    with pytest.raises(InvalidInput) as err:
        read_xlsx(data)
    _assert_damaged_part(err.value, part)


def test_a_declared_encoding_the_parser_reads_is_still_fine() -> None:
    data = _declaring(register_xlsx(demo_register_rows(2)), "xl/worksheets/sheet1.xml", "UTF-8")
    assert len(read_register(data, "so-goc.xlsx").rows) == 2
