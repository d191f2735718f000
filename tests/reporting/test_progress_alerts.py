"""Alerts (issue #16, item 5): a school behind plan, a diploma decision about to miss the 5-day rule, a signer
certificate expiring within 30 days — each shown to the people responsible, and to the Sở."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from progress_fixtures import OTHER_COMMUNE, add_school
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import DEMO_SCHOOL_CODE
from credential_service.reporting import alerts as A
from credential_service.reporting.routes import alerts_service
from credential_service.reporting.rules import SchoolFacts, Tally
from credential_service.staff.roles import Grant, Role

TODAY = date(2026, 12, 3)
S1 = SchoolFacts("s1", "THCS-A", "Trường THCS A", "Phường A")
S2 = SchoolFacts("s2", "THCS-B", "Trường THCS B", "Phường B")
SO = [Grant(Role.SO_ADMIN)]
PRINCIPAL_A = [Grant(Role.PRINCIPAL, school_id="s1")]
COMMUNE_B = [Grant(Role.COMMUNE_OFFICER, commune="Phường B")]
TEACHER_A = [Grant(Role.GVCN, school_id="s1", class_id="k1")]


def test_a_school_is_behind_only_after_the_plan_date_and_only_with_hoc_ba_unsigned() -> None:
    schools = [(S1, Tally(students=40, sealed=31)), (S2, Tally(students=30, sealed=30))]
    assert A.behind_alerts(schools, "2025-2026", date(2026, 6, 30)) == []  # the plan date itself: not yet
    after = A.behind_alerts(schools, "2025-2026", date(2026, 7, 1))
    assert [(a.kind, a.school_code) for a in after] == [(A.BEHIND, "THCS-A")]
    assert "9 học bạ" in after[0].message.vi and "30/06/2026" in after[0].message.vi
    assert A.plan_date("2026-2027") == date(2027, 6, 30)
    assert A.behind_alerts(schools, "2026-2027", TODAY) == []


def test_a_decision_due_today_or_tomorrow_or_late_alerts_and_one_due_later_does_not() -> None:
    def decision(no: str, code: str | None, due_in: int, counts: dict[str, int]) -> dict[str, object]:
        due_on = (TODAY + timedelta(due_in)).isoformat()
        return {"decision_no": no, "school_code": code, "school": None, "due_on": due_on, "counts": counts}

    rows = [
        decision("1/QĐ", "THCS-A", 1, {"due": 3}),
        decision("2/QĐ", "THCS-A", 2, {"due": 3}),  # two days left: not yet
        decision("3/QĐ", "THCS-B", -1, {"late": 2}),
        decision("4/QĐ", "THCS-B", 0, {"on_time": 5}),  # all issued
        decision("5/QĐ", None, 0, {"due": 1}),  # a Sở-issued decision
    ]
    out = A.deadline_alerts(rows, {"THCS-A": S1, "THCS-B": S2}, TODAY)
    assert [(a.message.vi.split(":")[0], a.severity) for a in out] == [
        ("Trường THCS A", "medium"),
        ("Trường THCS B", "high"),
        ("Sở", "high"),
    ]
    assert "ngày mai" in out[0].message.vi and "quá hạn" in out[1].message.vi
    assert [a["message_en"][:14] for a in A.for_person(out, PRINCIPAL_A, TODAY)] == ["Trường THCS A:"]
    assert len(A.for_person(out, COMMUNE_B, TODAY)) == 0  # a deadline is the school's and the Sở's
    assert len(A.for_person(out, SO, TODAY)) == 3
    assert A.for_person(out, [Grant(Role.SO_CLERK)], TODAY)[0]["severity"] == "high"  # most urgent first


def test_a_certificate_expiring_within_30_days_alerts_its_school_and_the_so_admin() -> None:
    def cert(staff: str, days: int, **kw: object) -> dict[str, object]:
        ends = f"{(TODAY + timedelta(days)).isoformat()}T00:00:00+00:00"
        return {"staff_id": staff, "not_after": ends, "status": "active", "replaced_by_id": None, **kw}

    certs = [
        cert("t1", 30),
        cert("t2", 31),  # outside the window
        cert("t3", 5),
        cert("t4", 3, status="revoked"),
        cert("t5", 10, replaced_by_id="x"),  # already renewed
        cert("so", -1),  # already expired: the registry refuses it when signing
    ]
    signers = {"t1": ("Nguyễn Văn A", "s1"), "t3": ("Sở GDĐT", None)}
    out = A.certificate_alerts(certs, signers, {"s1": S1}, TODAY)
    assert [(a.message.en.split("'")[0], a.severity, a.school_code) for a in out] == [
        ("Nguyễn Văn A", "medium", "THCS-A"),
        ("Sở GDĐT", "high", None),
    ]
    assert [a["school_code"] for a in A.for_person(out, PRINCIPAL_A, TODAY)] == ["THCS-A"]
    assert len(A.for_person(out, SO, TODAY)) == 2
    assert A.for_person(out, TEACHER_A, TODAY) == []


def test_alerts_of_the_demo_city_go_to_whoever_answers_for_them(container: Container) -> None:
    """The demo year 2025-2026 is past its plan date with nothing signed: both schools are behind; a decision
    taken four days ago is due tomorrow."""
    add_school(container, "THCS-KHAC", OTHER_COMMUNE, n=9)
    today = container.clock.today()
    decided = today - timedelta(days=4)
    container.diplomas.record_graduation_decision(
        school_code=DEMO_SCHOOL_CODE, decision_no="7/QĐ", decision_date=decided, graduation_year=decided.year,
        signer_name="Ngô Quang Trưởng",
        graduates=[{"full_name": "Phạm Thu Hà", "date_of_birth": "01/02/2008", "sex": "Nữ"}],
    )  # fmt: skip
    svc = alerts_service(container)
    every = svc.all()
    kinds = sorted((a.kind, a.school_code) for a in every if a.kind != A.CERTIFICATE)
    expected = [(A.DEADLINE, DEMO_SCHOOL_CODE), (A.BEHIND, DEMO_SCHOOL_CODE), (A.BEHIND, "THCS-KHAC")]
    if today <= date(2026, 6, 30):
        expected = [(A.DEADLINE, DEMO_SCHOOL_CODE)]
    assert kinds == sorted(expected)
    school_id = next(a.school_id for a in every if a.school_code == DEMO_SCHOOL_CODE)
    mine = svc.for_person([Grant(Role.PRINCIPAL, school_id=school_id)])
    assert {a["school_code"] for a in mine if a["kind"] != A.CERTIFICATE} == {DEMO_SCHOOL_CODE}
    assert [a["severity"] for a in mine] == sorted(a["severity"] for a in mine)  # "high" before "medium"
    commune = svc.for_person([Grant(Role.COMMUNE_OFFICER, commune=OTHER_COMMUNE)])
    assert [a["school_code"] for a in commune] == (["THCS-KHAC"] if len(expected) > 1 else [])


def test_the_alerts_api_and_the_dashboard_list_them(container: Container, client: TestClient) -> None:
    add_school(container, "THCS-KHAC", OTHER_COMMUNE, n=9)
    past_plan = container.clock.today() > date(2026, 6, 30)
    sign_in(client, "gvcn-10a1")
    assert client.get("/api/v1/progress/alerts").status_code == 403
    sign_in(client, "principal")
    own = client.get("/api/v1/progress/alerts").json()["alerts"]
    assert {a["school_code"] for a in own if a["kind"] == A.BEHIND} == ({DEMO_SCHOOL_CODE} if past_plan else set())
    sign_in(client, "so-admin")
    city = client.get("/api/v1/progress/alerts").json()["alerts"]
    behind = {a["school_code"] for a in city if a["kind"] == A.BEHIND}
    assert behind == ({DEMO_SCHOOL_CODE, "THCS-KHAC"} if past_plan else set())
    page = client.get("/so/tien-do", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'id="alerts"' in page.text
    assert page.text.count('data-kind="school_behind"') == len(behind)


def test_the_landing_pages_show_the_alerts_to_those_who_answer_for_them(
    container: Container, client: TestClient
) -> None:
    html = {"accept": "text/html"}
    sign_in(client, "gvcn-10a1")  # a teacher answers for no alert: none on their class list
    assert 'id="alerts"' not in client.get("/", headers=html).text
    sign_in(client, "principal")  # lands on the class list (staff/roles.py:landing_page)
    page = client.get("/", headers=html).text
    assert 'id="alerts"' in page
    past_plan = container.clock.today() > date(2026, 6, 30)
    assert ('data-kind="school_behind"' in page) is past_plan
    sign_in(client, "so-clerk")  # the Sở lands on the diplomas page
    page = client.get("/so/van-bang", headers=html).text
    assert 'id="alerts"' in page and ('data-kind="school_behind"' in page) is past_plan
