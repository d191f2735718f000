"""The transcript signing workflow as a pure state machine.

draft → locked → signed_gvcn → signed_principal → issued (sealed). Any other order is refused.
Source: the draft MOET circular on học bạ số (5/2026) orders the steps data completion →
verification → confirmation → individual signatures → institution signature; Circular
22/2021/TT-BGDĐT Art. 18 and 20 give the GVCN and the principal their parts.
"""

from __future__ import annotations

from enum import StrEnum

from credential_service.platform.errors import Message, WorkflowViolation


class Status(StrEnum):
    DRAFT = "draft"
    LOCKED = "locked"
    SIGNED_GVCN = "signed_gvcn"
    SIGNED_PRINCIPAL = "signed_principal"
    ISSUED = "issued"


class Step(StrEnum):
    LOCK = "lock"
    GVCN = "gvcn"
    PRINCIPAL = "principal"
    SEAL = "seal"


# step -> (status required before, status after)
TRANSITIONS: dict[Step, tuple[Status, Status]] = {
    Step.LOCK: (Status.DRAFT, Status.LOCKED),
    Step.GVCN: (Status.LOCKED, Status.SIGNED_GVCN),
    Step.PRINCIPAL: (Status.SIGNED_GVCN, Status.SIGNED_PRINCIPAL),
    Step.SEAL: (Status.SIGNED_PRINCIPAL, Status.ISSUED),
}

STATUS_LABELS: dict[Status, Message] = {
    Status.DRAFT: Message("Bản nháp (đang nhập điểm)", "Draft (results being entered)"),
    Status.LOCKED: Message("Đã khóa sổ, chờ GVCN ký", "Locked, awaiting the homeroom teacher"),
    Status.SIGNED_GVCN: Message("GVCN đã ký, chờ Hiệu trưởng phê duyệt", "Signed by GVCN, awaiting principal"),
    Status.SIGNED_PRINCIPAL: Message("Hiệu trưởng đã ký, chờ đóng dấu", "Approved, awaiting the school seal"),
    Status.ISSUED: Message("Đã đóng dấu và phát hành", "Sealed and issued"),
}

STEP_LABELS: dict[Step, Message] = {
    Step.LOCK: Message("khóa sổ", "lock"),
    Step.GVCN: Message("GVCN ký", "homeroom teacher signs"),
    Step.PRINCIPAL: Message("Hiệu trưởng ký phê duyệt", "principal approves"),
    Step.SEAL: Message("đóng dấu nhà trường", "school seal"),
}


def next_status(current: Status | str, step: Step) -> Status:
    """Return the status after ``step``, or raise if the step is not allowed now."""
    current = Status(current)
    required, after = TRANSITIONS[step]
    if current != required:
        raise WorkflowViolation(
            Message(
                f"Không thể thực hiện bước «{STEP_LABELS[step].vi}» khi học bạ đang ở trạng thái "
                f"«{STATUS_LABELS[current].vi}»; cần trạng thái «{STATUS_LABELS[required].vi}».",
                f"Cannot {STEP_LABELS[step].en} while the transcript is «{STATUS_LABELS[current].en}»; "
                f"it must be «{STATUS_LABELS[required].en}».",
            ),
            current=current.value,
            required=required.value,
            step=step.value,
        )
    return after
