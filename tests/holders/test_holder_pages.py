"""The holder's pages: labels instead of raw statuses and keys, Vietnam time with the zone, titles instead of ids,
a confirmation after revoking, and nothing wider than a 420 px phone."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from holders_fixtures import PASSWORD, Holders
from released_fixtures import Env

from credential_service.app.factory import create_app
from credential_service.holders.labels import vn_time
from credential_service.holders.population_registry import DevPopulationRegistry


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def _web(app: Any, user: str) -> TestClient:
    c = TestClient(app)
    token = _csrf(c.get("/holder").text)
    r = c.post("/holder/signin", data={"username": user, "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _share(c: TestClient, ids: list[str], scope: str = "diploma_fields") -> str:
    token = _csrf(c.get("/holder/credentials").text)
    r = c.post("/holder/share", data={"credential_ids": ids, "scope": scope, "purpose": "Tuyển dụng", "csrf": token})
    assert r.status_code == 200, r.text
    return r.text


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_statuses_and_states_show_in_vietnamese_and_english(holder_with_diploma: Env) -> None:
    env = holder_with_diploma
    c = _web(env.app, "holder.a")
    _share(c, [env.holders.transcripts[0]])
    page = c.get("/holder/credentials").text
    assert "Đã đóng dấu và phát hành" in page and "Sealed and issued" in page  # the transcript
    assert "Đã cấp, còn hiệu lực" in page and "Issued, valid" in page  # the diploma
    assert "Đang dùng được" in page and "Active" in page
    cells = re.findall(r'<td data-label="(?:Trạng thái / Status|Tình trạng / State)"[^>]*>(.*?)</td>', page, re.S)
    raw = {"issued", "active", "revoked", "pending_guardian", "draft"}
    assert cells and all(_text(cell).split()[0] not in raw for cell in cells)  # a label comes first
    assert "Học bạ số lớp 10A1" in page  # the grant lists its credential by title


def test_a_minors_pending_code_shows_its_state_in_words(holders_env: Holders) -> None:
    app = create_app(holders_env.container)
    c = _web(app, "holder.c")
    _share(c, [holders_env.transcripts[2]], scope="status")
    page = c.get("/holder/credentials").text
    assert "Chờ cha mẹ/người giám hộ xác nhận" in page and "pending_guardian</td>" not in page
    assert '<option value="me">Mẹ / Mother</option>' in page


def test_times_are_shown_in_vietnam_time_with_the_zone(holder_with_diploma: Env) -> None:
    env = holder_with_diploma
    c = _web(env.app, "holder.a")
    _share(c, [env.holders.transcripts[0]])
    entry = c.get("/api/v1/holder/access-log").json()["entries"][0]
    page = c.get("/holder/log").text
    assert vn_time(entry["at"], with_zone=False) in page and "giờ Việt Nam, UTC+7" in page
    grant = c.get("/api/v1/holder/grants").json()["grants"][0]
    assert vn_time(grant["expires_at"], with_zone=False) in c.get("/holder/credentials").text


def test_the_consent_names_the_credentials_and_fields_in_words(holder_with_diploma: Env) -> None:
    env = holder_with_diploma
    c = _web(env.app, "holder.a")
    page = _share(c, [env.holders.transcripts[0], env.diploma_id])
    consent = page.split('data-testid="consent-text">')[1].split("</pre>")[0]
    assert env.holders.transcripts[0] not in consent and env.diploma_id not in consent
    assert "Học bạ số lớp 10A1, năm học" in consent and "Bằng tốt nghiệp trung học phổ thông năm 2026" in consent
    assert "Kết quả học tập (Learning result)" in consent and "Số vào sổ gốc (Register number)" in consent
    assert "learning_result" not in consent and "register_no" not in consent
    assert "giờ Việt Nam, UTC+7" in consent
    log = c.get("/holder/log").text
    assert "Kết quả học tập" in log and "learning_result" not in log


def test_revoking_shows_a_confirmation_after_the_redirect(holder_with_diploma: Env, holders_env: Holders) -> None:
    env = holder_with_diploma
    c = _web(env.app, "holder.a")
    _share(c, [env.holders.transcripts[0]])
    grant = c.get("/api/v1/holder/grants").json()["grants"][0]
    token = _csrf(c.get("/holder/credentials").text)
    r = c.post(f"/holder/grants/{grant['id']}/revoke", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/holder/credentials?revoked={grant['id']}"
    page = c.get(r.headers["location"]).text
    ok = page.split('data-testid="ok">')[1].split("</div>")[0]
    assert f"Đã thu hồi mã chia sẻ …{grant['code_hint']}" in ok and "revoked" in ok
    assert "Đã thu hồi" in page  # and the grant's state says so
    # a made-up or someone else's id shows nothing
    assert 'data-testid="ok"' not in c.get("/holder/credentials?revoked=not-a-grant").text
    still_active = c.get("/holder/credentials").text
    assert 'data-testid="ok"' not in still_active


def test_a_guardians_confirmation_is_acknowledged_after_the_redirect(holders_env: Holders) -> None:
    DevPopulationRegistry(holders_env.container.db).add([("031186004322", "Lê Thị Cúc", date(1986, 4, 2), "Nữ")])
    app = create_app(holders_env.container)
    c = _web(app, "holder.c")
    _share(c, [holders_env.transcripts[2]], scope="status")
    grant = next(g for g in c.get("/api/v1/holder/grants").json()["grants"] if g["state"] == "pending_guardian")
    token = _csrf(c.get("/holder/credentials").text)
    r = c.post(
        f"/holder/grants/{grant['id']}/guardian",
        data={"guardian_name": "Lê Thị Cúc", "guardian_pin": "031186004322", "guardian_date_of_birth": "1986-04-02",
              "guardian_sex": "Nữ", "relation": "me", "csrf": token},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    assert f"đã xác nhận mã …{grant['code_hint']}" in page and "(Mẹ / Mother)" in page


# ---------------------------------------------------------------------------------------------- phone width


@pytest.mark.browser
@pytest.mark.slow
def test_holder_pages_fit_a_420_px_phone(holder_with_diploma: Env) -> None:
    from browser.harness import live_server, open_browser, require_chromium

    require_chromium()
    env = holder_with_diploma
    c = _web(env.app, "holder.a")
    for scope in ("status", "full_transcript"):  # a few rows in "my share codes" and "who checked me"
        _share(c, [env.holders.transcripts[0], env.diploma_id], scope=scope)
    overflow = "() => [document.documentElement.scrollWidth, window.innerWidth]"
    with live_server(env.app) as base, open_browser(viewport=(420, 900)) as page:
        page.goto(base + "/holder")
        page.fill('input[name="username"]', "holder.a")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url("**/holder/credentials")
        width, viewport = page.evaluate(overflow)
        assert width <= viewport == 420, "the credentials page scrolls sideways"
        box = page.locator('select[name="scope"]').bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 420
        grants = page.locator('[data-testid="grants"]').bounding_box()
        assert grants is not None and grants["x"] + grants["width"] <= 420
        page.select_option('select[name="scope"]', "full_transcript")
        page.click("text=Tạo mã chia sẻ / Create share code")
        page.wait_for_selector('[data-testid="share-code"]')
        width, _ = page.evaluate(overflow)
        assert width <= 420, "the share page scrolls sideways"
        page.goto(base + "/holder/log")
        width, _ = page.evaluate(overflow)
        assert width <= 420, "who checked me scrolls sideways"
        log = page.locator('[data-testid="log"]').bounding_box()
        assert log is not None and log["x"] + log["width"] <= 420
