"""QR scans, PDF checks and status look-ups in the traffic (issue #16 item 1): counted per day, channel and
outcome only, in memory and written in one statement every few seconds or before they are read."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.platform.clock import FixedClock
from credential_service.reporting import check_counter
from credential_service.reporting import traffic_rules as R
from credential_service.reporting.tables import VerificationDailyCount

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def test_a_check_is_ok_only_when_its_signatures_verify_and_the_credential_is_valid() -> None:
    assert R.check_outcome("PASSED", "valid") == "ok"
    assert R.check_outcome("PASSED", None) == "ok"  # a PDF whose verdict stands alone
    assert R.check_outcome(None, "valid") == "ok"  # a status look-up
    assert R.check_outcome("PASSED", "revoked") == "failed"
    assert R.check_outcome("FAILED", None) == "failed"
    assert R.check_outcome("INDETERMINATE", "valid") == "failed"
    assert R.check_outcome(None, None) == "failed"  # unknown, unreadable


def test_the_daily_counts_join_the_days_rows(clock: FixedClock) -> None:
    today = clock.today()
    counts = [(today, "qr", "ok", 7), (today, "qr", "failed", 2), (today, "pdf", "failed", 1)]
    counts += [(today - timedelta(days=40), "qr", "ok", 5)]  # outside the window
    rows = R.traffic_rows([], [], today, daily_counts=counts)
    last = rows[-1]
    assert (last["qr_checks"], last["qr_failed"], last["pdf_checks"], last["pdf_failed"]) == (9, 2, 1, 1)
    assert (last["checks"], last["failed"], last["share_failed"]) == (10, 3, 0.3)
    assert sum(r["checks"] for r in rows) == 10


def _kept(c: Container) -> int:
    with c.db.reader() as s:
        return int(s.scalar(select(func.coalesce(func.sum(VerificationDailyCount.checks), 0))) or 0)


def test_counts_are_kept_in_memory_and_written_in_one_statement(container: Container, clock: FixedClock) -> None:
    counter = check_counter.counter_for(container.db, clock)
    counter.flush()
    before = _kept(container)
    for _ in range(3):
        check_counter.count_check(container.db, clock, "qr", "ok")
    assert _kept(container) == before  # no database round trip per check
    assert counter.flush() == 1 and _kept(container) == before + 3  # one key: (today, qr, ok)
    assert check_counter.count_check(container.db, clock, "qr", "ok") is None  # not due yet
    clock.advance(check_counter.EVERY)
    written = check_counter.count_check(container.db, clock, "qr", "ok")  # a few seconds later: written with this one
    assert written is not None and written.result(timeout=30) == 1  # by the writer thread, not by the check
    assert _kept(container) == before + 5
    with container.db.reader() as s:
        columns = {c.name for c in VerificationDailyCount.__table__.columns}
        assert columns == {"day", "channel", "outcome", "checks"}  # nothing about who or what was checked
        assert s.scalar(select(func.count()).select_from(VerificationDailyCount)) == 1  # added to, not appended


def test_the_public_routes_count_their_checks_and_the_traffic_shows_them(
    container: Container, client: TestClient, clock: FixedClock
) -> None:
    assert client.get(f"/api/v1/credentials/{UNKNOWN}/status").status_code == 404
    assert client.get(f"/v/{UNKNOWN}", headers={"accept": "text/html"}).status_code == 404
    r = client.post("/api/v1/verify", files={"file": ("x.pdf", b"not a pdf", "application/pdf")})
    assert r.status_code in (200, 422), r.text
    r = client.post("/api/v1/verify/qr", json={"text": "not a code"})
    assert r.status_code == 200, r.text
    sign_in(client, "so-admin")
    body = client.get("/api/v1/progress").json()
    today = body["tables"]["traffic"][-1]
    assert today["day"] == clock.today().isoformat()
    got = {
        k: today[k] for k in ("qr_checks", "qr_failed", "pdf_checks", "pdf_failed", "status_checks", "status_failed")
    }
    assert got == {
        "qr_checks": 2,
        "qr_failed": 2,
        "pdf_checks": 1,
        "pdf_failed": 1,
        "status_checks": 1,
        "status_failed": 1,
    }
    assert body["traffic"]["qr_checks"] == 2 and body["traffic"]["checks"] >= 4
    page = client.get("/so/tien-do", headers={"accept": "text/html"})
    assert "Quét mã QR" in page.text
