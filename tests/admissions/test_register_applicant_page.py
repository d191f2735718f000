"""The Sở admissions officer sees one applicant's register figures, each with its source (credential id, version,
verified), on the API and on the page (Vietnamese first, then English); the inspector and others are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from register_fixtures import Pupil, all_levels, four_years, school, with_register, world
from register_rules_fixtures import RULES, YEAR, applicant
from staff_login import add_account, sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.factory import create_app
from credential_service.staff.roles import Role

AN = Pupil("031211000123", "Nguyễn Văn An", date(2011, 5, 1), "Nam")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, dict[int, str], TestClient, TestClient]]:
    c = world(tmp_path_factory.mktemp("register-page"))
    service = with_register(c)
    school_id, classes = school(c)
    _, ids = four_years(c, school_id, classes, AN, all_levels("Tốt", "Khá"))
    service.load_rules(YEAR, RULES, actor="tuyen-sinh")
    service.replace_applicants(YEAR, [applicant("TS01", AN.pin or "")], actor="tuyen-sinh", file_sha256="0" * 64)
    add_account(c, "tuyen-sinh", Role.SO_ADMISSIONS)
    add_account(c, "thanh-tra", Role.INSPECTOR)
    app = create_app(c)
    officer, inspector = TestClient(app), TestClient(app)
    sign_in(officer, "tuyen-sinh")
    sign_in(inspector, "thanh-tra")
    yield c, ids, officer, inspector
    c.db.dispose()


def test_the_api_gives_each_figure_with_its_source(env: tuple) -> None:
    _, ids, officer, _ = env
    r = officer.get(f"/api/v1/admissions/{YEAR}/applicants/TS01/register")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["found"] is True and body["grades_6_9_complete"] is True
    assert [(y["grade"], y["learning"], y["conduct"]) for y in body["grades_6_9"]] == [
        (g, "Tốt", "Khá") for g in (6, 7, 8, 9)
    ]
    assert [y["source"]["credential_id"] for y in body["grades_6_9"]] == [ids[g] for g in (6, 7, 8, 9)]
    assert all(y["source"]["version"] == 1 and y["source"]["verified"] for y in body["grades_6_9"])
    assert body["thcs_completion"]["how"] == "principal_confirmation"
    assert body["thcs_completion"]["source"]["credential_id"] == ids[9]
    assert body["legal_basis"]["vi"].startswith("Nhiệm vụ tổ chức tuyển sinh lớp 10 của Sở GDĐT")


def test_the_page_shows_the_figures_vietnamese_first(env: tuple) -> None:
    _, ids, officer, _ = env
    r = officer.get(f"/so/tuyen-sinh/{YEAR}/thi-sinh/TS01")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Thí sinh TS01" in html and "/ Applicant TS01" in html
    assert html.index("Kết quả học tập và rèn luyện lớp 6–9") < html.index("Grade 6–9 learning and conduct")
    assert all(f"{ids[g]}</code></a> v1" in html for g in (6, 7, 8, 9))
    assert html.count("đã xác minh / verified") == 5  # four years and the completion
    assert "*********123" in html and AN.pin not in html


def test_only_the_admissions_officer_reads_the_register(env: tuple) -> None:
    _, _, _, inspector = env
    assert inspector.get(f"/api/v1/admissions/{YEAR}/applicants/TS01/register").status_code == 403
    assert inspector.get(f"/so/tuyen-sinh/{YEAR}/thi-sinh/TS01").status_code == 403


def test_an_unknown_applicant_is_404(env: tuple) -> None:
    _, _, officer, _ = env
    assert officer.get(f"/api/v1/admissions/{YEAR}/applicants/NOPE/register").status_code == 404
