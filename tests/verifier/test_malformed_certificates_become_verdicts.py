"""Malformed certificates and revocation data inside a signed PDF are verdicts, never an internal error.

asn1crypto decodes lazily, so a broken Name or OCSP response only raises when someone reads it. A signer
certificate whose Name cannot be decoded makes its signature FAILED/FORMAT_FAILURE with a warning; a DSS
whose certificates, OCSP responses or CRLs cannot be decoded is a damaged DSS: ignored, with a warning,
and the signatures are judged without it. The files are the fuzzers' regression inputs (built from our
own seeds, see fuzz/README.md).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from asn1crypto import pem, x509

from verifier.pdf import verify_pdf
from verifier.report import VerificationReport

REPO = Path(__file__).resolve().parents[2]
REGRESSIONS = REPO / "fuzz" / "regressions" / "pdf"
DEMO_TRANSCRIPT = REPO / "fuzz" / "corpus" / "pdf" / "demo-transcript.pdf"
DEV_ROOT = REPO / "keys" / "dev" / "out" / "root.cert.pem"


@pytest.fixture(autouse=True)
def _quiet_pyhanko() -> None:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@pytest.fixture(scope="module")
def root() -> x509.Certificate:
    data = DEV_ROOT.read_bytes()
    if pem.detect(data):
        data = pem.unarmor(data)[2]
    return x509.Certificate.load(data)


def _verify(path: Path, root: x509.Certificate) -> VerificationReport:
    report = verify_pdf(path.read_bytes(), trust=[root])
    json.dumps(report.to_dict(), ensure_ascii=False)  # the report is complete enough to be shown
    return report


@pytest.mark.parametrize("name", ["signer-certificate-name-truncated.pdf", "signer-certificate-name-invalid-utf8.pdf"])
def test_a_signer_certificate_whose_name_cannot_be_decoded_fails_with_a_format_failure(
    name: str, root: x509.Certificate
) -> None:
    report = _verify(REGRESSIONS / name, root)
    assert (report.indication, report.sub_indication) == ("FAILED", "FORMAT_FAILURE")
    [signature] = report.signatures
    assert (signature.indication, signature.sub_indication) == ("FAILED", "FORMAT_FAILURE")
    assert signature.signer is None and signature.issuer is None  # nothing made up from a broken Name
    assert signature.signer_certificate_sha256  # but the certificate is identified
    assert signature.detail is not None and "cannot be decoded" in signature.detail
    [warning] = [w for w in signature.warnings if w.code == "certificate_malformed"]
    assert "Chứng thư số" in warning.vi and "malformed" in warning.en
    assert report.exit_code == 1


@pytest.mark.parametrize("name", ["dss-certificate-name-invalid-utf8.pdf", "dss-ocsp-response-truncated.pdf"])
def test_undecodable_content_in_the_dss_makes_it_a_damaged_dss_that_is_ignored(
    name: str, root: x509.Certificate
) -> None:
    report = _verify(REGRESSIONS / name, root)
    [warning] = [w for w in report.warnings if w.code == "dss_damaged"]
    assert "DSS" in warning.vi and "was ignored" in warning.en
    # without the DSS's certificates and revocation data the chain cannot be completed: not a pass
    assert report.indication == "INDETERMINATE" and report.sub_indication is not None
    assert all(s.pades_level in (None, "B-B", "B-T") for s in report.signatures)  # no B-LT from ignored data


def test_a_sound_dss_is_still_used(root: x509.Certificate) -> None:
    report = _verify(DEMO_TRANSCRIPT, root)
    assert report.indication == "PASSED"
    assert not [w for w in report.warnings if w.code == "dss_damaged"]
    assert "B-LT" in [s.pades_level for s in report.signatures]
