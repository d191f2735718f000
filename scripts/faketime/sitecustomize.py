"""Loaded only by the faketime run of ``scripts/test.sh`` (PYTHONPATH=scripts/faketime), in every Python process.

libfaketime 0.9.10 (Debian bookworm) mistranslates ``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)``
when the monotonic clock is not faked (FAKETIME_DONT_FAKE_MONOTONIC=1): it subtracts the faked wall
time from a monotonic deadline and the kernel answers EINVAL. Python >= 3.11 sleeps that way, so every
``time.sleep`` fails with ``OSError: [Errno 22]`` (wolfcw/libfaketime#426). Faking the monotonic clock
instead makes timed lock waits hang (``sem_clockwait`` is not intercepted). So here, and only under
libfaketime, ``time.sleep`` waits with a relative ``select`` timeout, which libfaketime passes through.
Nothing else changes: the wall clock stays faked, the monotonic clock stays real.
"""

from __future__ import annotations

import os
import select
import time

if "libfaketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":
    _monotonic = time.monotonic

    def _sleep(secs: float, /) -> None:
        if secs < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = _monotonic() + secs
        remaining = float(secs)
        while True:
            select.select([], [], [], remaining)  # releases the GIL, like time.sleep, even for 0
            remaining = deadline - _monotonic()
            if remaining <= 0:
                return

    time.sleep = _sleep
