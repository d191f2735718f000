"""POST /api/v1/verify, the status endpoint, the key list, and the QR printed on a real transcript."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from verification_fixtures import Issued

from credential_service.app.factory import create_app
from verifier.qr import QrKeyList, read_qr_from_pdf, verify_qr

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(issued: Issued) -> TestClient:
    return TestClient(create_app(issued.container))


def _verify(client: TestClient, data: bytes, name: str = "hocba.pdf") -> dict[str, Any]:
    r = client.post("/api/v1/verify", files={"file": (name, data, "application/pdf")})
    assert r.status_code == 200, r.text
    return r.json()


def test_an_issued_transcript_passes_all_the_way(client: TestClient, issued: Issued) -> None:
    cid = issued.ids[0]
    started = time.perf_counter()
    d = _verify(client, issued.pdfs[cid])
    elapsed = time.perf_counter() - started
    assert (d["indication"], d["sub_indication"]) == ("PASSED", None), (d["checks"], d["warnings"])
    assert d["pdf"]["indication"] == "PASSED"
    assert [s["field"] for s in d["signatures"]] == ["GVCN", "HieuTruong", "DauTruong"]
    cred = d["credential"]
    assert cred["id"] == cid and cred["status"] == "valid"
    assert cred["ledger"]["included"] is True and cred["ledger"]["checkpoint_size"] == len(issued.ids)
    assert {c["name"]: c["indication"] for c in d["checks"]} == {
        "signatures": "PASSED",
        "signers": "PASSED",
        "record": "PASSED",
        "qr": "PASSED",
        "ledger": "PASSED",
        "status": "PASSED",
    }
    assert d["qr"]["claims"]["credential_id"] == cid and d["qr"]["matches"] is True
    assert d["identical_to_issued"] is True
    assert d["message"]["vi"] and d["message"]["en"]
    assert elapsed < 5


def test_status_endpoint_and_unknown_ids(client: TestClient, issued: Issued) -> None:
    cid = issued.ids[1]
    r = client.get(f"/api/v1/credentials/{cid}/status")
    assert r.status_code == 200
    d = r.json()
    assert d["status"] == "valid" and d["ledger"]["included"] and d["status_label"]["vi"]
    assert "full_name" not in r.text  # no personal data
    r = client.get("/api/v1/credentials/00000000-0000-0000-0000-000000000000/status")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail_vi"] and r.json()["detail_en"]


def test_upload_errors_are_problem_json(client: TestClient) -> None:
    r = client.post("/api/v1/verify", files={"file": ("x.pdf", b"", "application/pdf")})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    big = b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 + 10)
    r = client.post("/api/v1/verify", files={"file": ("x.pdf", big, "application/pdf")})
    assert r.status_code == 413 and r.json()["code"] == "too-large"
    d = _verify(client, b"hello, not a pdf")
    assert d["document"] == "not_pdf" and d["indication"] == "INDETERMINATE"


def test_the_published_key_list_and_the_printed_qr_offline(client: TestClient, issued: Issued) -> None:
    r = client.get("/.well-known/sogoc-keys.json")
    assert r.status_code == 200
    keys = QrKeyList.from_json(r.content)
    cid = issued.ids[0]
    # offline: a page image rendered by pdftoppm, decoded by zxing-cpp, checked with the key list only
    texts = read_qr_from_pdf(issued.pdfs[cid], dpi=150)
    assert len(texts) == 1 and texts[0].startswith(issued.container.settings.verify_url(cid) + "#HB1:")
    report = verify_qr(texts[0], keys)
    assert report.indication == "PASSED" and report.claims is not None and report.claims.credential_id == cid
    # the same text checked against the register (the QR endpoint)
    r = client.post("/api/v1/verify/qr", json={"text": texts[0]})
    assert r.status_code == 200 and r.json()["indication"] == "PASSED" and r.json()["matches"] is True
    other = issued.ids[1]
    swapped = texts[0].replace(f"/v/{cid}?", f"/v/{other}?")
    assert client.post("/api/v1/verify/qr", json={"text": swapped}).json()["sub_indication"] == "QR_MISMATCH"


def test_a_photo_like_image_of_the_page_still_reads(issued: Issued, tmp_path: Any) -> None:
    """Rendered at 300 dpi, rotated, blurred and JPEG-compressed, as a phone photo would be."""
    import shutil
    import subprocess

    from PIL import Image, ImageFilter

    from verifier.qr import read_qr_codes

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed")
    pdf = tmp_path / "t.pdf"
    pdf.write_bytes(issued.pdfs[issued.ids[2]])
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdf), str(tmp_path / "p")],
        check=True,
    )
    img = Image.open(tmp_path / "p.png").convert("RGB").rotate(7, expand=True, fillcolor="white")
    img = img.filter(ImageFilter.GaussianBlur(1.2))
    img.save(tmp_path / "photo.jpg", quality=60)
    texts = read_qr_codes(tmp_path / "photo.jpg")
    assert texts and texts[0].startswith(issued.container.settings.verify_url(issued.ids[2]) + "#HB1:")
    keys = QrKeyList.load(issued.container.settings.qr_key_list_path)  # type: ignore[arg-type]
    assert verify_qr(texts[0], keys).indication == "PASSED"


def test_the_qr_check_reads_a_record_once_per_register_state(issued: Issued) -> None:
    from credential_service.verification.service import VerificationService

    c = issued.container
    svc = VerificationService.from_settings(c.db, c.settings, c.ledger)  # its own, empty caches
    cid = issued.ids[0]
    reads: list[str] = []
    read_record = svc.record_json
    svc.record_json = lambda cid: reads.append(cid) or read_record(cid)  # type: ignore[method-assign]
    status, record = svc.status_and_record(cid)
    assert status.status == "valid" and record == read_record(cid) and reads == [cid]
    assert svc.status_and_record(cid) == (status, record) and reads == [cid]  # same register state: from memory
    stamp = svc._stamp()
    svc._stamp = lambda: (stamp[0], (stamp[1] or 0) + 1)  # type: ignore[method-assign]  # a new checkpoint
    assert svc.status_and_record(cid)[1] == record and reads == [cid, cid]  # another state: read again
