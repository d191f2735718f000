"""Staff sign-in and sign-out through the real pages, for the browser tests (demo accounts, real TOTP codes).

    codes = SignInCodes()
    sign_in_through_page(page, base, "gvcn-10a1", codes)   # lands on the role's page
    sign_out_through_page(page, base)                      # back on /dang-nhap, the session ended

The server accepts each 30-s TOTP step once per account for sign-in, and the step before or after the
current one; :class:`SignInCodes` remembers the steps already used so that a second sign-in of the same
account uses the next step (and waits for the next 30-s window when both are used up).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pyotp

from credential_service.app.demo_accounts import account

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

SIGN_IN = "/dang-nhap"
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _totp(username: str) -> pyotp.TOTP:
    return pyotp.TOTP(account(username).totp_secret)


def _current_step(totp: pyotp.TOTP) -> int:
    return totp.timecode(datetime.now(UTC))


class SignInCodes:
    """Sign-in codes for the demo accounts, never reusing a step the server has already accepted."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def code(self, username: str) -> str:
        totp = _totp(username)
        while True:
            current = _current_step(totp)
            step = max(current, self._last.get(username, current - 1) + 1)
            if step <= current + 1:  # the server accepts the adjacent step
                self._last[username] = step
                return totp.generate_otp(step)
            time.sleep(totp.interval - time.time() % totp.interval + 0.05)


def confirmation_code(username: str) -> str:
    """The signer's own code for a signing confirmation (accepted once per purpose)."""
    return _totp(username).now()


def wrong_code(username: str) -> str:
    """A 6-digit code that is valid for none of the steps the server accepts now."""
    totp = _totp(username)
    current = _current_step(totp)
    valid = {totp.generate_otp(current + k) for k in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 1_000_000, 111111)) if c not in valid)


def fill_sign_in(page: Page, username: str, password: str, code: str) -> None:
    """Fill the form by its visible labels (what a screen reader announces)."""
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_label("Mã xác thực 6 số").fill(code)


def submit_sign_in(page: Page) -> tuple[Response, Response]:
    """Click «Đăng nhập»; return the answer to the POST (303 on success, 401 on failure) and the page shown."""
    with page.expect_navigation() as nav:
        page.locator("#sign-in").click()
    shown = nav.value
    assert shown is not None
    posted = shown.request.redirected_from
    answer = posted.response() if posted is not None else shown
    assert answer is not None and answer.request.method == "POST", answer
    return answer, shown


def sign_in_through_page(
    page: Page, base: str, username: str, codes: SignInCodes, *, next_path: str | None = None
) -> Response:
    """Open the sign-in page, sign in as the demo account, insist the page it lands on opened (200);
    return the answer to the POST (its ``location`` is where the sign-in sent the browser)."""
    url = base + SIGN_IN + (f"?next={quote(next_path)}" if next_path else "")
    opened = page.goto(url)
    assert opened is not None and opened.status == 200, (url, opened and opened.status)
    fill_sign_in(page, username, account(username).password, codes.code(username))
    answer, shown = submit_sign_in(page)
    assert answer.status == 303, f"sign-in as {username} answered {answer.status}: {page.content()[:600]}"
    assert shown.status == 200, (
        f"after sign-in as {username}, {shown.url} answered {shown.status}: {shown.text()[:600]}"
    )
    return answer


def path_of(page: Page, base: str) -> str:
    return page.url.removeprefix(base)


def session_cookie(page: Page) -> str | None:
    return next((c["value"] for c in page.context.cookies() if c["name"] == "sogoc_staff"), None)


def sign_out_through_page(page: Page, base: str) -> None:
    """Click «Đăng xuất» (on the page, or on the home page the header links to) and land on the sign-in page."""
    if page.locator("#sign-out").count() == 0:
        home = page.locator("header a[href='/']")
        assert home.count() == 1, f"no sign-out button and no home link on {page.url}"
        with page.expect_navigation() as nav:
            home.click()
        response = nav.value
        assert response is not None and response.status == 200 and page.locator("#sign-out").count() == 1, (
            f"no way to sign out from {page.url}: no #sign-out button; the home page answered "
            f"{response and response.status}: {page.content()[:400]}"
        )
    page.locator("#sign-out").click()
    page.wait_for_url(f"{base}{SIGN_IN}")


def open_link(page: Page, name: str) -> Response:
    """Follow the link named ``name`` and insist that the page it leads to opened (200)."""
    with page.expect_navigation() as nav:
        page.get_by_role("link", name=name, exact=True).click()
    response = nav.value
    assert response is not None
    assert response.status == 200, f"{page.url} answered {response.status}: {response.text()[:600]}"
    return response


def problem(response: Any) -> dict[str, Any]:
    """The problem+json body of a refused request."""
    body: dict[str, Any] = json.loads(response.text())
    return body


def assert_security_headers(headers: dict[str, str], where: str) -> str:
    """CSP with a nonce and frame-ancestors 'none', nosniff, no referrer; returns the nonce."""
    csp = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, (where, csp)
    assert "default-src 'self'" in csp and "object-src 'none'" in csp, (where, csp)
    assert "script-src 'self' 'nonce-" in csp, (where, csp)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (where, name, headers.get(name))
    return csp.split("'nonce-", 1)[1].split("'", 1)[0]
