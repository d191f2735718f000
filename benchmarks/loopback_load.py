"""Shared by the HTTP benchmarks: start the service with 2 uvicorn workers on loopback, and drive it
with a bounded keep-alive load (a count and a time limit; 127.0.0.1 only).

uvicorn sends a response's headers and body in two writes, so a client that delays its ACKs waits
~40 ms per request; ``quickack`` (Linux ``TCP_QUICKACK``) switches that delay off in the client.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


@dataclass
class LoadResult:
    latencies_ms: list[float]
    errors: int
    wall_s: float

    def summary(self, what: str) -> str:
        n = len(self.latencies_ms)
        return (
            f"{n:,} {what} in {self.wall_s:.1f} s = {n / self.wall_s:,.0f}/s; "
            f"p50 {statistics.median(self.latencies_ms):.1f} ms, p99 {pct(self.latencies_ms, 99):.1f} ms, "
            f"errors {self.errors}"
        )


async def run_load(
    port: int,
    make_request: Callable[[int], bytes],
    *,
    requests: int,
    seconds: float,
    concurrency: int,
    quickack: bool = False,
) -> LoadResult:
    """Send ``make_request(i)`` over ``concurrency`` keep-alive connections until the count or time runs out."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    issued = 0

    async def worker() -> None:
        nonlocal issued, errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sock = writer.get_extra_info("socket")
        while issued < requests and time.perf_counter() < deadline:
            issued += 1
            t0 = time.perf_counter()
            writer.write(make_request(issued))
            if quickack and QUICKACK is not None:
                sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - t0) * 1000)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(latencies, errors, time.perf_counter() - t0)


def serve(database_url: str) -> tuple[subprocess.Popen[bytes], int]:
    """The service with 2 uvicorn workers on a free loopback port, once it answers /healthz."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "SOGOC_ENV": "test", "SOGOC_DATABASE_URL": database_url, "SOGOC_DEV_PKI_SERVE": "false"}
    cmd = [
        sys.executable, "-m", "uvicorn", "credential_service.app.factory:serve_app", "--factory",
        "--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    return proc, port
