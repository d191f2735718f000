"""The school pages in a real headless Chromium, each person signed in through /dang-nhap in their own browser
context: the homeroom teacher locks 10A1 and signs with her own code, another class's teacher is refused, the
principal signs, the seal operator seals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo
from credential_service.app.demo_accounts import account
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings

from .harness import live_server, open_browser, require_chromium
from .staff_pages import (
    SignInCodes,
    confirmation_code,
    open_link,
    path_of,
    problem,
    sign_in_through_page,
    wrong_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N_STUDENTS = 45  # the demo class 10A1
SIGN_BUTTONS = ("#sign-gvcn", "#sign-principal", "#sign-seal")
STEP_TIMEOUT_MS = 120_000
A1 = class_id("10A1")
CODE_LABEL = "Mã xác thực của chính người ký"


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.migrate()
    c.start_dev_services()
    seed_demo(c.transcripts)
    yield c
    c.db.dispose()


def _only_button(page: Any, present: str | None) -> None:
    """Exactly one workflow button (or none) is on the page: later steps cannot be clicked early."""
    for selector in ("#lock", *SIGN_BUTTONS):
        expected = 1 if selector == present else 0
        assert page.locator(selector).count() == expected, (selector, present)


@contextmanager
def _person(page: Any) -> Iterator[Any]:
    """Another person at another computer: a browser context of their own (own cookies), same browser."""
    context = page.context.browser.new_context(viewport=page.viewport_size, locale="vi-VN")
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _csrf(page: Any) -> str:
    """The signed-in person's CSRF token, as the page's own forms carry it."""
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    return str(token)


def _sign(page: Any, username: str, button: str) -> float:
    """Enter the signer's own code and click the step's button; return the seconds until the page came back."""
    page.get_by_label(CODE_LABEL).fill(confirmation_code(username))
    start = time.monotonic()
    with page.expect_navigation(timeout=STEP_TIMEOUT_MS):
        page.locator(button).click()
    return time.monotonic() - start


def test_school_page_locks_and_signs_a_class_in_order(container: Container, tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect

    codes = SignInCodes()
    timings: dict[str, float] = {}
    with live_server(create_app(container)) as base, open_browser() as teacher:
        # -- the homeroom teacher of 10A1 signs in and sees only her class
        sign_in_through_page(teacher, base, "gvcn-10a1", codes)
        assert path_of(teacher, base) == "/"
        expect(teacher.locator("h1")).to_contain_text("Các lớp học")
        expect(teacher.locator("#who")).to_have_text("Nguyễn Thị Hương")
        assert teacher.get_by_role("link", name="10A2", exact=True).count() == 0
        teacher.screenshot(path=tmp_path / "0-index-gvcn-10a1.png", full_page=True)
        open_link(teacher, "10A1")
        assert path_of(teacher, base) == f"/classes/{A1}"

        status = teacher.locator("#class-status")
        expect(status).to_have_text("Bản nháp (đang nhập điểm)")
        assert teacher.locator("#students tr").count() == N_STUDENTS + 1  # header row
        _only_button(teacher, "#lock")

        start = time.monotonic()
        teacher.locator("#lock").click()
        ok = teacher.locator("div.ok")
        expect(ok).to_contain_text(f"Đã khóa sổ, tạo {N_STUDENTS} học bạ", timeout=STEP_TIMEOUT_MS)
        timings["lock"] = time.monotonic() - start
        expect(status).to_have_text("Đã khóa sổ, chờ GVCN ký")
        _only_button(teacher, "#sign-gvcn")
        # No choosing whose key signs: the signer is the person signed in, confirmed by her own code.
        assert teacher.locator("select").count() == 0
        expect(teacher.get_by_label(CODE_LABEL)).to_be_visible()
        teacher.screenshot(path=tmp_path / "1-locked.png", full_page=True)

        # -- the teacher of another class is refused on 10A1, by the page and by a hand-made POST
        with _person(teacher) as other:
            sign_in_through_page(other, base, "gvcn-10a2", codes)
            assert other.get_by_role("link", name="10A1", exact=True).count() == 0
            expect(other.get_by_role("link", name="10A2", exact=True)).to_be_visible()
            token = _csrf(other)
            refused = other.goto(f"{base}/classes/{A1}")
            assert refused is not None and refused.status == 403
            alert = other.locator("div.err[role=alert]")  # the refusal, as a page
            expect(alert).to_contain_text("Trần Văn Minh không có vai trò phù hợp")
            expect(alert).to_contain_text("Trần Văn Minh holds no suitable role")
            posted = other.request.post(
                f"{base}/classes/{A1}/sign",
                form={"step": "gvcn", "totp": confirmation_code("gvcn-10a2"), "csrf_token": token},
                max_redirects=0,
            )
            assert posted.status == 403, posted.text()
            assert "Trần Văn Minh" in problem(posted)["detail_vi"]
        teacher.reload()
        expect(status).to_have_text("Đã khóa sổ, chờ GVCN ký")
        _only_button(teacher, "#sign-gvcn")

        # -- a wrong code signs nothing
        teacher.get_by_label(CODE_LABEL).fill(wrong_code("gvcn-10a1"))
        teacher.locator("#sign-gvcn").click()
        error = teacher.locator("div.err[role=alert]")
        expect(error).to_contain_text("Mã xác thực (TOTP) không đúng hoặc đã dùng; chưa ký.")
        expect(error).to_contain_text("Wrong or already used authentication code (TOTP); nothing signed.")
        expect(status).to_have_text("Đã khóa sổ, chờ GVCN ký")
        teacher.screenshot(path=tmp_path / "2-wrong-code.png", full_page=True)

        # -- the homeroom teacher signs with her own code
        timings["gvcn"] = _sign(teacher, "gvcn-10a1", "#sign-gvcn")
        expect(ok).to_have_text(f"Đã ký {N_STUDENTS} học bạ (gvcn).")
        expect(status).to_have_text("GVCN đã ký, chờ Hiệu trưởng phê duyệt")
        assert teacher.locator("div.err").count() == 0
        _only_button(teacher, "#sign-principal")
        teacher.screenshot(path=tmp_path / "3-gvcn.png", full_page=True)

        # She cannot also approve as principal: the page comes back with the reason, in both languages.
        _sign(teacher, "gvcn-10a1", "#sign-principal")
        expect(error).to_contain_text("Nguyễn Thị Hương không được phân công làm hiệu trưởng cho lớp 10A1")
        expect(error).to_contain_text("Nguyễn Thị Hương is not assigned as principal for class 10A1")
        expect(status).to_have_text("GVCN đã ký, chờ Hiệu trưởng phê duyệt")

        # -- the principal signs in, approves and signs; he may not apply the seal himself
        with _person(teacher) as principal:
            sign_in_through_page(principal, base, "principal", codes)
            expect(principal.locator("#who")).to_have_text(account("principal").full_name)
            expect(principal.get_by_role("link", name="10A2", exact=True)).to_be_visible()
            open_link(principal, "10A1")
            p_status = principal.locator("#class-status")
            expect(p_status).to_have_text("GVCN đã ký, chờ Hiệu trưởng phê duyệt")
            _only_button(principal, "#sign-principal")
            timings["principal"] = _sign(principal, "principal", "#sign-principal")
            expect(principal.locator("div.ok")).to_have_text(f"Đã ký {N_STUDENTS} học bạ (principal).")
            expect(p_status).to_have_text("Hiệu trưởng đã ký, chờ đóng dấu")
            _only_button(principal, "#sign-seal")
            principal.screenshot(path=tmp_path / "4-principal.png", full_page=True)

            _sign(principal, "principal", "#sign-seal")
            p_error = principal.locator("div.err[role=alert]")
            expect(p_error).to_contain_text("Ngô Quang Trưởng không được giao đóng dấu của trường")
            expect(p_error).to_contain_text("Ngô Quang Trưởng is not the school's assigned seal operator")
            expect(p_status).to_have_text("Hiệu trưởng đã ký, chờ đóng dấu")

            # -- the seal operator the principal assigned applies the school's seal
            with _person(teacher) as operator:
                sign_in_through_page(operator, base, "seal-operator", codes)
                assert path_of(operator, base) == "/"
                expect(operator.locator("#who")).to_have_text(account("seal-operator").full_name)
                open_link(operator, "10A1")
                s_status = operator.locator("#class-status")
                expect(s_status).to_have_text("Hiệu trưởng đã ký, chờ đóng dấu")
                _only_button(operator, "#sign-seal")
                timings["seal"] = _sign(operator, "seal-operator", "#sign-seal")
                expect(operator.locator("div.ok")).to_have_text(f"Đã ký {N_STUDENTS} học bạ (seal).")
                expect(s_status).to_have_text("Đã đóng dấu và phát hành")
                assert operator.locator("div.err").count() == 0
                _only_button(operator, None)
                operator.screenshot(path=tmp_path / "5-seal.png", full_page=True)
                # Back on the index, the class shows as issued.
                operator.goto(base + "/")
                expect(operator.locator("tr", has_text="10A1").locator(".status")).to_contain_text(
                    "Đã đóng dấu và phát hành"
                )

            # -- the principal's page, reloaded, shows the class issued; a PDF link serves the signed transcript
            principal.reload()
            expect(p_status).to_have_text("Đã đóng dấu và phát hành")
            expect(principal.locator(".card")).to_contain_text("Tất cả học bạ đã được ký, đóng dấu và phát hành.")
            _only_button(principal, None)
            links = principal.locator("#students a", has_text="PDF")
            assert links.count() == N_STUDENTS
            href = links.first.get_attribute("href")
            assert href is not None
            pdf = principal.request.get(base + href)
            assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
            assert pdf.body().startswith(b"%PDF-") and pdf.body().count(b"/ByteRange") >= 3

    print(f"screenshots in {tmp_path}; step timings (s): {timings}")
    assert sum(timings[s] for s in ("gvcn", "principal", "seal")) < 120, timings


def test_signing_out_of_order_by_posting_the_form_is_refused(container: Container) -> None:
    """The page hides later steps; a hand-made POST for a later step, from the right signer with a valid session,
    CSRF token and code, is refused with a bilingual error and changes nothing."""
    require_chromium()
    from playwright.sync_api import expect

    codes = SignInCodes()
    with live_server(create_app(container)) as base, open_browser() as page:
        sign_in_through_page(page, base, "principal", codes)
        open_link(page, "10A1")
        _only_button(page, "#lock")
        response = page.request.post(
            f"{base}/classes/{A1}/sign",
            form={"step": "principal", "totp": confirmation_code("principal"), "csrf_token": _csrf(page)},
            max_redirects=0,
        )
        assert response.status == 303
        page.goto(base + response.headers["location"])
        error = page.locator("div.err[role=alert]")
        expect(error).to_contain_text("Không thể thực hiện bước «Hiệu trưởng ký phê duyệt»")
        expect(error).to_contain_text(
            "Cannot principal approves while the transcript is «Draft (results being entered)"
        )
        expect(page.locator("#class-status")).to_have_text("Bản nháp (đang nhập điểm)")
        _only_button(page, "#lock")

        # Without the CSRF token the same POST is refused before anything runs.
        forged = page.request.post(
            f"{base}/classes/{A1}/sign",
            form={"step": "principal", "totp": confirmation_code("principal")},
            max_redirects=0,
        )
        assert forged.status == 403, forged.text()
        assert "CSRF" in problem(forged)["detail_vi"]


def test_class_pages_fit_a_phone(container: Container, tmp_path: Path) -> None:
    """At 420 px the teacher's pages scroll vertically only (a wide table scrolls inside its own box)."""
    require_chromium()
    codes = SignInCodes()
    overflow = []
    with live_server(create_app(container)) as base, open_browser(viewport=(420, 860)) as page:
        sign_in_through_page(page, base, "gvcn-10a1", codes)
        for name, go in (
            ("index", lambda: None),
            ("class", lambda: open_link(page, "10A1")),
            ("student", lambda: page.locator("#students td a").first.click()),
        ):
            go()
            page.wait_for_load_state()
            page.screenshot(path=tmp_path / f"{name}-420.png", full_page=True)
            scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll_width > inner_width:
                overflow.append(f"{path_of(page, base)}: scrollWidth {scroll_width} > innerWidth {inner_width}")
    assert not overflow, overflow
