"""The access tests share one small city per module (see staff_world.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from staff_world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(Path(tmp_path_factory.mktemp("world")))
    yield w
    w.container.db.dispose()
