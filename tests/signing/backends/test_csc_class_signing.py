"""A principal whose key is at a remote signing service (CSC API) signs a whole class through the API with
their own PIN for the batch; the documents are accepted by poppler's pdfsig and the pyHanko CLI."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from staff_login import confirm, sign_as, sign_in

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.staff.tables import Staff
from credential_service.transcripts.tables import SigningEvent, Transcript
from signing.devcsc import DEV_CSC_PIN, dev_credential_id

A1 = class_id("10A1")
ROOT_CERT = Path(__file__).resolve().parents[3] / "keys" / "dev" / "out" / "root.cert.pem"
N = 4


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    from credential_service.transcripts import imports
    from credential_service.transcripts import spreadsheets as importers

    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=N, seed=5)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")
    c.transcripts.lock_class(A1)
    with c.db.transaction() as s:
        principal = s.get(Staff, staff_id("principal"))
        assert principal is not None
        principal.key_label = "csc:" + dev_credential_id("principal")  # the same certificate, held remotely
    yield c
    c.db.dispose()


def _principal_events(c: Container) -> int:
    with c.db.reader() as s:
        return int(
            s.execute(
                select(func.count()).select_from(SigningEvent).where(SigningEvent.step == "principal")
            ).scalar_one()
        )


def _sign_principal(client: TestClient, **secret: str) -> object:
    sign_in(client, "principal")
    confirmation = confirm(client, "principal", f"sign:class:{A1}:principal")
    return client.post(f"/api/v1/classes/{A1}/sign/principal", json={"confirmation_id": confirmation, **secret})


def test_the_remote_key_signs_only_with_the_signers_own_pin(container: Container, tmp_path: Path) -> None:
    client = TestClient(create_app(container))
    sign_as(client, A1, "gvcn", "gvcn-10a1")
    no_pin = _sign_principal(client)
    assert no_pin.status_code == 409 and no_pin.json()["reason"] == "authorization_required"  # type: ignore[attr-defined]
    wrong = _sign_principal(client, pin="000000")
    assert wrong.status_code == 409, wrong.text  # type: ignore[attr-defined]
    assert "000000" not in wrong.text  # type: ignore[attr-defined]
    assert _principal_events(container) == 0
    ok = _sign_principal(client, pin=DEV_CSC_PIN)
    assert ok.status_code == 200 and ok.json()["transcripts"] == N, ok.text  # type: ignore[attr-defined]
    sign_as(client, A1, "seal", "seal-operator")
    with container.db.reader() as s:
        pdfs = [t.pdf for t in s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars()]
    path = tmp_path / "hocba.pdf"
    path.write_bytes(pdfs[0])
    if shutil.which("pdfsig") is None:
        pytest.skip("poppler's pdfsig is not installed")
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60).stdout
    assert out.count("Signature Validation: Signature is Valid.") == 3, out
    assert "Ngô Quang Trưởng" in out or "principal" in out.lower(), out
    pyhanko = shutil.which("pyhanko") or str(Path(__file__).resolve().parents[3] / ".venv" / "bin" / "pyhanko")
    proc = subprocess.run(
        [pyhanko, "sign", "validate", "--pretty-print", "--trust", str(ROOT_CERT), "--trust-replace", str(path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("The signature is judged VALID.") == 3, proc.stdout
    assert proc.stdout.count("The signer's certificate is trusted.") == 3, proc.stdout
