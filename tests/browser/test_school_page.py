"""The school pages in a real headless Chromium: lock a class, then GVCN, principal and seal sign it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings

from .harness import live_server, open_browser, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N_STUDENTS = 45  # the demo class 10A1
SIGN_BUTTONS = ("#sign-gvcn", "#sign-principal", "#sign-seal")
STEP_TIMEOUT_MS = 120_000


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.migrate()
    c.start_dev_services()
    seed_demo(c.transcripts)
    yield c
    c.db.dispose()


def _only_button(page: object, present: str | None) -> None:
    """Exactly one workflow button (or none) is on the page: later steps cannot be clicked early."""
    for selector in ("#lock", *SIGN_BUTTONS):
        expected = 1 if selector == present else 0
        assert page.locator(selector).count() == expected, (selector, present)  # type: ignore[attr-defined]


def test_school_page_locks_and_signs_a_class_in_order(container: Container, tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect

    timings: dict[str, float] = {}
    with live_server(create_app(container)) as base, open_browser() as page:
        page.goto(base + "/")
        expect(page.locator("h1")).to_contain_text("Các lớp học")
        page.screenshot(path=tmp_path / "0-index.png", full_page=True)
        page.get_by_role("link", name="10A1", exact=True).click()
        page.wait_for_url(f"**/classes/{class_id('10A1')}")

        status = page.locator("#class-status")
        expect(status).to_have_text("Bản nháp (đang nhập điểm)")
        assert page.locator("#students tr").count() == N_STUDENTS + 1  # header row
        _only_button(page, "#lock")

        start = time.monotonic()
        page.locator("#lock").click()
        expect(page.locator("div.ok")).to_contain_text(f"Đã khóa sổ, tạo {N_STUDENTS} học bạ", timeout=STEP_TIMEOUT_MS)
        timings["lock"] = time.monotonic() - start
        expect(status).to_have_text("Đã khóa sổ, chờ GVCN ký")
        _only_button(page, "#sign-gvcn")

        # Only the class's own homeroom teacher is offered.
        options = page.locator("select[name=staff_id] option")
        assert options.count() == 1
        assert options.first.get_attribute("value") == staff_id("gvcn-10a1")
        expect(options.first).to_have_text("Nguyễn Thị Hương")

        # The other class's teacher, forced into the form, is refused with a Vietnamese message.
        page.evaluate(
            "id => { const o = document.querySelector('select[name=staff_id] option'); o.value = id; }",
            staff_id("gvcn-10a2"),
        )
        page.locator("#sign-gvcn").click()
        error = page.locator("div.err[role=alert]")
        expect(error).to_contain_text("Trần Văn Minh không được phân công làm giáo viên chủ nhiệm cho lớp 10A1")
        expect(error).to_contain_text("is not assigned as homeroom teacher for class 10A1")
        expect(status).to_have_text("Đã khóa sổ, chờ GVCN ký")
        page.screenshot(path=tmp_path / "2-wrong-teacher.png", full_page=True)
        _only_button(page, "#sign-gvcn")

        steps = [
            ("#sign-gvcn", "Nguyễn Thị Hương", "gvcn", "GVCN đã ký, chờ Hiệu trưởng phê duyệt", "#sign-principal"),
            ("#sign-principal", "Ngô Quang Trưởng", "principal", "Hiệu trưởng đã ký, chờ đóng dấu", "#sign-seal"),
            ("#sign-seal", "Trường THPT Demo Hải Phòng", "seal", "Đã đóng dấu và phát hành", None),
        ]
        for n, (button, signer, step, after, next_button) in enumerate(steps, start=3):
            expect(page.locator("select[name=staff_id] option:checked")).to_have_text(signer)
            start = time.monotonic()
            page.locator(button).click()
            expect(page.locator("div.ok")).to_have_text(f"Đã ký {N_STUDENTS} học bạ ({step}).", timeout=STEP_TIMEOUT_MS)
            timings[step] = time.monotonic() - start
            expect(status).to_have_text(after)
            assert page.locator("div.err").count() == 0
            _only_button(page, next_button)
            page.screenshot(path=tmp_path / f"{n}-{step}.png", full_page=True)

        expect(page.locator(".card")).to_contain_text("Tất cả học bạ đã được ký, đóng dấu và phát hành.")
        assert page.locator("#students a", has_text="PDF").count() == N_STUDENTS

        # A PDF link serves the signed transcript.
        href = page.locator("#students a", has_text="PDF").first.get_attribute("href")
        assert href is not None
        pdf = page.request.get(base + href)
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        assert pdf.body().startswith(b"%PDF-") and pdf.body().count(b"/ByteRange") >= 3

        # Back on the index, the class shows as issued.
        page.goto(base + "/")
        expect(page.locator("tr", has_text="10A1").locator(".status")).to_contain_text("Đã đóng dấu và phát hành")

    print(f"screenshots in {tmp_path}; step timings (s): {timings}")
    assert sum(timings[s] for s in ("gvcn", "principal", "seal")) < 120, timings


def test_signing_out_of_order_by_posting_the_form_is_refused(container: Container) -> None:
    """The page hides later steps; a hand-made POST for a later step is refused with a Vietnamese error."""
    require_chromium()
    from playwright.sync_api import expect

    cid = class_id("10A1")
    with live_server(create_app(container)) as base, open_browser() as page:
        page.goto(f"{base}/classes/{cid}")
        _only_button(page, "#lock")
        response = page.request.post(
            f"{base}/classes/{cid}/sign",
            form={"step": "seal", "staff_id": staff_id("seal-thpt-demo")},
            max_redirects=0,
        )
        assert response.status == 303
        page.goto(base + response.headers["location"])
        error = page.locator("div.err[role=alert]")
        expect(error).to_contain_text("Không thể thực hiện bước «đóng dấu nhà trường»")
        expect(error).to_contain_text("Cannot school seal while the transcript is «Draft (results being entered)»")
        expect(page.locator("#class-status")).to_have_text("Bản nháp (đang nhập điểm)")
        _only_button(page, "#lock")
