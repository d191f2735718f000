"""The signing workflow allows only draft → locked → GVCN → principal → seal."""

from __future__ import annotations

import pytest

from credential_service.app.problem import http_status
from credential_service.platform.errors import ErrorCategory, WorkflowViolation
from credential_service.transcripts.workflow import Status, Step, next_status


def test_the_steps_in_order_lead_from_draft_to_issued() -> None:
    status = Status.DRAFT
    for step in (Step.LOCK, Step.GVCN, Step.PRINCIPAL, Step.SEAL):
        status = next_status(status, step)
    assert status == Status.ISSUED


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (Status.LOCKED, Step.PRINCIPAL),  # principal before the homeroom teacher
        (Status.LOCKED, Step.SEAL),  # seal before anyone signed
        (Status.DRAFT, Step.GVCN),  # signing a draft that is not locked
        (Status.SIGNED_GVCN, Step.GVCN),  # signing twice
        (Status.ISSUED, Step.SEAL),  # sealing an issued document again
        (Status.ISSUED, Step.LOCK),
    ],
)
def test_any_other_order_is_refused_with_a_bilingual_message(status: Status, step: Step) -> None:
    with pytest.raises(WorkflowViolation) as info:
        next_status(status, step)
    err = info.value
    assert err.category is ErrorCategory.CONFLICT and http_status(err) == 409
    assert "trạng thái" in err.message.vi
    assert "must be" in err.message.en
    assert err.extra["current"] == status.value
