"""Outside the demo, an organisation's API key works only once the Sở has approved it (when, by whom)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from holders_fixtures import Holders
from sqlalchemy import update

from credential_service.app.bootstrap import build
from credential_service.app.factory import create_app
from credential_service.employers.organisations import AUTO_APPROVED_BY, OrganisationNotApproved
from credential_service.employers.service import EmployerService
from credential_service.employers.tables import Organisation
from credential_service.platform.db import alembic_config, migrate
from credential_service.platform.errors import Conflict, InvalidInput, NotFound
from credential_service.platform.settings import Settings


def _service(env: Holders, *, require_approval: bool) -> EmployerService:
    c = env.container
    return EmployerService(
        c.db, c.settings, c.verification.credential_status, clock=c.clock, require_approval=require_approval
    )


def _tax() -> str:
    return str(uuid.uuid4().int)[:10]


@pytest.fixture(scope="module")
def approving(holders_env: Holders) -> tuple[EmployerService, TestClient]:
    """An app over the holders' database whose employer service requires approval (production's wiring)."""
    c = build(Settings(env="test", database_url=holders_env.url), clock=holders_env.container.clock)
    c.employers = _service(holders_env, require_approval=True)
    return c.employers, TestClient(create_app(c))


def test_an_unapproved_organisations_key_is_refused_with_a_bilingual_problem(
    approving: tuple[EmployerService, TestClient],
) -> None:
    svc, client = approving
    r = client.post(
        "/api/v1/employer/organisations",
        json={"name": "Công ty Chờ Duyệt", "tax_code": _tax(), "contact_email": "hr@example.vn"},
    )
    assert r.status_code == 201, r.text
    org, key = r.json()["organisation"], r.json()["api_key"]
    assert org["status"] == "pending" and org["approved_at"] is None
    auth = {"Authorization": f"Bearer {key}"}
    for method, path, body in [
        ("post", "/api/v1/employer/verify", {"code": "AAAAA-BBBBB"}),
        ("post", "/api/v1/employer/verify/batch", {"codes": ["AAAAA-BBBBB"]}),
        ("get", "/api/v1/employer/keys", None),
        ("post", "/api/v1/employer/keys/rotate", None),
    ]:
        r = getattr(client, method)(path, headers=auth, **({"json": body} if body else {}))
        assert r.status_code == 403, r.text
        problem = r.json()
        assert problem["code"] == "organisation-not-approved" and problem["organisation_status"] == "pending"
        assert "phê duyệt" in problem["detail_vi"] and "approved" in problem["detail_en"]
    assert org["id"] in [o["id"] for o in svc.list_pending()]
    approved = svc.approve_organisation(org["id"], approved_by="  Chuyên viên   Sở GDĐT ")
    assert approved["status"] == "active" and approved["approved_by"] == "Chuyên viên Sở GDĐT"
    assert approved["approved_at"] is not None
    assert org["id"] not in [o["id"] for o in svc.list_pending()]
    r = client.post("/api/v1/employer/verify", json={"code": "AAAAA-BBBBB"}, headers=auth)
    assert r.status_code == 404 and r.json()["code"] == "share-code-not-found"  # the key works now


def test_approval_is_recorded_once_and_checked(holders_env: Holders) -> None:
    svc = _service(holders_env, require_approval=True)
    org, key = svc.register(name="Công ty Ghi Nhận", tax_code=_tax(), contact_email="hr@example.vn")
    with pytest.raises(OrganisationNotApproved):
        svc.authenticate(key, "verify")
    with pytest.raises(InvalidInput):
        svc.approve_organisation(org["id"], approved_by="   ")
    with pytest.raises(NotFound):
        svc.approve_organisation(str(uuid.uuid4()), approved_by="Sở")
    first = svc.approve_organisation(org["id"], approved_by="Người A")
    again = svc.approve_organisation(org["id"], approved_by="Người B")
    assert again["approved_by"] == "Người A" and again["approved_at"] == first["approved_at"]
    assert svc.authenticate(key, "verify").organisation_id == org["id"]
    # by tax code, any spelling (the CLI)
    tax = _tax()
    svc.register(name="Công ty Dòng Lệnh", tax_code=tax, contact_email="hr@example.vn")
    assert svc.approve(f"{tax[:4]}-{tax[4:7]}-{tax[7:]}")["approved_by"] == "sogoc employer approve"


def test_a_suspended_organisation_is_refused_and_not_reinstated_by_approval(holders_env: Holders) -> None:
    svc = _service(holders_env, require_approval=True)
    org, key = svc.register(name="Công ty Tạm Ngừng", tax_code=_tax(), contact_email="hr@example.vn")
    svc.approve_organisation(org["id"], approved_by="Sở")
    with holders_env.container.db.transaction() as s:
        s.execute(update(Organisation).where(Organisation.id == org["id"]).values(status="suspended"))
    svc._auth_cache.clear()
    with pytest.raises(OrganisationNotApproved) as e:
        svc.authenticate(key, "verify")
    assert "tạm ngừng" in e.value.message.vi and "suspended" in e.value.message.en
    with pytest.raises(Conflict):
        svc.approve_organisation(org["id"], approved_by="Sở")


def test_in_the_demo_an_organisation_is_approved_at_registration(holders_env: Holders) -> None:
    svc = _service(holders_env, require_approval=False)
    org, key = svc.register(name="Công ty Demo", tax_code=_tax(), contact_email="hr@example.vn")
    assert org["status"] == "active" and org["approved_by"] == AUTO_APPROVED_BY and org["approved_at"]
    assert svc.authenticate(key, "verify").organisation_id == org["id"]
    assert org["id"] not in [o["id"] for o in svc.list_pending()]


def test_without_an_explicit_choice_approval_follows_the_environment(holders_env: Holders) -> None:
    c = holders_env.container
    assert EmployerService(c.db, c.settings, c.verification.credential_status).require_approval is False  # test
    prod = c.settings.model_copy(update={"env": "production"})  # keeps the dev keys: never validated here
    prod.__dict__.pop("is_dev", None)  # a cached property, copied with the model
    assert EmployerService(c.db, prod, c.verification.credential_status).require_approval is True


# ---------------------------------------------------------------------------------------------- migration 0008


def _orgs_at_0007(tmp_path: Path, rows: list[tuple[str, str, str]]) -> str:
    url = f"sqlite:///{tmp_path}/m.db"
    migrate(url, "0007")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for org_id, tax_code, status in rows:
            conn.execute(
                sa.text(
                    "INSERT INTO organisations (id, name, tax_code, contact_email, status, created_at) "
                    "VALUES (:id, :id, :tax, 'a@b.vn', :status, '2026-01-02 03:04:05')"
                ),
                {"id": org_id, "tax": tax_code, "status": status},
            )
    engine.dispose()
    return url


def _select(url: str) -> list[Any]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        query = "SELECT id, tax_code, status, approved_at, approved_by FROM organisations ORDER BY id"
        rows = list(conn.execute(sa.text(query)))
    engine.dispose()
    return rows


def test_migration_records_active_organisations_as_approved_and_normalises_tax_codes(tmp_path: Path) -> None:
    url = _orgs_at_0007(tmp_path, [("a", "0200-000-001", "active"), ("b", "0300000002001", "pending")])
    migrate(url, "0008")
    (_, a_tax, _, a_at, a_by), (_, b_tax, b_status, b_at, b_by) = _select(url)
    assert (a_tax, b_tax) == ("0200000001", "0300000002-001")
    assert a_at is not None and a_by.startswith("migration 0008")
    assert b_status == "pending" and b_at is None and b_by is None


def test_migration_stops_on_two_spellings_of_one_tax_code(tmp_path: Path) -> None:
    url = _orgs_at_0007(tmp_path, [("a", "0200-000-001", "active"), ("b", "0200000001", "active")])
    with pytest.raises(RuntimeError, match="same tax code 0200000001"):
        migrate(url, "0008")


def test_migration_downgrades(tmp_path: Path) -> None:
    url = _orgs_at_0007(tmp_path, [("c", "0400000004", "active")])
    migrate(url, "0008")
    command.downgrade(alembic_config(url), "0007")
    engine = sa.create_engine(url)
    cols = [c["name"] for c in sa.inspect(engine).get_columns("organisations")]
    engine.dispose()
    assert "approved_at" not in cols and "approved_by" not in cols
