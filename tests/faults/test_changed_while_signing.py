"""Correcting and reissuing sign outside the transaction too: a change that lands while they sign (the
diploma revoked, the register numbered on by another writer) is a 409 and nothing of theirs is recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fault_drills import audit_ok, decide, issue, state

from credential_service.app.bootstrap import Container
from credential_service.app.demo import staff_id
from credential_service.app.problem import http_status
from credential_service.diplomas.issuance import ChangedWhileSigning, reserve_register_numbers
from credential_service.platform.errors import Conflict


def _while_signing(c: Container, meanwhile: Callable[[], None]) -> None:
    """Run ``meanwhile`` (once) when the next signing batch starts."""
    sign_many = c.documents.sign_many
    done: list[bool] = []

    def sign_and_interfere(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            meanwhile()
        return sign_many(*args, **kwargs)

    c.documents.sign_many = sign_and_interfere  # type: ignore[method-assign]


def _reissue(c: Container, diploma_id: str) -> dict[str, Any]:
    return c.diplomas.reissue(
        diploma_id, decision_no="9/QĐ-DRILL", decision_date=c.clock.today(), signer="Ngô Quang Trưởng",
        reason="Trường ghi sai nơi sinh", changes={"place_of_birth": "Thủy Nguyên"}, evidence=["Giấy khai sinh"],
        actor="clerk", issuer_staff_id=staff_id("principal"), seal_staff_id=staff_id("seal-thpt-demo"),
    )  # fmt: skip


def test_a_diploma_revoked_while_its_reissue_signs_is_a_409_and_takes_no_number(container: Container) -> None:
    c = container
    first = issue(c, decide(c)).issued[0]["credential_id"]

    def revoke() -> None:
        c.diplomas.revoke(
            first, kind="revoke", ground="fraud", decision_no="8/QĐ-DRILL", decision_date=c.clock.today(),
            signer="Giám đốc Sở", reason="Gian lận", actor="so-clerk",
        )  # fmt: skip

    _while_signing(c, revoke)
    with pytest.raises(Conflict) as info:
        _reissue(c, first)
    assert http_status(info.value) == 409
    after = state(c)
    assert after.register_seqs == [1, 2, 3] and after.counter == 3  # no number taken by the refused reissue
    assert after.ledger_seqs == [0, 1, 2, 3]  # three issued + the revocation, nothing else
    audit_ok(c)


def test_a_register_numbered_on_while_a_reissue_signs_is_a_409_and_records_nothing(container: Container) -> None:
    c = container
    first = issue(c, decide(c)).issued[0]["credential_id"]
    year = c.clock.today().year

    def another_writer() -> None:  # e.g. an older server that does not take the register lock
        with c.db.transaction() as session:
            reserve_register_numbers(session, "THPT-DEMO", "THPT", year, 1)

    _while_signing(c, another_writer)
    with pytest.raises(ChangedWhileSigning) as info:
        _reissue(c, first)
    assert http_status(info.value) == 409 and "no number was lost" in info.value.message.en
    after = state(c)
    assert after.register_seqs == [1, 2, 3] and after.counter == 4 and after.ledger_seqs == [0, 1, 2]
    assert _reissue(c, first)["register_no"] == f"5/THPT/{year}"  # a retry numbers on from the counter
    audit_ok(c)
