"""An upload over its size limit (a PDF to verify, a certificate to import) is the service's one
too-large error: HTTP 413 through the one problem+json mapping, naming the limit, without reading the
whole upload."""

from __future__ import annotations

import asyncio
import io

import pytest
from fastapi import UploadFile

from credential_service.app.problem import http_status, problem_body
from credential_service.platform.errors import InvalidInput, TooLarge
from credential_service.verification.routes import read_upload


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.read_sizes.append(-1 if size is None else size)
        return super().read(size)


def _read(data: bytes, limit: int) -> tuple[bytes, _CountingStream]:
    stream = _CountingStream(data)
    return asyncio.run(read_upload(UploadFile(stream, filename="x.pdf"), limit)), stream


@pytest.mark.parametrize(("limit", "shown"), [(10 * 1024 * 1024, "10 MB"), (64 * 1024, "0.0625 MB")])
def test_an_upload_over_the_limit_is_the_shared_413(limit: int, shown: str) -> None:
    with pytest.raises(TooLarge) as err:
        _read(b"%PDF-" + b"0" * limit, limit)
    assert type(err.value) is TooLarge and http_status(err.value) == 413
    assert err.value.message.vi == f"Tệp quá lớn (tối đa {shown})."
    assert err.value.message.en == f"File too large (at most {shown})."
    body = problem_body(err.value)
    assert body["status"] == 413 and body["code"] == "too-large" and body["maximum"] == limit


def test_at_most_one_byte_more_than_the_limit_is_read() -> None:
    with pytest.raises(TooLarge):
        _read(b"0" * 5000, 1000)
    data, stream = _read(b"0" * 1000, 1000)
    assert data == b"0" * 1000 and stream.read_sizes == [1001]


def test_an_empty_upload_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        _read(b"", 1000)
