"""PKCS#11 backend (HSM, USB token, SoftHSM2 in tests) behind :class:`signing.keys.SignerPort`.

* :class:`Pkcs11Config` — module path, token label, key label/id, and the PIN (from the
  environment or settings; never logged, never in ``repr``).
* :func:`get_pkcs11_signer` — returns :class:`Pkcs11KeySigner`, built **once per process** per
  (module, token, key) and reused: the session stays open, the key handle and the certificates
  are looked up once.
* :func:`provision_token_key` — generates an RSA key pair **inside** the token (private key
  sensitive and non-extractable), has the dev CA (certomancer, arch ``sogoc-dev``) issue a
  certificate for its public key, and stores the certificate in the token and in a PEM file.

Thread and process safety
-------------------------
A PKCS#11 session is bound to the process that opened it (after ``fork`` it is unusable), so the
cache is keyed by PID: a forked worker opens its own session on first use.  A session runs one
``C_SignInit``/``C_Sign`` at a time; :class:`Pkcs11KeySigner` serialises signatures with a lock
and signs inline (no thread-pool hop), so one signer may be shared by threads and event loops of
one process.  For throughput use several processes, each with its own session.  PKCS#11 login
state is per process and token: once one session is logged in, further sessions of the same
process (other keys on the same token) share that login.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pkcs11
from asn1crypto import keys as asn1_keys
from asn1crypto import pem, x509
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11.util.rsa import encode_rsa_public_key
from pyhanko.keys import load_certs_from_pemder
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko.sign.signers import Signer

from verifier.clock import SystemClock

from .errors import Pkcs11Error

__all__ = [
    "DEFAULT_PIN_ENV",
    "Pkcs11Config",
    "Pkcs11KeySigner",
    "ProvisionedKey",
    "close_all",
    "find_softhsm_module",
    "get_pkcs11_signer",
    "init_softhsm_token",
    "issue_dev_certificate",
    "open_session",
    "provision_token_key",
    "sign_digest",
]

logger = logging.getLogger(__name__)

DEFAULT_PIN_ENV = "SOGOC_PKCS11_PIN"
SOFTHSM_MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)

PathLike = str | os.PathLike[str]


def find_softhsm_module() -> str | None:
    """Path of the SoftHSM2 PKCS#11 module, or None (``SOFTHSM2_MODULE`` overrides)."""
    env = os.environ.get("SOFTHSM2_MODULE")
    for cand in (env, *SOFTHSM_MODULE_CANDIDATES):
        if cand and Path(cand).exists():
            return cand
    return None


@dataclass(frozen=True)
class Pkcs11Config:
    """Where the key lives. ``pin=None`` reads the PIN from ``os.environ[pin_env]`` when opening."""

    module_path: str
    token_label: str
    key_label: str | None = None
    key_id: bytes | None = None
    cert_label: str | None = None  # default: the key label
    pin: str | None = field(default=None, repr=False)
    pin_env: str = DEFAULT_PIN_ENV
    chain_paths: tuple[str, ...] = ()  # PEM files of the CA chain to embed (the token may not hold them)

    def resolve_pin(self) -> str:
        pin = self.pin if self.pin is not None else os.environ.get(self.pin_env)
        if not pin:
            raise Pkcs11Error(
                f"Chưa cấu hình mã PIN của token (biến môi trường {self.pin_env})",
                f"No token PIN configured (environment variable {self.pin_env})",
                reason="pkcs11_pin_missing",
            )
        return pin

    @classmethod
    def from_env(cls, prefix: str = "SOGOC_PKCS11_") -> Pkcs11Config:
        """From ``<prefix>MODULE``, ``TOKEN``, ``KEY_LABEL``, ``KEY_ID`` (hex), ``CHAIN`` (``:``-separated).

        The PIN (``<prefix>PIN``) is read only when the session is opened.
        """
        env = os.environ
        module = env.get(f"{prefix}MODULE") or find_softhsm_module()
        token = env.get(f"{prefix}TOKEN")
        if not module or not token:
            raise Pkcs11Error(
                "Chưa cấu hình mô-đun PKCS#11 hoặc nhãn token",
                f"PKCS#11 module or token label not configured ({prefix}MODULE, {prefix}TOKEN)",
                reason="pkcs11_not_configured",
            )
        key_id = env.get(f"{prefix}KEY_ID")
        chain = env.get(f"{prefix}CHAIN", "")
        return cls(
            module_path=module,
            token_label=token,
            key_label=env.get(f"{prefix}KEY_LABEL"),
            key_id=bytes.fromhex(key_id) if key_id else None,
            pin_env=f"{prefix}PIN",
            chain_paths=tuple(p for p in chain.split(os.pathsep) if p),
        )


# ------------------------------------------------------------------------------------------
# sessions
# ------------------------------------------------------------------------------------------

_libs: dict[str, Any] = {}
_libs_lock = threading.Lock()


def _lib(module_path: str) -> Any:
    with _libs_lock:
        lib = _libs.get(module_path)
        if lib is None:
            try:
                lib = _libs[module_path] = pkcs11.lib(module_path)
            except (RuntimeError, OSError, pkcs11.PKCS11Error) as e:
                raise Pkcs11Error(
                    f"Không nạp được mô-đun PKCS#11 {module_path}",
                    f"Cannot load the PKCS#11 module {module_path}: {type(e).__name__}",
                ) from e
        return lib


def open_session(module_path: str, token_label: str, pin: str, *, rw: bool = False) -> Any:
    """Open a logged-in session on the token with that label (a ``pkcs11.Session``)."""
    lib = _lib(module_path)
    try:
        token = lib.get_token(token_label=token_label)
    except (pkcs11.NoSuchToken, pkcs11.MultipleTokensReturned) as e:
        raise Pkcs11Error(
            f"Không tìm thấy token «{token_label}» (hoặc có nhiều token cùng nhãn)",
            f"Token {token_label!r} not found (or not unique)",
            reason="pkcs11_token_not_found",
        ) from e
    try:
        try:
            return token.open(user_pin=pin, rw=rw)
        except pkcs11.UserAlreadyLoggedIn:
            # the login state is per process and token: another session of ours already logged in
            # (e.g. a second key on the same HSM); a new session shares it
            return token.open(rw=rw)
    except (pkcs11.PinIncorrect, pkcs11.PinLenRange, pkcs11.PinInvalid) as e:
        # the PIN itself never goes into a message or a log line
        raise Pkcs11Error(
            f"Mã PIN của token «{token_label}» không đúng",
            f"Wrong PIN for token {token_label!r}",
            reason="pkcs11_pin_incorrect",
        ) from e
    except pkcs11.PKCS11Error as e:
        raise Pkcs11Error(
            f"Không mở được phiên làm việc với token «{token_label}»",
            f"Cannot open a session on token {token_label!r}: {type(e).__name__}",
        ) from e


# ------------------------------------------------------------------------------------------
# the signer
# ------------------------------------------------------------------------------------------


class _SerialisedPKCS11Signer(PKCS11Signer):
    """pyHanko's PKCS11Signer, signing inline under a lock (one operation per session at a time)."""

    def __init__(self, *args: Any, lock: threading.Lock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = lock

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self.estimate_raw_signature_size_bytes())
        await self.ensure_objects_loaded()
        assert self._key_handle is not None
        spec = self._select_pkcs11_signing_params(digest_algorithm, sign_kwargs=self.sign_kwargs(data))
        if spec.pre_sign_transform is not None:
            data = spec.pre_sign_transform(data)
        with self._lock:
            try:
                signature = self._key_handle.sign(data, **spec.sign_kwargs)
            except pkcs11.PKCS11Error as e:
                raise Pkcs11Error("Token từ chối thao tác ký", f"The token refused to sign: {type(e).__name__}") from e
        if spec.post_sign_transform is not None:
            signature = spec.post_sign_transform(signature)
        return bytes(signature)


class Pkcs11KeySigner:
    """A :class:`~signing.keys.SignerPort` for one key in one token; one open session."""

    def __init__(self, config: Pkcs11Config) -> None:
        self.config = config
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self.session = open_session(config.module_path, config.token_label, config.resolve_pin())
        chain = list(load_certs_from_pemder(list(config.chain_paths))) if config.chain_paths else []
        try:
            key = self._find_key()
            cert = self._find_cert()
        except Exception:
            self.session.close()
            raise
        self._key = key
        self._signer = _SerialisedPKCS11Signer(
            self.session,
            signing_cert=cert,
            key_label=config.key_label,
            key_id=config.key_id,
            ca_chain=chain,
            other_certs_to_pull=None,  # do not walk the token for more certificates
            lock=self._lock,
        )

    def _find_key(self) -> Any:
        attrs: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.PRIVATE_KEY}
        if self.config.key_label:
            attrs[Attribute.LABEL] = self.config.key_label
        if self.config.key_id:
            attrs[Attribute.ID] = self.config.key_id
        found = list(self.session.get_objects(attrs))
        if len(found) != 1:
            raise Pkcs11Error(
                f"Không tìm thấy đúng một khóa «{self.config.key_label or self.config.key_id!r}» trong token",
                f"Expected exactly one private key {self.config.key_label or self.config.key_id!r} "
                f"in token {self.config.token_label!r}, found {len(found)}",
                reason="pkcs11_key_not_found",
            )
        return found[0]

    def _find_cert(self) -> x509.Certificate:
        attrs: dict[Attribute, Any] = {Attribute.CLASS: ObjectClass.CERTIFICATE}
        label = self.config.cert_label or self.config.key_label
        if label:
            attrs[Attribute.LABEL] = label
        if self.config.key_id and not self.config.cert_label:
            attrs[Attribute.ID] = self.config.key_id
        found = list(self.session.get_objects(attrs))
        if not found:
            raise Pkcs11Error(
                f"Token không chứa chứng thư «{label}»",
                f"No certificate {label!r} in token {self.config.token_label!r}",
                reason="pkcs11_cert_not_found",
            )
        return x509.Certificate.load(found[0][Attribute.VALUE])

    # SignerPort
    @property
    def signing_cert(self) -> x509.Certificate | None:
        cert: x509.Certificate | None = self._signer.signing_cert
        return cert

    def pyhanko_signer(self) -> Signer:
        return self._signer

    def sign_digest(self, digest: bytes, digest_algorithm: str = "sha256") -> bytes:
        """RSA PKCS#1 v1.5 signature over an already computed digest (external signing agent)."""
        return sign_digest(self._key, digest, digest_algorithm, lock=self._lock)

    def close(self) -> None:
        with contextlib.suppress(pkcs11.PKCS11Error):  # token removed: nothing left to close
            self.session.close()


def sign_digest(
    key: Any, digest: bytes, digest_algorithm: str = "sha256", *, lock: threading.Lock | None = None
) -> bytes:
    """Sign a precomputed digest with a token RSA key (CKM_RSA_PKCS over a DigestInfo)."""
    from asn1crypto.algos import DigestInfo

    info = DigestInfo({"digest_algorithm": {"algorithm": digest_algorithm}, "digest": digest}).dump()
    try:
        if lock is None:
            return bytes(key.sign(info, mechanism=Mechanism.RSA_PKCS))
        with lock:
            return bytes(key.sign(info, mechanism=Mechanism.RSA_PKCS))
    except pkcs11.PKCS11Error as e:
        raise Pkcs11Error("Token từ chối thao tác ký", f"The token refused to sign: {type(e).__name__}") from e


_signers: dict[tuple[int, str, str, str | None, bytes | None], Pkcs11KeySigner] = {}
_signers_lock = threading.Lock()


def get_pkcs11_signer(config: Pkcs11Config) -> Pkcs11KeySigner:
    """The process-wide signer for this key: built on first use, then reused (session kept open)."""
    key = (os.getpid(), config.module_path, config.token_label, config.key_label, config.key_id)
    with _signers_lock:
        signer = _signers.get(key)
        if signer is None:
            signer = _signers[key] = Pkcs11KeySigner(config)
            logger.info("PKCS#11 signer ready: token %s, key %s", config.token_label, config.key_label)
        return signer


def close_all() -> None:
    """Close every cached session of this process (tests, shutdown)."""
    with _signers_lock:
        pid = os.getpid()
        for k, signer in list(_signers.items()):
            if k[0] == pid:
                signer.close()
            del _signers[k]


# ------------------------------------------------------------------------------------------
# provisioning: key pair inside the token, certificate from the dev CA
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisionedKey:
    label: str
    key_id: bytes
    cert: x509.Certificate
    cert_path: Path


def issue_dev_certificate(
    public_key: asn1_keys.PublicKeyInfo,
    label: str,
    *,
    common_name: str,
    organization: str = "Trường THPT Demo Hải Phòng",
    organizational_unit: str | None = None,
    template: str = "gvcn-10a1",
    config_path: PathLike | None = None,
    work_dir: PathLike,
) -> x509.Certificate:
    """DEV/TEST ONLY: the ``sogoc-dev`` issuing CA signs a certificate for ``public_key``.

    The certificate copies ``template`` (issuer, validity, ``digsig-commitment`` key usage, CRL and
    OCSP URLs). The public key is written to ``work_dir`` and added to the keyset as a public-only
    key; all key paths are made absolute so certomancer may read them from both places.
    """
    import yaml
    from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig

    from .devpki import DEV_ARCH, DEV_CONFIG_PATH, DEV_KEY_DIR

    cfg_path = Path(config_path) if config_path is not None else DEV_CONFIG_PATH
    cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
    arch = cfg["pki-architectures"][DEV_ARCH]
    keyset = cfg["keysets"][arch["keyset"]]
    prefix = (Path(DEV_KEY_DIR) / keyset.get("path-prefix", "")).resolve()
    for spec in keyset["keys"].values():
        spec["path"] = str(prefix / spec["path"])
    keyset["path-prefix"] = ""
    pub_path = Path(work_dir) / f"{label}.pub.pem"
    pub_path.write_bytes(pem.armor("PUBLIC KEY", public_key.dump()))
    keyset["keys"][label] = {"path": str(pub_path.resolve()), "public-only": True}
    entity: dict[str, str] = {"organization-name": organization, "common-name": common_name}
    if organizational_unit:
        entity["organizational-unit-name"] = organizational_unit
    arch["entities"][label] = entity
    arch["certs"][label] = {"template": template, "subject": label, "subject-key": label}
    certomancer = CertomancerConfig(cfg, key_search_dir="/", lazy_load_keys=True)
    cert: x509.Certificate = certomancer.get_pki_arch(ArchLabel(DEV_ARCH)).get_cert(CertLabel(label))
    return cert


def provision_token_key(
    *,
    module_path: str,
    token_label: str,
    pin: str,
    label: str,
    common_name: str,
    cert_dir: PathLike,
    key_id: bytes | None = None,
    key_bits: int = 2048,
    organizational_unit: str | None = None,
    template: str = "gvcn-10a1",
) -> ProvisionedKey:
    """DEV/TEST: generate an RSA key pair in the token, get a dev-CA certificate, store it twice.

    The private key is created with ``SENSITIVE=True, EXTRACTABLE=False``: it never leaves the
    token. The certificate is written to ``cert_dir/<label>.cert.pem`` and stored in the token as
    a certificate object with the same label and ID as the key.
    """
    key_id = key_id or os.urandom(8)
    out_dir = Path(cert_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    session = open_session(module_path, token_label, pin, rw=True)
    try:
        pub, _priv = session.generate_keypair(
            KeyType.RSA,
            key_bits,
            id=key_id,
            label=label,
            store=True,
            public_template={Attribute.VERIFY: True},
            private_template={
                Attribute.SIGN: True,
                Attribute.SENSITIVE: True,
                Attribute.EXTRACTABLE: False,
            },
        )
        spki = asn1_keys.PublicKeyInfo(
            {
                "algorithm": {"algorithm": "rsa"},
                "public_key": asn1_keys.RSAPublicKey.load(encode_rsa_public_key(pub)),
            }
        )
        cert = issue_dev_certificate(
            spki,
            label,
            common_name=common_name,
            organizational_unit=organizational_unit,
            template=template,
            work_dir=out_dir,
        )
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.ID: key_id,
                Attribute.SUBJECT: cert.subject.dump(),
                Attribute.ISSUER: cert.issuer.dump(),
                Attribute.SERIAL_NUMBER: cert["tbs_certificate"]["serial_number"].dump(),
                Attribute.VALUE: cert.dump(),
            }
        )
    except pkcs11.PKCS11Error as e:
        raise Pkcs11Error(
            f"Không tạo được khóa «{label}» trong token «{token_label}»",
            f"Cannot create key {label!r} in token {token_label!r}: {type(e).__name__}",
        ) from e
    finally:
        session.close()
    cert_path = out_dir / f"{label}.cert.pem"
    cert_path.write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    logger.info("provisioned %s in token %s at %s", label, token_label, SystemClock().now().isoformat())
    return ProvisionedKey(label=label, key_id=key_id, cert=cert, cert_path=cert_path)


def init_softhsm_token(
    token_dir: PathLike, label: str, pin: str, so_pin: str, *, conf_path: PathLike | None = None
) -> dict[str, str]:
    """TEST helper: a throwaway SoftHSM2 token under ``token_dir``; returns the env to use it.

    Writes ``softhsm2.conf`` (``directories.tokendir`` = ``token_dir``) and runs
    ``softhsm2-util --init-token --free``. The PINs are passed on the command line of that
    short-lived local process only (SoftHSM has no other non-interactive way).
    """
    import subprocess

    tdir = Path(token_dir)
    tdir.mkdir(parents=True, exist_ok=True)
    conf = Path(conf_path) if conf_path is not None else tdir.parent / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tdir}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", so_pin],
        check=True,
        env=env,
        capture_output=True,
    )
    return {"SOFTHSM2_CONF": str(conf)}
