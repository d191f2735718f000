"""``run_sync`` is ``asyncio.run`` without Python 3.11's repr of a large result."""

from __future__ import annotations

import asyncio
import signal
import sys
import threading

import pytest

from signing.aio import run_sync


def test_it_returns_what_the_coroutine_returns() -> None:
    async def pdfs() -> list[bytes]:
        await asyncio.sleep(0)
        return [b"%PDF-1.7 a", b"%PDF-1.7 b"]

    assert run_sync(pdfs()) == [b"%PDF-1.7 a", b"%PDF-1.7 b"]


def test_it_raises_what_the_coroutine_raises() -> None:
    async def fails() -> bytes:
        raise ValueError("the signer refused")

    with pytest.raises(ValueError, match="the signer refused"):
        run_sync(fails())


def test_the_result_is_never_turned_into_text() -> None:
    reprs: list[int] = []

    class Watched(bytes):
        def __repr__(self) -> str:  # what asyncio.run makes Python 3.11 do with a main task's result
            reprs.append(len(self))
            return "Watched(...)"

    async def big() -> list[bytes]:
        return [Watched(b"x" * 1000)]

    assert threading.current_thread() is threading.main_thread()  # the SIGINT handler is only set on it
    assert asyncio.run(big()) == [b"x" * 1000]
    computed_by_asyncio_run = len(reprs)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler and sys.version_info < (3, 12):
        assert computed_by_asyncio_run > 0  # the cost run_sync avoids is real here
    assert run_sync(big()) == [b"x" * 1000]
    assert len(reprs) == computed_by_asyncio_run  # none by run_sync
