"""Fixtures for the signer backends: a throwaway SoftHSM2 token, a key generated inside it."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from signing.context import SigningContext
from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR, DevPkiServer, ensure_dev_pki_server
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, FieldSpec, prepare_signature_fields

REPO = Path(__file__).resolve().parents[2]
FONT_PATH = REPO / "credential_service" / "assets" / "fonts" / "DejaVuSans.ttf"
ROOT_CERT = DEV_CERT_DIR / "root.cert.pem"
CHAIN = [DEV_CERT_DIR / "issuing.cert.pem", DEV_CERT_DIR / "root.cert.pem"]
DEV_KEYS = DEV_PKI_DIR / "keys"
TOKEN_LABEL = "sogoc-test"
TOKEN_PIN = "246810"  # throwaway token
TOKEN_SO_PIN = "13579111"
TOKEN_KEY_LABEL = "gvcn-token"
FIELDS = [
    FieldSpec(FIELD_GVCN, 0, (40, 80, 210, 140)),
    FieldSpec(FIELD_PRINCIPAL, 0, (215, 80, 385, 140)),
    FieldSpec(FIELD_SEAL, 0, (390, 80, 560, 140)),
]


def make_pdf(title: str = "Hoc ba - THPT Demo") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 780, title)
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def dev_pki() -> DevPkiServer:
    return ensure_dev_pki_server()


@pytest.fixture(scope="session")
def signing_ctx(dev_pki: DevPkiServer) -> SigningContext:
    return SigningContext.for_dev(FONT_PATH)


@pytest.fixture()
def prepared_pdf() -> bytes:
    return prepare_signature_fields(make_pdf(), FIELDS)


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    pin: str
    key_label: str
    cert_path: Path
    env: dict[str, str]  # SOFTHSM2_CONF (for subprocesses)


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
