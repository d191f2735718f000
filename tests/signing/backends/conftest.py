"""Fixtures for the signer backends: a throwaway SoftHSM2 token, a key generated inside it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from backend_fixtures import (
    FIELDS,
    FONT_PATH,
    TOKEN_KEY_LABEL,
    TOKEN_LABEL,
    TOKEN_PIN,
    TOKEN_SO_PIN,
    Token,
    make_pdf,
)

from signing.context import SigningContext
from signing.devpki import DevPkiServer, ensure_dev_pki_server
from signing.fields import prepare_signature_fields


@pytest.fixture(scope="session")
def dev_pki() -> DevPkiServer:
    return ensure_dev_pki_server()


@pytest.fixture(scope="session")
def signing_ctx(dev_pki: DevPkiServer) -> SigningContext:
    return SigningContext.for_dev(FONT_PATH)


@pytest.fixture()
def prepared_pdf() -> bytes:
    return prepare_signature_fields(make_pdf(), FIELDS)


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    """A fresh SoftHSM2 token in a temp dir (never the system token dir), with a key made inside it."""
    from signing.pkcs11 import close_all, find_softhsm_module, init_softhsm_token, provision_token_key

    module = find_softhsm_module()
    if shutil.which("softhsm2-util") is None or module is None:
        pytest.skip("SoftHSM2 not installed (softhsm2-util / libsofthsm2.so)")
    base = tmp_path_factory.mktemp("softhsm")
    old = os.environ.get("SOFTHSM2_CONF")
    env = init_softhsm_token(base / "tokens", TOKEN_LABEL, TOKEN_PIN, TOKEN_SO_PIN)
    os.environ.update(env)  # read by SoftHSM when the module is first loaded in this process
    prov = provision_token_key(
        module_path=module,
        token_label=TOKEN_LABEL,
        pin=TOKEN_PIN,
        label=TOKEN_KEY_LABEL,
        common_name="Đỗ Thị Token",
        organizational_unit="Giáo viên chủ nhiệm lớp 10A3",
        cert_dir=base / "out",
    )
    yield Token(module, TOKEN_LABEL, TOKEN_PIN, TOKEN_KEY_LABEL, prov.cert_path, env)
    close_all()
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old
