"""``asyncio.run`` for coroutines that return signed PDFs.

On the main thread, Python 3.11's ``asyncio.Runner`` checks its SIGINT handler with ``signal.getsignal``, which
tries to turn the handler into a ``signal.Handlers`` member and, on the way, formats a ``ValueError`` message with
the handler's ``repr``. The handler is a ``functools.partial`` holding the main task, and a finished task's
``repr`` includes its result: for a batch of fifteen signed transcripts, the ``repr`` of six 240 KB byte strings,
about 11 ms per call, thrown away. :func:`run_sync` hands the result out of the task instead, so the task's result
is ``None``. Everything else (exceptions, cancellation, the loop's shutdown) is ``asyncio.run``'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``, without Python 3.11's ``repr`` of the result (see the module docstring)."""
    box: list[T] = []

    async def main() -> None:
        box.append(await coro)

    asyncio.run(main())
    return box[0]
