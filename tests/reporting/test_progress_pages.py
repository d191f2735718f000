"""The dashboard page: Vietnamese first, charts from Vega-Lite specs drawn with scripts the app serves itself,
filters, drill-down to a school and on to its classes; and, in a real browser, the charts are drawn."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import DEMO_SCHOOL_CODE, class_id
from credential_service.reporting.pages import SCRIPTS

HTML = {"accept": "text/html"}


def _specs(page: str) -> dict[str, dict]:
    found = re.findall(r'<script type="application/json" class="vl-spec" data-target="([^"]+)">(.*?)</script>', page)
    return {target: json.loads(text) for target, text in found}


def test_the_dashboard_embeds_vega_lite_specs_and_serves_its_own_scripts(client: TestClient) -> None:
    sign_in(client, "inspector")
    r = client.get("/so/tien-do", headers=HTML)
    assert r.status_code == 200
    page = r.text
    assert page.index("Tiến độ học bạ số") < page.index("Progress of digital transcripts")  # Vietnamese first
    assert 'name="viewport"' in page
    specs = _specs(page)
    assert set(specs) - {"chart-trend"} == {"chart-funnel", "chart-communes", "chart-behind"}
    assert all(s["$schema"].endswith("vega-lite/v6.4.1.json") for s in specs.values())
    communes = specs["chart-communes"]["layer"][0]["data"]["values"]
    assert communes == [{"label": "Phường Lê Chân", "share": 0.0, "students": 87, "sealed": 0}]
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert sources == [f"/assets/js/{name}" for name in SCRIPTS]  # nothing from another host
    for src in sources:
        js = client.get(src)
        assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
        assert len(js.content) > 1000
    assert client.get("/assets/js/../pages.py").status_code == 404


def test_the_dashboard_has_filters_csv_links_and_drills_down_to_a_school_then_a_class(client: TestClient) -> None:
    sign_in(client, "so-clerk")
    page = client.get("/so/tien-do", params={"level": "thpt"}, headers=HTML).text
    assert '<option value="thpt" selected>' in page
    assert 'href="/api/v1/progress/schools.csv?level=thpt"' in page
    link = f'href="/so/tien-do/truong/{DEMO_SCHOOL_CODE}?school_year=2025-2026"'
    assert link in page
    school = client.get(f"/so/tien-do/truong/{DEMO_SCHOOL_CODE}", headers=HTML)
    assert school.status_code == 200
    a1 = class_id("10A1")
    assert f'href="/so/tien-do/lop/{a1}?school_year=2025-2026"' in school.text and "Các lớp" in school.text
    assert set(_specs(school.text)) == {"chart-funnel"}
    klass = client.get(f"/so/tien-do/lop/{a1}", params={"school_year": "2025-2026"}, headers=HTML)
    assert klass.status_code == 200
    assert "Lớp 10A1" in klass.text and f'href="/classes/{a1}"' in klass.text
    assert _specs(klass.text)["chart-funnel"]["data"]["values"][0]["count"] == 45


def test_a_page_that_names_an_unknown_school_is_not_found(client: TestClient) -> None:
    sign_in(client, "inspector")
    assert client.get("/so/tien-do/truong/KHONG-CO", headers=HTML).status_code == 404


@pytest.mark.browser
def test_the_charts_are_drawn_in_a_browser_under_the_content_security_policy(container: Container) -> None:
    from browser.harness import live_server, open_browser, require_chromium
    from browser.staff_pages import SignInCodes

    from credential_service.app.demo_accounts import account
    from credential_service.app.factory import create_app

    require_chromium()
    container.reporting  # noqa: B018 - its clock dates the trend's rows (reporting/trend.py)
    container.transcripts.lock_class(class_id("10A2"))  # a change: the trend has a row today
    with live_server(create_app(container)) as base, open_browser(viewport=(390, 844)) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        username = "inspector"
        r = page.request.post(
            base + "/api/v1/staff/session",
            data={"username": username, "password": account(username).password, "totp": SignInCodes().code(username)},
        )
        assert r.status == 200, r.text()
        page.goto(base + "/so/tien-do")
        for chart in ("chart-funnel", "chart-communes", "chart-behind", "chart-trend"):
            page.wait_for_selector(f"#{chart} svg")
            assert page.get_attribute(f"#{chart}", "data-error") is None
        assert page.inner_text("#city-students") == "87"
        assert errors == []
