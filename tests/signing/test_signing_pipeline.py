"""GVCN certifies → principal approves → school seal (TSA + LTV); validated with pyHanko."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from signing_fixtures import FIELDS, ROOT_CERT

from signing.context import SigningContext
from signing.devpki import DevPkiServer
from signing.errors import (
    CertificateExpiredError,
    CertificateRevokedError,
    FieldAlreadySignedError,
    FieldMissingError,
    SigningError,
)
from signing.fields import FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL, prepare_signature_fields
from signing.keys import CachedKeySigner
from signing.pades import sign_approve, sign_certify, sign_seal

PYHANKO_CLI = Path(sys.executable).parent / "pyhanko"


def _statuses(pdf: bytes) -> dict[str, object]:
    root = load_cert_from_pemder(str(ROOT_CERT))
    reader = PdfFileReader(BytesIO(pdf))
    out: dict[str, object] = {}
    for sig in reader.embedded_signatures:
        vc = ValidationContext(trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail")
        out[sig.field_name] = (sig, validate_pdf_signature(sig, vc))
    return out


def test_three_signatures_intact_trusted_and_sealed_with_timestamp(
    signed_steps: dict[str, bytes], dev_pki: DevPkiServer
) -> None:
    sealed = signed_steps["sealed"]
    statuses = _statuses(sealed)
    assert list(statuses) == [FIELD_GVCN, FIELD_PRINCIPAL, FIELD_SEAL]
    for name, (_sig, st) in statuses.items():
        assert st.intact, name  # type: ignore[attr-defined]
        assert st.valid, name  # type: ignore[attr-defined]
        assert st.trusted, name  # type: ignore[attr-defined]
        assert st.docmdp_ok, name  # type: ignore[attr-defined]
        assert st.bottom_line, name  # type: ignore[attr-defined]

    gvcn_sig, _ = statuses[FIELD_GVCN]  # type: ignore[misc]
    assert gvcn_sig.docmdp_level == MDPPerm.FILL_FORMS

    _seal_sig, seal_st = statuses[FIELD_SEAL]  # type: ignore[misc]
    assert seal_st.timestamp_validity is not None
    assert seal_st.timestamp_validity.intact and seal_st.timestamp_validity.trusted
    for name in (FIELD_GVCN, FIELD_PRINCIPAL):
        assert statuses[name][1].timestamp_validity is None  # type: ignore[index]

    # B-LT: DSS with certificates and revocation data
    reader = PdfFileReader(BytesIO(sealed))
    dss = reader.root["/DSS"]
    assert len(dss["/Certs"]) >= 3
    assert len(dss.get("/OCSPs", [])) + len(dss.get("/CRLs", [])) >= 2


def test_each_step_is_one_incremental_update(signed_steps: dict[str, bytes]) -> None:
    prepared = signed_steps["prepared"]
    certified, approved, sealed = (signed_steps[k] for k in ("certified", "approved", "sealed"))
    assert certified.startswith(prepared)
    assert approved.startswith(certified)
    assert sealed.startswith(approved)
    revs = [PdfFileReader(BytesIO(b)).xrefs.total_revisions for b in (prepared, certified, approved, sealed)]
    assert revs == [revs[0], revs[0] + 1, revs[0] + 2, revs[0] + 3]


def test_signature_dictionary_is_pades_with_vietnamese_metadata(signed_steps: dict[str, bytes]) -> None:
    reader = PdfFileReader(BytesIO(signed_steps["sealed"]))
    sigs = {s.field_name: s for s in reader.embedded_signatures}
    gvcn = sigs[FIELD_GVCN].sig_object
    assert gvcn["/SubFilter"] == "/ETSI.CAdES.detached"
    assert gvcn["/Reason"] == "Xác nhận học bạ lớp 10A1"
    assert gvcn["/Location"] == "Hải Phòng"
    assert gvcn["/Name"] == "Nguyễn Thị Hương"
    assert sigs[FIELD_GVCN].md_algorithm == "sha256"


@pytest.mark.parametrize(
    ("label", "error"),
    [("gvcn-expired", CertificateExpiredError), ("gvcn-revoked", CertificateRevokedError)],
)
def test_bad_certificate_is_refused_and_input_untouched(
    label: str,
    error: type[SigningError],
    prepared_pdf: bytes,
    signing_ctx: SigningContext,
    dev_signer: Callable[[str], CachedKeySigner],
) -> None:
    before = bytes(prepared_pdf)
    with pytest.raises(error) as exc_info:
        sign_certify(
            prepared_pdf,
            FIELD_GVCN,
            dev_signer(label),
            appearance=signing_ctx.appearance,
            validation_context=signing_ctx.validation_context(),
        )
    err = exc_info.value
    assert err.vi and err.en and err.reason == error.reason
    assert err.check is not None and not err.check.ok
    assert prepared_pdf == before
    assert not PdfFileReader(BytesIO(prepared_pdf)).embedded_signatures


def test_revoked_seal_is_refused(
    signed_steps: dict[str, bytes],
    signing_ctx: SigningContext,
    dev_signer: Callable[[str], CachedKeySigner],
) -> None:
    assert signing_ctx.timestamper is not None
    with pytest.raises(CertificateRevokedError):
        sign_seal(
            signed_steps["approved"],
            FIELD_SEAL,
            dev_signer("gvcn-revoked"),
            timestamper=signing_ctx.timestamper,
            validation_context=signing_ctx.validation_context(),
        )


def test_already_signed_field_is_refused(
    signed_steps: dict[str, bytes],
    signing_ctx: SigningContext,
    dev_signer: Callable[[str], CachedKeySigner],
) -> None:
    with pytest.raises(FieldAlreadySignedError):
        sign_approve(
            signed_steps["approved"],
            FIELD_PRINCIPAL,
            dev_signer("principal"),
            validation_context=signing_ctx.validation_context(),
        )


def test_missing_field_is_refused(
    signed_steps: dict[str, bytes],
    signing_ctx: SigningContext,
    dev_signer: Callable[[str], CachedKeySigner],
) -> None:
    with pytest.raises(FieldMissingError):
        sign_approve(
            signed_steps["certified"],
            "KhongCo",
            dev_signer("principal"),
            validation_context=signing_ctx.validation_context(),
        )


def test_certification_must_come_first(
    signed_steps: dict[str, bytes],
    signing_ctx: SigningContext,
    dev_signer: Callable[[str], CachedKeySigner],
) -> None:
    with pytest.raises(SigningError) as exc_info:
        sign_certify(
            signed_steps["certified"],
            FIELD_PRINCIPAL,
            dev_signer("principal"),
            validation_context=signing_ctx.validation_context(),
        )
    assert exc_info.value.reason == "certify_not_first"


def test_signing_requires_a_certificate_check(
    prepared_pdf: bytes, dev_signer: Callable[[str], CachedKeySigner]
) -> None:
    with pytest.raises(SigningError) as exc_info:
        sign_certify(prepared_pdf, FIELD_GVCN, dev_signer("gvcn-10a1"))
    assert exc_info.value.reason == "precheck_missing"


def test_fields_cannot_be_added_after_signing(signed_steps: dict[str, bytes]) -> None:
    with pytest.raises(SigningError) as exc_info:
        prepare_signature_fields(signed_steps["certified"], FIELDS[:1])
    assert exc_info.value.reason == "document_already_signed"


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler's pdfsig is not installed")
def test_pdfsig_finds_three_signatures(signed_steps: dict[str, bytes], tmp_path: Path) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(signed_steps["sealed"])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert out.count("Signature #") == 3
    assert out.count("Signature is Valid.") == 3
    assert "Nguyễn Thị Hương" in out


@pytest.mark.skipif(not PYHANKO_CLI.exists(), reason="pyhanko CLI not installed in the venv")
def test_pyhanko_cli_validates_sealed_file(
    signed_steps: dict[str, bytes], dev_pki: DevPkiServer, tmp_path: Path
) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(signed_steps["sealed"])
    proc = subprocess.run(
        [str(PYHANKO_CLI), "sign", "validate", "--trust", str(ROOT_CERT), "--trust-replace", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 3
    assert all(":INTACT:TRUSTED" in ln for ln in lines), proc.stdout
    assert "TIMESTAMP_TOKEN<INTACT:TRUSTED>" in lines[2]

    pretty = subprocess.run(
        [
            str(PYHANKO_CLI),
            "sign",
            "validate",
            "--pretty-print",
            "--trust",
            str(ROOT_CERT),
            "--trust-replace",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pretty.returncode == 0
    assert pretty.stdout.count("The signature is judged VALID.") == 3
