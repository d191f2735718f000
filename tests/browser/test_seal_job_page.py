"""The seal operator seals every approved class of the school from the landing page, with her own code, and follows
the background job on its page (a progress bar that refreshes itself) in a real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from seal_job_fixture import ready_classes
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.transcripts.tables import SchoolClass

from .harness import live_server, open_browser, require_chromium
from .staff_pages import SignInCodes, confirmation_code, path_of, sign_in_through_page, wrong_code

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    yield c
    c.db.dispose()


def test_the_seal_operator_seals_the_school_in_the_background_and_watches_the_progress_bar(
    container: Container, tmp_path: Path
) -> None:
    require_chromium()
    from playwright.sync_api import expect

    _, class_ids = ready_classes(container, classes=2, students=3)
    codes = SignInCodes()
    with live_server(create_app(container)) as base, open_browser() as page:
        sign_in_through_page(page, base, "seal-operator", codes)
        form = page.locator("form.seal-job")
        expect(form).to_contain_text("2 lớp đã được hiệu trưởng phê duyệt")
        form.get_by_label("Mã xác thực của chính bạn").fill(wrong_code("seal-operator"))
        form.locator("button").click()
        expect(page.locator("div.err[role=alert]")).to_contain_text("chưa ký")  # a wrong code queues nothing
        page.locator("form.seal-job").get_by_label("Mã xác thực của chính bạn").fill(confirmation_code("seal-operator"))
        page.locator("form.seal-job button").click()
        page.wait_for_url(f"{base}/jobs/*")
        assert path_of(page, base).startswith("/jobs/")
        expect(page.locator("#job-status")).to_contain_text("Đã xong", timeout=180_000)  # the page refreshed itself
        expect(page.locator("#job-count")).to_contain_text("6 / 6")
        assert page.locator("#job-progress").get_attribute("value") == "6"
        page.screenshot(path=tmp_path / "seal-job.png", full_page=True)
    with container.db.reader() as session:
        statuses = set(session.execute(select(SchoolClass.status).where(SchoolClass.id.in_(class_ids))).scalars())
    assert statuses == {"issued"}
