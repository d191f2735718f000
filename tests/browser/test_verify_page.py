"""The public verification page in headless Chromium: status, fields, upload of a good and a tampered PDF."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from credential_service.app.bootstrap import Container, build
from credential_service.app.demo import class_id, seed_demo, staff_id
from credential_service.app.factory import create_app
from credential_service.platform.settings import Settings
from credential_service.transcripts import imports
from credential_service.transcripts import spreadsheets as importers
from credential_service.transcripts.tables import Transcript
from credential_service.transcripts.workflow import Step

from .harness import live_server, open_browser, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]
A1 = class_id("10A1")


@pytest.fixture
def container(sqlite_db_url: str) -> Iterator[Container]:
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    c = build(Settings(env="test", database_url=sqlite_db_url))
    c.start_dev_services()
    seed_demo(c.transcripts, import_results=False)
    students = importers.demo_class("10A1", 10, n=1, seed=5)
    imports.import_xlsx(c.transcripts, A1, importers.write_sample_xlsx(students), "10A1.xlsx")
    svc = c.transcripts
    svc.lock_class(A1)
    svc.sign_class(A1, Step.GVCN, staff_id=staff_id("gvcn-10a1"))
    svc.sign_class(A1, Step.PRINCIPAL, staff_id=staff_id("principal"))
    svc.sign_class(A1, Step.SEAL, staff_id=staff_id("seal-thpt-demo"))
    yield c
    c.db.dispose()


def _tampered(data: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page = w.root["/Pages"]["/Kids"][0].get_object()
    overlay = w.add_object(generic.StreamObject(stream_data=b"q 1 1 1 rg 60 500 300 40 re f Q"))
    old = page.raw_get("/Contents")
    page["/Contents"] = generic.ArrayObject([*(old if isinstance(old, generic.ArrayObject) else [old]), overlay])
    w.update_container(page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_verify_page_shows_status_and_judges_uploads(container: Container, tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect

    with container.db.reader() as s:
        t = s.execute(select(Transcript).where(Transcript.class_id == A1)).scalars().one()
    good = tmp_path / "hocba.pdf"
    good.write_bytes(t.pdf)
    bad = tmp_path / "hocba-sua.pdf"
    bad.write_bytes(_tampered(t.pdf))

    with live_server(create_app(container)) as base, open_browser(viewport=(390, 844)) as page:
        page.goto(f"{base}/v/{t.id}")  # without the view key: the status alone
        expect(page.locator("#details-hidden")).to_be_visible()
        expect(page.locator("#fields")).not_to_contain_text("Trường THPT Demo Hải Phòng")
        page.goto(base + urlsplit(container.settings.verify_url(t.id))._replace(scheme="", netloc="").geturl())
        expect(page.locator("h1")).to_contain_text("Kiểm tra học bạ số")
        expect(page.locator("#verdict")).to_have_attribute("data-status", "valid")
        expect(page.locator("#status-text")).to_contain_text("Hợp lệ")
        expect(page.locator("#fields")).to_contain_text("Trường THPT Demo Hải Phòng")
        expect(page.get_by_text("Nếu thông tin khác với bản giấy")).to_be_visible()
        # the labelled controls are reachable by their labels (keyboard and screen readers)
        expect(page.get_by_label("Chọn tệp học bạ số (PDF, tối đa 10 MB)")).to_be_visible()
        expect(page.get_by_label("Hoặc dán / nhập nội dung mã QR")).to_be_visible()
        page.screenshot(path=tmp_path / "verify-page.png", full_page=True)

        page.locator("#lang-switch").click()
        expect(page.locator("h1")).to_contain_text("Verify a digital transcript")
        page.goto(f"{base}/v/{t.id}")

        page.get_by_label("Chọn tệp học bạ số (PDF, tối đa 10 MB)").set_input_files(str(good))
        page.locator("#upload").click()
        verdict = page.locator("#verdict")
        expect(verdict).to_have_attribute("data-indication", "PASSED", timeout=30_000)
        expect(verdict).to_contain_text("HỢP LỆ")
        expect(page.locator("#credential-status")).to_contain_text("Hợp lệ")
        page.screenshot(path=tmp_path / "verify-good.png", full_page=True)

        page.goto(f"{base}/v/{t.id}")
        page.get_by_label("Chọn tệp học bạ số (PDF, tối đa 10 MB)").set_input_files(str(bad))
        page.locator("#upload").click()
        expect(verdict).to_have_attribute("data-indication", "FAILED", timeout=30_000)
        expect(verdict).to_contain_text("KHÔNG HỢP LỆ")
        page.screenshot(path=tmp_path / "verify-tampered.png", full_page=True)

        # the QR's URL with its offline fragment: the page offers the check and the server confirms it
        from verifier.qr import read_qr_from_pdf

        url = read_qr_from_pdf(t.pdf)[0]
        page.goto(base + url[url.index("/v/") :])
        expect(page.locator("#qr-fragment-note")).to_be_visible()
        page.locator("#qr-check").click()
        expect(verdict).to_have_attribute("data-indication", "PASSED", timeout=30_000)
        expect(page.locator("#qr-fields")).to_contain_text("10A1")

        page.goto(f"{base}/v/00000000-0000-0000-0000-000000000000")
        expect(page.locator("#verdict")).to_contain_text("Không tìm thấy")
