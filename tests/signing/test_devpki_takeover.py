"""The dev PKI server cannot be lost: when the process serving it goes away, a process using it serves.

Each test uses its own free port (never 9771, which other test runs share).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from asn1crypto import crl, ocsp, pem
from asn1crypto import x509 as asn1_x509

from signing.devpki import DEV_CERT_DIR, ensure_dev_pki_server, stop_dev_pki_server

OWNER = """
import sys
from signing.devpki import ensure_dev_pki_server
server = ensure_dev_pki_server(port=int(sys.argv[1]))
print("serving" if server.owns_server else "not-owner", flush=True)
sys.stdin.readline()  # exits (normally) when the test writes a line or closes stdin
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cert(label: str) -> asn1_x509.Certificate:
    _, _, der = pem.unarmor((DEV_CERT_DIR / f"{label}.cert.pem").read_bytes())
    return asn1_x509.Certificate.load(der)


def ocsp_status(port: int, label: str) -> str:
    """The dev OCSP responder's answer for a committed certificate ("good", "revoked")."""
    cert, issuer = _cert(label), _cert("issuing")
    request = ocsp.OCSPRequest(
        {
            "tbs_request": {
                "request_list": [
                    {
                        "req_cert": {
                            "hash_algorithm": {"algorithm": "sha1"},
                            "issuer_name_hash": issuer.subject.sha1,
                            "issuer_key_hash": issuer.public_key.sha1,
                            "serial_number": cert.serial_number,
                        }
                    }
                ]
            }
        }
    )
    http = urllib.request.Request(
        f"http://127.0.0.1:{port}/sogoc-dev/ocsp/issuing",
        data=request.dump(),
        headers={"Content-Type": "application/ocsp-request"},
    )
    with urllib.request.urlopen(http, timeout=5) as resp:
        answer = ocsp.OCSPResponse.load(resp.read())
    assert answer["response_status"].native == "successful"
    return str(answer.basic_ocsp_response["tbs_response_data"]["responses"][0]["cert_status"].name)


def crl_serials(port: int) -> set[int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/sogoc-dev/crls/issuing/latest.crl", timeout=5) as r:
        entries = crl.CertificateList.load(r.read())["tbs_cert_list"]["revoked_certificates"]
    return {int(e["user_certificate"].native) for e in entries}


@pytest.fixture
def owner() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """Another process serving the dev PKI on a free port; this process uses it."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "serving"
        yield port, proc
    finally:
        proc.kill()
        proc.wait(10)
        stop_dev_pki_server(port)


def test_a_user_takes_over_when_the_owner_is_killed(owner: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = owner
    server = ensure_dev_pki_server(port=port)
    assert not server.running and server.is_serving()  # served by the other process
    assert ensure_dev_pki_server(port=port) is server

    proc.kill()  # no atexit, no hand-over: the kernel releases its lock
    proc.wait(10)
    deadline = time.monotonic() + 5
    while not server.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.running, "this process did not take over within 5 s"
    assert ocsp_status(port, "gvcn-10a1") == "good"
    assert ocsp_status(port, "gvcn-revoked") == "revoked"
    assert _cert("gvcn-revoked").serial_number in crl_serials(port)
    assert ensure_dev_pki_server(port=port) is server


def test_an_owner_that_exits_hands_over_without_a_gap(owner: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = owner
    server = ensure_dev_pki_server(port=port)
    failures: list[BaseException] = []
    answers = 0
    stop = threading.Event()

    def ask() -> None:
        nonlocal answers
        while not stop.is_set():
            try:
                ocsp_status(port, "principal")
                answers += 1
            except Exception as e:  # every failure is what the test counts
                failures.append(e)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        time.sleep(0.3)
        assert proc.stdin is not None
        proc.stdin.close()  # the owner exits normally: atexit hands the listening socket over
        proc.wait(20)
        time.sleep(0.5)
    finally:
        stop.set()
        asker.join(10)
    assert server.running
    assert failures == [] and answers > 0
