"""DEV/TEST ONLY: the ``sogoc-dev`` PKI server (certomancer Animator: TSA, OCSP, CRLs, cert repo) on loopback.

One :class:`DevPkiServer` serves in a daemon thread of the current process; ``signing/devpki.py`` shares
one server on the fixed dev port between the user's processes (and hands it over when its owner exits).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any

from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .devca import DevCaScopes, install_runtime_revocation

__all__ = [
    "DEV_ARCH",
    "DEV_CERT_DIR",
    "DEV_CONFIG_PATH",
    "DEV_KEY_DIR",
    "DEV_PKI_DIR",
    "DEV_PKI_HOST",
    "DEV_PKI_PORT",
    "DEV_PKI_URL",
    "DevPkiServer",
]

logger = logging.getLogger("signing.devpki")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_PKI_DIR = REPO_ROOT / "keys" / "dev"
DEV_CONFIG_PATH = DEV_PKI_DIR / "certomancer.yml"
DEV_KEY_DIR = DEV_PKI_DIR  # certomancer key search dir; the config's path-prefix "keys" is relative to it
DEV_CERT_DIR = DEV_PKI_DIR / "out"
DEV_ARCH = "sogoc-dev"
DEV_PKI_HOST = "127.0.0.1"
DEV_PKI_PORT = 9771
DEV_PKI_URL = f"http://{DEV_PKI_HOST}:{DEV_PKI_PORT}"

_KEY_CACHE_INSTALLED = False


def _cache_certomancer_key_loading() -> None:
    """Make certomancer keep parsed keys instead of re-parsing one for every response it signs.

    certomancer's ``generic_sign`` calls ``load_der_private_key`` for each TSA token, OCSP
    response, CRL and certificate it signs; cryptography's RSA key check makes that ~35 ms
    (RSA-2048) to ~100 ms (RSA-3072) per response, which a real TSA or CA does not pay.
    Dev server only: the signatures are the same, only the parsed key is kept.  Loading the
    configuration skips the RSA key check for the same reason (the committed dev keys: ~4 s less).
    """
    global _KEY_CACHE_INSTALLED
    if _KEY_CACHE_INSTALLED:
        return
    from asn1crypto import algos, keys, pem
    from certomancer import crypto_utils
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key, load_pem_private_key

    class CachingBackend(crypto_utils.PycaCryptographyBackend):
        def __init__(self) -> None:
            self._keys: dict[bytes, Any] = {}
            self._lock = threading.Lock()

        def load_private_key(
            self, key_bytes: bytes, password: bytes | None
        ) -> tuple[keys.PrivateKeyInfo, keys.PublicKeyInfo]:
            load = load_pem_private_key if pem.detect(key_bytes) else load_der_private_key
            key = load(key_bytes, password=password, unsafe_skip_rsa_key_validation=True)
            der = key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            with self._lock:
                self._keys[der] = key
            spki = key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return keys.PrivateKeyInfo.load(der), keys.PublicKeyInfo.load(spki)

        def generic_sign(
            self, private_key: keys.PrivateKeyInfo, tbs_bytes: bytes, sd_algo: algos.SignedDigestAlgorithm
        ) -> bytes:
            der = private_key.dump()
            with self._lock:
                key = self._keys.get(der)
                if key is None:
                    key = self._keys[der] = load_der_private_key(
                        der, password=None, unsafe_skip_rsa_key_validation=True
                    )
            algo = sd_algo.signature_algo
            if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                digest = getattr(hashes, sd_algo.hash_algo.upper())()
                return bytes(key.sign(tbs_bytes, padding.PKCS1v15(), digest))
            if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                digest = getattr(hashes, sd_algo.hash_algo.upper())()
                return bytes(key.sign(tbs_bytes, ec.ECDSA(digest)))
            return bytes(super().generic_sign(private_key, tbs_bytes, sd_algo))

    crypto_utils.CRYPTO_BACKEND = CachingBackend()
    _serve_parsed_certificates()
    _KEY_CACHE_INSTALLED = True


def _serve_parsed_certificates() -> None:
    """Make certomancer hand out its certificates as values parsed from their DER, not as the trees it built.

    certomancer keeps each certificate as the asn1crypto tree it assembled; every TSA token, OCSP response and CRL
    that embeds or names one re-serialises that whole tree (and copies it to retag it as a ``CertificateChoices``).
    A value parsed from the same DER dumps its original bytes at once, so the responses are the same bytes for
    less work: a timestamp went from ~20 ms to ~6.5 ms of CPU (client and server on one machine, as in the
    benchmarks). Dev server only.
    """
    from asn1crypto import x509 as asn1_x509
    from certomancer.registry.pki_arch import PKIArchitecture

    original = PKIArchitecture.get_cert
    parsed: weakref.WeakSet[asn1_x509.Certificate] = weakref.WeakSet()

    def get_cert(self: PKIArchitecture, label: CertLabel) -> asn1_x509.Certificate:
        cert = original(self, label)
        if cert in parsed or type(cert) is not asn1_x509.Certificate:
            return cert
        cert = asn1_x509.Certificate.load(cert.dump())  # the same DER
        self._cert_cache[label] = cert
        parsed.add(cert)
        return cert

    PKIArchitecture.get_cert = get_cert  # type: ignore[method-assign]


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
        scopes_dir: Path | None = None,
    ) -> None:
        self.config_path = Path(config_path)
        self.scopes = DevCaScopes(scopes_dir)  # where the runtime revocations are read, per request
        self.key_dir = Path(key_dir) if key_dir is not None else self.config_path.parent
        self.host = host
        self.port = port
        self.arch = arch
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._config: CertomancerConfig | None = None
        self._app: Animator | None = None
        self._root_der: bytes | None = None
        self.owns_server = False
        """True if this object bound the socket (False when reusing another process's server)."""

    # -- configuration ---------------------------------------------------------------------
    @property
    def config(self) -> CertomancerConfig:
        if self._config is None:
            _cache_certomancer_key_loading()
            self._config = CertomancerConfig.from_file(str(self.config_path), key_search_dir=str(self.key_dir))
        return self._config

    def root_cert_der(self) -> bytes:
        if self._root_der is None:
            committed = DEV_CERT_DIR / "root.cert.pem"
            if self.config_path.resolve() == DEV_CONFIG_PATH.resolve() and self.arch == DEV_ARCH:
                # the committed dev PKI: its root as generate.py wrote it (loading certomancer takes seconds)
                self._root_der = x509.load_pem_x509_certificate(committed.read_bytes()).public_bytes(
                    serialization.Encoding.DER
                )
            else:
                arch = self.config.get_pki_arch(ArchLabel(self.arch))
                self._root_der = arch.get_cert(CertLabel("root")).dump()
        return self._root_der

    def prepare(self) -> None:
        """Load the configuration and build the WSGI app now (seconds), so that :meth:`start` is quick."""
        self._animator()

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

    def start(self, listening: socket.socket | None = None) -> str:
        """Bind (or accept on ``listening``, a socket handed over by the previous owner) and serve in a
        background thread; return the base URL.  Raises ``OSError`` if the port is taken."""
        if self._server is not None:
            return self.base_url
        sock = listening if listening is not None else self._bind()
        try:
            server = make_server(
                self.host, self.port, self._animator(), threaded=True, request_handler=_QuietHandler, fd=sock.fileno()
            )  # werkzeug serves a duplicate of the descriptor
        finally:
            sock.close()
        self.port = server.port
        self._server = server
        self.owns_server = True
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=f"devpki-{self.port}", daemon=True
        )
        self._thread.start()
        logger.info("dev PKI serving on %s", self.base_url)
        return self.base_url

    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        return sock

    def _animator(self) -> Animator:
        if self._app is None:
            _cache_certomancer_key_loading()
            for arch in self.config.pki_archs.values():
                install_runtime_revocation(arch, self.scopes)
            self._app = Animator(AnimatorArchStore(self.config.pki_archs), with_web_ui=False, allow_time_override=True)
        return self._app

    def listening_fileno(self) -> int:
        """The listening socket's descriptor (to hand it over); -1 when not serving."""
        return self._server.socket.fileno() if self._server is not None else -1

    def stop(self) -> None:
        """Stop accepting and close this process's descriptor of the listening socket (a process it was handed
        over to keeps accepting on it)."""
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
