"""DEV/TEST ONLY: a CSC remote-signing service for the ``sogoc-dev`` PKI on loopback.

Built on ``certomancer-csc-dummy`` (package ``csc_dummy``, aiohttp) with the **same certomancer
config** as :mod:`signing.devpki` (``keys/dev/certomancer.yml``, keys in ``keys/dev/keys``): the
credentials are the dev PKI's signer certificates, byte-identical to ``keys/dev/out``, and their
OCSP/CRL URLs point at the dev PKI server on ``127.0.0.1:9771`` (:func:`ensure_dev_csc_server`
starts that one as well). The aiohttp app runs in its own event loop in a daemon thread.

Credential ids
--------------
csc-dummy names a credential ``<architecture>/<certificate label>`` and signs with that
certificate's subject key: ``sogoc-dev/principal``, ``sogoc-dev/seal-thpt-demo``,
``sogoc-dev/gvcn-10a1``… (:func:`dev_credential_id`). Only the labels in
:data:`DEV_CSC_CREDENTIALS` are served here; csc-dummy itself would also sign with the CA, TSA
and OCSP keys.

How csc-dummy authorises — it does not
--------------------------------------
No client authentication; ``credentials/info`` says ``authMode: implicit``;
``credentials/authorize`` ignores ``PIN``/``OTP`` and returns for any request a SAD that is
``base64(PAE(numSignatures[, hashes]) ‖ HMAC-SHA256(secret, credentialID ‖ payload))``;
``signatures/signHash`` checks the MAC and, with hash pinning (SCAL 2), that the hashes are among
the authorised ones, or without it (SCAL 1) only that *one call* has at most ``numSignatures``
hashes — a SAD never expires and can be replayed without limit. It speaks CSC 1.0.4.0 only
(``/csc/v1/…``), and the HMAC secret is ``b"secret"`` unless configured.

What this server adds in front of it
------------------------------------
* ``credentials/authorize`` requires the **PIN** (:data:`DEV_CSC_PIN`, or ``pins={label: pin}``)
  and, with ``otp_secret``, the current **TOTP** (RFC 6238, 6 digits, 30 s, ±1 step) of that
  base32 secret; else HTTP 400 ``invalid_pin`` / ``invalid_otp`` / ``invalid_request``.
  ``credentials/info`` says ``authMode: explicit`` (v1) / ``auth.mode: explicit`` (v2).
* A SAD is unique, lives ``sad_lifetime`` s (``expiresIn``) and covers ``numSignatures`` hashes
  **over all** ``signHash`` calls; ``numSignatures`` ≤ ``multisign`` (:data:`DEV_CSC_MAX_SIGNATURES`).
* ``/csc/v2/…`` (CSC 2.0 names: ``authData``, ``hashes``, ``hashAlgorithmOID``) beside ``/csc/v1/…``.
* Counters per credential id for tests; SCAL 1 by default (``scal=2``: csc-dummy's hash pinning).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import fcntl
import hmac
import json
import logging
import os
import secrets
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, cast

from aiohttp import web
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from csc_dummy.csc_dummy_server import CSCWithCertomancer, DummyServiceParams, GeneralServiceInfo

from .devpki import DEV_ARCH, DEV_CONFIG_PATH, _exclusive, _lock_dir, ensure_dev_pki_server

__all__ = [
    "DEV_CSC_CREDENTIALS",
    "DEV_CSC_HOST",
    "DEV_CSC_MAX_SIGNATURES",
    "DEV_CSC_NAME",
    "DEV_CSC_PIN",
    "DEV_CSC_PORT",
    "DEV_CSC_URL",
    "DevCscServer",
    "dev_credential_id",
    "ensure_dev_csc_server",
]

logger = logging.getLogger(__name__)

DEV_CSC_HOST = "127.0.0.1"
DEV_CSC_PORT = 9772
DEV_CSC_URL = f"http://{DEV_CSC_HOST}:{DEV_CSC_PORT}"
DEV_CSC_NAME = "Sổ Gốc Số DEV CSC (certomancer-csc-dummy)"
DEV_CSC_PIN = "135790"  # DEV/TEST ONLY, like every key behind it
DEV_CSC_MAX_SIGNATURES = 100  # ``multisign``: the most signatures one authorisation may cover
DEV_CSC_CREDENTIALS: tuple[str, ...] = (  # signer certificates only: no CA, TSA or OCSP key
    *("gvcn-10a1", "gvcn-10a2", "principal", "seal-thpt-demo"),
    *("gvcn-expired", "gvcn-revoked", "gvcn-notyet", "gvcn-wrongku"),
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dev_credential_id(label: str) -> str:
    """The CSC credential id of a dev certificate label (``principal`` → ``sogoc-dev/principal``)."""
    return f"{DEV_ARCH}/{label}"


@dataclass
class _Grant:
    credential_id: str
    remaining: int
    deadline: float  # time.monotonic()


class _JsonRequest:
    """All csc-dummy's handlers read of a request: ``await request.json()``."""

    def __init__(self, body: dict[str, Any]) -> None:
        self._body = body

    async def json(self) -> dict[str, Any]:
        return self._body


def _error(code: str, description: str, status: int = 400) -> web.Response:
    return web.json_response({"error": code, "error_description": description}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest() from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest()
    return body


class DevCscServer:
    """certomancer-csc-dummy behind PIN/OTP checks and SAD accounting, on a loopback socket.

    ``port=0`` binds an ephemeral port (fine: no URL in the certificates points here).
    """

    def __init__(
        self,
        config_path: str | os.PathLike[str] = DEV_CONFIG_PATH,
        key_dir: str | os.PathLike[str] | None = None,
        host: str = DEV_CSC_HOST,
        port: int = 0,
        *,
        credentials: Sequence[str] = DEV_CSC_CREDENTIALS,
        pins: Mapping[str, str] | None = None,
        otp_secret: str | None = None,
        sad_lifetime: int = 600,
        max_signatures: int = DEV_CSC_MAX_SIGNATURES,
        scal: int = 1,
    ) -> None:
        self.config_path = Path(config_path)
        self.key_dir = Path(key_dir) if key_dir is not None else self.config_path.parent
        self.host = host
        self.port = port
        self.credentials = tuple(credentials)
        self._pins = dict(pins or {})
        self._otp_secret = otp_secret
        self.sad_lifetime = sad_lifetime
        self.max_signatures = max_signatures
        self.scal = scal
        self.authorize_calls: Counter[str] = Counter()
        self.sign_hash_calls: Counter[str] = Counter()
        self.signatures: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # by error code
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()
        self._config: CertomancerConfig | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.owns_server = False

    # -- configuration ---------------------------------------------------------------------
    @property
    def config(self) -> CertomancerConfig:
        if self._config is None:
            self._config = CertomancerConfig.from_file(str(self.config_path), key_search_dir=str(self.key_dir))
        return self._config

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def credential_id(self, label: str) -> str:
        return dev_credential_id(label)

    def _allowed(self, credential_id: str) -> bool:
        return credential_id in {dev_credential_id(label) for label in self.credentials}

    def _pin(self, credential_id: str) -> str:
        return self._pins.get(credential_id.split("/", 1)[-1], DEV_CSC_PIN)

    # -- the app ---------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        with warnings.catch_warnings():  # csc-dummy keys its (unused) app with strings
            warnings.simplefilter("ignore", web.NotAppKeyWarning)
            dummy = CSCWithCertomancer(
                self.config,
                svc_info=GeneralServiceInfo(name=DEV_CSC_NAME, region_code="VN", lang_code="vi"),
                service_params=DummyServiceParams(
                    hash_pinning_required=self.scal >= 2, multisign=self.max_signatures, sad_secret=os.urandom(32)
                ),
            )
        app = web.Application()
        app.router.add_get("/info", self._with(dummy, "v1", self._info))
        for ver in ("v1", "v2"):
            app.router.add_post(f"/csc/{ver}/info", self._with(dummy, ver, self._info))
            app.router.add_post(f"/csc/{ver}/credentials/list", self._with(dummy, ver, self._list))
            app.router.add_post(f"/csc/{ver}/credentials/info", self._with(dummy, ver, self._credential_info))
            app.router.add_post(f"/csc/{ver}/credentials/authorize", self._with(dummy, ver, self._authorize))
            app.router.add_post(f"/csc/{ver}/signatures/signHash", self._with(dummy, ver, self._sign_hash))
        return app

    def _with(
        self,
        dummy: CSCWithCertomancer,
        ver: str,
        fn: Callable[[CSCWithCertomancer, str, web.Request], Awaitable[web.StreamResponse]],
    ) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await fn(dummy, ver, request)

        return handler

    @staticmethod
    async def _call(handler: Callable[[web.Request], Awaitable[Any]], body: dict[str, Any]) -> dict[str, Any]:
        resp = await handler(cast(web.Request, _JsonRequest(body)))
        data: dict[str, Any] = json.loads(resp.text)
        return data

    async def _info(self, dummy: CSCWithCertomancer, ver: str, request: web.Request) -> web.StreamResponse:
        data = await self._call(dummy.info, {})
        data["specs"] = "2.0.0.2" if ver == "v2" else "1.0.4.0"
        return web.json_response(data)

    async def _list(self, dummy: CSCWithCertomancer, ver: str, request: web.Request) -> web.StreamResponse:
        await _body(request)
        return web.json_response({"credentialIDs": [dev_credential_id(label) for label in self.credentials]})

    async def _credential_info(self, dummy: CSCWithCertomancer, ver: str, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        cid = str(body.get("credentialID", ""))
        if not self._allowed(cid):
            return _error("invalid_request", "Invalid parameter credentialID")
        data = await self._call(
            dummy.credentials_info,
            {"credentialID": cid, "certificates": body.get("certificates", "single"), "certInfo": False},
        )
        data.pop("authMode", None)
        pin = {"presence": "true", "format": "N", "label": "PIN", "description": "Mã PIN ký số / signing PIN"}
        otp = {"presence": "true", "type": "online", "format": "N", "label": "OTP", "description": "TOTP 6 chữ số"}
        if ver == "v1":
            data.update({"authMode": "explicit", "PIN": pin, **({"OTP": otp} if self._otp_secret else {})})
        else:
            objects = [{"type": "Password", "id": "PIN", **pin}]
            if self._otp_secret:
                objects.append({"type": "Password", "id": "OTP", "generator": "totp", **otp})
            expression = "PIN AND OTP" if self._otp_secret else "PIN"
            data["auth"] = {"mode": "explicit", "expression": expression, "objects": objects}
        return web.json_response(data)

    def _refuse(self, code: str, description: str) -> web.Response:
        with self._lock:
            self.refused[code] += 1
        return _error(code, description)

    async def _authorize(self, dummy: CSCWithCertomancer, ver: str, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        cid = str(body.get("credentialID", ""))
        with self._lock:
            self.authorize_calls[cid] += 1
        if not self._allowed(cid):
            return self._refuse("invalid_request", "Invalid parameter credentialID")
        try:
            num = int(body["numSignatures"])
        except (KeyError, TypeError, ValueError):
            return self._refuse("invalid_request", "Missing (or invalid type) integer parameter numSignatures")
        if not 1 <= num <= self.max_signatures:
            return self._refuse("invalid_request", f"numSignatures must be between 1 and {self.max_signatures}")
        if ver == "v1":
            pin, otp = body.get("PIN"), body.get("OTP")
        else:
            auth = {str(o.get("id")): o.get("value") for o in body.get("authData") or [] if isinstance(o, dict)}
            pin, otp = auth.get("PIN"), auth.get("OTP")
        if not isinstance(pin, str) or not pin:
            return self._refuse("invalid_request", "Missing (or invalid type) string parameter PIN")
        # the PIN and OTP are compared, never logged nor echoed
        if not hmac.compare_digest(pin.encode(), self._pin(cid).encode()):
            return self._refuse("invalid_pin", "The PIN is invalid")
        if self._otp_secret is not None:
            import pyotp

            if not isinstance(otp, str) or not pyotp.TOTP(self._otp_secret).verify(otp, valid_window=1):
                return self._refuse("invalid_otp", "The OTP is invalid")
        inner: dict[str, Any] = {"credentialID": cid, "numSignatures": num}
        hashes = body.get("hashes" if ver == "v2" else "hash")
        if hashes is not None:
            inner["hash"] = hashes
        data = await self._call(dummy.credentials_authorize, inner)
        sad = f"{secrets.token_urlsafe(16)}.{data['SAD']}"
        now = time.monotonic()
        with self._lock:
            self._grants = {k: g for k, g in self._grants.items() if g.deadline > now and g.remaining > 0}
            self._grants[sad] = _Grant(cid, num, now + self.sad_lifetime)
        return web.json_response({"SAD": sad, "expiresIn": self.sad_lifetime})

    async def _sign_hash(self, dummy: CSCWithCertomancer, ver: str, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        cid = str(body.get("credentialID", ""))
        with self._lock:
            self.sign_hash_calls[cid] += 1
        if not self._allowed(cid):
            return self._refuse("invalid_request", "Invalid parameter credentialID")
        hashes = body.get("hashes" if ver == "v2" else "hash")
        if not isinstance(hashes, list) or not hashes:
            return self._refuse("invalid_request", "Missing (or invalid type) array parameter hash")
        sad = str(body.get("SAD", ""))
        with self._lock:
            grant = self._grants.get(sad)
            if grant is None or grant.credential_id != cid:
                problem = "Invalid SAD"
            elif time.monotonic() >= grant.deadline:
                problem = "SAD expired"
            elif len(hashes) > grant.remaining:
                problem = "Too many hashes for the SAD: the authorised numSignatures are used up"
            else:
                problem = ""
                grant.remaining -= len(hashes)
        if problem or grant is None:
            return self._refuse("invalid_request", problem)
        inner = {k: v for k, v in body.items() if k not in ("hashes", "hashAlgorithmOID", "hash", "hashAlgo")}
        inner.update(SAD=sad.split(".", 1)[1], hash=hashes)
        hash_algo = body.get("hashAlgorithmOID" if ver == "v2" else "hashAlgo")
        if hash_algo is not None:
            inner["hashAlgo"] = hash_algo
        try:
            data = await self._call(dummy.signatures_sign_hash, inner)
        except web.HTTPException:
            with self._lock:
                grant.remaining += len(hashes)
            raise
        with self._lock:
            self.signatures[cid] += len(hashes)
        return web.json_response(data)

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._loop is not None

    def start(self) -> str:
        """Bind and serve in a background thread; return the base URL."""
        if self._loop is not None:
            return self.base_url
        app = self._build_app()
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
            try:
                loop.run_until_complete(runner.setup())
                site = web.TCPSite(runner, self.host, self.port)
                loop.run_until_complete(site.start())
                self.port = int(runner.addresses[0][1])
            except BaseException as e:
                failure.append(e)
                ready.set()
                loop.run_until_complete(runner.cleanup())
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        thread = threading.Thread(target=run, name=f"devcsc-{self.port}", daemon=True)
        thread.start()
        if not ready.wait(timeout=30):
            loop.call_soon_threadsafe(loop.stop)
            raise RuntimeError("the dev CSC server did not start in 30 s")
        if failure:
            thread.join(timeout=5)
            raise failure[0]
        self._loop, self._thread = loop, thread
        self.owns_server = True
        logger.info("dev CSC serving on %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(timeout=10)
        self.owns_server = False

    def __enter__(self) -> DevCscServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- probing ---------------------------------------------------------------------------
    def is_serving(self, timeout: float = 2.0) -> bool:
        """True if *our* service answers at :attr:`base_url` (name, and the principal's certificate)."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/info", timeout=timeout) as resp:
                if json.loads(resp.read()).get("name") != DEV_CSC_NAME:
                    return False
            req = urllib.request.Request(
                f"{self.base_url}/csc/v1/credentials/info",
                data=json.dumps({"credentialID": dev_credential_id("principal")}).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                served = json.loads(resp.read())["cert"]["certificates"][0]
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, AttributeError):
            return False
        expected = self.config.get_pki_arch(ArchLabel(DEV_ARCH)).get_cert(CertLabel("principal")).dump()
        return bool(base64.b64decode(served) == expected)


# ---------------------------------------------------------------------------------------------
# process-wide server on the fixed dev port
# ---------------------------------------------------------------------------------------------

_singleton: DevCscServer | None = None
_singleton_lock = threading.Lock()
_users: IO[Any] | None = None  # shared lock held by every process that uses the server on the port
_OWNER_EXIT_WAIT_SECONDS = 120.0


def _owner_atexit(server: DevCscServer, port: int) -> None:
    """As the dev PKI does: keep serving while other processes use the server (bounded), then stop."""
    global _users
    fh, deadline = _users, time.monotonic() + _OWNER_EXIT_WAIT_SECONDS
    if fh is not None:
        fcntl.flock(fh, fcntl.LOCK_UN)
        while True:
            with _exclusive(_lock_dir(port) / "start.lock"):
                with contextlib.suppress(BlockingIOError):
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                if time.monotonic() > deadline:
                    logger.warning("dev CSC: other users still active, stopping anyway")
                    break
            time.sleep(0.2)
        fh.close()
        _users = None
    server.stop()


def ensure_dev_csc_server(
    config_path: str | os.PathLike[str] = DEV_CONFIG_PATH, port: int = DEV_CSC_PORT, *, with_pki: bool = True
) -> DevCscServer:
    """Return a :class:`DevCscServer` on the fixed dev port, starting one if nobody serves it.

    Reuses a dev CSC server of another process (its counters and PINs are that process's); the
    process that started it keeps serving at exit while other processes use it (up to 2 minutes).
    ``with_pki`` also ensures the dev PKI server (OCSP, CRL, TSA on 9771), without which the
    credentials' certificates cannot be checked. Raises ``RuntimeError`` if some *other* service
    occupies the port.
    """
    global _singleton, _users
    if with_pki:
        ensure_dev_pki_server(config_path)
    with _singleton_lock:
        srv = _singleton
        if srv is not None and (srv.running or srv.is_serving()):
            return srv
        srv = DevCscServer(config_path, host=DEV_CSC_HOST, port=port)
        with _exclusive(_lock_dir(port) / "start.lock"):
            if not srv.is_serving():
                try:
                    srv.start()
                except OSError as e:
                    raise RuntimeError(f"port {port} is taken by something that is not the sogoc-dev CSC") from e
                atexit.register(_owner_atexit, srv, port)
            if _users is None:
                _users = open(_lock_dir(port) / "users.lock", "a+")  # noqa: SIM115 - held for the process lifetime
                fcntl.flock(_users, fcntl.LOCK_SH)
        _singleton = srv
        return srv
