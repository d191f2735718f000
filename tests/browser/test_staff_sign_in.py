"""Staff sign-in at /dang-nhap in a real headless Chromium: every demo account at desktop and phone width,
the wrong-code error, the return to the page asked for (``next``), sign-out and the security headers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from credential_service.app.bootstrap import build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.demo_accounts import DEMO_ACCOUNTS, account
from credential_service.app.factory import create_app
from credential_service.platform.db import migrate
from credential_service.platform.settings import Settings

from .harness import live_server, open_browser, require_chromium
from .staff_pages import (
    SIGN_IN,
    SignInCodes,
    assert_security_headers,
    fill_sign_in,
    path_of,
    session_cookie,
    sign_in_through_page,
    sign_out_through_page,
    submit_sign_in,
    wrong_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = (1280, 900)
PHONE = (420, 860)
SO_PAGE = "/so/van-bang"
# Where each demo account lands after sign-in (staff/roles.py:landing_page), and the heading it shows.
LANDING = {
    "so-admin": SO_PAGE,
    "so-admin-2": SO_PAGE,
    "so-clerk": SO_PAGE,
    "so-clerk-2": SO_PAGE,
    "inspector": SO_PAGE,
    "commune-officer": SO_PAGE,
    "principal": "/",
    "gvcn-10a1": "/",
    "gvcn-10a2": "/",
    "subject-teacher": "/",
    "school-clerk": "/",
    "seal-operator": "/",
    "so-admissions": "/so/tuyen-sinh",
}
HEADING = {SO_PAGE: "Cấp văn bằng số", "/": "Các lớp học", "/so/tuyen-sinh": "Tuyển sinh đầu cấp"}
BAD_SIGN_IN_VI = "Tên đăng nhập, mật khẩu hoặc mã xác thực (TOTP) không đúng."
BAD_SIGN_IN_EN = "Wrong username, password or authentication code (TOTP)."
FITS = "[document.documentElement.scrollWidth, window.innerWidth]"


def test_every_demo_account_has_a_landing_page() -> None:
    assert set(LANDING) == {a.username for a in DEMO_ACCOUNTS}


@contextmanager
def _serve(db_dir: Path) -> Iterator[str]:
    url = f"sqlite:///{db_dir}/sogoc.db"
    migrate(url)
    c = build(Settings(env="test", database_url=url))
    seed_demo(c.transcripts, import_results=False)  # the school, both classes, every demo account
    try:
        with live_server(create_app(c)) as base:
            yield base
    finally:
        c.db.dispose()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SignInCodes]]:
    """One server for the per-account tests; the codes remember which TOTP steps each account has used."""
    require_chromium()
    with _serve(tmp_path_factory.mktemp("sign-in-db")) as base:
        yield base, SignInCodes()


@pytest.fixture
def base(tmp_path: Path) -> Iterator[str]:
    """A fresh server (no TOTP step used yet) for one test."""
    require_chromium()
    with _serve(tmp_path) as url:
        yield url


def _overflow(page: object, where: str) -> str | None:
    scroll_width, inner_width = page.evaluate(FITS)  # type: ignore[attr-defined]
    if scroll_width <= inner_width:
        return None
    return f"{where}: document.documentElement.scrollWidth {scroll_width} > window.innerWidth {inner_width}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone-420"])
@pytest.mark.parametrize("username", list(LANDING))
def test_sign_in_lands_on_the_role_page_and_sign_out_ends_the_session(
    shared: tuple[str, SignInCodes], username: str, viewport: tuple[int, int], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    base, codes = shared
    landing = LANDING[username]
    phone = viewport == PHONE
    overflow: list[str] = []
    with open_browser(viewport=viewport) as page:
        page.goto(base + SIGN_IN)
        expect(page.locator("h1")).to_contain_text("Đăng nhập cán bộ")
        expect(page.locator("h1")).to_contain_text("Staff sign-in")
        if phone:
            overflow.append(_overflow(page, SIGN_IN) or "")

        response = sign_in_through_page(page, base, username, codes)
        assert response.headers["location"] == landing
        assert path_of(page, base) == landing
        expect(page.locator("h1")).to_contain_text(HEADING[landing])
        if landing == "/":
            expect(page.locator("#who")).to_have_text(account(username).full_name)
        page.screenshot(path=tmp_path / f"{username}-{viewport[0]}.png", full_page=True)
        if phone:
            overflow.append(_overflow(page, landing) or "")

        cookie = next(c for c in page.context.cookies() if c["name"] == "sogoc_staff")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

        sign_out_through_page(page, base)
        expect(page.locator("h1")).to_contain_text("Đăng nhập cán bộ")
        assert session_cookie(page) is None
        # The landing page now asks for sign-in again, even with the old cookie put back: the session ended.
        page.goto(base + landing)
        assert path_of(page, base) == f"{SIGN_IN}?next={quote(landing)}"
        page.context.add_cookies([{"name": "sogoc_staff", "value": cookie["value"], "url": base}])
        page.goto(base + landing)
        assert path_of(page, base) == f"{SIGN_IN}?next={quote(landing)}"

    problems = [o for o in overflow if o]
    assert not problems, f"{username} at {viewport[0]} px overflows horizontally: {problems}"


def test_wrong_code_shows_the_bilingual_error_and_the_right_one_signs_in(base: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    codes = SignInCodes()
    user = account("school-clerk")
    with open_browser(viewport=PHONE) as page:
        page.goto(base + SIGN_IN)
        fill_sign_in(page, user.username, user.password, wrong_code(user.username))
        response, _ = submit_sign_in(page)
        assert response.status == 401
        assert_security_headers(response.headers, "401 sign-in page")
        assert path_of(page, base) == SIGN_IN
        error = page.locator("div.err[role=alert]")
        expect(error).to_contain_text(BAD_SIGN_IN_VI)
        expect(error).to_contain_text(BAD_SIGN_IN_EN)
        assert session_cookie(page) is None
        page.screenshot(path=tmp_path / "wrong-code-420.png", full_page=True)
        assert _overflow(page, "sign-in error") is None

        # A wrong password with a right code gets the very same answer (nothing tells which part was wrong).
        fill_sign_in(page, user.username, user.password + "x", codes.code(user.username))
        response, _ = submit_sign_in(page)
        assert response.status == 401
        expect(page.locator("div.err[role=alert]")).to_contain_text(BAD_SIGN_IN_VI)
        assert session_cookie(page) is None

        fill_sign_in(page, user.username, user.password, codes.code(user.username))
        response, shown = submit_sign_in(page)
        assert response.status == 303 and shown.status == 200
        assert path_of(page, base) == "/"
        assert page.locator("div.err").count() == 0
        expect(page.locator("#who")).to_have_text(user.full_name)


@pytest.mark.parametrize(
    ("username", "target", "heading"),
    [
        ("gvcn-10a1", f"/classes/{class_id('10A1')}", "Lớp 10A1"),
        ("so-clerk", SO_PAGE, "Cấp văn bằng số"),
    ],
    ids=["class-page", "so-page"],
)
def test_anonymous_visit_goes_to_sign_in_and_comes_back(base: str, username: str, target: str, heading: str) -> None:
    from playwright.sync_api import expect

    codes = SignInCodes()
    with open_browser() as page:
        landed = page.goto(base + target)
        assert landed is not None and landed.status == 200
        redirect = landed.request.redirected_from
        assert redirect is not None and redirect.url == base + target
        first = redirect.response()
        assert first is not None and first.status == 303
        assert_security_headers(first.headers, "303 to sign-in")
        assert path_of(page, base) == f"{SIGN_IN}?next={quote(target)}"
        assert page.locator("input[name=next]").get_attribute("value") == target

        response = sign_in_through_page(page, base, username, codes, next_path=target)
        assert response.headers["location"] == target
        assert path_of(page, base) == target, page.content()[:600]
        expect(page.locator("h1")).to_contain_text(heading)


@pytest.mark.parametrize("next_path", ["//example.org/x", "https://example.org/x", "/\\example.org"])
def test_next_outside_the_site_is_ignored(base: str, next_path: str) -> None:
    codes = SignInCodes()
    with open_browser() as page:
        page.goto(f"{base}{SIGN_IN}?next={quote(next_path, safe='')}")
        assert page.locator("input[name=next]").count() == 0
        response = sign_in_through_page(page, base, "subject-teacher", codes, next_path=next_path)
        assert response.headers["location"] == "/"
        assert path_of(page, base) == "/"


def test_security_headers_on_pages_redirects_and_api_errors(base: str) -> None:
    with open_browser() as page:
        html = {"accept": "text/html"}
        sign_in_page = page.request.get(base + SIGN_IN, headers=html)
        assert sign_in_page.status == 200
        nonce_1 = assert_security_headers(sign_in_page.headers, "sign-in page")
        nonce_2 = assert_security_headers(page.request.get(base + SIGN_IN, headers=html).headers, "again")
        assert nonce_1 != nonce_2, "the CSP nonce must be new on every response"

        redirect = page.request.get(base + "/", headers=html, max_redirects=0)
        assert redirect.status == 303 and redirect.headers["location"] == f"{SIGN_IN}?next=/"
        assert_security_headers(redirect.headers, "303 redirect")

        api = page.request.get(base + "/api/v1/staff/me")
        assert api.status == 401 and api.headers["content-type"].startswith("application/problem+json")
        assert_security_headers(api.headers, "401 problem")

        # frame-ancestors 'none': another site cannot show the sign-in page in a frame.
        page.set_content(f'<iframe id="f" onload="this.dataset.loaded=1" src="{base}{SIGN_IN}"></iframe>')
        page.wait_for_selector("#f[data-loaded]", state="attached")
        framed = next((f for f in page.frames if f.url.startswith(base)), None)
        assert framed is None or framed.locator("#sign-in").count() == 0, "the sign-in page rendered inside a frame"
