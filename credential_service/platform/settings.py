"""Settings, read from the environment with the ``SOGOC_`` prefix.

Dev keys and dev trust roots live in ``keys/dev/``; they are refused outside the ``dev`` and
``test`` environments so that a production deployment can never sign with a key whose private
half is in a public repository: by path, and by the fingerprint of their public keys wherever the
files are (``platform/dev_key_guard.py``).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credential_service.platform.errors import ConfigurationError, Message
from credential_service.platform.view_keys import view_key, view_secret

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
DEV_KEYS_DIR = PROJECT_ROOT / "keys" / "dev"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOGOC_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'sogoc.db'}"
    # A PostgreSQL hot standby that verification reads from while it keeps up (platform/read_replica.py).
    database_replica_url: str | None = None
    replica_max_lag_seconds: float = 5.0
    # Public address printed in QR codes; the verification page lives at {public_base_url}/v/<id>.
    public_base_url: str = "http://127.0.0.1:8000"

    # Signing material. In dev/test these default to the committed dev PKI.
    keys_dir: Path = DEV_KEYS_DIR
    trust_roots: list[Path] = []
    tsa_url: str | None = None
    # Revocation policy at signing time: hard-fail refuses when no OCSP/CRL answer can be had.
    revocation_policy: Literal["hard-fail", "soft-fail"] = "hard-fail"

    # PKCS#11 module (HSM or USB token) for signers whose key label is pkcs11:<token>/<label>;
    # the PIN is read from SOGOC_PKCS11_PIN when the session opens, never stored here.
    pkcs11_module: str | None = None
    # Hosts the service may fetch revocation data (OCSP, CRL) and issuer certificates (AIA) from. The addresses
    # are in certificates, which people upload: nothing else is fetched. Empty in dev: the dev PKI (127.0.0.1).
    fetch_allowed_hosts: list[str] = []
    # Remote signing (CSC API): the service's base URL (before /csc/v2/…); keys labelled csc:<credential id>.
    # None in dev: the dev CSC server on 127.0.0.1:9772 (signing/devcsc.py).
    csc_service_url: str | None = None

    # Batch jobs (a school's seal, …): "procrastinate" queues items for `sogoc jobs worker` processes over
    # PostgreSQL; "in-process" runs them in a thread of the service (the embedded SQLite default); "auto" picks
    # procrastinate on PostgreSQL. A worker silent for job_stalled_after_seconds is taken for dead and its item
    # goes to another worker.
    job_runner: Literal["auto", "in-process", "procrastinate"] = "auto"
    job_heartbeat_seconds: float = 10.0
    job_stalled_after_seconds: float = 30.0

    # Dev PKI (TSA/OCSP/CRL) served on loopback by `sogoc serve` in dev.
    dev_pki_serve: bool = True

    # Ledger (transparency log): checkpoint origin, the log's Ed25519 signer key file
    # (PRIVATE+KEY+name+id+base64, golang sumdb/note format) and the witnesses whose
    # cosignatures (C2SP tlog-cosignature, Ed25519 type 0x04 vkeys) are accepted.
    ledger_origin: str = "sogoc.haiphong.edu.vn/ledger/v1"
    ledger_key_path: Path = DEV_KEYS_DIR / "log" / "log.key"
    ledger_witness_vkeys: list[str] = []

    # Offline QR payload (HB1:): the Ed25519 key that signs it (PKCS#8 PEM) and the published key
    # list served at /.well-known/sogoc-keys.json. Default: {keys_dir}/qr/qr.key and keys.json.
    qr_key_path: Path | None = None
    qr_key_list_path: Path | None = None

    # Employer verification receipts (JWS, EdDSA): the Ed25519 signing key (PKCS#8 PEM) and the JWK
    # Set served at /.well-known/sogoc-receipt-keys.json. Default: {keys_dir}/receipt/receipt.key, keys.json.
    receipt_key_path: Path | None = None
    receipt_key_list_path: Path | None = None
    # Holders: a secret for keyed hashes (clients' addresses in the access log, CSRF tokens). When unset it
    # is derived from the receipt signing key, so it is as secret as that key. Sessions last this long.
    holder_secret: str | None = None
    holder_session_minutes: int = 60
    # Rate limits and sign-in back-off (platform/ratelimit.py) are counted in a store every worker shares: the
    # database when unset, else this `limits` storage URI (redis://host:6379/0, rediss://…, redis+unix://…).
    rate_limit_storage_url: str | None = None
    # Reverse proxies (IP addresses or CIDRs) whose X-Forwarded-For is believed; from anyone else the header is
    # ignored and the TCP peer is the client. Set it behind a proxy, or every client counts as the proxy.
    trusted_proxies: list[str] = []
    # Staff single sign-on (OpenID Connect, the city's or the ministry's SSO): off while the issuer is unset.
    # Requests go only to the issuer's host and the hosts listed here (never to an address from user input).
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_allowed_hosts: list[str] = []
    # Staff sessions: closed after this long without a request (idle) and after this long in all (absolute).
    staff_idle_minutes: int = 30
    staff_session_hours: int = 10
    # A signer's confirmation (second factor) is good for one batch within this many minutes.
    signing_confirmation_minutes: int = 5
    # Population registry: None = the dev adapter (table of synthetic citizens); else the HTTP endpoint.
    population_registry_url: str | None = None
    population_registry_timeout: float = 3.0
    # Residence and date of birth for grade 1 and 6 admissions (admissions/residence_registry.py): None = the dev
    # adapter with synthetic children (refused in production); else the HTTP endpoint of the data-sharing platform.
    residence_registry_url: str | None = None
    residence_registry_timeout: float = 3.0
    # Diploma register numbers (số vào sổ gốc): the printed format; {seq}, {type} and {year} are filled in.
    register_no_format: str = "{seq}/{type}/{year}"

    @model_validator(mode="after")
    def _refuse_dev_keys_outside_dev(self) -> Settings:
        if self.env == "production":
            uses_dev = (
                self.keys_dir.resolve() == DEV_KEYS_DIR.resolve()
                or any(DEV_KEYS_DIR.resolve() in p.resolve().parents for p in self.trust_roots)
                or DEV_KEYS_DIR.resolve() in self.ledger_key_path.resolve().parents
            )
            if uses_dev:
                raise ConfigurationError(
                    Message(
                        "Môi trường production không được dùng khóa và chứng thư thử nghiệm trong keys/dev/.",
                        "Production must not use the dev keys or dev trust roots in keys/dev/.",
                    ),
                    hint=Message(
                        "Đặt SOGOC_KEYS_DIR, SOGOC_TRUST_ROOTS và SOGOC_LEDGER_KEY_PATH trỏ tới khóa/chứng thư "
                        "thật (VGCA, HSM).",
                        "Set SOGOC_KEYS_DIR, SOGOC_TRUST_ROOTS and SOGOC_LEDGER_KEY_PATH to real keys and roots "
                        "(VGCA, HSM).",
                    ),
                )
            if self.dev_pki_serve:
                self.dev_pki_serve = False
        return self

    @model_validator(mode="after")
    def _qr_key_paths(self) -> Settings:
        if self.qr_key_path is None:
            self.qr_key_path = self.keys_dir / "qr" / "qr.key"
        if self.qr_key_list_path is None:
            self.qr_key_list_path = self.keys_dir / "qr" / "keys.json"
        if self.env == "production" and any(
            DEV_KEYS_DIR.resolve() in p.resolve().parents for p in (self.qr_key_path, self.qr_key_list_path)
        ):
            raise ConfigurationError(
                Message(
                    "Môi trường production không được dùng khóa ký mã QR thử nghiệm trong keys/dev/.",
                    "Production must not use the dev QR payload key in keys/dev/.",
                ),
                hint=Message(
                    "Đặt SOGOC_QR_KEY_PATH và SOGOC_QR_KEY_LIST_PATH trỏ tới khóa và danh sách khóa thật.",
                    "Set SOGOC_QR_KEY_PATH and SOGOC_QR_KEY_LIST_PATH to the real key and key list.",
                ),
            )
        return self

    @model_validator(mode="after")
    def _receipt_key_paths(self) -> Settings:
        if self.receipt_key_path is None:
            self.receipt_key_path = self.keys_dir / "receipt" / "receipt.key"
        if self.receipt_key_list_path is None:
            self.receipt_key_list_path = self.keys_dir / "receipt" / "keys.json"
        if self.env == "production" and any(
            DEV_KEYS_DIR.resolve() in p.resolve().parents for p in (self.receipt_key_path, self.receipt_key_list_path)
        ):
            raise ConfigurationError(
                Message(
                    "Môi trường production không được dùng khóa ký biên nhận thử nghiệm trong keys/dev/.",
                    "Production must not use the dev verification-receipt key in keys/dev/.",
                ),
                hint=Message(
                    "Đặt SOGOC_RECEIPT_KEY_PATH và SOGOC_RECEIPT_KEY_LIST_PATH trỏ tới khóa và danh sách khóa thật.",
                    "Set SOGOC_RECEIPT_KEY_PATH and SOGOC_RECEIPT_KEY_LIST_PATH to the real key and key list.",
                ),
            )
        return self

    @model_validator(mode="after")
    def _refuse_dev_public_keys(self) -> Settings:
        """Production refuses the dev keys by public key too (a copy of keys/dev elsewhere): dev_key_guard.py."""
        if self.env == "production":
            from credential_service.platform.dev_key_guard import configured_key_files, refuse_dev_key_files

            refuse_dev_key_files(configured_key_files(self))
        return self

    @cached_property
    def is_dev(self) -> bool:
        return self.env in ("dev", "test")

    @cached_property
    def view_secret(self) -> bytes:
        return view_secret(self.holder_secret, self.receipt_key_path)

    def verify_url(self, credential_id: str) -> str:
        """The address in the QR code: the public verify page, with the holder's view key (platform/view_keys.py)."""
        key = view_key(self.view_secret, credential_id)
        return f"{self.public_base_url.rstrip('/')}/v/{credential_id}?k={key}"
