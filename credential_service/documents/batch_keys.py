"""Keys that sign only with their holder's own secret for the batch: a remote signing service (CSC API,
as VNPT SmartCA, Viettel MySign and the Government Cipher Committee's service offer) or a PKCS#11 token
whose PIN the signer types. The secret opens one batch and is never stored or logged.

Labels: ``csc:<credential id>`` (the service at ``SOGOC_CSC_SERVICE_URL``; in dev the dev CSC server,
``signing/devcsc.py``), ``pkcs11:<token>/<key label>`` (with the signer's PIN for the batch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from asn1crypto import x509
from pyhanko.sign.signers import Signer

from credential_service.platform.errors import ConfigurationError, Message, SigningRefused
from credential_service.platform.settings import Settings
from signing.csc import CscAuthorization, CscConfig, authorize_batch, fetch_credential
from signing.pkcs11 import Pkcs11Config, Pkcs11KeySigner

CSC_PREFIX = "csc:"


@dataclass(frozen=True)
class BatchAuthorization:
    """What the signer typed for this batch (a PIN and/or an OTP of their service or token)."""

    pin: str | None = field(default=None, repr=False)
    otp: str | None = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return bool(self.pin or self.otp)


def needs_authorization(key_label: str) -> bool:
    return key_label.startswith(CSC_PREFIX)


def _csc_config(settings: Settings, key_label: str, chain: Sequence[str]) -> CscConfig:
    url = settings.csc_service_url
    if url is None and settings.is_dev:
        from signing.devcsc import DEV_CSC_URL, ensure_dev_csc_server

        ensure_dev_csc_server()
        url = DEV_CSC_URL
    if url is None:
        raise ConfigurationError(
            Message(
                f"Khóa «{key_label}» nằm ở dịch vụ ký số từ xa nhưng chưa cấu hình SOGOC_CSC_SERVICE_URL.",
                f"Key «{key_label}» is at a remote signing service but SOGOC_CSC_SERVICE_URL is not set.",
            )
        )
    return CscConfig(service_url=url, credential_id=key_label.removeprefix(CSC_PREFIX), chain_paths=tuple(chain))


@dataclass
class OpenedBatch:
    """A key opened for one batch, and how to close it after (a token session is logged out once closed)."""

    signer: Signer
    close: Callable[[], None] = lambda: None


def batch_signer(
    settings: Settings, key_label: str, count: int, authorization: BatchAuthorization | None, chain: Sequence[str]
) -> OpenedBatch | None:
    """A signer opened with the signer's own secret for ``count`` signatures, or None when the label's key
    needs no per-batch secret (a seal in the service's HSM, a dev file key)."""
    if key_label.startswith(CSC_PREFIX):
        if not authorization:
            raise SigningRefused(
                Message(
                    "Khóa của người ký ở dịch vụ ký số từ xa: hãy nhập mã PIN/OTP của chính mình cho lần ký này.",
                    "The signer's key is at a remote signing service: enter your own PIN/OTP for this batch.",
                ),
                reason="authorization_required",
            )
        description = f"Sổ Gốc Số: ký {count} văn bản / sign {count} documents"
        csc_auth = CscAuthorization(pin=authorization.pin, otp=authorization.otp, description=description)
        return OpenedBatch(authorize_batch(_csc_config(settings, key_label, chain), csc_auth, count).pyhanko_signer())
    if key_label.startswith("pkcs11:") and authorization and authorization.pin and settings.pkcs11_module:
        token, _, label = key_label.removeprefix("pkcs11:").partition("/")
        config = Pkcs11Config(
            module_path=settings.pkcs11_module,
            token_label=token,
            key_label=label,
            chain_paths=tuple(chain),
            pin=authorization.pin,
        )
        token_key = Pkcs11KeySigner(config)  # its own session, opened with this batch's PIN
        return OpenedBatch(token_key.pyhanko_signer(), token_key.close)
    return None


def remote_certificate(settings: Settings, key_label: str, chain: Sequence[str]) -> x509.Certificate:
    """The certificate of a remote credential (no secret needed to read it)."""
    cert = fetch_credential(_csc_config(settings, key_label, chain)).signing_cert
    assert cert is not None
    return cert
