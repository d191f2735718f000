"""Constants and helpers for the signer-backend tests (imported by name: not a conftest)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from signing.devpki import DEV_CERT_DIR, DEV_PKI_DIR
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, FieldSpec

REPO = Path(__file__).resolve().parents[3]
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


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    pin: str
    key_label: str
    cert_path: Path
    env: dict[str, str]  # SOFTHSM2_CONF (for subprocesses)
