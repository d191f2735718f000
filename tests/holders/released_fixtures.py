"""Holder A with a transcript and a signed diploma, in a database of its own (other modules count A's credentials)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from holders_fixtures import Holders, _environment

from credential_service.app.demo import staff_id
from credential_service.app.factory import create_app

GRADUATE = {"full_name": "Người A", "date_of_birth": "2000-01-02", "sex": "Nam", "place_of_birth": "Hải Phòng",
            "ethnicity": "Kinh", "personal_id": "031200000777"}  # fmt: skip


@dataclass
class Env:
    holders: Holders
    app: Any
    diploma_id: str


@pytest.fixture(scope="session")
def holder_with_diploma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """Holder A owns a transcript and a signed diploma."""
    gen = _environment(tmp_path_factory.mktemp("released"), holders=True)
    h = next(gen)
    c = h.container
    decision = c.diplomas.record_graduation_decision(
        school_code="THPT-DEMO", decision_no="99/QĐ-TEST", decision_date=date(2026, 6, 20), graduation_year=2026,
        signer_name="Ngô Quang Trưởng", graduates=[GRADUATE],
    )  # fmt: skip
    report = c.diplomas.issue_from_decision(
        decision, issuer_staff_id=staff_id("principal"), seal_staff_id=staff_id("seal-thpt-demo")
    )
    diploma_id = report.issued[0]["credential_id"]
    c.holders.link_diploma(diploma_id, linked_by="test", person_id=h.persons[0])
    yield Env(h, create_app(c), diploma_id)
    for _ in gen:  # closes the environment
        pass
