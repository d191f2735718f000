"""DEV/TEST ONLY: serve the ``sogoc-dev`` PKI (TSA, OCSP, CRLs, cert repo) on loopback.

The certomancer Animator WSGI app runs in a background thread of the current process
(werkzeug server).  The certificates in ``keys/dev/out`` carry OCSP/CRL URLs under
``http://127.0.0.1:9771`` (``external-url-prefix`` in ``keys/dev/certomancer.yml``), so the
server normally has to listen on exactly that port, and one server answers every process of the
user (pytest-xdist workers, a dev server, ``sogoc demo``, a test run …).

A server that cannot be lost: the process that serves is only the *current* owner.

* :func:`ensure_dev_pki_server` takes an exclusive start lock while it checks/binds, so two processes
  never race for the port, and reuses a server that answers *with our root certificate*.
* The owner holds ``owner.lock`` (an exclusive ``flock``) while it serves.  Every other process that
  uses the server runs a watcher thread blocked on that lock.  The kernel releases the lock when the
  owner's process ends, however it ends (exit, ``kill -9``, crash), so a watcher wakes at once and
  **takes over**: it binds the port and serves, and becomes the owner (its own watcher is no longer
  needed).  Serving is stateless — the runtime revocations are read per request from the dev CA state
  of each database (``signing/devca.py``) — so any process can take over and answer the same.
* When the owner exits normally while others still use the server, it hands over without a gap: it
  offers its listening socket on a Unix socket (``handover.sock``), releases ``owner.lock``, and the
  watcher that gets the lock receives the socket (``SCM_RIGHTS``) and accepts on it; connections
  already queued are accepted by the new owner.  Without a taker (older code, all users leaving) it
  keeps serving until no other process holds the shared ``users.lock`` (bounded wait), as before.

Why take-over rather than a separate daemon process: a daemon would outlive the checkout's processes
and serve stale code and keys; here the server lives exactly as long as some process needs it.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .devca import (
    DEV_CA_SCOPES_DIR,
    DEV_CA_STATE_DIR,
    DevCaRegistry,
    DevCaScopes,
    DevCaStatus,
    dev_ca_state_dir,
)
from .devpki_server import (
    DEV_ARCH,
    DEV_CERT_DIR,
    DEV_CONFIG_PATH,
    DEV_KEY_DIR,
    DEV_PKI_DIR,
    DEV_PKI_HOST,
    DEV_PKI_PORT,
    DEV_PKI_URL,
    DevPkiServer,
)

__all__ = [
    "DEV_ARCH",
    "DEV_CA_SCOPES_DIR",
    "DEV_CA_STATE_DIR",
    "DEV_CERT_DIR",
    "DEV_CONFIG_PATH",
    "DEV_KEY_DIR",
    "DEV_PKI_DIR",
    "DEV_PKI_HOST",
    "DEV_PKI_PORT",
    "DEV_PKI_URL",
    "DevCaRegistry",
    "DevCaScopes",
    "DevCaStatus",
    "DevPkiServer",
    "dev_ca_state_dir",
    "ensure_dev_pki_server",
    "stop_dev_pki_server",
]

logger = logging.getLogger(__name__)

_OWNER_EXIT_WAIT_SECONDS = 600.0  # an owner without a taker keeps serving its users at most this long
_WAIT_FOR_SERVER_SECONDS = 15.0  # a user waits this long for another process to (re)start the server
_RETRY_SECONDS = 0.5  # a watcher that holds the owner lock retries binding this often (port still taken)
_HANDOVER_MAGIC = b"sogoc-devpki-handover/1"


# ---------------------------------------------------------------------------------------------
# one server per port for all the user's processes; taken over when its owner goes away
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Share:
    """This process's part in the server of one port."""

    server: DevPkiServer
    port: int
    owner: IO[Any] | None = None  # owner.lock, held exclusively while this process serves
    users: IO[Any] | None = None  # users.lock, held shared while this process uses the server
    closed: bool = False


_shares: dict[int, _Share] = {}
_shares_lock = threading.Lock()
_exiting = False


def _lock_dir(port: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"sogoc-devpki-{os.getuid()}-{port}"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _exclusive(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _mark_exiting() -> None:
    global _exiting
    _exiting = True


def _try_own(share: _Share) -> bool:
    fh = open(_lock_dir(share.port) / "owner.lock", "a+")  # noqa: SIM115 - held while serving
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return False
    share.owner = fh
    return True


def _release_owner(share: _Share) -> None:
    fh, share.owner = share.owner, None
    if fh is not None:
        fh.close()


def _serve(share: _Share, listening: socket.socket | None = None) -> None:
    """Start serving (the caller holds ``owner.lock`` and the start lock); stop or hand over at exit."""
    share.server.start(listening)
    (_lock_dir(share.port) / "owner.pid").write_text(str(os.getpid()), encoding="ascii")
    atexit.register(_owner_atexit, share)


def _become_user(share: _Share) -> None:
    if share.users is None:
        fh = open(_lock_dir(share.port) / "users.lock", "a+")  # noqa: SIM115 - held for process lifetime
        fcntl.flock(fh, fcntl.LOCK_SH)
        share.users = fh


def _receive_handover(port: int) -> tuple[socket.socket, socket.socket] | None:
    """The listening socket an exiting owner offers, and the connection to acknowledge on; None if it died."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(5)
        conn.connect(str(_lock_dir(port) / "handover.sock"))
        msg, fds, _flags, _addr = socket.recv_fds(conn, 64, 1)
    except OSError:
        conn.close()
        return None
    if msg != _HANDOVER_MAGIC or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        conn.close()
        return None
    return socket.socket(fileno=fds[0]), conn


def _watch(share: _Share) -> None:
    """Wait for the owner to go away (its ``owner.lock`` is released however its process ends), then serve."""
    share.server.prepare()  # now, so that taking over is a matter of milliseconds
    fh = open(_lock_dir(share.port) / "owner.lock", "a+")  # noqa: SIM115 - becomes the owner lock
    while True:
        fcntl.flock(fh, fcntl.LOCK_EX)  # at once when this process already holds it (retrying below)
        if _exiting or share.closed:
            fh.close()
            return
        offered = _receive_handover(share.port)
        with _exclusive(_lock_dir(share.port) / "start.lock"):
            share.owner = fh
            try:
                _serve(share, offered[0] if offered else None)
            except OSError:  # the port is still held: by an owner without the hand-over (older code) or a stranger
                share.owner = None
            except Exception:  # cannot serve at all: leave the lock to another process's watcher
                logger.exception("dev PKI: taking over %s failed", share.server.base_url)
                share.owner = None
                share.closed = True
            if offered is not None:
                with contextlib.suppress(OSError):
                    offered[1].sendall(b"serving" if share.server.running else b"failed")
                offered[1].close()
        if share.server.running:
            logger.info("dev PKI: took over serving %s", share.server.base_url)
            return
        if share.closed:
            fh.close()
            return
        time.sleep(_RETRY_SECONDS)


def _offer_handover(lock_dir: Path) -> socket.socket:
    path = lock_dir / "handover.sock"
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(4)
    listener.settimeout(0.2)
    return listener


def _hand_over(listener: socket.socket, server: DevPkiServer) -> bool:
    """Give the listening socket to the watcher that connects; True once it serves on it."""
    try:
        conn, _ = listener.accept()
    except OSError:  # timeout: nobody came yet
        return False
    with conn:
        try:
            conn.settimeout(10)
            socket.send_fds(conn, [_HANDOVER_MAGIC], [server.listening_fileno()])
            return conn.recv(16) == b"serving"
        except OSError:
            return False


def _owner_atexit(share: _Share) -> None:
    """At exit: stop if nobody else uses the server, else hand it over to a watcher (or keep serving, bounded)."""
    _mark_exiting()
    server = share.server
    if not server.running:
        _release_owner(share)
        return
    lock_dir = _lock_dir(share.port)
    users = share.users or open(lock_dir / "users.lock", "a+")  # noqa: SIM115
    fcntl.flock(users, fcntl.LOCK_UN)
    deadline = time.monotonic() + _OWNER_EXIT_WAIT_SECONDS
    listener: socket.socket | None = None
    try:
        while True:
            with _exclusive(lock_dir / "start.lock"):
                try:
                    fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    alone = True
                except BlockingIOError:
                    alone = False
                if alone or time.monotonic() > deadline:
                    if not alone:
                        logger.warning("dev PKI: other users still active, stopping anyway")
                    server.stop()
                    return
                if listener is None:
                    listener = _offer_handover(lock_dir)
                    _release_owner(share)  # a watcher of another process takes it, then asks for the socket
            if _hand_over(listener, server):
                server.stop()  # the successor accepts on the same socket, queued connections included
                time.sleep(0.2)  # let requests in progress here finish
                return
    finally:
        if listener is not None:
            listener.close()
            with _exclusive(lock_dir / "start.lock"), contextlib.suppress(OSError):
                (lock_dir / "handover.sock").unlink()
        _release_owner(share)
        users.close()
        share.users = None


def _wait_serving(server: DevPkiServer, seconds: float = _WAIT_FOR_SERVER_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.running or server.is_serving(timeout=0.5):
            return True
        time.sleep(0.1)
    return False


def _join(server: DevPkiServer, port: int) -> _Share:
    share = _Share(server, port)
    with _exclusive(_lock_dir(port) / "start.lock"):
        if not server.is_serving() and _try_own(share):
            try:
                _serve(share)
            except OSError as e:
                _release_owner(share)
                if not server.is_serving(timeout=5):  # not merely a slow answer from a busy server
                    raise RuntimeError(f"port {port} is taken by something that is not the sogoc-dev PKI") from e
        _become_user(share)
    if not server.running:
        atexit.unregister(_mark_exiting)
        atexit.register(_mark_exiting)  # run early at exit (last in): a process on its way out takes nothing over
        threading.Thread(target=_watch, args=(share,), name=f"devpki-watch-{port}", daemon=True).start()
    return share


def ensure_dev_pki_server(
    config_path: str | os.PathLike[str] = DEV_CONFIG_PATH,
    key_dir: str | os.PathLike[str] | None = None,
    port: int = DEV_PKI_PORT,
) -> DevPkiServer:
    """Return the :class:`DevPkiServer` of ``port`` (the same object on every call), serving it here if nobody
    does; this process then takes over whenever the serving process goes away.

    Safe to call repeatedly (cheap probe) and from concurrent processes.
    Raises ``RuntimeError`` if some *other* service occupies the port.
    """
    with _shares_lock:
        share = _shares.get(port)
        if share is None or share.closed:
            share = _shares[port] = _join(DevPkiServer(config_path, key_dir, host=DEV_PKI_HOST, port=port), port)
    server = share.server
    if server.running or server.is_serving() or _wait_serving(server):
        return server
    raise RuntimeError(f"port {port} is taken by something that is not the sogoc-dev PKI")


def stop_dev_pki_server(port: int = DEV_PKI_PORT) -> None:
    """Tests: stop serving ``port`` from this process and forget it (no hand-over; others take over)."""
    with _shares_lock:
        share = _shares.pop(port, None)
    if share is None:
        return
    share.closed = True
    share.server.stop()
    _release_owner(share)
    if share.users is not None:
        share.users.close()
        share.users = None
