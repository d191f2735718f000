"""Production refuses the committed dev keys by their public keys (SPKI SHA-256), wherever the files are.

A check by path (``settings.py``) refuses ``keys/dev`` itself; a copy of it elsewhere would pass. Here every
configured key, certificate and key list is read and its public keys are compared with the fingerprints of
the dev keys (``signing/dev_fingerprints.py``): at start-up for the files in the settings
(:func:`refuse_dev_key_files`), and at first use for the certificates of keys held elsewhere, a PKCS#11
token or a remote signing service (:func:`refuse_dev_certificate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from credential_service.platform.errors import ConfigurationError, Message
from signing.dev_keys import dev_key_of_certificate, dev_keys_in

__all__ = ["configured_key_files", "refuse_dev_certificate", "refuse_dev_key_files"]


class KeySettings(Protocol):
    keys_dir: Path
    trust_roots: list[Path]
    ledger_key_path: Path
    qr_key_path: Path | None
    qr_key_list_path: Path | None
    receipt_key_path: Path | None
    receipt_key_list_path: Path | None


def configured_key_files(settings: KeySettings) -> list[tuple[str, Path]]:
    """Every key, certificate and key-list file the settings point at, with the variable that sets it."""
    files: list[tuple[str, Path]] = [("SOGOC_TRUST_ROOTS", p) for p in settings.trust_roots]
    keys_dir = settings.keys_dir
    files += [("SOGOC_KEYS_DIR", p) for p in sorted((keys_dir / "out").glob("*.pem"))]
    files += [("SOGOC_KEYS_DIR", p) for p in sorted((keys_dir / "keys").glob("*.pem"))]
    files.append(("SOGOC_LEDGER_KEY_PATH", settings.ledger_key_path))
    for name, path in (
        ("SOGOC_QR_KEY_PATH", settings.qr_key_path),
        ("SOGOC_QR_KEY_LIST_PATH", settings.qr_key_list_path),
        ("SOGOC_RECEIPT_KEY_PATH", settings.receipt_key_path),
        ("SOGOC_RECEIPT_KEY_LIST_PATH", settings.receipt_key_list_path),
    ):
        if path is not None:
            files.append((name, path))
    return files


def refuse_dev_key_files(files: Iterable[tuple[str, Path]]) -> None:
    """Raise :class:`ConfigurationError` for the first file holding a dev public key (missing files are skipped:
    whoever reads them reports that)."""
    for variable, path in files:
        if not path.is_file():
            continue
        found = dev_keys_in(path)
        if found:
            raise ConfigurationError(
                Message(
                    f"Môi trường production không được dùng khóa thử nghiệm: tệp {path} ({variable}) chứa khóa công "
                    f"khai của {found[0]}, mà khóa bí mật đã công khai trong kho mã nguồn.",
                    f"Production must not use a dev key: the file {path} ({variable}) holds the public key of "
                    f"{found[0]}, whose private key is public in the source repository.",
                ),
                hint=Message(
                    f"Đặt {variable} trỏ tới khóa/chứng thư thật (chứng thư gốc VGCA, khóa trong HSM) hoặc tạo khóa "
                    "mới; không sao chép keys/dev.",
                    f"Point {variable} at the real key or certificate (the VGCA root, a key in the HSM) or generate "
                    "a new key; never copy keys/dev.",
                ),
                file=str(path),
                setting=variable,
                dev_key=found[0],
            )


def refuse_dev_certificate(cert_der: bytes, key_label: str) -> None:
    """Raise :class:`ConfigurationError` if the certificate of ``key_label`` (read from its token or service)
    carries a dev public key."""
    found = dev_key_of_certificate(cert_der)
    if found is not None:
        raise ConfigurationError(
            Message(
                f"Môi trường production không được ký bằng khóa thử nghiệm: chứng thư của khóa «{key_label}» mang "
                f"khóa công khai của {found}, mà khóa bí mật đã công khai trong kho mã nguồn.",
                f"Production must not sign with a dev key: the certificate of key «{key_label}» carries the public "
                f"key of {found}, whose private key is public in the source repository.",
            ),
            hint=Message(
                "Tạo khóa mới trong HSM/token và nhập chứng thư do CA thật (VGCA) cấp; không nạp khóa từ keys/dev.",
                "Generate a new key in the HSM or token and import a certificate from a real CA (VGCA); never load "
                "keys from keys/dev.",
            ),
            key_label=key_label,
            dev_key=found,
        )
