"""The environment for a process that stands for another machine (a browser, a Redis server): ours, without
libfaketime.

``scripts/test.sh`` runs the suite a second time with the clock moved ahead (faketime, inherited by every
subprocess). A user's browser or a separate Redis server keeps its own, real clock; under a faked clock
Chromium's rendering never settles (Playwright waits for elements to be "stable" across animation frames) and
redis-server does not start.
"""

from __future__ import annotations

import os


def real_clock_env() -> dict[str, str]:
    env = dict(os.environ)
    preload = [p for p in env.pop("LD_PRELOAD", "").split(":") if p and "libfaketime" not in p]
    if preload:
        env["LD_PRELOAD"] = ":".join(preload)
    for name in [n for n in env if n.startswith("FAKETIME")]:
        del env[name]
    return env
