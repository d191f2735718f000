"""CSC remote signing against a real CSC server (certomancer-csc-dummy, :mod:`signing.devcsc`).

One authorisation (PIN, and OTP when the server asks for it) per signer and batch: the server sees
one ``credentials/authorize`` per batch and refuses a SAD beyond its ``numSignatures``. Documents
are checked with poppler's ``pdfsig`` and with pyHanko's validation against the dev root.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from backend_fixtures import CHAIN, FIELDS, ROOT_CERT, make_pdf
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from signing.context import SigningContext
from signing.csc import (
    CscAuthorization,
    CscBatchSigner,
    CscConfig,
    async_authorize_batch,
    authorize_batch,
    fetch_credential,
)
from signing.devcsc import DEV_CSC_PIN, DEV_CSC_PORT, DevCscServer, ensure_dev_csc_server
from signing.devpki import DevPkiServer
from signing.errors import CertificateExpiredError, CscError
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, prepare_signature_fields
from signing.keys import SignerPort
from signing.pades import async_sign_approve, sign_approve, sign_certify, sign_seal

DEV = CHAIN[0].parent
OTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # throwaway base32 TOTP seed
N_DOCS = 3
PIN = CscAuthorization(pin=DEV_CSC_PIN, description="Ký 3 học bạ lớp 10A1")


@pytest.fixture(scope="module")
def csc(dev_pki: DevPkiServer) -> Iterator[DevCscServer]:
    """A private server on an ephemeral port, so its counters are this module's alone."""
    with DevCscServer() as srv:
        yield srv


@pytest.fixture()
def documents() -> list[bytes]:
    return [prepare_signature_fields(make_pdf(f"Hoc ba so {i}"), FIELDS) for i in range(N_DOCS)]


def _config(srv: DevCscServer, label: str, **kw: Any) -> CscConfig:
    return CscConfig(srv.base_url, srv.credential_id(label), **kw)


def _counts(srv: DevCscServer, label: str) -> tuple[int, int, int]:
    cid = srv.credential_id(label)
    return srv.authorize_calls[cid], srv.sign_hash_calls[cid], srv.signatures[cid]


def _pdfsig(pdf: bytes, tmp_path: Path, name: str) -> str:
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    # pdfsig exits non-zero when a certificate is not trusted by NSS (our dev root is not there)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout


def _validate(pdf: bytes) -> dict[str, Any]:
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(str(ROOT_CERT))], allow_fetching=True)
    out = {}
    for sig in PdfFileReader(BytesIO(pdf)).embedded_signatures:
        status = validate_pdf_signature(sig, vc)
        assert status.bottom_line, (sig.field_name, status.pretty_print_details())
        out[sig.field_name] = status
    return out


def _cert(label: str) -> bytes:
    return bytes(load_cert_from_pemder(str(DEV / f"{label}.cert.pem")).dump())


# ------------------------------------------------------------------------------------------


def test_credentials_are_the_dev_pki_certificates(csc: DevCscServer) -> None:
    for label in ("gvcn-10a1", "principal", "seal-thpt-demo"):
        info = fetch_credential(_config(csc, label))
        assert info.signing_cert.dump() == _cert(label)
        assert {c.subject.native["common_name"] for c in info.chain} == {
            "Sổ Gốc Số DEV Issuing CA",
            "Sổ Gốc Số DEV Root CA",
        }
        assert not info.hash_pinning_required  # SCAL 1: the SAD may precede the documents
        assert info.response_data["auth"]["mode"] == "explicit"  # v2: the PIN is required
    assert _counts(csc, "principal")[0] == 0  # looking at a credential authorises nothing


def test_three_signers_each_authorise_one_batch(
    csc: DevCscServer, signing_ctx: SigningContext, documents: list[bytes], tmp_path: Path
) -> None:
    """GVCN certifies, principal approves, the school seals (B-LT): each one PIN for N documents."""
    before = {label: _counts(csc, label) for label in ("gvcn-10a1", "principal", "seal-thpt-demo")}
    gvcn = authorize_batch(_config(csc, "gvcn-10a1"), PIN, N_DOCS)
    principal = authorize_batch(_config(csc, "principal"), PIN, N_DOCS)
    seal = authorize_batch(_config(csc, "seal-thpt-demo"), PIN, N_DOCS)
    assert isinstance(gvcn, SignerPort) and gvcn.remaining == N_DOCS
    assert signing_ctx.timestamper is not None
    signed = []
    for pdf in documents:
        pdf = sign_certify(
            pdf,
            FIELD_GVCN,
            gvcn.pyhanko_signer(),
            appearance=signing_ctx.appearance,
            validation_context=signing_ctx.validation_context(),
        )
        pdf = sign_approve(
            pdf,
            FIELD_PRINCIPAL,
            principal.pyhanko_signer(),
            appearance=signing_ctx.appearance,
            validation_context=signing_ctx.validation_context(),
        )
        pdf = sign_seal(
            pdf,
            FIELD_SEAL,
            seal.pyhanko_signer(),
            timestamper=signing_ctx.timestamper,
            validation_context=signing_ctx.validation_context(),
            appearance=signing_ctx.appearance,
        )
        signed.append(pdf)

    for label, batch in (("gvcn-10a1", gvcn), ("principal", principal), ("seal-thpt-demo", seal)):
        authorize, sign_hash, signatures = (a - b for a, b in zip(_counts(csc, label), before[label], strict=True))
        assert (authorize, sign_hash, signatures) == (1, N_DOCS, N_DOCS), label  # one SAD, N signatures
        assert batch.calls == {"credentials/info": 1, "credentials/authorize": 1, "signatures/signHash": N_DOCS}
        assert batch.remaining == 0

    for i, pdf in enumerate(signed):
        out = _pdfsig(pdf, tmp_path, f"doc{i}")
        assert len(re.findall(r"^Signature #\d+:", out, re.M)) == 3, out
        assert out.count("Signature Validation: Signature is Valid.") == 3, out
        assert re.findall(r"Signature Field Name: (\S+)", out) == [FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL], out
        for name in ("Nguyễn Thị Hương", "Ngô Quang Trưởng", "Trường THPT Demo Hải Phòng"):
            assert name in out, (name, out)
        assert "Total document signed" in out.split("Signature #3:")[1], out

        statuses = _validate(pdf)
        assert set(statuses) == {FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL}
        assert statuses[FIELD_GVCN].signing_cert.dump() == _cert("gvcn-10a1")
        assert statuses[FIELD_PRINCIPAL].signing_cert.dump() == _cert("principal")
        assert statuses[FIELD_SEAL].signing_cert.dump() == _cert("seal-thpt-demo")
        assert statuses[FIELD_SEAL].timestamp_validity is not None


def test_v1_dialect_batch_in_one_event_loop(
    csc: DevCscServer, signing_ctx: SigningContext, documents: list[bytes], tmp_path: Path
) -> None:
    """CSC 1.0.4.0 (``PIN``/``hash``), the async API, one loop and one validation context for the batch."""
    config = _config(csc, "principal", api_version="v1")
    before = _counts(csc, "principal")

    async def run() -> list[bytes]:
        batch = await async_authorize_batch(config, PIN, N_DOCS)
        vc = signing_ctx.validation_context()
        try:
            return [
                await async_sign_approve(pdf, FIELD_PRINCIPAL, batch.pyhanko_signer(), validation_context=vc)
                for pdf in documents
            ]
        finally:
            await vc.aclose()

    signed = asyncio.run(run())
    assert tuple(a - b for a, b in zip(_counts(csc, "principal"), before, strict=True)) == (1, N_DOCS, N_DOCS)
    for i, pdf in enumerate(signed):
        out = _pdfsig(pdf, tmp_path, f"v1-{i}")
        assert out.count("Signature Validation: Signature is Valid.") == 1, out
        assert _validate(pdf)[FIELD_PRINCIPAL].signing_cert.dump() == _cert("principal")


@pytest.mark.parametrize("api_version", ["v1", "v2"])
@pytest.mark.parametrize("pin", ["975318", "", None])
def test_wrong_or_missing_pin_is_refused_without_the_pin(
    csc: DevCscServer, api_version: str, pin: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = _counts(csc, "principal")
    with pytest.raises(CscError) as e:
        authorize_batch(_config(csc, "principal", api_version=api_version), CscAuthorization(pin=pin), N_DOCS)
    assert e.value.reason == "csc_authorization_refused" and e.value.vi and e.value.en
    if pin:
        assert pin not in str(e.value) and pin not in json.dumps(e.value.to_dict())
        assert pin not in repr(CscAuthorization(pin=pin))
        assert pin not in caplog.text
    assert DEV_CSC_PIN not in str(e.value) and DEV_CSC_PIN not in caplog.text
    authorize, sign_hash, _ = (a - b for a, b in zip(_counts(csc, "principal"), before, strict=True))
    assert (authorize, sign_hash) == (1, 0)


def test_batch_refuses_more_signatures_than_authorised(
    csc: DevCscServer, signing_ctx: SigningContext, documents: list[bytes]
) -> None:
    batch = authorize_batch(_config(csc, "principal"), PIN, 1)
    sign_approve(
        documents[0], FIELD_PRINCIPAL, batch.pyhanko_signer(), validation_context=signing_ctx.validation_context()
    )
    before = _counts(csc, "principal")
    with pytest.raises(CscError) as e:
        sign_approve(
            documents[1], FIELD_PRINCIPAL, batch.pyhanko_signer(), validation_context=signing_ctx.validation_context()
        )
    assert e.value.reason == "csc_batch_exhausted"
    assert _counts(csc, "principal") == before  # refused locally: no call to the service


def _post(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_server_counts_the_sad_across_sign_hash_calls(csc: DevCscServer) -> None:
    """csc-dummy alone would accept the SAD forever; the dev server allows numSignatures hashes in all."""
    cid, base = csc.credential_id("principal"), f"{csc.base_url}/csc/v2"
    status, auth = _post(
        f"{base}/credentials/authorize",
        {"credentialID": cid, "numSignatures": 2, "authData": [{"id": "PIN", "value": DEV_CSC_PIN}]},
    )
    assert status == 200 and auth["expiresIn"] > 0
    digest = base64.b64encode(bytes(32)).decode()
    sign = {"credentialID": cid, "SAD": auth["SAD"], "hashes": [digest], "signAlgo": "1.2.840.113549.1.1.11"}
    assert _post(f"{base}/signatures/signHash", sign)[0] == 200
    assert _post(f"{base}/signatures/signHash", sign)[0] == 200
    status, err = _post(f"{base}/signatures/signHash", sign)
    assert status == 400 and "used up" in err["error_description"]


def test_pin_and_otp(dev_pki: DevPkiServer, signing_ctx: SigningContext, documents: list[bytes]) -> None:
    import pyotp

    with DevCscServer(otp_secret=OTP_SECRET) as srv:
        config = _config(srv, "principal")
        assert fetch_credential(config).response_data["auth"]["expression"] == "PIN AND OTP"
        for auth in (CscAuthorization(pin=DEV_CSC_PIN), CscAuthorization(pin=DEV_CSC_PIN, otp="000000")):
            with pytest.raises(CscError) as e:
                authorize_batch(config, auth, 1)
            assert e.value.reason == "csc_authorization_refused"
        otp = pyotp.TOTP(OTP_SECRET).now()
        for api_version in ("v1", "v2"):
            auth = CscAuthorization(pin=DEV_CSC_PIN, otp=otp)
            batch = authorize_batch(_config(srv, "principal", api_version=api_version), auth, 1)
            signed = sign_approve(
                documents[0],
                FIELD_PRINCIPAL,
                batch.pyhanko_signer(),
                validation_context=signing_ctx.validation_context(),
            )
            assert _validate(signed)[FIELD_PRINCIPAL].signing_cert.dump() == _cert("principal")
        assert srv.refused == {"invalid_otp": 2}


@pytest.mark.parametrize("credential", ["sogoc-dev/nobody", "sogoc-dev/root", "sogoc-dev/issuing", "other-arch/x"])
def test_unknown_credential(csc: DevCscServer, credential: str) -> None:
    """The CA, TSA and OCSP keys are in the certomancer config but not signing credentials here."""
    with pytest.raises(CscError) as e:
        authorize_batch(CscConfig(csc.base_url, credential), PIN, 1)
    assert e.value.reason == "csc_credential_unknown"


def test_service_down() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once the socket is closed
    with pytest.raises(CscError) as e:
        authorize_batch(CscConfig(f"http://127.0.0.1:{port}", "sogoc-dev/principal", timeout=5), PIN, 1)
    assert e.value.reason == "csc_unavailable"
    assert DEV_CSC_PIN not in str(e.value)


def test_batch_size_limits(csc: DevCscServer) -> None:
    for n in (0, csc.max_signatures + 1):
        with pytest.raises(CscError) as e:
            authorize_batch(_config(csc, "principal"), PIN, n)
        assert e.value.reason == "csc_invalid_batch"


def test_expired_sad_is_refused_before_calling_the_service(
    dev_pki: DevPkiServer, signing_ctx: SigningContext, documents: list[bytes]
) -> None:
    with DevCscServer(sad_lifetime=1) as srv:
        batch = authorize_batch(_config(srv, "principal"), PIN, 2)
        time.sleep(1.1)
        with pytest.raises(CscError) as e:
            sign_approve(
                documents[0],
                FIELD_PRINCIPAL,
                batch.pyhanko_signer(),
                validation_context=signing_ctx.validation_context(),
            )
        assert e.value.reason == "csc_sad_expired"
        assert _counts(srv, "principal")[1] == 0


def test_hash_bound_sad_is_not_supported_yet(dev_pki: DevPkiServer) -> None:
    with DevCscServer(scal=2) as srv:
        with pytest.raises(CscError) as e:
            authorize_batch(_config(srv, "principal"), PIN, 2)
        assert e.value.reason == "csc_hash_pinning_unsupported"
        assert _counts(srv, "principal")[0] == 0


def test_expired_certificate_is_refused_before_the_service_signs(
    csc: DevCscServer, signing_ctx: SigningContext, documents: list[bytes]
) -> None:
    batch: CscBatchSigner = authorize_batch(_config(csc, "gvcn-expired"), PIN, 1)
    with pytest.raises(CertificateExpiredError):
        sign_certify(
            documents[0], FIELD_GVCN, batch.pyhanko_signer(), validation_context=signing_ctx.validation_context()
        )
    assert _counts(csc, "gvcn-expired")[1:] == (0, 0)
    assert batch.remaining == 1


def test_dev_csc_server_on_the_fixed_port() -> None:
    srv = ensure_dev_csc_server()
    assert srv.port == DEV_CSC_PORT and srv.is_serving()
    assert ensure_dev_csc_server() is srv
    assert fetch_credential(CscConfig(srv.base_url, srv.credential_id("seal-thpt-demo"))).signing_cert.dump() == _cert(
        "seal-thpt-demo"
    )
