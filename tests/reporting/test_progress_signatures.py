"""The digital-signature section of the progress (issue #16 item 1): staff with a valid certificate by role,
certificates expiring within 30/60/90 days and revocations — the same numbers as a count straight from the
signer tables, in the JSON, the CSV, the page and the workbook; a commune sees its schools' staff only."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from progress_fixtures import OTHER_COMMUNE, add_school
from sqlalchemy import select
from staff_login import sign_in

from credential_service.app.bootstrap import Container
from credential_service.app.demo import staff_id
from credential_service.reporting import signature_rules as R
from credential_service.reporting.report_rules import parse_month
from credential_service.reporting.report_xlsx import read_tables, write_workbook
from credential_service.reporting.rules import Filters
from credential_service.signers.tables import SignerCertificate
from credential_service.staff.tables import RoleAssignment, School, Staff

NOW = datetime.fromisoformat("2026-12-03T08:00:00+00:00")
HTML = {"accept": "text/html"}


def _cert(staff: str, days: int, status: str = "active", **kw: Any) -> dict[str, Any]:
    return {
        "staff_id": staff,
        "not_before": (NOW - timedelta(days=400)).isoformat(),
        "not_after": (NOW + timedelta(days=days)).isoformat(),
        "status": status,
        "revoked_at": None,
        "replaced_by_id": None,
        "revocation_reason": None,
        **kw,
    }


def _assignment(staff: str, role: str, school: str | None, ends: str | None = None) -> dict[str, Any]:
    return {"staff_id": staff, "role": role, "school_id": school, "valid_from": "2025-08-01", "valid_to": ends}


# -- pure ------------------------------------------------------------------------------------------
def test_valid_certificates_by_role_and_cumulative_expiry_windows() -> None:
    assignments = [
        _assignment("p1", "principal", "s1"),
        _assignment("g1", "gvcn", "s1"),
        _assignment("g2", "gvcn", "s2"),
        _assignment("g3", "gvcn", "s1", ends="2026-11-30"),  # no longer in force
        _assignment("a1", "so_admin", None),
    ]
    certs = [
        _cert("p1", 20),  # within 30
        _cert("g1", 45),  # within 60
        _cert("g2", -1),  # expired: not valid, in no window
        _cert("g2", 80, status="superseded", replaced_by_id="x"),
        _cert("a1", 85),  # within 90
        _cert("g3", 400, status="revoked", revoked_at="2026-11-01T00:00:00+00:00", revocation_reason="key_compromise"),
        _cert("g1", 10, status="revoked", revoked_at="2026-01-01T00:00:00+00:00"),
    ]
    out = R.signature_section(assignments, certs, NOW, None)
    signers = {r["key"]: r for r in out["tables"]["signers"]}
    assert [r["key"] for r in out["tables"]["signers"]] == ["so_admin", "principal", "gvcn"]  # Role order
    assert (signers["gvcn"]["staff"], signers["gvcn"]["with_valid_certificate"]) == (2, 1)
    assert signers["gvcn"]["share_valid"] == 0.5 and signers["principal"]["with_valid_certificate"] == 1
    counts = {r["key"]: r["certificates"] for r in out["tables"]["certificates"]}
    assert counts == {
        "valid": 3,
        "expiring_30": 1,
        "expiring_60": 2,
        "expiring_90": 3,
        "revoked": 2,
        "revoked_last_90": 1,
        "revoked_key_compromise": 1,
        "revoked_unspecified": 1,
    }
    assert (out["staff_with_role"], out["staff_with_valid_certificate"]) == (4, 3)
    assert out["expiring"] == {"30": 1, "60": 2, "90": 3} and out["revocations"] == 2

    school_s1 = R.signature_section(assignments, certs, NOW, frozenset({"s1"}))
    assert [r["key"] for r in school_s1["tables"]["signers"]] == ["principal", "gvcn"]  # no Sở role, no s2
    assert school_s1["valid_certificates"] == 2 and school_s1["revocations"] == 1  # p1 and g1's


def test_nothing_personal_leaves_the_section() -> None:
    out = R.signature_section([_assignment("p1", "principal", "s1")], [_cert("p1", 20, subject="CN=X")], NOW, None)
    text = repr(out)
    assert "p1" not in text and "CN=X" not in text and "s1" not in text


# -- on the demo city ------------------------------------------------------------------------------
def _add_cert(c: Container, staff: str, days: int, *, revoked: str | None = None) -> None:
    now = c.clock.now()
    with c.db.transaction() as s:
        s.add(
            SignerCertificate(
                id=str(uuid.uuid4()),
                staff_id=staff,
                key_label=f"file:{staff[:8]}",
                backend="file",
                source="imported",
                serial_hex=uuid.uuid4().hex,
                issuer="CN=Test CA",
                subject=f"CN={staff}",
                sha256=uuid.uuid4().hex * 2,
                not_before=now - timedelta(days=365),
                not_after=now + timedelta(days=days),
                cert_der=b"-",
                status="revoked" if revoked else "active",
                revoked_at=now - timedelta(days=1) if revoked else None,
                revocation_reason=revoked,
                created_at=now,
            )
        )


def _setup(c: Container) -> str:
    """Demo signers with certificates ending in 10, 50, 80 and 200 days, one revoked; a principal at a school
    in another commune with a certificate ending in 20 days."""
    _add_cert(c, staff_id("gvcn-10a1"), 10)
    _add_cert(c, staff_id("gvcn-10a2"), 50)
    _add_cert(c, staff_id("principal"), 80)
    _add_cert(c, staff_id("seal-thpt-demo"), 200)
    _add_cert(c, staff_id("gvcn-10a2"), 300, revoked="key_compromise")
    add_school(c, "THCS-KHAC", OTHER_COMMUNE, n=6)
    other = str(uuid.uuid4())
    with c.db.transaction() as s:
        school = s.execute(select(School.id).where(School.code == "THCS-KHAC")).scalar_one()
        s.add(Staff(id=other, full_name="Hiệu trưởng khác", kind="person", key_label=""))
        s.flush()
        s.add(
            RoleAssignment(
                id=str(uuid.uuid4()), staff_id=other, role="principal", school_id=school, class_id=None,
                valid_from=date(2025, 8, 1), valid_to=None,
            )
        )  # fmt: skip
    _add_cert(c, other, 20)
    return other


def _from_tables(c: Container, commune: str | None = None) -> dict[str, Any]:
    """The section counted the plain way, straight from the tables."""
    now, today = c.clock.now(), c.clock.today()
    with c.db.reader() as s:
        schools = {sid: cm for sid, cm in s.execute(select(School.id, School.commune))}
        roles = [
            (a.staff_id, a.role)
            for a in s.execute(select(RoleAssignment)).scalars()
            if a.valid_from <= today
            and (a.valid_to is None or today <= a.valid_to)
            and (commune is None or (a.school_id is not None and schools.get(a.school_id) == commune))
        ]
        staff = {sid for sid, _ in roles}
        certs = [
            (x.staff_id, x.status, x.not_before, x.not_after, x.revoked_at)
            for x in s.execute(select(SignerCertificate)).scalars()
            if commune is None or x.staff_id in staff
        ]
    valid = [x for x in certs if x[1] == "active" and x[4] is None and x[2] <= now < x[3]]
    valid_staff = {x[0] for x in valid}
    by_role: dict[str, list[int]] = {}
    for sid, role in set(roles):
        row = by_role.setdefault(role, [0, 0])
        row[0] += 1
        row[1] += sid in valid_staff
    return {
        "by_role": by_role,
        "valid": len(valid),
        "expiring": {n: sum(1 for x in valid if (x[3].date() - today).days <= n) for n in (30, 60, 90)},
        "revoked": sum(1 for x in certs if x[4] is not None),
    }


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_section_matches_a_count_straight_from_the_tables_in_json_csv_and_page(
    container: Container, client: TestClient
) -> None:
    _setup(container)
    expected = _from_tables(container)
    assert expected["expiring"] == {30: 2, 60: 3, 90: 4} and expected["revoked"] == 1
    sign_in(client, "inspector")
    body = client.get("/api/v1/progress").json()
    sig = body["signatures"]
    assert sig["tables"] == ["signers", "certificates"]
    got = {r["key"]: [r["staff"], r["with_valid_certificate"]] for r in body["tables"]["signers"]}
    assert got == expected["by_role"]
    counts = {r["key"]: r["certificates"] for r in body["tables"]["certificates"]}
    assert counts["valid"] == sig["valid_certificates"] == expected["valid"] == 5
    assert {int(k): v for k, v in sig["expiring"].items()} == expected["expiring"]
    assert counts["revoked"] == sig["revocations"] == counts["revoked_key_compromise"] == 1

    signers_csv = _rows(client.get("/api/v1/progress/signers.csv").text)
    assert {r["key"]: [int(r["staff"]), int(r["with_valid_certificate"])] for r in signers_csv} == got
    certs_csv = _rows(client.get("/api/v1/progress/certificates.csv").text)
    assert {r["key"]: int(r["certificates"]) for r in certs_csv} == counts

    page = client.get("/so/tien-do", headers=HTML).text
    assert page.index("Chữ ký số") < page.index("Digital signatures")  # Vietnamese first
    assert 'id="table-signers"' in page and 'id="table-certificates"' in page
    assert '<strong id="sig-expiring">2 / 3 / 4</strong>' in page
    assert "/api/v1/progress/certificates.csv" in page


def test_a_commune_sees_the_staff_of_its_own_schools_only(container: Container, client: TestClient) -> None:
    _setup(container)
    sign_in(client, "commune-officer")
    own = client.get("/api/v1/progress").json()
    commune = own["scope"]["communes"][0]
    expected = _from_tables(container, commune)
    got = {r["key"]: [r["staff"], r["with_valid_certificate"]] for r in own["tables"]["signers"]}
    assert got == expected["by_role"] and "so_admin" not in got
    assert own["signatures"]["valid_certificates"] == expected["valid"] == 4  # not the other commune's
    sign_in(client, "so-admin")
    other = client.get("/api/v1/progress", params={"commune": OTHER_COMMUNE}).json()
    assert {r["key"]: r["staff"] for r in other["tables"]["signers"]} == {"principal": 1}
    assert other["signatures"]["expiring"]["30"] == 1


def test_the_workbook_has_the_signature_sheets(container: Container) -> None:
    _setup(container)
    period = parse_month("2026-05", container.clock.today())
    data = container.reporting.progress(Filters(None, None, period.school_year), None)
    back = read_tables(write_workbook(data, period, made_at="2026-05-31T10:00:00+07:00"))
    assert {r["key"]: r["certificates"] for r in back["certificates"]} == {
        r["key"]: r["certificates"] for r in data["tables"]["certificates"]
    }
    assert [r["key"] for r in back["signers"]] == [r["key"] for r in data["tables"]["signers"]]
