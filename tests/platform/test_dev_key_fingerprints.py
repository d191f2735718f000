"""Production refuses the dev keys by the fingerprint of their public keys, wherever the files are."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from credential_service.platform.dev_key_guard import refuse_dev_certificate
from credential_service.platform.errors import ConfigurationError
from credential_service.platform.settings import DEV_KEYS_DIR, PROJECT_ROOT, Settings
from signing.dev_fingerprints import DEV_SPKI_SHA256
from signing.dev_keys import compute_dev_fingerprints, dev_keys_in, render_fingerprints_module
from signing.qr_payload import generate_qr_key
from verifier.note import generate_ed25519_key
from verifier.qr import QrKey, QrKeyList
from verifier.receipt import ReceiptKey, ReceiptKeys, kid_of


def test_the_committed_fingerprints_are_those_of_the_dev_key_files() -> None:
    computed = compute_dev_fingerprints(DEV_KEYS_DIR)
    assert computed == dict(DEV_SPKI_SHA256), "keys/dev changed: run .venv/bin/python keys/dev/generate.py"
    module = (PROJECT_ROOT / "signing" / "dev_fingerprints.py").read_text(encoding="utf-8")
    assert module == render_fingerprints_module(computed)
    assert len(computed) == 15  # 12 certificates, the ledger log key, the QR key, the receipt key


@pytest.mark.parametrize(
    "name",
    [
        "out/root.cert.pem",
        "out/issuing.cert.pem",
        "out/principal.cert.pem",
        "keys/root.key.pem",
        "keys/seal-thpt-demo.key.pem",
        "log/log.key",
        "log/log.vkey",
        "qr/qr.key",
        "qr/keys.json",
        "receipt/receipt.key",
        "receipt/keys.json",
    ],
)
def test_every_form_of_a_dev_key_is_recognised(name: str, tmp_path: Path) -> None:
    copy = tmp_path / "renamed.bin"
    shutil.copyfile(DEV_KEYS_DIR / name, copy)
    assert dev_keys_in(copy), name


def _copy_of_keys_dev(tmp_path: Path) -> Path:
    copy = tmp_path / "keys-copy"
    shutil.copytree(DEV_KEYS_DIR, copy)
    return copy


def test_a_copy_of_keys_dev_is_refused_in_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = _copy_of_keys_dev(tmp_path)
    monkeypatch.setenv("SOGOC_ENV", "production")
    monkeypatch.setenv("SOGOC_KEYS_DIR", str(copy))
    monkeypatch.setenv("SOGOC_TRUST_ROOTS", json.dumps([str(copy / "out" / "root.cert.pem")]))
    monkeypatch.setenv("SOGOC_LEDGER_KEY_PATH", str(copy / "log" / "log.key"))
    with pytest.raises(ConfigurationError) as info:
        Settings()
    error = info.value
    assert "root.cert.pem" in error.message.vi and "SOGOC_TRUST_ROOTS" in error.message.en
    assert "keys/dev/out/root.cert.pem" in error.message.en and "production" in error.message.en.lower()
    assert error.hint is not None and "SOGOC_TRUST_ROOTS" in error.hint.vi
    assert error.extra["file"] == str(copy / "out" / "root.cert.pem")


def _fresh_keys(folder: Path) -> dict[str, Path]:
    """Real (freshly generated) keys of every kind the settings name."""
    now = datetime.now(UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "out").mkdir(parents=True)
    (folder / "qr").mkdir()
    (folder / "receipt").mkdir()
    root = folder / "out" / "root.cert.pem"
    root.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    skey, _vkey = generate_ed25519_key("test.example/ledger")
    log = folder / "log.key"
    log.write_text(skey + "\n")
    qr_key, qr_pem = generate_qr_key()
    (folder / "qr" / "qr.key").write_bytes(qr_pem)
    entry = QrKey.from_public_key(qr_key.private_key.public_key(), not_before=now, not_after=now, issuer="test")
    (folder / "qr" / "keys.json").write_text(json.dumps(QrKeyList((entry,), issuer="test").to_dict()))
    receipt = Ed25519PrivateKey.generate()
    (folder / "receipt" / "receipt.key").write_bytes(
        receipt.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    jwks = ReceiptKeys((ReceiptKey(kid_of(receipt.public_key()), receipt.public_key(), 0, 2**31),)).to_dict()
    (folder / "receipt" / "keys.json").write_text(json.dumps(jwks))
    return {"root": root, "log": log}


def test_real_keys_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = _fresh_keys(tmp_path / "real")
    monkeypatch.setenv("SOGOC_ENV", "production")
    monkeypatch.setenv("SOGOC_KEYS_DIR", str(tmp_path / "real"))
    monkeypatch.setenv("SOGOC_TRUST_ROOTS", json.dumps([str(real["root"])]))
    monkeypatch.setenv("SOGOC_LEDGER_KEY_PATH", str(real["log"]))
    settings = Settings()
    assert not settings.is_dev and settings.qr_key_path == tmp_path / "real" / "qr" / "qr.key"


@pytest.mark.parametrize(
    ("variable", "dev_file"),
    [
        ("SOGOC_TRUST_ROOTS", "out/root.cert.pem"),
        ("SOGOC_LEDGER_KEY_PATH", "log/log.key"),
        ("SOGOC_QR_KEY_PATH", "qr/qr.key"),
        ("SOGOC_QR_KEY_LIST_PATH", "qr/keys.json"),
        ("SOGOC_RECEIPT_KEY_PATH", "receipt/receipt.key"),
        ("SOGOC_RECEIPT_KEY_LIST_PATH", "receipt/keys.json"),
    ],
)
def test_one_copied_dev_file_among_real_keys_is_refused(
    variable: str, dev_file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _fresh_keys(tmp_path / "real")
    copied = tmp_path / "elsewhere" / Path(dev_file).name
    copied.parent.mkdir()
    shutil.copyfile(DEV_KEYS_DIR / dev_file, copied)
    monkeypatch.setenv("SOGOC_ENV", "production")
    monkeypatch.setenv("SOGOC_KEYS_DIR", str(tmp_path / "real"))
    monkeypatch.setenv("SOGOC_TRUST_ROOTS", json.dumps([str(real["root"])]))
    monkeypatch.setenv("SOGOC_LEDGER_KEY_PATH", str(real["log"]))
    monkeypatch.setenv(variable, json.dumps([str(copied)]) if variable == "SOGOC_TRUST_ROOTS" else str(copied))
    with pytest.raises(ConfigurationError) as info:
        Settings()
    holder = dev_file.replace("keys.json", "qr.key" if dev_file.startswith("qr") else "receipt.key")
    assert info.value.extra == {"file": str(copied), "setting": variable, "dev_key": f"keys/dev/{holder}"}


def test_a_dev_signing_key_in_the_keys_dir_is_refused(tmp_path: Path) -> None:
    real = _fresh_keys(tmp_path / "real")
    (tmp_path / "real" / "keys").mkdir()
    shutil.copyfile(DEV_KEYS_DIR / "keys" / "principal.key.pem", tmp_path / "real" / "keys" / "hieu-truong.key.pem")
    with pytest.raises(ConfigurationError) as info:
        Settings(env="production", keys_dir=tmp_path / "real", trust_roots=[real["root"]], ledger_key_path=real["log"])
    assert info.value.extra["dev_key"] == "keys/dev/out/principal.cert.pem"


def test_a_token_certificate_with_a_dev_key_is_refused_at_first_use() -> None:
    """A dev key loaded into an HSM: its certificate (read from the token) carries the dev public key."""
    der = x509.load_pem_x509_certificate((DEV_KEYS_DIR / "out" / "seal-thpt-demo.cert.pem").read_bytes()).public_bytes(
        serialization.Encoding.DER
    )
    with pytest.raises(ConfigurationError) as info:
        refuse_dev_certificate(der, "pkcs11:hsm/seal")
    assert "pkcs11:hsm/seal" in info.value.message.vi and "dev key" in info.value.message.en
    refuse_dev_certificate(b"not a certificate", "pkcs11:hsm/seal")  # not one of ours: nothing to say


def test_the_factory_refuses_a_token_key_with_a_dev_certificate_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from credential_service.documents.factory import FONT_PATH, DocumentFactory
    from signing.context import SigningContext
    from signing.keys import load_file_signer

    settings = Settings(
        env="production", keys_dir=tmp_path, trust_roots=[tmp_path / "root.pem"], ledger_key_path=tmp_path / "l.key"
    )
    factory = DocumentFactory(settings, SigningContext.for_dev(FONT_PATH))  # the context is not what is tested
    dev_key = load_file_signer(DEV_KEYS_DIR / "keys" / "principal.key.pem", DEV_KEYS_DIR / "out" / "principal.cert.pem")
    monkeypatch.setattr(factory, "_load_signer", lambda label: dev_key)  # as if read from an HSM
    with pytest.raises(ConfigurationError) as info:
        factory.signer("pkcs11:hsm/hieu-truong")
    assert info.value.extra["dev_key"] == "keys/dev/out/principal.cert.pem"
    assert "pkcs11:hsm/hieu-truong" not in factory._signers
