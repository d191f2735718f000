"""What the holder reads: labels for states, statuses, events and results (Vietnamese first, English
second), and moments shown in Vietnam time with the zone written out. Pure: no framework."""

from __future__ import annotations

from datetime import datetime

from credential_service.diplomas.rules import STATUS_LABELS as DIPLOMA_STATUS_LABELS
from credential_service.diplomas.rules import Status as DiplomaStatus
from credential_service.platform.clock import VN_TZ, as_utc
from credential_service.platform.errors import Message
from credential_service.transcripts.workflow import STATUS_LABELS as TRANSCRIPT_STATUS_LABELS
from credential_service.transcripts.workflow import Status as TranscriptStatus

EVENT_LABELS = {
    "verify": Message("Xác minh qua API", "Verified through the API"),
    "share_code_use": Message("Mở liên kết chia sẻ", "Opened the share link"),
    "copy": Message("Cấp bản sao từ sổ gốc", "Copy from the register"),
    "extract": Message("Trích lục", "Extract"),
    "download": Message("Tải về", "Downloaded"),
    "grant_created": Message("Tạo mã chia sẻ", "Share code created"),
    "grant_revoked": Message("Thu hồi mã chia sẻ", "Share code revoked"),
    "guardian_confirmed": Message("Cha mẹ/người giám hộ xác nhận", "Parent/guardian confirmed"),
    "staff_read": Message("Cán bộ xem hồ sơ", "A staff member viewed the record"),
}
RESULT_LABELS = {
    "ok": Message("Thành công", "Succeeded"),
    "shown": Message("Đã hiển thị", "Shown"),
    "expired": Message("Từ chối: mã đã hết hạn", "Refused: code expired"),
    "revoked": Message("Từ chối: mã đã bị thu hồi", "Refused: code revoked"),
    "used_up": Message("Từ chối: mã đã hết lượt", "Refused: no uses left"),
    "pending_guardian": Message("Từ chối: chờ cha mẹ xác nhận", "Refused: awaiting a parent's confirmation"),
    "wrong_recipient": Message("Từ chối: không phải tổ chức được chia sẻ", "Refused: not the organisation shared with"),
}
GRANT_STATE_LABELS = {
    "active": Message("Đang dùng được", "Active"),
    "revoked": Message("Đã thu hồi", "Revoked"),
    "expired": Message("Đã hết hạn", "Expired"),
    "used_up": Message("Đã hết lượt", "No uses left"),
    "pending_guardian": Message("Chờ cha mẹ/người giám hộ xác nhận", "Awaiting a parent's or guardian's confirmation"),
}
RELATION_LABELS = {
    "cha": Message("Cha", "Father"),
    "me": Message("Mẹ", "Mother"),
    "giam_ho": Message("Người giám hộ", "Legal guardian"),
}
ZONE = Message("giờ Việt Nam, UTC+7", "Vietnam time, UTC+7")


def label(labels: dict[str, Message], key: str) -> dict[str, str]:
    """``{"vi", "en"}`` for a key, the key itself when it has no label."""
    m = labels.get(key, Message(key, key))
    return {"vi": m.vi, "en": m.en}


def credential_status_label(kind: str, status: str) -> Message:
    """A credential's stored status as the holder reads it."""
    try:
        if kind == "diploma":
            return DIPLOMA_STATUS_LABELS[DiplomaStatus(status)]
        return TRANSCRIPT_STATUS_LABELS[TranscriptStatus(status)]
    except (ValueError, KeyError):
        return Message(status, status)


def vn_time(moment: datetime | str | None, *, with_zone: bool = True) -> str:
    """``2026-12-08 14:03 (giờ Việt Nam, UTC+7)``: a moment (or its ISO text) in Vietnam time."""
    if moment is None or moment == "":
        return ""
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    text = as_utc(at).astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M")
    return f"{text} ({ZONE.vi} / {ZONE.en})" if with_zone else text
