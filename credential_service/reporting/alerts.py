"""Alerts (pure; issue #16, item 5): what needs someone's attention now, and who that someone is.

* a school behind the plan: the school year's plan date has passed and some of its học bạ are not fully
  signed (a học bạ is completed at the end of the year, so nobody is behind before the plan date);
* a graduation decision about to miss the 5-day rule: diplomas not issued and the deadline today or
  tomorrow (``DiplomaService.deadline_view``), or already missed;
* a signer's certificate that expires within 30 days (the signer registry), unless already replaced.

Each alert names the roles responsible and the place (school, commune) it is about; a person sees the alerts
one of their roles in force covers (``staff/roles.py:holds``): the Sở all of them, a commune officer their
communes', a principal their school's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from credential_service.platform.errors import Message
from credential_service.reporting.rules import PLAN_BY, SchoolFacts, Tally
from credential_service.staff.roles import SO_ROLES, Grant, Place, Role, holds

CERT_WARNING_DAYS = 30
DEADLINE_WARNING_DAYS = 1  # the deadline is today or tomorrow

BEHIND = "school_behind"
DEADLINE = "diploma_deadline"
CERTIFICATE = "certificate_expiring"
KIND_ORDER = (DEADLINE, CERTIFICATE, BEHIND)
SHOWN = 50  # on a page; the Sở may have a thousand schools behind


@dataclass(frozen=True)
class Alert:
    kind: str
    severity: str  # "high" (missed, or expiring within a week) | "medium"
    message: Message
    roles: frozenset[Role]  # who is responsible (besides the Sở, which sees every alert)
    school_id: str | None = None
    school_code: str | None = None
    commune: str | None = None
    link: str | None = None
    due_on: date | None = None

    def visible_to(self, grants: Iterable[Grant], on: date) -> bool:
        place = Place(school_id=self.school_id, commune=self.commune)
        return holds(list(grants), self.roles | SO_ROLES, place, on)

    def row(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message_vi": self.message.vi,
            "message_en": self.message.en,
            "school_code": self.school_code,
            "commune": self.commune,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "link": self.link,
        }


def plan_date(school_year: str) -> date:
    """The plan's date for a school year: 100% fully signed học bạ by 30 June at the end of the year."""
    end = int(school_year.split("-")[1])
    return PLAN_BY if end == PLAN_BY.year else date(end, 6, 30)


def behind_alerts(schools: Iterable[tuple[SchoolFacts, Tally]], school_year: str | None, today: date) -> list[Alert]:
    """Schools with học bạ not fully signed after the plan date of the school year shown."""
    if school_year is None or today <= plan_date(school_year):
        return []
    out = []
    for s, t in schools:
        missing = t.students - t.sealed
        if t.students and missing > 0:
            out.append(
                Alert(
                    BEHIND,
                    "high",
                    Message(
                        f"{s.name}: {missing} học bạ năm học {school_year} chưa đủ chữ ký, quá hạn kế hoạch "
                        f"{plan_date(school_year):%d/%m/%Y}.",
                        f"{s.name}: {missing} học bạ of {school_year} not fully signed after the plan date "
                        f"{plan_date(school_year).isoformat()}.",
                    ),
                    frozenset({Role.PRINCIPAL, Role.COMMUNE_OFFICER}),
                    s.school_id,
                    s.code,
                    s.commune,
                    f"/so/tien-do/truong/{s.code}",
                    plan_date(school_year),
                )
            )
    return out


def deadline_alerts(
    decisions: Iterable[Mapping[str, Any]], schools: Mapping[str, SchoolFacts], today: date
) -> list[Alert]:
    """Decisions with diplomas not issued whose 5-day deadline is today or tomorrow, or has passed."""
    out = []
    for d in decisions:
        counts = d["counts"]
        due_on = date.fromisoformat(d["due_on"])
        days = (due_on - today).days
        late, due = counts.get("late", 0), counts.get("due", 0)
        if not late and not (due and days <= DEADLINE_WARNING_DAYS):
            continue
        school = schools.get(d.get("school_code") or "")
        where = d.get("school") or (school.name if school else "Sở")
        if late:
            msg = Message(
                f"{where}: quyết định {d['decision_no']} có {late} văn bằng quá hạn cấp (hạn {due_on:%d/%m/%Y}).",
                f"{where}: decision {d['decision_no']} has {late} diplomas past the deadline {due_on.isoformat()}.",
            )
        else:
            when = "hôm nay" if days == 0 else "ngày mai"
            msg = Message(
                f"{where}: quyết định {d['decision_no']} còn {due} văn bằng chưa cấp, hạn {when} ({due_on:%d/%m/%Y}).",
                f"{where}: decision {d['decision_no']} has {due} diplomas to issue by {due_on.isoformat()}.",
            )
        out.append(
            Alert(
                DEADLINE,
                "high" if late or days == 0 else "medium",
                msg,
                frozenset({Role.PRINCIPAL, Role.SCHOOL_CLERK}) if school else frozenset({Role.SO_CLERK}),
                school.school_id if school else None,
                school.code if school else None,
                school.commune if school else None,
                "/so/van-bang",
                due_on,
            )
        )
    return out


def expiring(certificates: Iterable[Mapping[str, Any]], today: date) -> list[Mapping[str, Any]]:
    """Active, not replaced certificates that end within ``CERT_WARNING_DAYS`` days of ``today``."""
    return [
        c
        for c in certificates
        if c.get("status") == "active"
        and not c.get("replaced_by_id")
        and 0 <= (datetime.fromisoformat(c["not_after"]).date() - today).days <= CERT_WARNING_DAYS
    ]


def certificate_alerts(
    certificates: Iterable[Mapping[str, Any]],
    signers: Mapping[str, tuple[str, str | None]],
    schools_by_id: Mapping[str, SchoolFacts],
    today: date,
) -> list[Alert]:
    """Active certificates that expire within 30 days (``signers``: staff id → name and school id)."""
    out = []
    for c in expiring(certificates, today):
        ends = datetime.fromisoformat(c["not_after"]).date()
        days = (ends - today).days
        name, school_id = signers.get(c["staff_id"], ("?", None))
        school = schools_by_id.get(school_id or "")
        out.append(
            Alert(
                CERTIFICATE,
                "high" if days <= 7 else "medium",
                Message(
                    f"Chứng thư số của {name} hết hạn ngày {ends:%d/%m/%Y} (còn {days} ngày): cần gia hạn.",
                    f"{name}'s signing certificate expires on {ends.isoformat()} ({days} days left): renew it.",
                ),
                frozenset({Role.PRINCIPAL, Role.SO_ADMIN}) if school else frozenset({Role.SO_ADMIN}),
                school.school_id if school else None,
                school.code if school else None,
                school.commune if school else None,
                None,
                ends,
            )
        )
    return out


def for_person(alerts: Iterable[Alert], grants: Iterable[Grant], on: date) -> list[dict[str, Any]]:
    """The alerts a person is responsible for or oversees, most urgent first (all of them: a page shows the
    first ``SHOWN``)."""
    grants = list(grants)
    mine = [a for a in alerts if a.visible_to(grants, on)]
    mine.sort(key=lambda a: (a.severity != "high", a.due_on or date.max, KIND_ORDER.index(a.kind), a.school_code or ""))
    return [a.row() for a in mine]
