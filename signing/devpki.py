"""DEV/TEST ONLY: serve the ``sogoc-dev`` PKI (TSA, OCSP, CRLs, cert repo) on loopback.

The certomancer Animator WSGI app runs in a background thread of the current process
(werkzeug ``make_server``).  The certificates in ``keys/dev/out`` carry OCSP/CRL URLs under
``http://127.0.0.1:9771`` (``external-url-prefix`` in ``keys/dev/certomancer.yml``), so the
server normally has to listen on exactly that port.

Several processes (pytest-xdist workers, a dev server and a test run, …) may want the server
at the same time.  :func:`ensure_dev_pki_server` therefore

* takes an exclusive lock file while it checks/binds, so two processes never race for the port;
* reuses a server that already answers on the port *with our root certificate*;
* holds a shared "user" lock for the lifetime of the process; a process that owns the server
  keeps serving at exit until the other users are gone (bounded wait), then shuts down.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from verifier.clock import SystemClock

_KEY_CACHE_INSTALLED = False


def _cache_certomancer_key_loading() -> None:
    """Make certomancer keep parsed keys instead of re-parsing one for every response it signs.

    certomancer's ``generic_sign`` calls ``load_der_private_key`` for each TSA token, OCSP
    response, CRL and certificate it signs; cryptography's RSA key check makes that ~35 ms
    (RSA-2048) to ~100 ms (RSA-3072) per response, which a real TSA or CA does not pay.
    Dev server only: the signatures are the same, only the parsed key is kept.
    """
    global _KEY_CACHE_INSTALLED
    if _KEY_CACHE_INSTALLED:
        return
    from asn1crypto import algos, keys
    from certomancer import crypto_utils
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    class CachingBackend(crypto_utils.PycaCryptographyBackend):
        def __init__(self) -> None:
            self._keys: dict[bytes, Any] = {}
            self._lock = threading.Lock()

        def generic_sign(
            self, private_key: keys.PrivateKeyInfo, tbs_bytes: bytes, sd_algo: algos.SignedDigestAlgorithm
        ) -> bytes:
            der = private_key.dump()
            with self._lock:
                key = self._keys.get(der)
                if key is None:
                    key = self._keys[der] = load_der_private_key(der, password=None)
            algo = sd_algo.signature_algo
            if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                digest = getattr(hashes, sd_algo.hash_algo.upper())()
                return bytes(key.sign(tbs_bytes, padding.PKCS1v15(), digest))
            if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                digest = getattr(hashes, sd_algo.hash_algo.upper())()
                return bytes(key.sign(tbs_bytes, ec.ECDSA(digest)))
            return bytes(super().generic_sign(private_key, tbs_bytes, sd_algo))

    crypto_utils.CRYPTO_BACKEND = CachingBackend()
    _KEY_CACHE_INSTALLED = True


__all__ = [
    "DEV_ARCH",
    "DEV_CA_STATE_DIR",
    "DEV_CERT_DIR",
    "DEV_CONFIG_PATH",
    "DEV_KEY_DIR",
    "DEV_PKI_HOST",
    "DEV_PKI_PORT",
    "DEV_PKI_URL",
    "DevCaRegistry",
    "DevCaStatus",
    "DevPkiServer",
    "ensure_dev_pki_server",
]

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_PKI_DIR = REPO_ROOT / "keys" / "dev"
DEV_CONFIG_PATH = DEV_PKI_DIR / "certomancer.yml"
DEV_KEY_DIR = DEV_PKI_DIR  # certomancer key search dir; the config's path-prefix "keys" is relative to it
DEV_CERT_DIR = DEV_PKI_DIR / "out"
DEV_ARCH = "sogoc-dev"
DEV_PKI_HOST = "127.0.0.1"
DEV_PKI_PORT = 9771
DEV_PKI_URL = f"http://{DEV_PKI_HOST}:{DEV_PKI_PORT}"
# Certificates issued and revoked at runtime by the dev CA (`sogoc keys issue|renew|revoke`): one JSON
# status file per serial, read by the OCSP responder and the CRL of the issuing CA at every request, so
# a revocation takes effect at once for every process that asks the dev PKI server.
DEV_CA_STATE_DIR = Path(os.environ.get("SOGOC_DEV_CA_DIR") or REPO_ROOT / "var" / "devca")

_OWNER_EXIT_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class DevCaStatus:
    serial: int
    subject: str
    issued_at: datetime
    revoked_at: datetime | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "serial": format(self.serial, "x"),
            "subject": self.subject,
            "issued_at": self.issued_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DevCaStatus:
        return cls(
            serial=int(d["serial"], 16),
            subject=str(d["subject"]),
            issued_at=datetime.fromisoformat(d["issued_at"]),
            revoked_at=datetime.fromisoformat(d["revoked_at"]) if d.get("revoked_at") else None,
            reason=d.get("reason"),
        )


class DevCaRegistry:
    """DEV/TEST ONLY: the runtime state of the dev issuing CA (certificates issued, revocations).

    Revocations also apply to the certificates in ``certomancer.yml`` (by serial). Files are written
    atomically (temp file + rename), one per serial, so concurrent processes never corrupt each other.
    """

    def __init__(self, root: str | os.PathLike[str] = DEV_CA_STATE_DIR) -> None:
        self.root = Path(root)

    def _path(self, serial: int) -> Path:
        return self.root / "status" / f"{serial:x}.json"

    def _write(self, status: DevCaStatus) -> None:
        path = self._path(status.serial)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(status.to_dict(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    def record_issued(self, serial: int, subject: str, issued_at: datetime) -> DevCaStatus:
        status = DevCaStatus(serial, subject, issued_at)
        self._write(status)
        return status

    def revoke(self, serial: int, at: datetime, reason: str = "unspecified", subject: str = "") -> DevCaStatus:
        old = self.lookup(serial)
        status = DevCaStatus(serial, old.subject if old else subject, old.issued_at if old else at, at, reason)
        self._write(status)
        return status

    def lookup(self, serial: int) -> DevCaStatus | None:
        try:
            raw = self._path(serial).read_text(encoding="utf-8")
        except OSError:
            return None
        try:
            return DevCaStatus.from_dict(json.loads(raw))
        except (ValueError, KeyError):
            logger.warning("dev CA: unreadable status file for serial %x", serial)
            return None

    def revocations(self) -> Iterator[DevCaStatus]:
        folder = self.root / "status"
        if not folder.is_dir():
            return
        for path in sorted(folder.glob("*.json")):
            with contextlib.suppress(ValueError):
                status = self.lookup(int(path.stem, 16))
                if status is not None and status.revoked_at is not None:
                    yield status


def _revoked_info(status: DevCaStatus) -> Any:
    from asn1crypto import crl, ocsp

    info = {"revocation_time": status.revoked_at, "revocation_reason": crl.CRLReason(status.reason or "unspecified")}
    return ocsp.CertStatus(name="revoked", value=ocsp.RevokedInfo(info))


class _RegistryRevInfo:
    """Wraps certomancer's OCSP revocation interface: runtime revocations and issued serials first."""

    def __init__(self, inner: Any, registry: DevCaRegistry) -> None:
        self.inner = inner
        self.registry = registry

    def get_issuer_cert(self) -> Any:
        return self.inner.get_issuer_cert()

    def check_revocation_status(self, cid: Any, at_time: datetime) -> tuple[Any, list[Any]]:
        from asn1crypto import ocsp

        status = self.registry.lookup(int(cid["serial_number"].native))
        if status is not None and status.revoked_at is not None and status.revoked_at <= at_time:
            return _revoked_info(status), []
        try:
            result: tuple[Any, list[Any]] = self.inner.check_revocation_status(cid, at_time)
            return result
        except Exception:
            if status is not None:  # issued at runtime: certomancer does not know it
                return ocsp.CertStatus("good"), []
            raise


def _install_runtime_revocation(arch: Any, registry: DevCaRegistry, issuer: str = "issuing") -> None:
    """Make the arch's OCSP responders and CRLs for ``issuer`` honour :class:`DevCaRegistry`."""
    from asn1crypto import crl, x509

    services = arch.service_registry
    summon = services.summon_responder

    def summon_responder(label: Any, at_time: Any = None) -> Any:
        responder = summon(label, at_time)
        responder.revinfo_interface = _RegistryRevInfo(responder.revinfo_interface, registry)
        return responder

    services.summon_responder = summon_responder
    revoked_at_time = arch.get_revoked_certs_at_time

    def get_revoked_certs_at_time(at_time: datetime, crl_info: Any) -> Iterator[Any]:
        seen: set[int] = set()
        for entry in revoked_at_time(at_time, crl_info):
            seen.add(int(entry["user_certificate"].native))
            yield entry
        if str(crl_info.for_issuer) != issuer:
            return
        # certomancer dates a CRL at the start of its simulated update period; a runtime revocation is
        # published at once (the CRL lists it although its thisUpdate is earlier), like a CA that
        # re-issues its CRL on every revocation.
        now = SystemClock().now()
        for status in registry.revocations():
            if status.serial in seen or status.revoked_at is None or status.revoked_at > max(at_time, now):
                continue
            yield crl.RevokedCertificate(
                {
                    "user_certificate": status.serial,
                    "revocation_date": x509.Time(name="utc_time", value=status.revoked_at),
                    "crl_entry_extensions": [
                        {"extn_id": "crl_reason", "critical": False, "extn_value": status.reason or "unspecified"}
                    ],
                }
            )

    arch.get_revoked_certs_at_time = get_revoked_certs_at_time


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:  # pragma: no cover
        logger.debug("dev PKI %s %s", self.requestline, code)


class DevPkiServer:
    """Certomancer Animator on a loopback socket in a daemon thread.

    ``port=0`` binds an ephemeral port: fine for the TSA, but OCSP/CRL URLs baked into the
    certificates point at :data:`DEV_PKI_PORT`, so use that port for revocation checking.
    """

    def __init__(
        self,
        config_path: str | os.PathLike[str] = DEV_CONFIG_PATH,
        key_dir: str | os.PathLike[str] | None = None,
        host: str = DEV_PKI_HOST,
        port: int = 0,
        *,
        arch: str = DEV_ARCH,
        state_dir: str | os.PathLike[str] = DEV_CA_STATE_DIR,
    ) -> None:
        self.config_path = Path(config_path)
        self.state_dir = Path(state_dir)
        self.key_dir = Path(key_dir) if key_dir is not None else self.config_path.parent
        self.host = host
        self.port = port
        self.arch = arch
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._config: CertomancerConfig | None = None
        self.owns_server = False
        """True if this object bound the socket (False when reusing another process's server)."""

    # -- configuration ---------------------------------------------------------------------
    @property
    def config(self) -> CertomancerConfig:
        if self._config is None:
            self._config = CertomancerConfig.from_file(str(self.config_path), key_search_dir=str(self.key_dir))
        return self._config

    def root_cert_der(self) -> bytes:
        arch = self.config.get_pki_arch(ArchLabel(self.arch))
        der: bytes = arch.get_cert(CertLabel("root")).dump()
        return der

    # -- URLs ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{self.arch}/tsa/tsa"

    @property
    def ocsp_url(self) -> str:
        return f"{self.base_url}/{self.arch}/ocsp/issuing"

    def crl_url(self, repo: str = "issuing") -> str:
        return f"{self.base_url}/{self.arch}/crls/{repo}/latest.crl"

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Bind and serve in a background thread; return the base URL."""
        if self._server is not None:
            return self.base_url
        _cache_certomancer_key_loading()
        registry = DevCaRegistry(self.state_dir)
        for arch in self.config.pki_archs.values():
            _install_runtime_revocation(arch, registry)
        animator = Animator(AnimatorArchStore(self.config.pki_archs), with_web_ui=False, allow_time_override=True)
        server = make_server(self.host, self.port, animator, threaded=True, request_handler=_QuietHandler)
        self.port = server.server_port
        self._server = server
        self.owns_server = True
        self._thread = threading.Thread(target=server.serve_forever, name=f"devpki-{self.port}", daemon=True)
        self._thread.start()
        logger.info("dev PKI serving on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        if thread is not None:
            thread.join(timeout=5)
        server.server_close()
        self.owns_server = False

    def __enter__(self) -> DevPkiServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- probing ---------------------------------------------------------------------------
    def is_serving(self, timeout: float = 1.0) -> bool:
        """True if *our* PKI answers at :attr:`base_url` (checked by fetching the root cert)."""
        url = f"{self.base_url}/{self.arch}/certs/root/ca.cert"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                body: bytes = resp.read()
        except (urllib.error.URLError, OSError):
            return False
        return body == self.root_cert_der()


# ---------------------------------------------------------------------------------------------
# process-wide singleton on the fixed dev port
# ---------------------------------------------------------------------------------------------

_singleton: DevPkiServer | None = None
_singleton_lock = threading.Lock()
_users_handle: IO[Any] | None = None


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


def _become_user(port: int) -> None:
    global _users_handle
    if _users_handle is None:
        fh = open(_lock_dir(port) / "users.lock", "a+")  # noqa: SIM115 - held for process lifetime
        fcntl.flock(fh, fcntl.LOCK_SH)
        _users_handle = fh


def _owner_atexit(server: DevPkiServer, port: int) -> None:
    """Keep serving until no other process holds the shared user lock, then stop.

    The check and the shutdown happen under the start lock, so no process can probe the
    server and register as a user in between.
    """
    global _users_handle
    fh = _users_handle
    if fh is None or not server.owns_server:
        server.stop()
        return
    fcntl.flock(fh, fcntl.LOCK_UN)
    deadline = time.monotonic() + _OWNER_EXIT_WAIT_SECONDS
    while True:
        with _exclusive(_lock_dir(port) / "start.lock"):
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alone = True
            except BlockingIOError:
                alone = False
            if alone or time.monotonic() > deadline:
                if not alone:
                    logger.warning("dev PKI: other users still active, stopping anyway")
                server.stop()
                break
        time.sleep(0.2)
    fh.close()
    _users_handle = None


def ensure_dev_pki_server(
    config_path: str | os.PathLike[str] = DEV_CONFIG_PATH,
    key_dir: str | os.PathLike[str] | None = None,
    port: int = DEV_PKI_PORT,
) -> DevPkiServer:
    """Return a :class:`DevPkiServer` for the fixed dev port, starting one if nobody serves it.

    Safe to call repeatedly (cheap probe) and from concurrent processes.
    Raises ``RuntimeError`` if some *other* service occupies the port.
    """
    global _singleton
    with _singleton_lock:
        srv = _singleton
        if srv is not None and (srv.running or srv.is_serving()):
            return srv
        srv = DevPkiServer(config_path, key_dir, host=DEV_PKI_HOST, port=port)
        with _exclusive(_lock_dir(port) / "start.lock"):
            if not srv.is_serving():
                try:
                    srv.start()
                except OSError as e:
                    raise RuntimeError(f"port {port} is taken by something that is not the sogoc-dev PKI") from e
                atexit.register(_owner_atexit, srv, port)
            _become_user(port)
        _singleton = srv
        return srv
