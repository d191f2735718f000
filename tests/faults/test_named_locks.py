"""The named lock that makes a second batch on the same register wait for the first (outside the database's
own locks): exclusive across threads and processes, bounded, released when its holder dies."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from credential_service.app.problem import http_status
from credential_service.platform.db import Database
from credential_service.platform.errors import Message
from credential_service.platform.named_locks import LockBusy, named_lock

WHAT = Message("Việc thử", "The drill")
HOLD = """
import sys, time
from credential_service.platform.db import Database
from credential_service.platform.errors import Message
from credential_service.platform.named_locks import named_lock
with named_lock(Database(sys.argv[1]), "drill", what=Message("a", "b")):
    print("HELD", flush=True)
    time.sleep(600)
"""


def test_a_second_holder_waits_then_gets_a_409_with_a_retry_time(db_url: str) -> None:
    db = Database(db_url)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with named_lock(db, "drill", what=WHAT):
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        started = time.monotonic()
        with pytest.raises(LockBusy) as info, named_lock(db, "drill", what=WHAT, wait=0.5):
            pass
        assert 0.4 < time.monotonic() - started < 10
        assert http_status(info.value) == 409 and info.value.extra["retry_after"] == 5
        assert "The drill" in info.value.message.en and "Việc thử" in info.value.message.vi
        with named_lock(db, "another", what=WHAT, wait=0.5):  # other names are free
            pass
    finally:
        release.set()
        holder.join(30)
    with named_lock(db, "drill", what=WHAT, wait=5):  # released with its block
        pass
    db.dispose()


def test_a_holder_killed_with_sigkill_releases_the_lock(db_url: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", HOLD, db_url], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "HELD"
        db = Database(db_url)
        with pytest.raises(LockBusy), named_lock(db, "drill", what=WHAT, wait=0.3):
            pass
    finally:
        child.kill()
        child.wait(30)
    with named_lock(db, "drill", what=WHAT, wait=30):  # the kernel (SQLite) or the server (PostgreSQL) freed it
        pass
    db.dispose()
