"""Fixtures for the PDF / QR rendering tests (data lives in ``hocba_fixture``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hocba_fixture import RECORD, VERIFY_URL, canonical_json


@pytest.fixture
def record() -> dict[str, Any]:
    return copy.deepcopy(RECORD)


@pytest.fixture
def record_json(record: dict[str, Any]) -> bytes:
    return canonical_json(record)


@pytest.fixture
def verify_url() -> str:
    return VERIFY_URL
